// `relais serve` as an ERP and an administrator see it: over HTTP on loopback, against a
// service started by the test with its own port, plugin directory and data directory.
#include "http_client.hpp"
#include "plugin_files.hpp"
#include "serve_process.hpp"
#include "temp_dir.hpp"

#include "certificate_authority.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace relais;
using test::HttpClient;
using test::ServeProcess;

namespace {

const std::string kClientToken = "client-token-0123456789abcdef";
const std::string kAdminToken = "admin-token-0123456789abcdef";
const std::string kSecret = "Sentinel-Secret-7f3a9c21";

// A plugin directory with diagnostics, a data directory and a configuration file.
struct Host {
    test::TempDir dir;
    std::string plugins = (dir / "plugins").string();
    std::string data = (dir / "data").string();
    std::string config = (dir / "relais.json").string();

    explicit Host(const std::string &diagnostics_settings = R"({"greeting": "bonjour", "secret_token": "${env:DIAG_SECRET}"})") {
        test::copy_plugin(test::built_plugin_dir(), "diagnostics", plugins);
        std::ofstream(config) << R"({
          "host": {
            "log": {"level": "debug"},
            "api": {"max_body_bytes": 4096, "shutdown_grace_seconds": 20},
            "tokens": [
              {"name": "erp", "token": ")" << kClientToken << R"(", "scopes": ["client"]},
              {"name": "admin", "token": ")" << kAdminToken << R"(", "scopes": ["admin"]}
            ]
          },
          "connectors": {"diagnostics": )" << diagnostics_settings << "}}";
    }

    std::unique_ptr<ServeProcess> serve(std::vector<std::pair<std::string, std::string>> environment = {
                                            {"DIAG_SECRET", kSecret}}) const {
        return std::make_unique<ServeProcess>(plugins, std::vector<std::string>{"--config", config, "--data-dir", data},
                                              std::move(environment));
    }
};

std::string error_class(const test::HttpResult &r) { return r.json()->getObject("error")->getValue<std::string>("class"); }

}  // namespace

TEST_CASE("service: health needs no token, everything else needs the right one", "[service]") {
    Host host;
    auto serve = host.serve();
    HttpClient http(serve->url());

    CHECK(http.get("/healthz").status == 200);
    CHECK(http.get("/readyz").status == 200);

    auto r = http.get("/api/v1/connectors");
    CHECK(r.status == 401);
    CHECK(error_class(r) == "unauthenticated");
    CHECK(r.header("WWW-Authenticate") == "Bearer realm=\"relais\"");

    r = http.get("/api/v1/connectors", "not-a-valid-token-at-all");
    CHECK(r.status == 401);

    r = http.get("/api/v1/connectors", kClientToken);
    CHECK(r.status == 200);
    CHECK(r.json()->getArray("connectors")->size() == 1);

    r = http.post("/api/v1/connectors/diagnostics/test", kClientToken);
    CHECK(r.status == 403);
    CHECK_THAT(r.json()->getObject("error")->getValue<std::string>("message"), Catch::Contains("admin scope"));

    r = http.post("/api/v1/connectors/diagnostics/test", kAdminToken);
    CHECK(r.status == 200);
    CHECK(r.json()->getValue<std::string>("verdict") == "passed");
    r = http.post("/api/v1/connectors/diagnostics/actions/echo", kAdminToken, R"({"x":1})");
    CHECK(r.status == 403);  // the admin token of this file has no client scope
}

TEST_CASE("service: bad requests get a clear 4xx, never a 500", "[service]") {
    Host host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    const std::string action = "/api/v1/connectors/diagnostics/actions/echo";

    auto r = http.post(action, kClientToken, "{not json");
    CHECK(r.status == 400);
    CHECK(error_class(r) == "invalid_input");
    CHECK_THAT(r.body, Catch::Contains("not valid JSON"));

    r = http.request("POST", action, kClientToken, R"({"a":1})", "text/plain");
    CHECK(r.status == 415);
    CHECK_THAT(r.body, Catch::Contains("application/json"));

    r = http.post("/api/v1/connectors/nobody/actions/echo", kClientToken, "{}");
    CHECK(r.status == 404);
    CHECK_THAT(r.body, Catch::Contains("no connector named 'nobody'"));

    r = http.post("/api/v1/connectors/diagnostics/actions/fly", kClientToken, "{}");
    CHECK(r.status == 404);
    CHECK_THAT(r.body, Catch::Contains("has no action 'fly'") && Catch::Contains("echo"));

    r = http.post(action, kClientToken, "{\"pad\":\"" + std::string(5000, 'x') + "\"}");
    CHECK(r.status == 413);

    r = http.post("/api/v1/connectors/diagnostics/actions/sleep", kClientToken, R"({"ms":"soon"})");
    CHECK(r.status == 400);
    CHECK(r.json()->getObject("error")->getObject("details")->getArray("errors")->getObject(0)->getValue<std::string>(
              "path") == "/ms");

    r = http.get("/api/v1/nothing-here", kClientToken);
    CHECK(r.status == 404);
    r = http.request("DELETE", "/api/v1/connectors", kClientToken);
    CHECK(r.status == 405);
    CHECK(r.header("Allow") == "GET");

    // Errors from the connector keep their class and map to their status.
    r = http.post(action.substr(0, action.size() - 4) + "fail", kClientToken,
                  R"({"class":"rate_limited","retry_after_ms":2500})");
    CHECK(r.status == 429);
    CHECK(r.header("Retry-After") == "3");
    CHECK(error_class(r) == "rate_limited");
    r = http.post(action.substr(0, action.size() - 4) + "fail", kClientToken, R"({"class":"permanent"})");
    CHECK(r.status == 422);
}

TEST_CASE("service: settings changed at run time are validated, applied, and kept across a restart", "[service]") {
    Host host;
    {
        auto serve = host.serve();
        HttpClient http(serve->url());
        auto r = http.request("PUT", "/api/v1/connectors/diagnostics/config", kAdminToken,
                              R"({"greeting": 42, "max_sleep_ms": -1, "colour": "red"})");
        CHECK(r.status == 400);
        const auto problems = r.json()->getObject("error")->getObject("details")->getArray("problems");
        std::string all;
        for (size_t i = 0; i < problems->size(); ++i) all += problems->getElement<std::string>(i) + "\n";
        CHECK_THAT(all, Catch::Contains("greeting") && Catch::Contains("max_sleep_ms") && Catch::Contains("colour"));

        r = http.request("PUT", "/api/v1/connectors/diagnostics/config", kClientToken, R"({"greeting": "salut"})");
        CHECK(r.status == 403);

        // The shown document, secrets redacted, sent back with one change: the secret is kept.
        auto shown = http.get("/api/v1/connectors/diagnostics", kClientToken).json()->getObject("settings");
        CHECK(shown->getValue<std::string>("secret_token") == "[redacted]");
        shown->set("greeting", "salut");
        std::ostringstream body;
        shown->stringify(body);
        r = http.request("PUT", "/api/v1/connectors/diagnostics/config", kAdminToken, body.str());
        REQUIRE(r.status == 200);
        r = http.post("/api/v1/connectors/diagnostics/actions/info", kClientToken, "{}");
        CHECK(r.json()->getObject("result")->getValue<std::string>("greeting") == "salut");
        serve->signal(SIGTERM);
        {
            const auto code = serve->wait_exit();
            INFO(serve->transcript());
            CHECK(code == 0);
        }
    }
    // The secret came from ${env:DIAG_SECRET} and was sent back unchanged: the saved file keeps
    // the reference, not the value.
    std::ifstream saved(host.data + "/connectors/diagnostics.json");
    const std::string saved_text((std::istreambuf_iterator<char>(saved)), std::istreambuf_iterator<char>());
    CHECK_THAT(saved_text, Catch::Contains("${env:DIAG_SECRET}") && !Catch::Contains(kSecret));
    auto serve = host.serve();
    HttpClient http(serve->url());
    auto r = http.post("/api/v1/connectors/diagnostics/actions/info", kClientToken, "{}");
    CHECK(r.json()->getObject("result")->getValue<std::string>("greeting") == "salut");
    CHECK(http.get("/api/v1/connectors/diagnostics", kClientToken).json()->getValue<std::string>("state") == "configured");
}

TEST_CASE("service: references in saved settings are resolved at each start", "[service][secrets]") {
    Host host(R"({"greeting": "bonjour"})");
    std::filesystem::create_directories(host.data + "/connectors");
    std::ofstream(host.data + "/connectors/diagnostics.json")
        << R"({"greeting": "saved", "secret_token": "${env:SAVED_SECRET}"})";
    {
        // Without the variable the connector is unusable, and says why and where.
        auto serve = host.serve({});
        HttpClient http(serve->url());
        const auto c = http.get("/api/v1/connectors/diagnostics", kClientToken).json();
        CHECK(c->getValue<std::string>("state") == "invalid_config");
        std::ostringstream problems;
        c->getArray("problems")->stringify(problems);
        CHECK_THAT(problems.str(), Catch::Contains("SAVED_SECRET") && Catch::Contains("diagnostics.json"));
        serve->signal(SIGTERM);
        CHECK(serve->wait_exit() == 0);
    }
    auto serve = host.serve({{"SAVED_SECRET", "Saved-Secret-Value-42"}});
    HttpClient http(serve->url());
    const auto c = http.get("/api/v1/connectors/diagnostics", kClientToken).json();
    CHECK(c->getValue<std::string>("state") == "configured");
    CHECK(c->getObject("settings")->getValue<std::string>("secret_token") == "[redacted]");
    // Its value is a secret like any referenced value: redacted wherever it shows.
    const auto echoed = http.post("/api/v1/connectors/diagnostics/actions/echo", kClientToken,
                                  R"({"leak":"Saved-Secret-Value-42"})");
    CHECK_THAT(echoed.body, !Catch::Contains("Saved-Secret-Value-42"));
}

TEST_CASE("service: a secret never appears in a response or a log line", "[service][secrets]") {
    Host host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    std::vector<test::HttpResult> responses;
    responses.push_back(http.get("/api/v1/connectors/diagnostics", kClientToken));
    // A plugin that echoes the secret back has it redacted from its answer ...
    responses.push_back(http.post("/api/v1/connectors/diagnostics/actions/echo", kClientToken,
                                  R"({"leak":")" + kSecret + "\"}"));
    // ... and from its error messages.
    responses.push_back(http.post("/api/v1/connectors/diagnostics/actions/fail", kClientToken,
                                  R"({"class":"permanent","message":"token )" + kSecret + " refused\"}"));
    responses.push_back(http.get("/metrics", kClientToken));
    responses.push_back(http.request("PUT", "/api/v1/connectors/diagnostics/config", kAdminToken,
                                     R"({"max_sleep_ms": "x", "secret_token": ")" + kSecret + "\"}"));
    for (const auto &r : responses) {
        INFO(r.body);
        CHECK(r.body.find(kSecret) == std::string::npos);
    }
    CHECK_THAT(responses[1].body, Catch::Contains("[redacted]"));
    serve->signal(SIGTERM);
    {
            const auto code = serve->wait_exit();
            INFO(serve->transcript());
            CHECK(code == 0);
        }
    const auto lines = serve->output();
    CHECK(lines.size() > 3);
    for (const auto &line : lines) {
        INFO(line);
        CHECK(line.find(kSecret) == std::string::npos);
        CHECK(line.find(kClientToken) == std::string::npos);
    }
}

TEST_CASE("service: the OpenAPI document and the routes the server answers are the same set", "[service][openapi]") {
    Host host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    const auto doc = http.get("/api/v1/openapi.json", kClientToken).json();
    const auto paths = doc->getObject("paths");
    std::set<std::string> documented;
    for (const auto &[path, item] : *paths)
        for (const auto &[method, op] : *item.extract<Poco::JSON::Object::Ptr>())
            documented.insert(Poco::toUpper(method) + " " + path);

    // Every documented route is answered (not "no such endpoint", not "method not allowed").
    for (const auto &route : documented) {
        const auto space = route.find(' ');
        auto path = route.substr(space + 1);
        for (const auto &[param, value] : {std::pair<std::string, std::string>{"{name}", "diagnostics"}, {"{action}", "echo"}, {"{id}", "1"}, {"{task}", "none"}})
            if (auto p = path.find(param); p != std::string::npos) path.replace(p, param.size(), value);
        // The log stream would stay open: a bad filter shows it is answered, at once.
        if (path == "/api/v1/logs/stream") path += "?level=bogus";
        const auto r = http.request(route.substr(0, space), path, kAdminToken, "");
        INFO(route << " -> " << r.status << " " << r.body);
        CHECK(r.status != 405);
        CHECK(r.body.find("no such endpoint") == std::string::npos);
    }
    // And nothing else is: the server's own route table, exported as the 405 Allow lists and
    // 404s, must not hold more than the document. Probe every documented path with every
    // method: whatever the server allows there must be documented.
    for (const auto &route : documented) {
        auto path = route.substr(route.find(' ') + 1);
        for (const auto &[param, value] : {std::pair<std::string, std::string>{"{name}", "diagnostics"}, {"{action}", "echo"}, {"{id}", "1"}, {"{task}", "none"}})
            if (auto p = path.find(param); p != std::string::npos) path.replace(p, param.size(), value);
        const auto r = http.request("PATCH", path, kAdminToken, "");
        REQUIRE(r.status == 405);
        std::string allow = r.header("Allow");
        for (size_t start = 0; start < allow.size();) {
            auto end = allow.find(", ", start);
            if (end == std::string::npos) end = allow.size();
            const auto method = allow.substr(start, end - start);
            CHECK(documented.count(method + " " + route.substr(route.find(' ') + 1)) == 1);
            start = end + 2;
        }
    }
    CHECK(documented.size() == 31);
}

TEST_CASE("service: SIGTERM lets calls in flight finish, then exits 0", "[service][shutdown]") {
    Host host;
    auto serve = host.serve();
    test::HttpResult slow;
    std::string failure;
    std::jthread caller([&] {  // joins even when a REQUIRE below fails
        try {
            HttpClient http(serve->url());
            slow = http.post("/api/v1/connectors/diagnostics/actions/sleep", kClientToken, R"({"ms":1500})");
        } catch (const std::exception &e) {
            failure = e.what();
        }
    });
    REQUIRE(serve->wait_for_output(": sleeping 1500 ms", std::chrono::seconds(30)));
    serve->signal(SIGTERM);
    REQUIRE(serve->wait_for_output("no longer accepting connections; 1 request(s) in flight"));
    CHECK_THROWS(HttpClient(serve->url()).get("/healthz"));  // no longer accepting
    caller.join();
    CHECK(failure.empty());
    CHECK(slow.status == 200);
    CHECK(slow.json()->getObject("result")->getValue<int>("slept_ms") == 1500);
    {
            const auto code = serve->wait_exit();
            INFO(serve->transcript());
            CHECK(code == 0);
        }
}

TEST_CASE("service: a new plugin version dropped in is loaded on reload while calls keep flowing", "[service][upgrade]") {
    Host host;
    auto serve = host.serve();
    std::atomic<bool> done{false};
    std::atomic<int> calls{0}, failures{0}, on_v2{0};
    std::vector<std::jthread> callers;
    // Declared after the callers, so destroyed first: they stop even if a REQUIRE fails.
    struct StopFlag {
        std::atomic<bool> &flag;
        ~StopFlag() { flag = true; }
    } stop_callers{done};
    for (int i = 0; i < 4; ++i)
        callers.emplace_back([&] {
            HttpClient http(serve->url());
            while (!done) {
                test::HttpResult r;
                try {
                    r = http.post("/api/v1/connectors/diagnostics/actions/info", kClientToken, "{}");
                } catch (const std::exception &) {
                    ++failures;
                    continue;
                }
                ++calls;
                if (r.status != 200) {
                    ++failures;
                    continue;
                }
                if (r.json()->getObject("result")->getValue<std::string>("version") == "2.0.0") ++on_v2;
            }
        });
    HttpClient admin(serve->url());
    // A broken library first: refused, and version 1 keeps serving.
    std::ofstream(host.dir / "plugins" / "diagnostics-9.0.0.so") << "not a library";
    std::ofstream(host.dir / "plugins" / "diagnostics-9.0.0.manifest.json")
        << R"({"name":"diagnostics","version":"9.0.0","abi":{"min":1,"max":1},"library":"diagnostics-9.0.0.so","sha256":"0000000000000000000000000000000000000000000000000000000000000000"})";
    auto r = admin.post("/api/v1/plugins/reload", kAdminToken);
    REQUIRE(r.status == 200);
    CHECK_THAT(r.body, Catch::Contains("diagnostics-9.0.0.so") && Catch::Contains("does not match"));
    CHECK(admin.get("/api/v1/connectors/diagnostics", kClientToken).json()->getValue<std::string>("version") == "1.0.0");

    test::copy_plugin(test::test_plugin_case_dir("diagnostics_v2"), "diagnostics-2.0.0", host.plugins);
    r = admin.post("/api/v1/plugins/reload", kAdminToken);
    REQUIRE(r.status == 200);
    CHECK_THAT(r.body, Catch::Contains("diagnostics 2.0.0"));
    // Settings carried over to the new version.
    const auto shown = admin.get("/api/v1/connectors/diagnostics", kClientToken).json();
    CHECK(shown->getValue<std::string>("version") == "2.0.0");
    CHECK(shown->getObject("settings")->getValue<std::string>("greeting") == "bonjour");
    // Wait until the callers have seen the new version, then stop them.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (on_v2 < 20 && std::chrono::steady_clock::now() < until)
        admin.post("/api/v1/connectors/diagnostics/actions/info", kClientToken, "{}");
    done = true;
    for (auto &t : callers) t.join();
    CHECK(failures == 0);
    CHECK(on_v2 >= 20);
    CHECK(calls > 40);
}

TEST_CASE("service: HTTPS with the configured certificate, verified by the client", "[service][tls]") {
    test::TempDir dir;
    emulator::ensure_ssl_initialized();
    emulator::TestCertificateAuthority ca(dir.path());
    const auto plugins = (dir / "plugins").string();
    test::copy_plugin(test::built_plugin_dir(), "diagnostics", plugins);
    const auto config = (dir / "relais.json").string();
    std::ofstream(config) << R"({"host": {"tls": {"certificate": ")" << ca.server_files().certificate.string()
                          << R"(", "private_key": ")" << ca.server_files().private_key.string()
                          << R"("}, "tokens": [{"name": "erp", "token": ")" << kClientToken
                          << R"(", "scopes": ["client"]}]}})";
    ServeProcess serve(plugins, {"--config", config, "--data-dir", (dir / "data").string()});
    REQUIRE(serve.url().rfind("https://", 0) == 0);
    // The certificate names localhost and 127.0.0.1; the client checks chain and name.
    HttpClient https(serve.url(), ca.client_context());
    const auto r = https.post("/api/v1/connectors/diagnostics/actions/echo", kClientToken, R"({"over":"tls"})");
    CHECK(r.status == 200);
    CHECK(r.json()->getObject("result")->getValue<std::string>("over") == "tls");
    // Plain HTTP to the TLS port gets no answer.
    const auto plain = "http" + serve.url().substr(5);
    CHECK_THROWS(HttpClient(plain).get("/healthz"));
}
