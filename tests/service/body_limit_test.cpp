// The API's body limit against the inputs connectors declare: a file as large as the chorus
// connector accepts (10 MiB, 13,981,016 characters of base64) gets through with the default
// configuration, a body beyond the computed limit is refused with a 413 that says which setting
// raises it, and a limit set in the configuration wins but is warned about at start.
#include "http_client.hpp"
#include "plugin_files.hpp"
#include "serve_process.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <cstdint>
#include <filesystem>
#include <fstream>

using namespace relais;
using test::HttpClient;
using test::ServeProcess;

namespace {

const std::string kClientToken = "client-token-0123456789abcdef";
const std::string kAdminToken = "admin-token-0123456789abcdef";

// What tests/test_plugins/large_input.cpp declares, and the margin the host adds for the JSON
// around it (http/body_limits.hpp).
constexpr std::uint64_t kDeclared = 13981016;
constexpr std::uint64_t kComputedLimit = kDeclared + 64 * 1024;
constexpr std::uint64_t kDefaultLimit = 10 * 1024 * 1024;

struct Host {
    test::TempDir dir;
    std::filesystem::path plugins = dir / "plugins";
    std::string config = (dir / "relais.json").string();

    // `api`: the host.api section.
    explicit Host(const std::string &api = "{}", bool large_input = true) {
        test::copy_plugin(test::built_plugin_dir(), "diagnostics", plugins);
        if (large_input) add_large_input();
        std::ofstream(config) << R"({"host": {"api": )" << api << R"(, "tokens": [
            {"name": "erp", "token": ")" << kClientToken << R"(", "scopes": ["client"]},
            {"name": "admin", "token": ")" << kAdminToken << R"(", "scopes": ["admin"]}]}})";
    }

    void add_large_input() const { test::copy_plugin(test::test_plugin_case_dir("large_input"), "large_input", plugins); }

    std::unique_ptr<ServeProcess> serve() const {
        return std::make_unique<ServeProcess>(
            plugins.string(), std::vector<std::string>{"--config", config, "--data-dir", (dir / "data").string()});
    }
};

// {"file_base64": "AAAA..."} with `characters` of base64.
std::string file_body(std::uint64_t characters) {
    return R"({"file_base64":")" + std::string(characters, 'A') + "\"}";
}

struct Refusal {
    int status = 0;
    Poco::JSON::Object::Ptr error;
    std::string message() const { return error ? error->getValue<std::string>("message") : ""; }
};

// A request announcing a body of `length` bytes without sending it: the server answers from
// the Content-Length alone, so a refusal costs neither the test nor the host the bytes.
Refusal announce(const std::string &url, const std::string &method, const std::string &path,
                 const std::string &token, std::uint64_t length) {
    const Poco::URI uri(url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Authorization", "Bearer " + token);
    request.setContentType("application/json");
    request.setContentLength64(static_cast<Poco::Int64>(length));
    session.sendRequest(request).flush();
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    Refusal r;
    r.status = response.getStatus();
    Poco::JSON::Parser parser;
    r.error = parser.parse(body).extract<Poco::JSON::Object::Ptr>()->getObject("error");
    return r;
}

const std::string kAction = "/api/v1/connectors/large_input/actions/measure";

}  // namespace

TEST_CASE("service: a file as large as a connector declares fits the default body limit", "[service][body_limit]") {
    Host host;
    auto serve = host.serve();
    HttpClient http(serve->url());

    const std::string body = file_body(kDeclared);
    REQUIRE(body.size() > kDefaultLimit);  // the fixed limit of before would have refused it
    auto r = http.post(kAction, kClientToken, body);
    REQUIRE(r.status == 200);
    CHECK(r.json()->getObject("result")->getValue<std::uint64_t>("length") == kDeclared);

    // The job endpoint carries the same inputs, inside its envelope.
    r = http.post("/api/v1/jobs", kClientToken,
                  R"({"connector":"large_input","action":"measure","input":)" + file_body(kDeclared - 1) + "}");
    CHECK(r.status == 202);
}

TEST_CASE("service: a body over the computed limit is refused, naming the setting and the declared input",
          "[service][body_limit]") {
    Host host;
    auto serve = host.serve();

    for (const std::string &path : {kAction, std::string("/api/v1/jobs")}) {
        INFO(path);
        const auto refused = announce(serve->url(), "POST", path, kClientToken, kComputedLimit + 1);
        CHECK(refused.status == 413);
        REQUIRE(refused.error);
        CHECK(refused.error->getValue<std::string>("class") == "payload_too_large");
        CHECK_THAT(refused.message(), Catch::Contains("limit of " + std::to_string(kComputedLimit) + " bytes") &&
                                          Catch::Contains("host.api.max_body_bytes raises it") &&
                                          Catch::Contains("the largest declared input is 13981016 bytes, in "
                                                          "connector large_input action measure"));
        const auto details = refused.error->getObject("details");
        REQUIRE(details);
        CHECK(details->getValue<std::uint64_t>("limit_bytes") == kComputedLimit);
        CHECK(details->getValue<std::string>("setting") == "host.api.max_body_bytes");
        CHECK(details->getObject("largest_declared_input")->getValue<std::string>("connector") == "large_input");
    }
    // Just at the limit, the body is read (and then found not to be JSON: a 400, not a 413).
    HttpClient http(serve->url());
    const auto at_limit = http.post(kAction, kClientToken, std::string(kComputedLimit, ' '));
    CHECK(at_limit.status == 400);

    // Settings are no file: their routes keep the default limit.
    const auto settings =
        announce(serve->url(), "PUT", "/api/v1/connectors/diagnostics/config", kAdminToken, kDefaultLimit + 1);
    CHECK(settings.status == 413);
    CHECK_THAT(settings.message(), Catch::Contains("limit of " + std::to_string(kDefaultLimit) + " bytes"));
}

TEST_CASE("service: the body limit follows the plugins a reload brings", "[service][body_limit]") {
    Host host("{}", false);
    auto serve = host.serve();

    auto refused = announce(serve->url(), "POST", "/api/v1/jobs", kClientToken, kDefaultLimit + 1);
    CHECK(refused.status == 413);
    CHECK_THAT(refused.message(), Catch::Contains("limit of " + std::to_string(kDefaultLimit) + " bytes") &&
                                      !Catch::Contains("declared input"));

    host.add_large_input();
    HttpClient http(serve->url());
    REQUIRE(http.post("/api/v1/plugins/reload", kAdminToken).status == 200);
    refused = announce(serve->url(), "POST", "/api/v1/jobs", kClientToken, kComputedLimit + 1);
    CHECK(refused.status == 413);
    CHECK_THAT(refused.message(), Catch::Contains("limit of " + std::to_string(kComputedLimit) + " bytes") &&
                                      Catch::Contains("connector large_input action measure"));
}

TEST_CASE("service: a configured body limit wins, with a warning naming the input it leaves out",
          "[service][body_limit]") {
    Host host(R"({"max_body_bytes": 1048576})");
    auto serve = host.serve();
    CHECK(serve->wait_for_output("connector large_input action measure declares inputs of up to 13981016 bytes"));
    CHECK_THAT(serve->transcript(), Catch::Contains("do not fit host.api.max_body_bytes (1048576 bytes)") &&
                                        Catch::Contains("Raise it to at least " + std::to_string(kComputedLimit)));

    const auto refused = announce(serve->url(), "POST", kAction, kClientToken, kDeclared);
    CHECK(refused.status == 413);
    CHECK_THAT(refused.message(), Catch::Contains("limit of 1048576 bytes set by host.api.max_body_bytes") &&
                                      Catch::Contains("connector large_input action measure"));
}
