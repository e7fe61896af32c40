// Calling loaded plugins: results, every error class, exceptions, concurrency.
#include "plugin_files.hpp"
#include "temp_dir.hpp"

#include "config/connector_settings.hpp"
#include "plugins/error_class.hpp"
#include "plugins/plugin_registry.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Parser.h>

#include <atomic>
#include <thread>

using namespace relais;
namespace fs = std::filesystem;

namespace {

struct Loaded {
    test::TempDir dir;
    host::PluginRegistry registry;
    std::shared_ptr<host::PluginInstance> instance;

    Loaded(const fs::path &from, const std::string &stem, const std::string &name, const std::string &settings = "{}")
        : registry(load(from, stem)) {
        const auto *p = registry.find(name);
        REQUIRE(p);
        instance = p->instance;
        Poco::JSON::Parser parser;
        auto resolved = host::resolve_settings(p->lib->descriptor(),
                                               parser.parse(settings).extract<Poco::JSON::Object::Ptr>());
        std::ostringstream text;
        resolved->stringify(text);
        REQUIRE(instance->configure(text.str()).ok());
    }

    host::PluginRegistry load(const fs::path &from, const std::string &stem) {
        test::copy_plugin(from, stem, dir.path());
        return host::PluginRegistry::scan(dir.path());
    }
};

}  // namespace

TEST_CASE("calls: echo returns its input through the ABI", "[calls]") {
    Loaded d(test::built_plugin_dir(), "diagnostics", "diagnostics");
    const auto r = d.instance->execute("echo", R"({"invoice":"F-1","lines":[1,2,3],"unicode":"é€"})", "c1");
    REQUIRE(r.ok());
    CHECK(r.body == R"({"invoice":"F-1","lines":[1,2,3],"unicode":"é€"})");
}

TEST_CASE("calls: each error class crosses with its message, detail and retry-after", "[calls]") {
    Loaded d(test::built_plugin_dir(), "diagnostics", "diagnostics");
    for (auto status : {RELAIS_INVALID_CONFIG, RELAIS_INVALID_INPUT, RELAIS_UNAUTHORIZED, RELAIS_FORBIDDEN,
                        RELAIS_NOT_FOUND, RELAIS_RATE_LIMITED, RELAIS_TRANSIENT, RELAIS_PERMANENT, RELAIS_INTERNAL}) {
        const std::string name(host::status_name(status));
        INFO(name);
        const auto r = d.instance->execute(
            "fail", R"({"class":")" + name + R"(","message":"asked for )" + name + R"(","retry_after_ms":1500})", "c");
        CHECK(r.status == status);
        CHECK(r.message == "asked for " + name);
        CHECK(r.detail_json == R"({"requested_class":")" + name + "\"}");
        CHECK(r.retry_after_ms == 1500);
    }
}

TEST_CASE("calls: an unknown action is reported as unsupported", "[calls]") {
    Loaded d(test::built_plugin_dir(), "diagnostics", "diagnostics");
    const auto r = d.instance->execute("no_such_action", "{}", "c");
    CHECK(r.status == RELAIS_UNSUPPORTED);
    CHECK_THAT(r.message, Catch::Contains("unknown action 'no_such_action'"));
}

TEST_CASE("calls: exceptions thrown by a plugin become internal errors and the host keeps running", "[calls]") {
    Loaded t(test::test_plugin_case_dir("throwing"), "throwing", "throwing");
    auto r = t.instance->execute("std_exception", "{}", "c");
    CHECK(r.status == RELAIS_INTERNAL);
    CHECK(r.message == "unexpected exception: boom");
    r = t.instance->execute("non_standard", "{}", "c");
    CHECK(r.status == RELAIS_INTERNAL);
    CHECK(r.message == "unexpected non-standard exception");
    r = t.instance->execute("bad_alloc", "{}", "c");
    CHECK(r.status == RELAIS_INTERNAL);
    CHECK(r.message == "out of memory");
}

TEST_CASE("calls: the connection test reports its steps, a plugin without one says so", "[calls]") {
    Loaded d(test::built_plugin_dir(), "diagnostics", "diagnostics");
    auto r = d.instance->test();
    REQUIRE(r.ok());
    CHECK(r.body == R"({"steps":[{"message":"settings applied","name":"configuration","ok":true}]})");

    Loaded t(test::test_plugin_case_dir("throwing"), "throwing", "throwing");
    r = t.instance->test();
    CHECK(r.status == RELAIS_UNSUPPORTED);
}

TEST_CASE("calls: a connector nobody enabled needs no settings, enabled, it names what is missing", "[calls]") {
    for (const auto *name : {"chorus", "sirene", "exchange", "universign", "mindee"}) {
        INFO(name);
        Loaded idle(test::built_plugin_dir(), name, name);  // configure with {} must succeed
    }
    Loaded exchange(test::built_plugin_dir(), "exchange", "exchange");
    const auto r = exchange.instance->configure(R"({"enabled":true})");
    CHECK(r.status == RELAIS_INVALID_CONFIG);
    CHECK(r.message == "ews_url is required when the backend is ews");
}

TEST_CASE("calls: settings are checked against the schema before configure", "[calls]") {
    test::TempDir dir;
    test::copy_plugin(test::built_plugin_dir(), "diagnostics", dir.path());
    const auto registry = host::PluginRegistry::scan(dir.path());
    const auto &descriptor = registry.find("diagnostics")->lib->descriptor();
    Poco::JSON::Parser parser;
    auto bad = parser.parse(R"({"max_sleep_ms":-5,"colour":"blue","secret_token":"s3cr3t-value"})")
                   .extract<Poco::JSON::Object::Ptr>();
    try {
        host::resolve_settings(descriptor, bad);
        FAIL("invalid settings accepted");
    } catch (const host::SettingsError &e) {
        const std::string all = e.what();
        CHECK_THAT(all, Catch::Contains("connector diagnostics"));
        CHECK_THAT(all, Catch::Contains("max_sleep_ms"));
        CHECK_THAT(all, Catch::Contains("colour"));
        CHECK_THAT(all, !Catch::Contains("s3cr3t-value"));
    }
    const auto good = host::resolve_settings(descriptor, nullptr);
    CHECK(good->getValue<std::string>("greeting") == "hello");
    CHECK(good->getValue<int>("max_sleep_ms") == 10000);
}

TEST_CASE("calls: execute is safe from 16 threads at once", "[calls][concurrency]") {
    Loaded d(test::built_plugin_dir(), "diagnostics", "diagnostics");
    constexpr int kThreads = 16, kCallsPerThread = 200;
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kCallsPerThread; ++i) {
                const auto input = R"({"thread":)" + std::to_string(t) + R"(,"i":)" + std::to_string(i) + "}";
                const auto r = d.instance->execute("echo", input, "c");
                if (!r.ok() || r.body != input) ++wrong;
                if (i % 50 == 0) {  // reconfigure while calls run: settings switch atomically
                    if (t == 0 && !d.instance->configure(R"({"greeting":"hi","max_sleep_ms":5})").ok()) ++wrong;
                    const auto info = d.instance->execute("info", "{}", "c");
                    if (!info.ok()) ++wrong;
                }
            }
        });
    for (auto &t : threads) t.join();
    CHECK(wrong == 0);
    const auto info = d.instance->execute("info", "{}", "last");
    REQUIRE(info.ok());
    Poco::JSON::Parser parser;
    const auto o = parser.parse(info.body).extract<Poco::JSON::Object::Ptr>();
    CHECK(o->getValue<int>("calls") == kThreads * kCallsPerThread + kThreads * (kCallsPerThread / 50) + 1);
    CHECK(o->getValue<std::string>("call_id") == "last");
}
