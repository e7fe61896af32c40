// A plugin built against the first published relais/plugin.h (tests/frozen_abi/) still loads
// and runs in this host: synchronous calls, jobs, and the plugin state through its old,
// smaller structs.
#include "http_client.hpp"
#include "plugin_files.hpp"
#include "serve_process.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace relais;
using test::HttpClient;
using test::ServeProcess;
using Clock = std::chrono::steady_clock;

namespace {
const std::string kToken = "frozen-abi-client-token-0123456789";
}

TEST_CASE("frozen ABI: a plugin built against the first ABI 1 header loads, answers and runs jobs",
          "[service][abi]") {
    test::TempDir dir;
    const auto plugins = (dir / "plugins").string();
    const auto config = (dir / "relais.json").string();
    test::copy_plugin(test::test_plugin_case_dir("frozen_abi"), "frozen_abi", plugins);
    std::ofstream(config) << R"({"host": {"tokens": [{"name": "erp", "token": ")" << kToken
                          << R"(", "scopes": ["client"]}]}, "connectors": {"frozen_abi": {}}})";
    ServeProcess serve(plugins, {"--config", config, "--data-dir", (dir / "data").string()});
    HttpClient http(serve.url());

    const auto connector = http.get("/api/v1/connectors/frozen_abi", kToken);
    INFO(connector.body);
    REQUIRE(connector.status == 200);
    CHECK(connector.json()->getValue<std::string>("state") == "configured");
    CHECK(connector.json()->getValue<int>("abi") == 1);

    auto r = http.post("/api/v1/connectors/frozen_abi/actions/echo", kToken, R"({"invoice":"F-1"})");
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.body.find(R"("invoice":"F-1")") != std::string::npos);

    // A job using the plugin state through the old services table.
    r = http.post("/api/v1/jobs", kToken,
                  R"({"connector":"frozen_abi","action":"remember","input":{"key":"k1","value":"v1"}})");
    INFO(r.body);
    REQUIRE(r.status == 202);
    const auto id = r.json()->getValue<std::string>("id");
    Poco::JSON::Object::Ptr job;
    const auto until = Clock::now() + std::chrono::seconds(20);
    do {
        job = http.get("/api/v1/jobs/" + id, kToken).json();
    } while (job->getValue<std::string>("state") != "succeeded" && job->getValue<std::string>("state") != "dead" &&
             Clock::now() < until);
    INFO(job->getValue<std::string>("state"));
    REQUIRE(job->getValue<std::string>("state") == "succeeded");
    CHECK(job->getObject("result")->getValue<std::string>("value") == "v1");
    // Job steps have a deadline now, and the old remaining_ms service reports it.
    CHECK(job->getObject("result")->getValue<std::string>("deadline") == "set");
}
