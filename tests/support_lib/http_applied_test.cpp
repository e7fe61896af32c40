// "Was the request applied?" from real failures: what the client knows about having sent the
// request (TransportError::request_sent) and what classify() concludes.
#include "temp_dir.hpp"

#include "certificate_authority.hpp"
#include "emulator_server.hpp"

#include <relais/support/classify.hpp>
#include <relais/support/http_client.hpp>

#include <catch2/catch.hpp>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <csignal>
#include <thread>

using namespace relais;
using namespace relais::support;
using namespace relais::emulator;
using namespace std::chrono_literals;
using Applied = Classification::Applied;

namespace {

TransportError failure_of(HttpClient &http, const HttpRequest &request) {
    try {
        http.send(request);
    } catch (const TransportError &e) {
        return e;
    }
    FAIL("the request got an answer");
    throw std::logic_error("unreachable");
}

HttpRequest deposit(const std::string &base) { return HttpRequest::post(base + "/deposit").form({{"invoice", "F-1"}}); }

// Accepts connections and resets each at once, without reading: a request body of some size
// cannot be written in full.
class ResettingServer {
public:
    ResettingServer() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0), 8) {
        thread_ = std::thread([this] {
            while (!stop_) {
                if (!socket_.poll(Poco::Timespan(0, 50'000), Poco::Net::Socket::SELECT_READ)) continue;
                auto connection = socket_.acceptConnection();
                connection.setLinger(true, 0);
                connection.close();
            }
        });
    }
    ~ResettingServer() {
        stop_ = true;
        thread_.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(socket_.address().port()); }

private:
    Poco::Net::ServerSocket socket_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace

TEST_CASE("support applied: a refused connection was not applied", "[support][applied]") {
    EmulatorServer server;
    server.start();
    const auto base = server.base_url();
    server.stop();
    HttpClient http;
    const auto e = failure_of(http, deposit(base));
    CHECK(e.kind() == TransportError::Kind::connect_failed);
    CHECK_FALSE(e.request_sent());
    CHECK(classify(e).applied == Applied::no);
    CHECK_FALSE(classify(e).uncertain());
}

TEST_CASE("support applied: an untrusted certificate means nothing was sent", "[support][applied]") {
    test::TempDir dir{"relais-support-applied"};
    TestCertificateAuthority ca{dir.path()};
    ServerOptions tls;
    tls.tls = ca.server_files();
    EmulatorServer server(tls);
    server.route("POST", "/deposit", [](const Request &) { return Response::json(200, "{}"); });
    server.start();
    HttpClient http;  // the system CAs only
    const auto e = failure_of(http, deposit(server.base_url()));
    CHECK(e.kind() == TransportError::Kind::tls_verification);
    CHECK_FALSE(e.request_sent());
    CHECK(classify(e).applied == Applied::no);
    CHECK(server.count("POST", "/deposit") == 0);
}

TEST_CASE("support applied: no answer in time after the request was sent is uncertain", "[support][applied]") {
    EmulatorServer server;
    server.route("POST", "/deposit", [](const Request &) { return Response::json(200, "{}"); });
    server.start();
    server.inject(Fault::hang(30s));
    HttpClientOptions options;
    options.read_timeout = 200ms;
    HttpClient http(options);
    const auto e = failure_of(http, deposit(server.base_url()));
    CHECK(e.kind() == TransportError::Kind::timeout);
    CHECK(e.request_sent());
    const auto c = classify(e, "deposit");
    CHECK(c.applied == Applied::unknown);
    CHECK(c.uncertain());
    CHECK(c.status == RELAIS_TRANSIENT);
}

TEST_CASE("support applied: a reset after the request was read is uncertain", "[support][applied]") {
    EmulatorServer server;
    server.route("POST", "/deposit", [](const Request &) { return Response::json(200, "{}"); });
    server.start();
    server.inject(Fault::reset());
    HttpClient http;
    const auto e = failure_of(http, deposit(server.base_url()));
    CHECK(e.kind() == TransportError::Kind::reset);
    CHECK(e.request_sent());
    CHECK(classify(e).uncertain());
    CHECK(server.count("POST", "/deposit") == 1);
}

TEST_CASE("support applied: a reset while the body is being written was not applied", "[support][applied]") {
    std::signal(SIGPIPE, SIG_IGN);  // a write to a reset socket must fail, not end the process
    ResettingServer server;
    HttpClientOptions options;
    options.read_timeout = 5s;
    HttpClient http(options);
    auto request = HttpRequest::post(server.url() + "/upload");
    request.body.assign(32u << 20, 'x');  // more than any socket buffer takes without the peer reading
    request.content_type = "application/octet-stream";
    const auto e = failure_of(http, request);
    CHECK(e.kind() == TransportError::Kind::reset);
    CHECK_FALSE(e.request_sent());
    CHECK(classify(e).applied == Applied::no);
}

TEST_CASE("support applied: each status says whether the request was applied", "[support][applied]") {
    EmulatorServer server;
    server.route("POST", "/deposit/{status}", [](const Request &r) {
        return error_response(std::stoi(r.param("status")), "x", "status as asked");
    });
    server.route("POST", "/deposit", [](const Request &) { return Response::json(201, R"({"id":1})"); });
    server.start();
    HttpClient http;
    const auto applied = [&](int status) {
        return classify(http.send(HttpRequest::post(server.base_url() + "/deposit/" + std::to_string(status)))).applied;
    };
    CHECK(classify(http.send(deposit(server.base_url()))).applied == Applied::yes);
    for (int s : {400, 401, 403, 404, 408, 409, 422, 429, 501, 503})
        CHECK(applied(s) == Applied::no);
    for (int s : {500, 502, 504}) CHECK(applied(s) == Applied::unknown);

    // The framework's injected faults, as the gateways in front of APIs answer.
    server.inject(Fault::unavailable(std::chrono::seconds(5)));
    CHECK(classify(http.send(deposit(server.base_url()))).applied == Applied::no);
    server.inject(Fault::too_many_requests());
    CHECK(classify(http.send(deposit(server.base_url()))).applied == Applied::no);
    server.inject(Fault::server_error());
    CHECK(classify(http.send(deposit(server.base_url()))).uncertain());
}
