// Durable jobs through `relais serve`: enqueue, retries, dead letters, idempotency, follow-up
// jobs enqueued by a plugin, and a kill -9 in the middle of 2,000 jobs.
#include "http_client.hpp"
#include "run_process.hpp"
#include "plugin_files.hpp"
#include "serve_process.hpp"
#include "temp_dir.hpp"

#include "emulator_server.hpp"
#include "jobs/sqlite_job_store.hpp"
#include "jobs/sqlite_plugin_state.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <csignal>
#include <fstream>

using namespace relais;
using test::HttpClient;
using test::ServeProcess;

namespace {

const std::string kToken = "jobs-client-token-0123456789";
const std::string kAdmin = "jobs-admin-token-0123456789";

struct JobsHost {
    test::TempDir dir;
    std::string plugins = (dir / "plugins").string();
    std::string data = (dir / "data").string();
    std::string config = (dir / "relais.json").string();

    explicit JobsHost(const std::string &diagnostics = R"({"retry_attempts": 3, "retry_delay_seconds": 0.05})") {
        test::copy_plugin(test::built_plugin_dir(), "diagnostics", plugins);
        std::ofstream(config) << R"({"host": {"tokens": [{"name": "erp", "token": ")" << kToken
                              << R"(", "scopes": ["client"]}, {"name": "admin", "token": ")" << kAdmin
                              << R"(", "scopes": ["admin"]}]}, "connectors": {"diagnostics": )" << diagnostics << "}}";
    }
    std::unique_ptr<ServeProcess> serve() const {
        return std::make_unique<ServeProcess>(plugins, std::vector<std::string>{"--config", config, "--data-dir", data});
    }
};

std::string job(const std::string &action, const std::string &input, const std::string &key = "") {
    return R"({"connector":"diagnostics","action":")" + action + R"(","input":)" + input +
           (key.empty() ? "" : R"(,"idempotency_key":")" + key + "\"") + "}";
}

// Polls the job until it is in a final state (or the deadline passes); returns it.
Poco::JSON::Object::Ptr wait_final(HttpClient &http, int64_t id, std::chrono::seconds deadline = std::chrono::seconds(30)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
        auto j = http.get("/api/v1/jobs/" + std::to_string(id), kToken).json();
        const auto state = j->getValue<std::string>("state");
        if (state == "succeeded" || state == "dead" || state == "cancelled" ||
            std::chrono::steady_clock::now() > until)
            return j;
    }
}

}  // namespace

TEST_CASE("jobs: a job is accepted with 202, runs, and keeps its result, its key makes it unique", "[jobs]") {
    JobsHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    auto r = http.post("/api/v1/jobs", kToken, job("echo", R"({"invoice":"F-1"})", "F-1"));
    REQUIRE(r.status == 202);
    CHECK_THAT(r.header("Location"), Catch::StartsWith("/api/v1/jobs/"));
    const auto id = r.json()->getValue<int64_t>("id");
    const auto done = wait_final(http, id);
    CHECK(done->getValue<std::string>("state") == "succeeded");
    CHECK(done->getObject("result")->getValue<std::string>("invoice") == "F-1");
    CHECK(done->getArray("attempt_history")->size() == 1);

    r = http.post("/api/v1/jobs", kToken, job("echo", R"({"invoice":"F-1"})", "F-1"));
    CHECK(r.status == 200);
    CHECK(r.json()->getValue<int64_t>("id") == id);
}

TEST_CASE("jobs: transient failures are retried by the connector's policy, each attempt recorded", "[jobs]") {
    JobsHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    auto id = http.post("/api/v1/jobs", kToken, job("flaky", R"({"key":"a","failures":2})")).json()->getValue<int64_t>("id");
    auto done = wait_final(http, id);
    CHECK(done->getValue<std::string>("state") == "succeeded");
    CHECK(done->getObject("result")->getValue<int>("attempts") == 3);
    const auto history = done->getArray("attempt_history");
    REQUIRE(history->size() == 3);
    CHECK(history->getObject(0)->getValue<std::string>("outcome") == "transient");
    CHECK(history->getObject(0)->getValue<std::string>("message") == "failure 1 of 2");
    CHECK(history->getObject(2)->getValue<std::string>("outcome") == "ok");

    // More failures than attempts: dead-lettered with the last reason, then retried on demand.
    id = http.post("/api/v1/jobs", kToken, job("flaky", R"({"key":"b","failures":5})")).json()->getValue<int64_t>("id");
    done = wait_final(http, id);
    CHECK(done->getValue<std::string>("state") == "dead");
    CHECK(done->getArray("attempt_history")->size() == 3);
    CHECK(done->getObject("last_error")->getValue<std::string>("message") == "failure 3 of 5");
    REQUIRE(http.post("/api/v1/jobs/" + std::to_string(id) + "/retry", kToken).status == 200);
    done = wait_final(http, id);
    CHECK(done->getValue<std::string>("state") == "succeeded");  // failures 4 and 5, then success
    CHECK(done->getArray("attempt_history")->size() == 6);
}

TEST_CASE("jobs: a permanent error is dead at once with its reason", "[jobs]") {
    JobsHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    const auto id = http.post("/api/v1/jobs", kToken, job("fail", R"({"class":"permanent","message":"rejected: bad VAT"})"))
                        .json()
                        ->getValue<int64_t>("id");
    const auto done = wait_final(http, id);
    CHECK(done->getValue<std::string>("state") == "dead");
    CHECK(done->getArray("attempt_history")->size() == 1);
    CHECK(done->getObject("last_error")->getValue<std::string>("class") == "permanent");
    CHECK(done->getObject("last_error")->getValue<std::string>("message") == "rejected: bad VAT");

    const auto dead = http.get("/api/v1/jobs?state=dead&connector=diagnostics", kToken).json()->getArray("jobs");
    REQUIRE(dead->size() == 1);
    CHECK(dead->getObject(0)->getValue<int64_t>("id") == id);

    // The command line reads the same store beside the running service.
    const auto relais = test::relais_binary().string();
    auto r = test::run_process(relais, {"jobs", "list", "--state", "dead", "--data-dir", host.data});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains(std::to_string(id)) && Catch::Contains("diagnostics.fail"));
    r = test::run_process(relais, {"jobs", "show", std::to_string(id), "--data-dir", host.data});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("last error (permanent): rejected: bad VAT"));
    r = test::run_process(relais, {"jobs", "retry", std::to_string(id), "--data-dir", host.data});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("queued"));
    CHECK(test::run_process(relais, {"jobs", "retry", "999999", "--data-dir", host.data}).exit_code == 1);
    CHECK(test::run_process(relais, {"jobs", "list", "--state", "lost", "--data-dir", host.data}).exit_code == 2);
}

TEST_CASE("jobs: bad jobs are refused before they are stored", "[jobs]") {
    JobsHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    auto r = http.post("/api/v1/jobs", kToken, R"({"connector":"nobody","action":"echo"})");
    CHECK(r.status == 404);
    r = http.post("/api/v1/jobs", kToken, job("fly", "{}"));
    CHECK(r.status == 400);
    CHECK_THAT(r.body, Catch::Contains("has no action 'fly'"));
    r = http.post("/api/v1/jobs", kToken, job("sleep", R"({"ms":"x"})"));
    CHECK(r.status == 400);
    CHECK_THAT(r.body, Catch::Contains("/ms"));
    r = http.post("/api/v1/jobs", kToken, R"({"connector":"diagnostics","action":"echo","colour":"red"})");
    CHECK(r.status == 400);
    CHECK_THAT(r.body, Catch::Contains("unknown field 'colour'"));
    CHECK(http.get("/api/v1/jobs/999999", kToken).status == 404);
    CHECK(http.get("/api/v1/jobs", kToken).json()->getArray("jobs")->size() == 0);
}

TEST_CASE("jobs: a plugin enqueues a follow-up job through the host", "[jobs]") {
    JobsHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    const auto id = http.post("/api/v1/jobs", kToken, job("follow_up", R"({"input":{"poll":"flux-42"},"idempotency_key":"poll-42"})"))
                        .json()
                        ->getValue<int64_t>("id");
    const auto first = wait_final(http, id);
    REQUIRE(first->getValue<std::string>("state") == "succeeded");
    const auto follow_id = first->getObject("result")->getValue<int64_t>("job_id");
    const auto follow = wait_final(http, follow_id);
    CHECK(follow->getValue<std::string>("action") == "echo");
    CHECK(follow->getValue<std::string>("idempotency_key") == "poll-42");
    CHECK(follow->getObject("result")->getValue<std::string>("poll") == "flux-42");
}

TEST_CASE("jobs: kill -9 with 2,000 jobs in flight loses none, and no effect is applied twice", "[jobs][kill]") {
    // Disabled while the jobs are enqueued (they wait, nothing is lost), then enabled with a
    // quota of 400 actions a second, so the work lasts seconds and the kill cuts it in the middle
    // however slow the build (sanitizers) makes the enqueueing.
    const std::string settings = R"({"retry_attempts": 5, "retry_delay_seconds": 0.05, "max_concurrency": 8, "quota_per_second": 400)";
    JobsHost host(settings + R"(, "enabled": false})");
    constexpr int kJobs = 2000;
    std::set<int64_t> ids;
    {
        auto serve = host.serve();
        HttpClient http(serve->url());
        for (int i = 0; i < kJobs; ++i) {
            const auto key = "k" + std::to_string(i);
            const auto r = http.post("/api/v1/jobs", kToken, job("once", R"({"key":")" + key + "\"}", key));
            REQUIRE(r.status == 202);
            ids.insert(r.json()->getValue<int64_t>("id"));
        }
        REQUIRE(http.request("PUT", "/api/v1/connectors/diagnostics/config", kAdmin, settings + "}").status == 200);
        // Kill it while it works through them: some done, some running, most queued.
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (http.get("/api/v1/jobs?state=succeeded&limit=200", kToken).json()->getArray("jobs")->size() < 200 &&
               std::chrono::steady_clock::now() < until) {
        }
        serve->signal(SIGKILL);
        CHECK(serve->wait_exit() == 128 + SIGKILL);
    }
    {
        host::SqliteJobStore store(host.data);
        const auto succeeded = store.count(host::JobState::succeeded);
        INFO("succeeded before the kill: " << succeeded);
        CHECK(succeeded >= 200);
        CHECK(succeeded < kJobs);  // the kill came in the middle of the work
    }
    {
        auto serve = host.serve();
        HttpClient http(serve->url());
        // Enqueueing the same keys again finds the same jobs.
        for (int i = 0; i < kJobs; i += 97) {
            const auto key = "k" + std::to_string(i);
            const auto r = http.post("/api/v1/jobs", kToken, job("once", R"({"key":")" + key + "\"}", key));
            CHECK(r.status == 200);
            CHECK(ids.count(r.json()->getValue<int64_t>("id")) == 1);
        }
        for (const auto id : ids) {
            const auto j = wait_final(http, id, std::chrono::seconds(60));
            INFO("job " << id);
            REQUIRE(j->getValue<std::string>("state") == "succeeded");
        }
        serve->signal(SIGTERM);
        {
            const auto code = serve->wait_exit();
            INFO(serve->transcript());
            CHECK(code == 0);
        }
    }
    // Every key's effect was applied exactly once; only jobs cut short by the kill ran twice.
    host::SqlitePluginState state(host.data);
    auto value = [&](const std::string &key) -> std::optional<std::string> {
        auto v = state.read("diagnostics", key, 0);  // keys without expiry: any time will do
        return v ? std::optional<std::string>(std::move(v->value)) : std::nullopt;
    };
    int ran_twice = 0;
    for (int i = 0; i < kJobs; ++i) {
        const auto key = "k" + std::to_string(i);
        INFO(key);
        CHECK(value("effects:" + key) == std::optional<std::string>("1"));
        const auto runs = std::stoi(value("runs:" + key).value_or("0"));
        CHECK(runs >= 1);
        CHECK(runs <= 2);
        ran_twice += runs == 2;
    }
    CHECK(ran_twice <= 8);  // at most the jobs running at the kill (the concurrency limit)
}

TEST_CASE("jobs: a finished job is posted to its callback_url, retried until it is taken", "[jobs][callback]") {
    emulator::EmulatorServer erp;
    erp.route("POST", "/hooks/relais", [](const emulator::Request &) { return emulator::Response::json(200, "{}"); });
    erp.start();
    erp.inject(emulator::Fault::unavailable(), 1);  // the ERP is down the first time

    JobsHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    const auto body = R"({"connector":"diagnostics","action":"echo","input":{"n":7},"callback_url":")" +
                      erp.base_url() + R"(/hooks/relais"})";
    const auto id = http.post("/api/v1/jobs", kToken, body).json()->getValue<int64_t>("id");
    REQUIRE(erp.wait_for_count("POST", "/hooks/relais", 2, std::chrono::seconds(20)));
    // A request is logged on arrival and its status once answered.
    auto calls = erp.requests();
    for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
         calls.size() == 2 && calls[1].status == 0 && std::chrono::steady_clock::now() < until;)
        calls = erp.requests();
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].status == 503);
    CHECK(calls[1].status == 200);
    CHECK(calls[1].headers.get("X-Relais-Job", "") == std::to_string(id));
    Poco::JSON::Parser parser;
    const auto delivered = parser.parse(calls[1].body).extract<Poco::JSON::Object::Ptr>();
    CHECK(delivered->getValue<int64_t>("id") == id);
    CHECK(delivered->getValue<std::string>("state") == "succeeded");
    CHECK(delivered->getObject("result")->getValue<int>("n") == 7);
}

TEST_CASE("jobs: a callback not delivered when the host is killed is posted after the restart", "[jobs][callback]") {
    emulator::EmulatorServer erp;
    erp.route("POST", "/hooks/relais", [](const emulator::Request &) { return emulator::Response::json(200, "{}"); });
    erp.start();
    erp.inject(emulator::Fault::unavailable(), 1000);  // down for as long as the first host lives

    JobsHost host;
    int64_t id = 0;
    {
        auto serve = host.serve();
        HttpClient http(serve->url());
        const auto body = R"({"connector":"diagnostics","action":"echo","input":{"n":8},"callback_url":")" +
                          erp.base_url() + R"(/hooks/relais"})";
        id = http.post("/api/v1/jobs", kToken, body).json()->getValue<int64_t>("id");
        REQUIRE(erp.wait_for_count("POST", "/hooks/relais", 1, std::chrono::seconds(20)));
        serve->signal(SIGKILL);
        serve->wait_exit();
    }
    erp.clear_faults();
    erp.clear();
    auto serve = host.serve();
    REQUIRE(erp.wait_for_count("POST", "/hooks/relais", 1, std::chrono::seconds(20)));
    auto calls = erp.requests();
    for (const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
         calls[0].status == 0 && std::chrono::steady_clock::now() < until;)
        calls = erp.requests();
    CHECK(calls[0].status == 200);
    CHECK(calls[0].headers.get("X-Relais-Job", "") == std::to_string(id));
    // Delivered: a second restart posts nothing more.
    serve->signal(SIGTERM);
    CHECK(serve->wait_exit() == 0);
    serve = host.serve();
    HttpClient http(serve->url());
    REQUIRE(http.get("/readyz").status == 200);
    CHECK(erp.count("POST", "/hooks/relais") == 1);
}

TEST_CASE("jobs: a synchronous call that finds the connector's quota used up gets 429 at once", "[jobs][quota]") {
    JobsHost host(R"({"quota_per_second": 0.2})");  // one request per 5 s
    auto serve = host.serve();
    HttpClient http(serve->url());
    auto r = http.post("/api/v1/connectors/diagnostics/actions/echo", kToken, "{}");
    CHECK(r.status == 200);
    r = http.post("/api/v1/connectors/diagnostics/actions/echo", kToken, "{}");
    CHECK(r.status == 429);
    CHECK_THAT(r.body, Catch::Contains("quota of connector diagnostics"));
    const auto retry_after = std::stoi(r.header("Retry-After"));
    CHECK(retry_after >= 1);
    CHECK(retry_after <= 6);
    // A job under the same quota waits instead of failing.
    const auto id = http.post("/api/v1/jobs", kToken, job("echo", R"({"waited":true})")).json()->getValue<int64_t>("id");
    const auto done = wait_final(http, id);
    CHECK(done->getValue<std::string>("state") == "succeeded");
    CHECK(done->getArray("attempt_history")->size() == 1);
}
