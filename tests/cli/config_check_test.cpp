// relais config check FILE: the host section, each connector's section against its plugin,
// exit codes, and secrets kept out of the output.
#include "plugin_files.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace relais;
using test::run_process;

namespace {

// A plugin directory with diagnostics and chorus, and a configuration file to write.
struct Check {
    test::TempDir dir{"relais-config-check"};
    std::string plugins = (dir / "plugins").string();
    std::string config = (dir / "relais.json").string();

    Check() {
        test::copy_plugin(test::built_plugin_dir(), "diagnostics", plugins);
        test::copy_plugin(test::built_plugin_dir(), "chorus", plugins);
    }

    void write(const std::string &text) const { std::ofstream(config, std::ios::trunc) << text; }

    // relais --plugin-dir <plugins> config check <config>, with extra environment variables
    // (through env(1): the test's own environment is left alone).
    test::ProcessResult check(const std::vector<std::string> &environment = {},
                              const std::string &plugin_dir = "") const {
        std::vector<std::string> args = environment;
        args.insert(args.end(), {test::relais_binary().string(), "--plugin-dir",
                                 plugin_dir.empty() ? plugins : plugin_dir, "config", "check", config});
        return run_process("/usr/bin/env", args);
    }
};

}  // namespace

TEST_CASE("config check: a valid file says configuration OK with a summary", "[cli][config]") {
    Check c;
    std::ofstream(c.dir / "erp.token") << "erp-token-from-a-file\n";
    c.write(R"({
  "host": {"listen": {"port": 9000}, "data_dir": "data",
           "tokens": [{"name": "erp", "token": "${file:erp.token}", "scopes": ["client"]}]},
  "connectors": {"diagnostics": {"greeting": "bonjour", "secret_token": "${env:DIAG_SECRET}"},
                 "chorus": {"enabled": false}}
})");
    const auto r = c.check({"DIAG_SECRET=diag-secret-value"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::StartsWith("configuration OK: " + c.config +
                                        ": listens on 127.0.0.1:9000 (plain HTTP), "
                                        "1 API token, 2 connectors (chorus, diagnostics), plugins in " +
                                        c.plugins));
    for (const auto *secret : {"erp-token-from-a-file", "diag-secret-value"}) {
        CHECK_THAT(r.out, !Catch::Contains(secret));
        CHECK_THAT(r.err, !Catch::Contains(secret));
    }
    CHECK_FALSE(std::filesystem::exists(c.dir / "data"));  // checking creates nothing
}

TEST_CASE("config check: an invalid connector section names the connector and the key", "[cli][config]") {
    Check c;
    c.write(R"({"connectors": {"diagnostics": {"max_sleep_ms": "x", "secret_token": 42, "colour": "red"},
                               "chorus": {"enabled": true}}})");
    auto r = c.check();
    CHECK(r.exit_code == 3);
    CHECK_THAT(
        r.err,
        Catch::Contains(c.config + ": connectors.diagnostics: key max_sleep_ms: expected integer, found string \"x\""));
    CHECK_THAT(r.err,
               Catch::Contains(c.config +
                               ": connectors.diagnostics: key secret_token: expected string, found (secret, number)"));
    CHECK_THAT(r.err,
               Catch::Contains(c.config + ": connectors.diagnostics: key colour: expected no property 'colour'"));
    // What the schema cannot say, the plugin's configure() does.
    CHECK_THAT(r.err,
               Catch::Contains(c.config + ": connectors.chorus: refused by the plugin (invalid_config): client_id"));
    CHECK_THAT(r.err, Catch::EndsWith("configuration INVALID: 4 problems\n"));
    CHECK_THAT(r.out, !Catch::Contains("configuration OK"));

    // A referenced value that a plugin's schema rejects is never printed, even for a key the
    // plugin does not declare secret.
    c.write(R"({"connectors": {"diagnostics": {"max_sleep_ms": "${env:SLEEP}"}}})");
    r = c.check({"SLEEP=sleep-secret-value"});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err,
               Catch::Contains("connectors.diagnostics: key max_sleep_ms: expected integer, found string \"[redacted]\""));
    CHECK_THAT(r.out + r.err, !Catch::Contains("sleep-secret-value"));
}

TEST_CASE("config check: a section for which no plugin exists", "[cli][config]") {
    Check c;
    c.write(R"({"connectors": {"diagnostics": {}, "nobody": {"x": 1}}})");
    auto r = c.check();
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains(c.config + ": connectors.nobody: no plugin named nobody in " + c.plugins));
    CHECK_THAT(r.err, Catch::Contains("configuration INVALID: 1 problem\n"));

    // A library of that name that was refused says why.
    std::ofstream(c.dir / "plugins" / "nobody.so") << "junk";
    r = c.check();
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("connectors.nobody: no plugin named nobody in " + c.plugins +
                                      " (nobody.so: no manifest nobody.manifest.json"));
}

TEST_CASE("config check: the file's plugin_dir wins over --plugin-dir", "[cli][config]") {
    Check c;
    test::TempDir empty;
    c.write(R"({"connectors": {"diagnostics": {}}})");
    auto r = c.check({}, empty.path().string());
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err,
               Catch::Contains("connectors.diagnostics: no plugin named diagnostics in " + empty.path().string()));

    c.write(R"({"host": {"plugin_dir": "plugins"}, "connectors": {"diagnostics": {}}})");
    r = c.check({}, empty.path().string());
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("configuration OK") && Catch::Contains("plugins in " + c.plugins));
}

TEST_CASE("config check: host section problems, unreadable files and bad arguments", "[cli][config]") {
    Check c;
    c.write(R"({"host": {"listen": {"port": 70000}, "tokens": [{"name": "erp", "token": "${env:ERP_TOKEN}",
               "scopes": ["client"]}]}, "connectors": {"diagnostics": {"max_sleep_ms": "x"}}})");
    auto r = c.check({"ERP_TOKEN=short-secret"});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains(c.config + ": host.listen.port: expected integer <= 65535, found 70000\n"));
    CHECK_THAT(r.err, Catch::Contains(c.config + ": host.tokens[0].token: expected string of at least 16 characters, "
                                                 "found a string from ${env:ERP_TOKEN} (value hidden)\n"));
    CHECK_THAT(r.err, Catch::Contains("configuration INVALID: 2 problems"));
    CHECK_THAT(r.out + r.err, !Catch::Contains("short-secret"));

    c.write("{\"host\": {\n  \"listen\": {\"port\": 80,}}}");
    r = c.check();
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains(c.config + ": line 2, column 25: host.listen: invalid JSON"));

    c.write(R"({"connectors": {"diagnostics": {"secret_token": "${env:NOT_SET}"}}})");
    r = c.check();
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("connectors.diagnostics.secret_token: ${env:NOT_SET}: expected environment "
                                      "variable NOT_SET to be set, found it unset"));

    std::filesystem::remove(c.config);
    r = c.check();
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains(c.config + ": cannot read the configuration file: No such file or directory"));

    const auto relais = [&c](std::vector<std::string> args) {
        args.insert(args.begin(), {"--plugin-dir", c.plugins});
        return run_process(test::relais_binary().string(), args);
    };
    for (const auto &args : std::vector<std::vector<std::string>>{
             {"config"}, {"config", "verify", c.config}, {"config", "check"}, {"config", "check", "a", "b"}}) {
        INFO(args.size());
        r = relais(args);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("usage: relais config check FILE"));
    }
    r = relais({"config", "check", "--help"});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("usage: relais config check FILE"));
    r = relais({"--help"});
    CHECK_THAT(r.out, Catch::Contains("config check FILE"));
}
