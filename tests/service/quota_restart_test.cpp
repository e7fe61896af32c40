// Quotas through `relais serve` as a user meets them: a connector allowed 5 requests in any
// second keeps its window full, the service is killed with SIGKILL and started again at once,
// and the upstream (a counting server on loopback) must never see more than 5 requests in any
// second, across the restart too.
#include "grant_log.hpp"
#include "http_client.hpp"
#include "plugin_files.hpp"
#include "serve_process.hpp"
#include "temp_dir.hpp"

#include "emulator_server.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>

using namespace relais;
using namespace std::chrono_literals;
using test::HttpClient;
using test::ServeProcess;

namespace {

const std::string kToken = "quota-client-token-0123456789";

int64_t ms_of(emulator::EmulatorClock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

TEST_CASE("quota: a kill -9 and an immediate restart send no second burst upstream", "[service][quota]") {
    emulator::EmulatorServer upstream;
    upstream.route("GET", "/ping", [](const emulator::Request &) { return emulator::Response::json(200, "{}"); });
    upstream.start();

    test::TempDir dir;
    const auto plugins = (dir / "plugins").string();
    const auto data = (dir / "data").string();
    const auto config = (dir / "relais.json").string();
    test::copy_plugin(test::test_plugin_case_dir("upstream_caller"), "upstream_caller", plugins);
    std::ofstream(config) << R"({"host": {"jobs": {"workers": 8}, "tokens": [{"name": "erp", "token": ")" << kToken
                          << R"(", "scopes": ["client"]}]}, "connectors": {"upstream_caller": {"upstream_url": ")"
                          << upstream.base_url() << R"(/ping", "requests_per_window": 5, "window_seconds": 1}}})";
    const std::vector<std::string> args{"--config", config, "--data-dir", data};

    auto serve = std::make_unique<ServeProcess>(plugins, args);
    {
        HttpClient http(serve->url());
        for (int i = 0; i < 60; ++i)
            REQUIRE(http.post("/api/v1/jobs", kToken, R"({"connector":"upstream_caller","action":"ping","input":{}})")
                        .status == 202);
    }
    // The window runs full: 5 a second. Killed in the middle of it.
    REQUIRE(upstream.wait_for_count("GET", "/ping", 12, 30s));
    const auto killed_at = std::chrono::steady_clock::now();
    serve->signal(SIGKILL);
    REQUIRE(serve->wait_exit(10s) != -1);
    const auto before_restart = upstream.requests().size();
    serve = std::make_unique<ServeProcess>(plugins, args);
    CHECK(std::chrono::steady_clock::now() - killed_at < 5s);  // listening again (the fork itself is immediate)

    REQUIRE(upstream.wait_for_count("GET", "/ping", before_restart + 15, 30s));
    std::vector<int64_t> arrivals;
    for (const auto &r : upstream.requests()) arrivals.push_back(ms_of(r.time));
    INFO(serve->transcript());
    CHECK(test::max_in_window(arrivals, 1000) <= 5);
    CHECK(test::max_in_window(arrivals, 1000) == 5);  // the window was full, before and after
}
