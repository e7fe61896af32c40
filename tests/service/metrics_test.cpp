// /metrics and call-scoped plugin logs through `relais serve`, with the metered test plugin:
// its own counter and histogram beside the host's job gauges and callback outcomes, a refused
// metric name warned about once, and each call's log line tagged with its id (the job id for a
// job) and redacted.
#include "http_client.hpp"
#include "plugin_files.hpp"
#include "serve_process.hpp"
#include "temp_dir.hpp"

#include "emulator_server.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

using namespace relais;
using test::HttpClient;
using test::ServeProcess;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kToken = "metered-client-token-0123456789";
const std::string kSecret = "Metered-Secret-5b1e77";

// The value of one series ("name{labels}") in an exposition, or -1 when it is not there.
double value_of(const std::string &exposition, const std::string &series) {
    std::istringstream in(exposition);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    return -1;
}

}  // namespace

TEST_CASE("service metrics: plugin metrics and job gauges on /metrics, call logs tagged and redacted",
          "[service][metrics]") {
    test::TempDir dir;
    const auto plugins = (dir / "plugins").string();
    const auto config = (dir / "relais.json").string();
    test::copy_plugin(test::test_plugin_case_dir("metered"), "metered", plugins);
    std::ofstream(config) << R"({"host": {"tokens": [{"name": "erp", "token": ")" << kToken
                          << R"(", "scopes": ["client"]}]}, "connectors": {"metered": {"token": "${env:METERED_SECRET}"}}})";
    ServeProcess serve(plugins, {"--config", config, "--data-dir", (dir / "data").string()},
                       {{"METERED_SECRET", kSecret}});
    HttpClient http(serve.url());
    // The ERP refuses the job's callback once, then takes it.
    emulator::EmulatorServer erp;
    erp.route("POST", "/hooks/relais", [](const emulator::Request &) { return emulator::Response::json(200, "{}"); });
    erp.start();
    erp.inject(emulator::Fault::unavailable(), 1);

    const auto direct = http.post("/api/v1/connectors/metered/actions/count", kToken, R"({"invoice":"F-1","seconds":0.2})");
    INFO(direct.body);
    REQUIRE(direct.status == 200);
    const auto call_id = direct.json()->getValue<std::string>("call_id");

    const auto submitted =
        http.post("/api/v1/jobs", kToken,
                  R"({"connector":"metered","action":"count","input":{"invoice":"F-2","seconds":3},"callback_url":")" +
                      erp.base_url() + R"(/hooks/relais"})");
    INFO(submitted.body);
    REQUIRE(submitted.status == 202);
    const auto job_id = submitted.json()->getValue<int64_t>("id");
    const auto until = Clock::now() + std::chrono::seconds(30);
    std::string state;
    while (state != "succeeded" && Clock::now() < until)
        state = http.get("/api/v1/jobs/" + std::to_string(job_id), kToken).json()->getValue<std::string>("state");
    REQUIRE(state == "succeeded");

    // The callback's second attempt is counted once the ERP has answered it.
    REQUIRE(erp.wait_for_count("POST", "/hooks/relais", 2, std::chrono::seconds(20)));
    std::string text;
    for (const auto deadline = Clock::now() + std::chrono::seconds(10);
         value_of(text, R"(relais_callbacks_total{outcome="delivered"})") != 1 && Clock::now() < deadline;) {
        const auto metrics = http.get("/metrics", kToken);
        REQUIRE(metrics.status == 200);
        text = metrics.body;
    }
    INFO(text);
    CHECK(value_of(text, R"(relais_callbacks_total{outcome="delivered"})") == 1);
    CHECK(value_of(text, R"(relais_callbacks_total{outcome="failed"})") == 1);
    CHECK(value_of(text, R"(relais_callbacks_total{outcome="given_up"})") == 0);
    CHECK(value_of(text, R"(relais_plugin_metered_invoices_total{connector="metered",invoice="F-1"})") == 1);
    CHECK(value_of(text, R"(relais_plugin_metered_invoices_total{connector="metered",invoice="F-2"})") == 1);
    CHECK(value_of(text, R"(relais_plugin_metered_step_seconds_count{connector="metered"})") == 2);
    CHECK(value_of(text, R"(relais_plugin_metered_step_seconds_bucket{connector="metered",le="0.25"})") == 1);
    CHECK(value_of(text, R"(relais_plugin_metered_step_seconds_sum{connector="metered"})") == 3.2);
    CHECK(value_of(text, R"(relais_plugin_series_dropped_total{connector="metered"})") == 0);
    CHECK(value_of(text, R"(relais_jobs{connector="metered",state="succeeded"})") == 1);
    CHECK(value_of(text, R"(relais_jobs{connector="metered",state="queued"})") == 0);
    CHECK(value_of(text, R"(relais_jobs{connector="metered",state="waiting"})") == 0);
    CHECK(value_of(text, R"(relais_jobs_runnable{connector="metered"})") == 0);
    CHECK(text.find("Not A Name") == std::string::npos);

    // Each call's story, by its id; the secret setting never shows.
    const auto job_line = "[job-" + std::to_string(job_id) + "] invoice F-2 counted with token [redacted]";
    REQUIRE(serve.wait_for_output(job_line));
    REQUIRE(serve.wait_for_output("[" + call_id + "] invoice F-1 counted with token [redacted]"));
    const auto lines = serve.output();
    CHECK(serve.transcript().find(kSecret) == std::string::npos);
    // The refused metric name is warned about once, on the plugin's logger, for both calls.
    const auto warned = std::count_if(lines.begin(), lines.end(), [](const std::string &line) {
        return line.find("WARN  relais.plugin.metered: metric \"Not A Name\" of connector metered ignored") !=
               std::string::npos;
    });
    CHECK(warned == 1);
}
