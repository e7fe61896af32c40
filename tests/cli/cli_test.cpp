// The relais command line as a user runs it: output, messages and exit codes.
#include "plugin_files.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace relais;
using test::run_process;

namespace {

// A plugin directory with diagnostics and chorus, plus a configuration file.
struct Setup {
    test::TempDir dir;
    std::string plugins = (dir / "plugins").string();
    std::string config = (dir / "relais.json").string();

    Setup() {
        test::copy_plugin(test::built_plugin_dir(), "diagnostics", plugins);
        test::copy_plugin(test::built_plugin_dir(), "chorus", plugins);
        std::ofstream(config) << R"({"connectors": {"diagnostics": {"greeting": "bonjour"}}})";
    }

    test::ProcessResult relais(std::vector<std::string> args) const {
        args.insert(args.begin(), {"--plugin-dir", plugins});
        return run_process(test::relais_binary().string(), args);
    }
};

}  // namespace

TEST_CASE("cli: plugins list shows each plugin and each refusal", "[cli]") {
    Setup s;
    std::ofstream(s.dir / "plugins" / "junk.so") << "junk";
    auto r = s.relais({"plugins", "list"});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("diagnostics") && Catch::Contains("1.0.0") && Catch::Contains("chorus"));
    CHECK_THAT(r.err, Catch::Contains("refused: junk.so: no manifest junk.manifest.json"));

    r = s.relais({"plugins", "list", "--json"});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains(R"("name": "diagnostics")") && Catch::Contains(R"("file": "junk.so")"));
}

TEST_CASE("cli: plugins show prints settings and actions", "[cli]") {
    Setup s;
    auto r = s.relais({"plugins", "show", "diagnostics"});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("greeting") && Catch::Contains("default \"hello\"") &&
                          Catch::Contains("secret_token") && Catch::Contains("secret") && Catch::Contains("echo"));
    r = s.relais({"plugins", "show", "nobody"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("no plugin named 'nobody'"));
}

TEST_CASE("cli: exec prints the result and maps error classes to exit codes", "[cli]") {
    Setup s;
    auto r = s.relais({"exec", "diagnostics", "info", "--config", s.config});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains(R"("greeting":"bonjour")"));

    r = s.relais({"exec", "diagnostics", "echo", "--input", R"({"a":1})"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "{\"a\":1}\n");

    const std::vector<std::pair<std::string, int>> classes = {
        {"invalid_config", 3}, {"invalid_input", 4}, {"unauthorized", 5}, {"forbidden", 6}, {"not_found", 7},
        {"rate_limited", 8},   {"transient", 9},     {"permanent", 10},   {"internal", 11}};
    for (const auto &[name, code] : classes) {
        INFO(name);
        r = s.relais({"exec", "diagnostics", "fail", "--input", R"({"class":")" + name + "\"}"});
        CHECK(r.exit_code == code);
        CHECK_THAT(r.err, Catch::Contains("error (" + name + "): failure requested: " + name));
    }
}

TEST_CASE("cli: exec validates input against the action's schema before calling", "[cli]") {
    Setup s;
    auto r = s.relais({"exec", "diagnostics", "sleep", "--input", R"({"ms":"long"})"});
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains("/ms"));
    r = s.relais({"exec", "diagnostics", "echo", "--input", "{not json"});
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains("not valid JSON"));
    r = s.relais({"exec", "diagnostics", "nothing"});
    CHECK(r.exit_code == 12);
    CHECK_THAT(r.err, Catch::Contains("has no action 'nothing'") && Catch::Contains("echo"));
    r = s.relais({"exec", "diagnostics", "echo", "--input", "@" + (s.dir / "missing.json").string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("cannot read input file"));
}

TEST_CASE("cli: test reports the verdict, invalid settings name the key", "[cli]") {
    Setup s;
    auto r = s.relais({"test", "diagnostics", "--config", s.config});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("ok    configuration") && Catch::Contains("connection test passed"));

    std::ofstream(s.config, std::ios::trunc) << R"({"connectors": {"diagnostics": {"max_sleep_ms": "x"}}})";
    r = s.relais({"test", "diagnostics", "--config", s.config});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("connector diagnostics has invalid settings") && Catch::Contains("max_sleep_ms"));

    std::ofstream(s.config, std::ios::trunc) << R"({"connectors": {"chorus": {"enabled": true}}})";
    r = s.relais({"test", "chorus", "--config", s.config});
    CHECK(r.exit_code == 3);  // enabled, but its credentials are missing
    CHECK_THAT(r.err, Catch::Contains("client_id"));
}

TEST_CASE("cli: bad arguments print usage and exit 2", "[cli]") {
    Setup s;
    for (const auto &args : std::vector<std::vector<std::string>>{
             {}, {"frobnicate"}, {"plugins"}, {"plugins", "list", "--bogus"}, {"exec", "diagnostics"}, {"test"}}) {
        const auto r = s.relais(args);
        INFO(args.size());
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.out + r.err, Catch::Contains("usage"));
    }
    const auto r = s.relais({"exec", "--help"});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("--input"));
}
