// HttpClient within a call's deadline: every request's connect and read timeouts are capped
// by the time the current call (relais::Call::current()) has left, on new and kept-alive
// connections alike, and a request with no time left fails at once without being sent.
#include "emulator_server.hpp"

#include <relais/plugin.hpp>
#include <relais/support/classify.hpp>
#include <relais/support/http_client.hpp>

#include <catch2/catch.hpp>

#include <atomic>

using namespace relais;
using namespace relais::support;
using namespace relais::emulator;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

// The host side of a call with a deadline, as a plugin sees it through its services.
std::atomic<int64_t> deadline_ns{0};

uint64_t remaining_ms(relais_call_ctx *) {
    const auto left = deadline_ns.load() - SteadyClock::now().time_since_epoch().count();
    return left <= 0 ? 0 : static_cast<uint64_t>(left / 1'000'000);
}

relais_host_services services_with_deadline() {
    relais_host_services s{};
    s.struct_size = sizeof s;
    s.abi_version = RELAIS_ABI_VERSION;
    s.remaining_ms = remaining_ms;
    return s;
}

void set_deadline(std::chrono::milliseconds from_now) {
    deadline_ns = (SteadyClock::now() + from_now).time_since_epoch().count();
}

TransportError transport_error_of(HttpClient &http, const HttpRequest &request) {
    try {
        http.send(request);
    } catch (const TransportError &e) {
        return e;
    }
    FAIL("the request got an answer");
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("support http: a server that never answers holds a request no longer than the call's deadline", "[support][http][deadline]") {
    EmulatorServer server;
    server.route("GET", "/status", [](const Request &) { return Response::json(200, "{}"); });
    server.start();
    HttpClient http;  // its own timeouts: 10 s to connect, 30 s a read
    // Outside a call: no deadline, and the connection is kept for the next request.
    REQUIRE(http.send(HttpRequest::get(server.base_url() + "/status")).status == 200);
    CHECK(http.connections_opened() == 1);

    server.inject(Fault::hang(60s));
    const auto services = services_with_deadline();
    relais::Call call("job-7", nullptr, &services);
    relais::Call::Scope current(call);
    set_deadline(400ms);
    const auto started = SteadyClock::now();
    const auto e = transport_error_of(http, HttpRequest::get(server.base_url() + "/status"));
    const auto took = SteadyClock::now() - started;
    CHECK(took >= 350ms);
    CHECK(took < 400ms + 500ms);  // the deadline and a small bound, not the 30 s read timeout
    CHECK(e.kind() == TransportError::Kind::timeout);
    CHECK_THAT(e.what(), Catch::StartsWith("deadline reached"));
    CHECK(classify(e, "status").status == RELAIS_TRANSIENT);
    CHECK(http.connections_opened() == 1);  // it was the kept-alive connection that waited
}

TEST_CASE("support http: a request made with no time left fails at once and is not sent", "[support][http][deadline]") {
    EmulatorServer server;
    server.route("POST", "/deposer", [](const Request &) { return Response::json(200, "{}"); });
    server.start();
    HttpClient http;
    const auto services = services_with_deadline();
    relais::Call call("job-8", nullptr, &services);
    relais::Call::Scope current(call);
    set_deadline(-1ms);
    const auto started = SteadyClock::now();
    const auto e = transport_error_of(http, HttpRequest::post(server.base_url() + "/deposer").form({{"a", "1"}}));
    CHECK(SteadyClock::now() - started < 100ms);
    CHECK(e.kind() == TransportError::Kind::timeout);
    CHECK_FALSE(e.request_sent());
    CHECK_THAT(e.what(), Catch::Contains("deadline reached") && Catch::Contains("127.0.0.1"));
    CHECK(classify(e).status == RELAIS_TRANSIENT);
    CHECK(server.count("POST", "/deposer") == 0);

    // With time again, the same client sends it.
    set_deadline(10s);
    CHECK(http.send(HttpRequest::post(server.base_url() + "/deposer").form({{"a", "1"}})).status == 200);
}
