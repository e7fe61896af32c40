// Jobs of several steps through `relais serve`, with the waiting test plugin (plain C): a job
// that continues later ten times and calls back once at the end, progress callbacks on
// demand, cancel while waiting, an action that runs only as a job, the input shown only on
// demand, deadlines (a stuck upstream, a job that waits too long), and kill -9 while a job
// waits and while one of its steps runs.
#include "http_client.hpp"
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
#include <functional>

using namespace relais;
using test::HttpClient;
using test::ServeProcess;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kToken = "waiting-client-token-0123456789";

struct WaitingHost {
    test::TempDir dir;
    std::string plugins = (dir / "plugins").string();
    std::string data = (dir / "data").string();
    std::string config = (dir / "relais.json").string();

    WaitingHost() {
        test::copy_plugin(test::test_plugin_case_dir("waiting"), "waiting", plugins);
        // The shortest lease, so a job cut short by kill -9 is rescued soon after a restart.
        std::ofstream(config) << R"({"host": {"tokens": [{"name": "erp", "token": ")" << kToken
                              << R"(", "scopes": ["client"]}], "jobs": {"lease_seconds": 5}},)"
                              << R"( "connectors": {"waiting": {}}})";
    }
    std::unique_ptr<ServeProcess> serve() const {
        return std::make_unique<ServeProcess>(plugins, std::vector<std::string>{"--config", config, "--data-dir", data});
    }
};

std::string count_job(const std::string &input, const std::string &more = "") {
    return R"({"connector":"waiting","action":"count","input":)" + input + more + "}";
}

Poco::JSON::Object::Ptr get_job(HttpClient &http, int64_t id, const std::string &query = "") {
    const auto r = http.get("/api/v1/jobs/" + std::to_string(id) + query, kToken);
    REQUIRE(r.status == 200);
    return r.json();
}

// Polls the job until `done` says so or the deadline passes; returns it as last seen.
Poco::JSON::Object::Ptr wait_for(HttpClient &http, int64_t id, const std::function<bool(const Poco::JSON::Object &)> &done,
                                 std::chrono::seconds deadline = std::chrono::seconds(30)) {
    const auto until = Clock::now() + deadline;
    for (;;) {
        const auto r = http.get("/api/v1/jobs/" + std::to_string(id), kToken);
        if (r.status != 200) return get_job(http, id);  // fails, saying what it got
        auto j = r.json();
        if (done(*j) || Clock::now() > until) return j;
    }
}

bool is_final(const Poco::JSON::Object &j) {
    const auto state = j.getValue<std::string>("state");
    return state == "succeeded" || state == "dead" || state == "cancelled";
}

int64_t submit(HttpClient &http, const std::string &body) {
    const auto r = http.post("/api/v1/jobs", kToken, body);
    INFO(r.body);
    REQUIRE(r.status == 202);
    return r.json()->getValue<int64_t>("id");
}

Poco::JSON::Object::Ptr parse(const std::string &text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

TEST_CASE("waiting jobs: a job continues ten times, then calls back once with its result", "[service][waiting]") {
    emulator::EmulatorServer erp;
    erp.route("POST", "/hooks/relais", [](const emulator::Request &) { return emulator::Response::json(200, "{}"); });
    erp.start();
    WaitingHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());

    const auto accepted = http.post("/api/v1/jobs", kToken,
                                    count_job(R"({"steps":10,"delay_ms":100})",
                                              R"(,"idempotency_key":"ten","callback_url":")" + erp.base_url() +
                                                  R"(/hooks/relais")"));
    REQUIRE(accepted.status == 202);
    const auto id = accepted.json()->getValue<int64_t>("id");
    CHECK_FALSE(accepted.json()->has("input"));  // the answer does not echo the input

    // Seen between two steps: waiting, with its progress and when it runs next.
    const auto between = wait_for(http, id, [](const auto &j) { return j.template getValue<std::string>("state") == "waiting"; });
    REQUIRE(between->getValue<std::string>("state") == "waiting");
    CHECK(between->getValue<int>("step") >= 1);
    CHECK(between->getObject("progress")->getValue<int>("n") == between->getValue<int>("step"));
    CHECK(between->has("next_run_at"));
    CHECK(between->getValue<int>("attempts") == 0);

    const auto done = wait_for(http, id, is_final);
    REQUIRE(done->getValue<std::string>("state") == "succeeded");
    CHECK(done->getValue<int>("step") == 10);
    CHECK(done->getObject("result")->getValue<int>("continued") == 10);
    CHECK(done->getObject("result")->getValue<int>("step") == 11);
    CHECK_FALSE(done->has("next_run_at"));
    const auto history = done->getArray("attempt_history");
    REQUIRE(history->size() == 11);
    for (size_t i = 0; i < 10; ++i) CHECK(history->getObject(i)->getValue<std::string>("outcome") == "continued");
    CHECK(history->getObject(10)->getValue<std::string>("outcome") == "ok");

    REQUIRE(erp.wait_for_count("POST", "/hooks/relais", 1, std::chrono::seconds(20)));
    auto calls = erp.requests();
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].headers.get("X-Relais-Callback", "") == "final");
    const auto delivered = parse(calls[0].body);
    CHECK(delivered->getValue<std::string>("state") == "succeeded");
    CHECK(delivered->getObject("result")->getValue<int>("continued") == 10);
    CHECK_FALSE(delivered->has("input"));

    // The input, only when asked for.
    CHECK_FALSE(get_job(http, id)->has("input"));
    CHECK(get_job(http, id, "?include=input")->getObject("input")->getValue<int>("steps") == 10);
    const auto list = http.get("/api/v1/jobs?include=input", kToken).json()->getArray("jobs");
    REQUIRE(list->size() == 1);
    CHECK(list->getObject(0)->getObject("input")->getValue<int>("delay_ms") == 100);
    CHECK_FALSE(http.get("/api/v1/jobs", kToken).json()->getArray("jobs")->getObject(0)->has("input"));
    CHECK(http.get("/api/v1/jobs?include=everything", kToken).status == 400);
    CHECK(http.get("/api/v1/jobs?state=waiting", kToken).status == 200);

    // No second callback comes later.
    serve->signal(SIGTERM);
    CHECK(serve->wait_exit() == 0);
    CHECK(erp.count("POST", "/hooks/relais") == 1);
}

TEST_CASE("waiting jobs: a job that asks for progress is posted after each step, then at its end", "[service][waiting][callback]") {
    emulator::EmulatorServer erp;
    erp.route("POST", "/hooks/relais", [](const emulator::Request &) { return emulator::Response::json(200, "{}"); });
    erp.start();
    WaitingHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    const auto id = submit(http, count_job(R"({"steps":3,"delay_ms":50})", R"(,"callback_progress":true,"callback_url":")" +
                                                                                erp.base_url() + R"(/hooks/relais")"));
    REQUIRE(erp.wait_for_count("POST", "/hooks/relais", 4, std::chrono::seconds(20)));
    const auto calls = erp.requests();
    REQUIRE(calls.size() == 4);
    for (size_t i = 0; i < 3; ++i) {
        INFO("callback " << i);
        CHECK(calls[i].headers.get("X-Relais-Callback", "") == "progress");
        const auto body = parse(calls[i].body);
        CHECK(body->getValue<int64_t>("id") == id);
        CHECK(body->getValue<std::string>("state") == "waiting");
        CHECK(body->getObject("progress")->getValue<size_t>("n") == i + 1);
    }
    CHECK(calls[3].headers.get("X-Relais-Callback", "") == "final");
    CHECK(parse(calls[3].body)->getValue<std::string>("state") == "succeeded");

    // Progress needs somewhere to go.
    const auto r = http.post("/api/v1/jobs", kToken, count_job(R"({"steps":1})", R"(,"callback_progress":true)"));
    CHECK(r.status == 400);
    CHECK_THAT(r.body, Catch::Contains("callback_url"));
}

TEST_CASE("waiting jobs: a waiting job is cancelled at once and keeps its progress", "[service][waiting]") {
    WaitingHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    const auto id = submit(http, count_job(R"({"steps":5,"delay_ms":3600000})"));
    const auto waiting = wait_for(http, id, [](const auto &j) { return j.template getValue<std::string>("state") == "waiting"; });
    REQUIRE(waiting->getValue<std::string>("state") == "waiting");

    const auto r = http.post("/api/v1/jobs/" + std::to_string(id) + "/cancel", kToken);
    REQUIRE(r.status == 200);
    CHECK(r.json()->getValue<std::string>("state") == "cancelled");
    CHECK(r.json()->getObject("progress")->getValue<int>("n") == 1);
    CHECK(http.post("/api/v1/jobs/" + std::to_string(id) + "/cancel", kToken).status == 409);
}

TEST_CASE("waiting jobs: a synchronous call to an action that runs only as a job gets 409", "[service][waiting]") {
    WaitingHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    const auto r = http.post("/api/v1/connectors/waiting/actions/count", kToken, R"({"steps":1})");
    CHECK(r.status == 409);
    const auto error = r.json()->getObject("error");
    REQUIRE(error);
    CHECK(error->getValue<std::string>("class") == "job_only");
    CHECK_THAT(error->getValue<std::string>("message"), Catch::Contains("POST /api/v1/jobs"));
    CHECK(http.post("/api/v1/connectors/waiting/actions/echo", kToken, "{}").status == 200);
}

TEST_CASE("waiting jobs: a job still waiting at its deadline ends dead, naming the deadline", "[service][waiting][deadline]") {
    WaitingHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    const auto id = submit(http, count_job(R"({"steps":100,"delay_ms":600000})", R"(,"deadline_seconds":1)"));
    CHECK(get_job(http, id)->has("deadline_at"));
    const auto done = wait_for(http, id, is_final);
    REQUIRE(done->getValue<std::string>("state") == "dead");
    CHECK(done->getObject("last_error")->getValue<std::string>("class") == "deadline");
    CHECK_THAT(done->getObject("last_error")->getValue<std::string>("message"),
               Catch::StartsWith("the job's deadline (") && Catch::EndsWith(") passed after 1 completed step(s)"));
    CHECK(http.post("/api/v1/jobs", kToken, count_job(R"({"steps":1})", R"(,"deadline_seconds":0)")).status == 400);
}

TEST_CASE("waiting jobs: a step stuck on an upstream that never answers ends at the job's deadline", "[service][waiting][deadline]") {
    emulator::EmulatorServer upstream;
    upstream.route("GET", "/", [](const emulator::Request &) { return emulator::Response::json(200, "{}"); });
    upstream.start();
    upstream.inject(emulator::Fault::hang(std::chrono::seconds(120)), 1000);  // accepts, never answers
    WaitingHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());

    const auto port = std::to_string(upstream.port());
    const auto started = Clock::now();
    const auto id = submit(http, R"({"connector":"waiting","action":"hang","input":{"port":)" + port +
                                     R"(},"deadline_seconds":1.5})");
    const auto done = wait_for(http, id, is_final);
    const auto took = Clock::now() - started;
    REQUIRE(done->getValue<std::string>("state") == "dead");
    CHECK(done->getObject("last_error")->getValue<std::string>("class") == "deadline");
    CHECK_THAT(done->getObject("last_error")->getValue<std::string>("message"),
               Catch::Contains("during step 1") && Catch::Contains("did not answer"));
    CHECK(upstream.count("GET", "/") >= 1);
    CHECK(took >= std::chrono::milliseconds(1400));
    CHECK(took <= std::chrono::milliseconds(1500 + 1000));  // the deadline, and a small bound

    // Without a deadline of its own, a job has the one its action declares (an hour); a
    // cancel stops its stuck step at once.
    const auto hanging = submit(http, R"({"connector":"waiting","action":"hang","input":{"port":)" + port + "}}");
    const auto running = wait_for(http, hanging, [](const auto &j) { return j.template getValue<std::string>("state") == "running"; });
    REQUIRE(running->has("deadline_at"));
    CHECK(running->getValue<std::string>("deadline_at") > done->getValue<std::string>("deadline_at"));
    REQUIRE(http.post("/api/v1/jobs/" + std::to_string(hanging) + "/cancel", kToken).status == 200);
    CHECK(wait_for(http, hanging, is_final)->getValue<std::string>("state") == "cancelled");
    upstream.stop();
}

TEST_CASE("waiting jobs: kill -9 while a job waits, or while one of its steps runs, loses nothing", "[service][waiting][kill]") {
    WaitingHost host;
    int64_t between_steps = 0, in_a_step = 0;
    {
        auto serve = host.serve();
        HttpClient http(serve->url());
        between_steps = submit(http, count_job(R"({"steps":3,"delay_ms":1500})", R"(,"idempotency_key":"between")"));
        in_a_step = submit(http, count_job(R"({"steps":2,"step_ms":4000})", R"(,"idempotency_key":"inside")"));
        // The first waits after its first step; the second is in its second step (it ran one).
        wait_for(http, between_steps, [](const auto &j) {
            return j.template getValue<std::string>("state") == "waiting" && j.template getValue<int>("step") == 1;
        });
        const auto running = wait_for(http, in_a_step, [](const auto &j) {
            return j.template getValue<std::string>("state") == "running" && j.template getValue<int>("step") == 1;
        });
        REQUIRE(running->getValue<std::string>("state") == "running");
        const auto waiting = get_job(http, between_steps);
        REQUIRE(waiting->getValue<std::string>("state") == "waiting");
        serve->signal(SIGKILL);
        CHECK(serve->wait_exit() == 128 + SIGKILL);
    }
    {
        auto serve = host.serve();
        HttpClient http(serve->url());
        for (const auto id : {between_steps, in_a_step}) {
            INFO("job " << id);
            const auto done = wait_for(http, id, is_final, std::chrono::seconds(60));
            REQUIRE(done->getValue<std::string>("state") == "succeeded");
        }
        CHECK(get_job(http, between_steps)->getObject("result")->getValue<int>("continued") == 3);
        CHECK(get_job(http, in_a_step)->getObject("result")->getValue<int>("continued") == 2);
        serve->signal(SIGTERM);
        CHECK(serve->wait_exit() == 0);
    }
    // Every step ran once, but the one the kill cut short, which ran at most twice.
    host::SqlitePluginState state(host.data);
    auto runs = [&](const std::string &job, int step) {
        const auto v = state.read("waiting", "runs:" + job + ":" + std::to_string(step), 0);  // no expiry
        return v ? std::stoi(v->value) : 0;
    };
    for (int step = 0; step <= 3; ++step) {
        INFO("step " << step);
        CHECK(runs("between", step) == 1);
    }
    CHECK(runs("inside", 0) == 1);
    CHECK(runs("inside", 1) >= 1);
    CHECK(runs("inside", 1) <= 2);
    CHECK(runs("inside", 2) == 1);
}
