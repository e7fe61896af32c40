// The mindee connector in `relais serve` (a child process), as an ERP and Mindee meet it: a
// receipt sent as a job, whose v2 read Mindee announces by a signed webhook: the job, which
// would look again only in a minute, is woken and ends within seconds with the expense. A
// notice with a bad signature is refused; the synchronous action returns the same expense.
#include "http_client.hpp"
#include "plugin_files.hpp"
#include "receipt_files.hpp"
#include "serve_process.hpp"
#include "temp_dir.hpp"

#include "certificate_authority.hpp"
#include "mindee_emulator.hpp"

#include <catch2/catch.hpp>

#include <relais/support/bytes.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <fstream>
#include <thread>

using namespace relais;
using namespace relais::test;
namespace me = relais::mindee_emulator;
using namespace std::chrono_literals;

namespace {

const std::string kToken = "mindee-erp-token-0123456789";
const std::string kSecret = "mindee-webhook-secret-4242";
const std::string kWebhookId = "9b8c7d6e-0000-4a4a-8b8b-000000000001";

template <class F>
bool eventually(F done, std::chrono::seconds deadline, std::chrono::milliseconds every = 100ms) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(every);
    }
    return true;
}

struct Site {
    TempDir dir{"relais-mindee-serve"};
    emulator::TestCertificateAuthority ca{dir.path()};
    std::unique_ptr<me::MindeeEmulator> mindee;
    std::unique_ptr<ServeProcess> serve;
    std::unique_ptr<HttpClient> http;

    explicit Site(int poll_delay_ms = 60000) {
        me::MindeeEmulatorOptions o;
        o.server.tls = ca.server_files();
        o.processing_time = 1500ms;
        mindee = std::make_unique<me::MindeeEmulator>(o);
        mindee->start();
        const auto plugins = (dir / "plugins").string();
        copy_plugin(built_plugin_dir(), "mindee", plugins);
        const auto config = (dir / "relais.json").string();
        std::ofstream(config) << R"({"host": {"tokens": [{"name": "erp", "token": ")" << kToken
                              << R"(", "scopes": ["client", "admin"]}]},
          "connectors": {"mindee": {"enabled": true, "api_version": "v2", "url": ")" << mindee->v2_url()
                              << R"(", "api_key": ")" << *o.v2_keys.begin() << R"(", "model_id": ")" << me::kReceiptModelId
                              << R"(", "ca_file": ")" << ca.ca_file().string() << R"(", "recorded_by": "jdupont",
            "webhook_ids": ")" << kWebhookId << R"(", "webhook_secret": ")" << kSecret << R"(",
            "poll_initial_delay_ms": )" << poll_delay_ms << R"(, "poll_max_delay_ms": )" << poll_delay_ms << R"(}}})";
        serve = std::make_unique<ServeProcess>(
            plugins, std::vector<std::string>{"--config", config, "--data-dir", (dir / "data").string()});
        http = std::make_unique<HttpClient>(serve->url());
        mindee->set_webhook_target(kWebhookId, serve->url() + "/api/v1/hooks/mindee/result", kSecret);
    }

    Poco::JSON::Object::Ptr job(const std::string &id) {
        const auto r = http->get("/api/v1/jobs/" + id, kToken);
        REQUIRE(r.status == 200);
        return r.json();
    }
};

// A webhook delivery, with the signature header when given.
int notice(const std::string &base_url, const std::string &body, const std::string &signature, std::string &answer) {
    const Poco::URI uri(base_url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(20, 0));
    Poco::Net::HTTPRequest request("POST", "/api/v1/hooks/mindee/result", Poco::Net::HTTPMessage::HTTP_1_1);
    if (!signature.empty()) request.set("X-Mindee-Hmac-Signature", signature);
    request.setContentType("application/json");
    request.setContentLength64(static_cast<Poco::Int64>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    auto &in = session.receiveResponse(response);
    Poco::StreamCopier::copyToString(in, answer);
    return response.getStatus();
}

std::string job_body(const std::string &file, const std::string &name) {
    return R"({"connector":"mindee","action":"read_receipt","input":{"file_base64":")" + support::base64_encode(file) +
           R"(","file_name":")" + name + R"("}})";
}

}  // namespace

TEST_CASE("mindee serve: Mindee's signed webhook wakes the job, which ends with the expense within seconds",
          "[mindee][service][webhook]") {
    Site site;
    const auto r = site.http->post("/api/v1/jobs", kToken, job_body(mindee_sample("receipt-restaurant.jpg"), "ticket.jpg"));
    INFO(r.body);
    REQUIRE(r.status == 202);
    const auto id = r.json()->getValue<std::string>("id");
    REQUIRE(eventually([&] { return site.job(id)->getValue<std::string>("state") == "waiting"; }, 20s));
    CHECK(site.job(id)->getObject("progress")->getValue<std::string>("stage") == "processing");

    // The emulator finishes the read and announces it; the job's own next look is a minute away.
    const auto started = std::chrono::steady_clock::now();
    REQUIRE(eventually([&] { return site.mindee->finish_due_jobs() > 0 || site.mindee->webhooks_delivered() > 0; }, 20s));
    REQUIRE(eventually([&] { return site.job(id)->getValue<std::string>("state") == "succeeded"; }, 20s));
    CHECK(std::chrono::steady_clock::now() - started < 30s);
    const auto result = site.job(id)->getObject("result");
    CHECK(result->getValue<double>("total_amount") == Approx(24.5));
    CHECK(result->getObject("supplier")->getValue<std::string>("siret") == "73282932000074");
    CHECK(result->getValue<std::string>("recorded_by") == "jdupont");
    CHECK(site.mindee->webhooks_delivered() == 1);
    // The secrets are nowhere in what the host wrote.
    for (const auto &line : site.serve->output()) {
        CHECK(line.find(kSecret) == std::string::npos);
        CHECK(line.find("md_") == std::string::npos);
    }
}

TEST_CASE("mindee serve: a notice with a bad signature is refused, the synchronous call gives the expense",
          "[mindee][service][webhook]") {
    Site site(100);
    const std::string body = R"({"job":{"id":"12345678-1234-1234-1234-123456789abc"}})";
    std::string answer;
    CHECK(notice(site.serve->url(), body, support::hmac_sha256_hex("wrong", body), answer) == 401);
    CHECK(notice(site.serve->url(), body, "", answer) == 401);
    CHECK(notice(site.serve->url(), body, support::hmac_sha256_hex(kSecret, body), answer) == 200);
    CHECK_THAT(answer, Catch::Contains("\"woken\":false"));
    for (const auto &line : site.serve->output()) CHECK(line.find(kSecret) == std::string::npos);

    // The synchronous action: v2 enqueues and polls within the call.
    const auto r = site.http->post("/api/v1/connectors/mindee/actions/read_receipt", kToken,
                                   R"({"file_base64":")" + support::base64_encode(mindee_sample("receipt-taxi.png")) +
                                       R"(","file_name":"taxi.png"})");
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.json()->getObject("result")->getValue<double>("total_amount") == Approx(38.5));
}
