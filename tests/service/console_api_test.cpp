// What the administration console stands on, through `relais serve` as the page sees it: its
// files and their headers, who the token is, settings checked without being saved, jobs
// counted and retried or cancelled by filter on the server, periodic tasks run now, the log
// tail and its live stream, and the charts' figures.
#include "http_client.hpp"
#include "plugin_files.hpp"
#include "serve_process.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/URI.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

using namespace relais;
using test::HttpClient;
using test::ServeProcess;

namespace {

const std::string kClient = "console-client-token-0123456789";
const std::string kAdmin = "console-admin-token-0123456789";
const std::string kChorusSecret = "Chorus-Secret-Never-Shown-4b1d";

// diagnostics, and chorus (for its periodic task) pointed at a port where nothing listens.
struct ConsoleHost {
    test::TempDir dir;
    std::string plugins = (dir / "plugins").string();
    std::string data = (dir / "data").string();
    std::string config = (dir / "relais.json").string();

    ConsoleHost() {
        test::copy_plugin(test::built_plugin_dir(), "diagnostics", plugins);
        test::copy_plugin(test::built_plugin_dir(), "chorus", plugins);
        std::ofstream(config) << R"({"host": {"tokens": [
              {"name": "erp", "token": ")" << kClient << R"(", "scopes": ["client"]},
              {"name": "admin", "token": ")" << kAdmin << R"(", "scopes": ["admin", "client"]}]},
            "connectors": {
              "diagnostics": {"retry_attempts": 1, "retry_delay_seconds": 0.05},
              "chorus": {"enabled": true, "oauth_url": "http://127.0.0.1:9/api/oauth/token",
                         "api_url": "http://127.0.0.1:9", "client_id": "c", "client_secret": ")"
                              << kChorusSecret << R"(",
                         "technical_login": "TECH_1_x@cpro.fr", "technical_password": "p",
                         "structure_id": "12345678200010"}}})";
    }
    std::unique_ptr<ServeProcess> serve() const {
        return std::make_unique<ServeProcess>(plugins, std::vector<std::string>{"--config", config, "--data-dir", data});
    }
};

std::string error_class(const test::HttpResult &r) { return r.json()->getObject("error")->getValue<std::string>("class"); }

int64_t submit(HttpClient &http, const std::string &action, const std::string &input, const std::string &key = "") {
    const auto r = http.post("/api/v1/jobs", kClient,
                             R"({"connector":"diagnostics","action":")" + action + R"(","input":)" + input +
                                 (key.empty() ? "" : R"(,"idempotency_key":")" + key + "\"") + "}");
    REQUIRE(r.status == 202);
    return r.json()->getValue<int64_t>("id");
}

std::string state_of(HttpClient &http, int64_t id) {
    return http.get("/api/v1/jobs/" + std::to_string(id), kClient).json()->getValue<std::string>("state");
}

bool wait_state(HttpClient &http, int64_t id, const std::string &state,
                std::chrono::seconds deadline = std::chrono::seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        if (state_of(http, id) == state) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

}  // namespace

TEST_CASE("console API: the page's files carry a strict policy, and nothing outside them is served",
          "[service][console]") {
    ConsoleHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());

    auto r = http.get("/console/");
    REQUIRE(r.status == 200);
    CHECK(r.header("Content-Type").rfind("text/html", 0) == 0);
    CHECK(r.body.find("<html") != std::string::npos);
    const auto csp = r.header("Content-Security-Policy");
    CHECK(csp.find("default-src 'none'") != std::string::npos);
    CHECK(csp.find("script-src 'self'") != std::string::npos);
    CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
    CHECK(csp.find("unsafe") == std::string::npos);
    CHECK(r.header("X-Frame-Options") == "DENY");
    CHECK(r.header("X-Content-Type-Options") == "nosniff");
    CHECK(r.header("Referrer-Policy") == "no-referrer");

    // Revalidated by its ETag.
    const auto etag = r.header("ETag");
    REQUIRE_FALSE(etag.empty());
    Poco::Net::HTTPClientSession session(Poco::URI(serve->url()).getHost(), Poco::URI(serve->url()).getPort());
    Poco::Net::HTTPRequest conditional(Poco::Net::HTTPRequest::HTTP_GET, "/console/", Poco::Net::HTTPMessage::HTTP_1_1);
    conditional.set("If-None-Match", etag);
    session.sendRequest(conditional);
    Poco::Net::HTTPResponse not_modified;
    session.receiveResponse(not_modified).ignore(1 << 20);
    CHECK(not_modified.getStatus() == 304);

    CHECK(http.get("/console").status == 301);
    CHECK(http.get("/console").header("Location") == "/console/");
    r = http.get("/console/no-such-file.js");
    CHECK(r.status == 404);
    CHECK(r.header("X-Frame-Options") == "DENY");
    // No way out of the console's files, however the path is spelled.
    for (const auto *path : {"/console/../api/v1/connectors", "/console/%2e%2e/relais.json", "/console/.hidden",
                             "/console//etc/passwd"})
        CHECK(http.get(path).status == 404);
    r = http.post("/console/", "", "{}");
    CHECK(r.status == 405);
    CHECK(r.header("Allow") == "GET, HEAD");
    // The API answers are not to be sniffed either.
    CHECK(http.get("/healthz").header("X-Content-Type-Options") == "nosniff");
}

TEST_CASE("console API: whoami names the token and says whether it may administer", "[service][console]") {
    ConsoleHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());

    auto me = http.get("/api/v1/whoami", kAdmin).json();
    CHECK(me->getValue<std::string>("name") == "admin");
    CHECK(me->getValue<bool>("admin"));
    me = http.get("/api/v1/whoami", kClient).json();
    CHECK(me->getValue<std::string>("name") == "erp");
    CHECK_FALSE(me->getValue<bool>("admin"));
    CHECK(http.get("/api/v1/whoami").status == 401);
    CHECK(http.get("/api/v1/whoami", "not-a-token-of-this-host").status == 401);
}

TEST_CASE("console API: validate names each wrong field and saves nothing", "[service][console]") {
    ConsoleHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    const auto before = http.get("/api/v1/connectors/chorus", kAdmin).body;

    auto r = http.request("PUT", "/api/v1/connectors/chorus/config/validate", kAdmin,
                          R"({"enabled": true, "client_secret": "[redacted]", "poll_max_delay_seconds": "soon",
                              "client_id": 42})");
    REQUIRE(r.status == 200);
    auto verdict = r.json();
    CHECK_FALSE(verdict->getValue<bool>("valid"));
    std::set<std::string> fields;
    const auto problems = verdict->getArray("problems");
    for (size_t i = 0; i < problems->size(); ++i) {
        const auto p = problems->getObject(i);
        fields.insert(p->getValue<std::string>("field"));
        CHECK_FALSE(p->getValue<std::string>("message").empty());
    }
    CHECK(fields.count("poll_max_delay_seconds") == 1);
    CHECK(fields.count("client_id") == 1);
    // The redacted secret stands for the one set: not reported missing.
    CHECK(fields.count("client_secret") == 0);
    CHECK(r.body.find(kChorusSecret) == std::string::npos);

    // Nothing changed.
    CHECK(http.get("/api/v1/connectors/chorus", kAdmin).body == before);

    // Valid settings are said valid, and are still not applied.
    r = http.request("PUT", "/api/v1/connectors/diagnostics/config/validate", kAdmin, R"({"greeting": "salut"})");
    REQUIRE(r.status == 200);
    CHECK(r.json()->getValue<bool>("valid"));
    CHECK(http.post("/api/v1/connectors/diagnostics/actions/info", kClient, "{}").body.find("salut") ==
          std::string::npos);

    CHECK(http.request("PUT", "/api/v1/connectors/chorus/config/validate", kClient, "{}").status == 403);
    CHECK(http.request("PUT", "/api/v1/connectors/nope/config/validate", kAdmin, "{}").status == 404);
    CHECK(http.request("PUT", "/api/v1/connectors/chorus/config/validate", kAdmin, "[1]").status == 400);
}

TEST_CASE("console API: a bulk retry by filter retries exactly the matching dead jobs, once confirmed",
          "[service][console]") {
    ConsoleHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());

    // Three dead "fail" jobs, one dead job of another action, one that succeeds.
    std::vector<int64_t> failing;
    for (int i = 0; i < 3; ++i) failing.push_back(submit(http, "fail", R"({"class":"permanent"})", "f" + std::to_string(i)));
    const auto other = submit(http, "flaky", R"({"key":"k","failures":5})", "other");
    const auto fine = submit(http, "echo", R"({"a":1})", "fine");
    for (const auto id : failing) REQUIRE(wait_state(http, id, "dead"));
    REQUIRE(wait_state(http, other, "dead"));
    REQUIRE(wait_state(http, fine, "succeeded"));

    CHECK(http.get("/api/v1/jobs/count?connector=diagnostics&state=dead", kClient).json()->getValue<int64_t>("count") == 4);
    CHECK(http.get("/api/v1/jobs/count?connector=diagnostics&state=dead&action=fail", kClient)
              .json()
              ->getValue<int64_t>("count") == 3);
    auto listed = http.get("/api/v1/jobs?idempotency_key=other", kClient).json()->getArray("jobs");
    REQUIRE(listed->size() == 1);
    CHECK(listed->getObject(0)->getValue<int64_t>("id") == other);
    CHECK(http.get("/api/v1/jobs/count?until=2000-01-01T00:00:00Z", kClient).json()->getValue<int64_t>("count") == 0);
    CHECK(http.get("/api/v1/jobs/count?colour=red", kClient).status == 400);

    const std::string filter = R"("filter": {"connector": "diagnostics", "state": "dead", "action": "fail"})";
    // The count shown is no longer the count: nothing is done.
    auto r = http.post("/api/v1/jobs/bulk", kAdmin, R"({"operation": "retry", )" + filter + R"(, "expected_count": 2})");
    CHECK(r.status == 409);
    CHECK(error_class(r) == "count_changed");
    CHECK(r.json()->getObject("error")->getObject("details")->getValue<int64_t>("matched") == 3);
    CHECK(http.get("/api/v1/jobs/" + std::to_string(failing[0]), kClient).json()->getValue<int>("attempts") == 1);
    // A client token may not.
    CHECK(http.post("/api/v1/jobs/bulk", kClient, R"({"operation": "retry", )" + filter + "}").status == 403);

    r = http.post("/api/v1/jobs/bulk", kAdmin, R"({"operation": "retry", )" + filter + R"(, "expected_count": 3})");
    REQUIRE(r.status == 200);
    CHECK(r.json()->getValue<int64_t>("matched") == 3);
    CHECK(r.json()->getValue<int64_t>("changed") == 3);
    // Each ran again (and died again); the others were not touched.
    for (const auto id : failing) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < until &&
               http.get("/api/v1/jobs/" + std::to_string(id), kClient).json()->getArray("attempt_history")->size() < 2)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        CHECK(http.get("/api/v1/jobs/" + std::to_string(id), kClient).json()->getArray("attempt_history")->size() == 2);
    }
    CHECK(http.get("/api/v1/jobs/" + std::to_string(other), kClient).json()->getArray("attempt_history")->size() == 1);
    CHECK(state_of(http, fine) == "succeeded");

    // Bulk cancel of waiting work; a finished job is counted as unchanged.
    const auto later = http.post("/api/v1/jobs", kClient,
                                 R"({"connector":"diagnostics","action":"echo","input":{},"run_at":"2099-01-01T00:00:00Z"})");
    REQUIRE(later.status == 202);
    r = http.post("/api/v1/jobs/bulk", kAdmin, R"({"operation": "cancel", "filter": {"action": "echo"}})");
    REQUIRE(r.status == 200);
    CHECK(r.json()->getValue<int64_t>("matched") == 2);
    CHECK(r.json()->getValue<int64_t>("changed") == 1);
    CHECK(r.json()->getValue<int64_t>("unchanged") == 1);
    CHECK(state_of(http, later.json()->getValue<int64_t>("id")) == "cancelled");

    CHECK(http.post("/api/v1/jobs/bulk", kAdmin, R"({"operation": "delete"})").status == 400);
    CHECK(http.post("/api/v1/jobs/bulk", kAdmin, R"({"operation": "retry", "filter": {"state": "lost"}})").status == 400);
}

TEST_CASE("console API: periodic tasks show their next run, and run now is one more job", "[service][console]") {
    ConsoleHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());

    const auto tasks = http.get("/api/v1/tasks", kClient).json()->getArray("tasks");
    REQUIRE(tasks->size() >= 1);
    Poco::JSON::Object::Ptr follow;
    for (size_t i = 0; i < tasks->size(); ++i)
        if (tasks->getObject(i)->getValue<std::string>("connector") == "chorus") follow = tasks->getObject(i);
    REQUIRE(follow);
    CHECK(follow->getValue<std::string>("action") == "follow_invoices");
    CHECK(follow->getValue<int64_t>("interval_seconds") > 0);
    CHECK_FALSE(follow->get("next_run_at").isEmpty());

    const auto task = follow->getValue<std::string>("name");
    CHECK(http.post("/api/v1/connectors/chorus/tasks/" + task + "/run", kClient).status == 403);
    CHECK(http.post("/api/v1/connectors/chorus/tasks/nope/run", kAdmin).status == 404);
    const auto r = http.post("/api/v1/connectors/chorus/tasks/" + task + "/run", kAdmin);
    REQUIRE(r.status == 202);
    const auto job = r.json();
    CHECK(job->getValue<std::string>("action") == "follow_invoices");
    CHECK(job->getValue<std::string>("connector") == "chorus");
}

TEST_CASE("console API: the log tail filters lines, and its stream shows a new line at once", "[service][console]") {
    ConsoleHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());

    // A reconfigure logs a line naming the connector.
    REQUIRE(http.request("PUT", "/api/v1/connectors/diagnostics/config", kAdmin, R"({"greeting": "hello"})").status == 200);
    auto lines = http.get("/api/v1/logs?q=reconfigured", kAdmin).json()->getArray("lines");
    REQUIRE(lines->size() >= 1);
    CHECK(lines->getObject(lines->size() - 1)->getValue<std::string>("message").find("diagnostics") != std::string::npos);
    CHECK(http.get("/api/v1/logs?level=error&q=reconfigured", kAdmin).json()->getArray("lines")->size() == 0);
    CHECK(http.get("/api/v1/logs", kClient).status == 403);
    CHECK(http.get("/api/v1/logs?level=loud", kAdmin).status == 400);
    // No secret in any line, whatever was logged.
    CHECK(http.get("/api/v1/logs?limit=1000", kAdmin).body.find(kChorusSecret) == std::string::npos);

    // The stream, read as the page reads it: fetch with the token in a header.
    const Poco::URI base(serve->url());
    Poco::Net::HTTPClientSession session(base.getHost(), base.getPort());
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/api/v1/logs/stream?q=reconfigured",
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Authorization", "Bearer " + kAdmin);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    auto &in = session.receiveResponse(response);
    REQUIRE(response.getStatus() == 200);
    CHECK(response.getContentType().rfind("text/event-stream", 0) == 0);

    const auto started = std::chrono::steady_clock::now();
    REQUIRE(http.request("PUT", "/api/v1/connectors/diagnostics/config", kAdmin, R"({"greeting": "again"})").status == 200);
    std::string seen;
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("data: ", 0) == 0) {
            seen = line;
            break;
        }
    }
    const auto waited = std::chrono::steady_clock::now() - started;
    CHECK(seen.find("reconfigured") != std::string::npos);
    CHECK(waited < std::chrono::seconds(2));
}

TEST_CASE("console API: the charts' figures count jobs by the minute they ended", "[service][console]") {
    ConsoleHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());

    const auto ok = submit(http, "echo", "{}");
    const auto bad = submit(http, "fail", R"({"class":"permanent"})");
    REQUIRE(wait_state(http, ok, "succeeded"));
    REQUIRE(wait_state(http, bad, "dead"));
    const auto stats = http.get("/api/v1/stats?minutes=10", kClient).json();
    int64_t succeeded = 0, dead = 0;
    const auto minutes = stats->getArray("jobs_per_minute");
    for (size_t i = 0; i < minutes->size(); ++i) {
        succeeded += minutes->getObject(i)->getValue<int64_t>("succeeded");
        dead += minutes->getObject(i)->getValue<int64_t>("dead");
    }
    CHECK(succeeded == 1);
    CHECK(dead == 1);
    CHECK(http.get("/api/v1/stats?minutes=0", kClient).status == 400);

    // The overview's per-connector figures.
    const auto connectors = http.get("/api/v1/connectors", kClient).json()->getArray("connectors");
    for (size_t i = 0; i < connectors->size(); ++i) {
        const auto c = connectors->getObject(i);
        if (c->getValue<std::string>("name") != "diagnostics") continue;
        CHECK(c->getObject("jobs")->getValue<int64_t>("succeeded") == 1);
        CHECK(c->getObject("jobs")->getValue<int64_t>("dead") == 1);
        CHECK(c->has("webhooks"));
        CHECK(c->has("quota"));
    }
}
