// The host configuration file: defaults, every host key's checks, environment overrides,
// secret references, and secrets kept out of every error message.
#include "config/host_config.hpp"

#include "temp_dir.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Stringifier.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace relais;
using host::ConfigError;
using host::Environment;
using host::LoadedConfig;
namespace fs = std::filesystem;

namespace {

using Lines = std::vector<std::string>;

// A configuration file in a directory of the test's own, loaded with an environment of the
// test's own.
struct Config {
    test::TempDir dir{"relais-config"};
    fs::path file = dir / "relais.json";
    Environment env;

    void write(const std::string &text) const { std::ofstream(file, std::ios::trunc) << text; }
    void write_file(const std::string &name, const std::string &text) const { std::ofstream(dir / name) << text; }

    LoadedConfig load(const std::string &text) const {
        write(text);
        return host::load_config(file, env);
    }

    // The problems of `text`, without the "<file>: " every one of them starts with.
    Lines problems(const std::string &text) const {
        write(text);
        try {
            host::load_config(file, env);
        } catch (const ConfigError &e) {
            Lines lines;
            const std::string prefix = file.string() + ": ";
            for (const auto &line : e.problems()) {
                INFO(line);
                CHECK(line.compare(0, prefix.size(), prefix) == 0);
                lines.push_back(line.substr(prefix.size()));
            }
            return lines;
        }
        return {};
    }

    // The one problem of a file whose host section is `host`.
    std::string host_problem(const std::string &host) const {
        const Lines lines = problems(R"({"host": )" + host + "}");
        INFO(host);
        REQUIRE(lines.size() == 1);
        return lines.front();
    }
};

std::string text_of(const Poco::Dynamic::Var &value) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

std::string quoted(const fs::path &path) { return "\"" + path.string() + "\""; }

}  // namespace

TEST_CASE("host config: an empty file gives the defaults", "[host_config]") {
    Config c;
    const LoadedConfig loaded = c.load("{}");
    const host::HostConfig &h = loaded.host;
    CHECK(loaded.file == c.file);
    CHECK(h.listen.address == "127.0.0.1");
    CHECK(h.listen.port == 8080);
    CHECK_FALSE(h.tls);
    CHECK(h.data_dir == c.dir.path() / "data");  // beside the file, not in the working directory
    CHECK(h.plugin_dir.empty());
    CHECK(h.log.format == host::LogFormat::text);
    CHECK(h.log.level == "information");
    CHECK(h.log.levels.empty());
    CHECK_FALSE(h.api.max_body_bytes);  // the host sizes it from its connectors
    CHECK(h.api.request_timeout_seconds == 30);
    CHECK(h.api.max_threads == 16);
    CHECK(h.api.max_queued == 64);
    CHECK(h.api.shutdown_grace_seconds == 20);
    CHECK(h.tokens.empty());
    CHECK(loaded.connectors.empty());
    CHECK(loaded.secret_values.empty());

    const LoadedConfig none = host::default_config({});
    CHECK(none.file.empty());
    CHECK(none.host.data_dir == fs::current_path() / "data");
    CHECK(none.host.listen.port == 8080);
    CHECK(none.connectors.empty());
}

TEST_CASE("host config: every host key is read, relative paths beside the file", "[host_config]") {
    Config c;
    c.write_file("cert.pem", "certificate");
    c.write_file("key.pem", "key");
    c.write_file("admin.token", "admin-token-0123456789\n");
    fs::create_directory(c.dir / "plugins");
    c.env = {{"RELAIS_ERP_TOKEN", "erp-token-0123456789"}, {"CHORUS_SECRET", "chorus-secret"}};
    const LoadedConfig loaded = c.load(R"({
  "host": {
    "listen": {"address": "0.0.0.0", "port": 9443},
    "tls": {"certificate": "cert.pem", "private_key": ")" +
                                       (c.dir / "key.pem").string() + R"("},
    "data_dir": "state/relais",
    "plugin_dir": "plugins",
    "log": {"format": "json", "level": "warning", "levels": {"relais.plugin.chorus": "debug", "relais.http": "none"}},
    "api": {"max_body_bytes": 1024, "request_timeout_seconds": 5, "max_threads": 2, "max_queued": 3,
            "shutdown_grace_seconds": 0},
    "tokens": [{"name": "erp", "token": "${env:RELAIS_ERP_TOKEN}", "scopes": ["client"]},
               {"name": "admin", "token": "${file:admin.token}", "scopes": ["admin", "client"]}]
  },
  "connectors": {"chorus": {"enabled": true, "client_secret": "${env:CHORUS_SECRET}", "retry_attempts": 2},
                 "diagnostics": {}}
})");
    const host::HostConfig &h = loaded.host;
    CHECK(h.listen.address == "0.0.0.0");
    CHECK(h.listen.port == 9443);
    REQUIRE(h.tls);
    CHECK(h.tls->certificate == c.dir.path() / "cert.pem");
    CHECK(h.tls->private_key == c.dir.path() / "key.pem");
    CHECK(h.data_dir == c.dir.path() / "state" / "relais");
    CHECK(h.plugin_dir == c.dir.path() / "plugins");
    CHECK(h.log.format == host::LogFormat::json);
    CHECK(h.log.level == "warning");
    CHECK(h.log.levels ==
          std::map<std::string, std::string>{{"relais.plugin.chorus", "debug"}, {"relais.http", "none"}});
    CHECK(h.api.max_body_bytes == 1024);
    CHECK(h.api.request_timeout_seconds == 5);
    CHECK(h.api.max_threads == 2);
    CHECK(h.api.max_queued == 3);
    CHECK(h.api.shutdown_grace_seconds == 0);
    REQUIRE(h.tokens.size() == 2);
    CHECK(h.tokens[0].name == "erp");
    CHECK(h.tokens[0].token == "erp-token-0123456789");
    CHECK(h.tokens[0].scopes == std::set<std::string>{"client"});
    CHECK_FALSE(h.tokens[0].has_scope("admin"));
    CHECK(h.tokens[1].token == "admin-token-0123456789");  // the file's line break removed
    CHECK(h.tokens[1].has_scope("admin"));

    REQUIRE(loaded.connectors.size() == 2);
    CHECK(text_of(loaded.connectors.at("chorus")) ==
          R"({"enabled":true,"client_secret":"chorus-secret","retry_attempts":2})");  // the file's key order
    CHECK(text_of(loaded.connectors.at("diagnostics")) == "{}");
    CHECK(loaded.secret_values == Lines{"erp-token-0123456789", "admin-token-0123456789", "chorus-secret"});
}

TEST_CASE("host config: every host key's checks", "[host_config]") {
    Config c;
    c.write_file("a-file", "x");
    fs::create_directory(c.dir / "a-dir");
    const auto in_dir = [&](const std::string &name) { return (c.dir / name).string(); };

    // listen
    CHECK(c.host_problem(R"({"listen": {"port": 70000}})") ==
          "host.listen.port: expected integer <= 65535, found 70000");
    CHECK(c.host_problem(R"({"listen": {"port": -1}})") == "host.listen.port: expected integer >= 0, found -1");
    CHECK(c.host_problem(R"({"listen": {"port": "80"}})") == "host.listen.port: expected integer, found string \"80\"");
    CHECK(c.host_problem(R"({"listen": {"port": 80.5}})") == "host.listen.port: expected integer, found 80.5");
    CHECK(c.host_problem(R"({"listen": {"address": ""}})") ==
          "host.listen.address: expected string of at least 1 character, found string \"\" (0 characters)");
    CHECK(c.host_problem(R"({"listen": {"address": "local host"}})") ==
          "host.listen.address: expected an IP address or a host name, found string \"local host\"");
    CHECK(c.host_problem(R"({"listen": 8080})") == "host.listen: expected object, found 8080");
    CHECK(c.problems(R"({"host": {"listen": {"address": "::1", "port": 0}}})").empty());
    CHECK(c.problems(R"({"host": {"listen": {"address": "relais.example.org"}}})").empty());

    // tls
    CHECK(c.host_problem(R"({"tls": {"certificate": "a-file"}})") ==
          "host.tls.private_key: expected required property, found missing");
    CHECK(c.problems(R"({"host": {"tls": {}}})") ==
          Lines{"host.tls.certificate: expected required property, found missing",
                "host.tls.private_key: expected required property, found missing"});
    CHECK(c.host_problem(R"({"tls": {"certificate": "a-file", "private_key": "missing.pem"}})") ==
          "host.tls.private_key: expected a readable file, found " + quoted(c.dir / "missing.pem") +
              " (No such file or directory)");
    CHECK(c.host_problem(R"({"tls": {"certificate": "a-dir", "private_key": "a-file"}})") ==
          "host.tls.certificate: expected a readable file, found " + quoted(c.dir / "a-dir") + " (not a regular file)");
    CHECK(c.host_problem(R"({"tls": {"certificate": "", "private_key": "a-file"}})") ==
          "host.tls.certificate: expected string of at least 1 character, found string \"\" (0 characters)");
    CHECK(c.problems(R"({"host": {"tls": {"certificate": "a-file", "private_key": "a-file"}}})").empty());

    // data_dir: may not exist yet, but must be creatable; nothing is created by loading
    CHECK(c.problems(R"({"host": {"data_dir": "not/yet/there"}})").empty());
    CHECK_FALSE(fs::exists(c.dir / "not"));
    CHECK(c.host_problem(R"({"data_dir": "a-file"})") ==
          "host.data_dir: expected a directory that exists or can be "
          "created, found " +
              quoted(c.dir / "a-file") + " (it is not a directory)");
    CHECK(c.host_problem(R"({"data_dir": "a-file/data"})") ==
          "host.data_dir: expected a directory that exists or can be created, found " +
              quoted(c.dir / "a-file" / "data") + " (" + in_dir("a-file") + " is not a directory)");
    CHECK(c.host_problem(R"({"data_dir": ""})") ==
          "host.data_dir: expected string of at least 1 character, found string \"\" (0 characters)");
    CHECK(c.host_problem(R"({"data_dir": 5})") == "host.data_dir: expected string, found 5");

    // plugin_dir: empty means the default
    CHECK(c.host_problem(R"({"plugin_dir": "nowhere"})") ==
          "host.plugin_dir: expected an existing directory, found " + quoted(c.dir / "nowhere"));
    CHECK(c.host_problem(R"({"plugin_dir": "a-file"})") ==
          "host.plugin_dir: expected an existing directory, found " + quoted(c.dir / "a-file"));
    CHECK(c.load(R"({"host": {"plugin_dir": ""}})").host.plugin_dir.empty());

    // log
    CHECK(c.host_problem(R"({"log": {"format": "xml"}})") ==
          "host.log.format: expected one of \"text\", \"json\", found string \"xml\"");
    CHECK(c.host_problem(R"({"log": {"level": "verbose"}})") ==
          "host.log.level: expected one of \"none\", \"fatal\", \"critical\", \"error\", \"warning\", \"notice\", "
          "\"information\", \"debug\", \"trace\", found string \"verbose\"");
    CHECK_THAT(c.host_problem(R"({"log": {"levels": {"relais.http": "loud"}}})"),
               Catch::StartsWith("host.log.levels[\"relais.http\"]: expected one of \"none\"") &&
                   Catch::EndsWith("found string \"loud\""));
    CHECK(c.host_problem(R"({"log": {"levels": []}})") == "host.log.levels: expected object, found array of 0 items");

    // api
    CHECK(c.host_problem(R"({"api": {"max_body_bytes": 0}})") ==
          "host.api.max_body_bytes: expected integer >= 1, found 0");
    CHECK(c.host_problem(R"({"api": {"max_body_bytes": 2147483648}})") ==
          "host.api.max_body_bytes: expected integer <= 1073741824, found 2147483648");
    CHECK(c.host_problem(R"({"api": {"request_timeout_seconds": 0}})") ==
          "host.api.request_timeout_seconds: expected integer >= 1, found 0");
    CHECK(c.host_problem(R"({"api": {"request_timeout_seconds": 1.5}})") ==
          "host.api.request_timeout_seconds: expected integer, found 1.5");
    CHECK(c.host_problem(R"({"api": {"max_threads": 5000}})") ==
          "host.api.max_threads: expected integer <= 1024, found 5000");
    CHECK(c.host_problem(R"({"api": {"max_queued": 0}})") == "host.api.max_queued: expected integer >= 1, found 0");
    CHECK(c.host_problem(R"({"api": {"shutdown_grace_seconds": -1}})") ==
          "host.api.shutdown_grace_seconds: expected integer >= 0, found -1");
    CHECK(c.host_problem(R"({"api": {"shutdown_grace_seconds": 3601}})") ==
          "host.api.shutdown_grace_seconds: expected integer <= 3600, found 3601");

    // tokens (their own test below) and the section itself
    CHECK(c.host_problem(R"({"tokens": {}})") == "host.tokens: expected array, found object");
    CHECK(c.problems(R"({"host": []})") == Lines{"host: expected object, found array of 0 items"});
}

TEST_CASE("host config: every problem is reported, each with file and key path", "[host_config]") {
    Config c;
    c.write(R"({"host": {"listen": {"port": 70000}, "api": {"max_threads": 0}, "log": {"level": "loud"}}})");
    try {
        host::load_config(c.file, c.env);
        FAIL("no error");
    } catch (const ConfigError &e) {
        CHECK_FALSE(e.file_unreadable());
        REQUIRE(e.problems().size() == 3);
        CHECK(e.problems()[0] == c.file.string() + ": host.listen.port: expected integer <= 65535, found 70000");
        CHECK_THAT(e.problems()[1],
                   Catch::StartsWith(c.file.string() + ": host.api.max_threads: expected integer >= 1"));
        CHECK_THAT(e.problems()[2], Catch::StartsWith(c.file.string() + ": host.log.level: expected one of"));
        CHECK(std::string(e.what()) == e.problems()[0] + "\n" + e.problems()[1] + "\n" + e.problems()[2]);
    }
}

TEST_CASE("host config: unknown keys are errors", "[host_config]") {
    Config c;
    CHECK(c.problems(R"({"hosts": {}})") ==
          Lines{"hosts: expected no property 'hosts' (allowed: host, connectors), found object"});
    CHECK(c.host_problem(R"({"listen": {"bind": "0.0.0.0"}})") ==
          "host.listen.bind: expected no property 'bind' (allowed: address, port), found string");
    CHECK_THAT(c.host_problem(R"({"threads": 4})"),
               Catch::StartsWith("host.threads: expected no property 'threads' (allowed: listen, tls, data_dir, "
                                 "plugin_dir, log, api, jobs, events, tokens)"));
    CHECK_THAT(c.host_problem(R"({"api": {"max_thread": 4}})"),
               Catch::StartsWith("host.api.max_thread: expected no property"));
    CHECK_THAT(c.host_problem(R"({"log": {"file": "x"}})"), Catch::StartsWith("host.log.file: expected no property"));
    CHECK_THAT(c.problems(R"({"host": {"tls": {"certificate": "x", "private_key": "y", "ca": "z"}}})").at(0),
               Catch::StartsWith("host.tls.ca: expected no property 'ca' (allowed: certificate, private_key)"));
    CHECK_THAT(c.host_problem(
                   R"({"tokens": [{"name": "erp", "token": "0123456789abcdef", "scopes": ["client"], "role": "x"}]})"),
               Catch::StartsWith("host.tokens[0].role: expected no property 'role'"));

    // Connector sections: any key (their plugin checks them), but each must be an object with a
    // plugin's name.
    CHECK(c.problems(R"({"connectors": {"chorus": {"anything": [1, {"goes": true}]}}})").empty());
    CHECK(c.problems(R"({"connectors": {"chorus": true}})") == Lines{"connectors.chorus: expected object, found true"});
    CHECK(c.problems(R"({"connectors": []})") == Lines{"connectors: expected object, found array of 0 items"});
    CHECK(c.problems(R"({"connectors": {"Chorus": {}}})") ==
          Lines{"connectors.Chorus: expected a connector name: a lower-case letter, then up to 31 lower-case "
                "letters, digits or _, found \"Chorus\""});
}

TEST_CASE("host config: JSON syntax errors give line and column, repeated keys are errors", "[host_config]") {
    Config c;
    CHECK(c.problems("{\n  \"host\": {\n    \"listen\": {\"port\": 80,}\n  }\n}") ==
          Lines{"line 3, column 27: host.listen: invalid JSON: expected a key in double quotes, found '}'"});
    CHECK(c.problems("{\"host\": {\"data_dir\": \"a\" \"plugin_dir\": \"b\"}}") ==
          Lines{"line 1, column 27: host: invalid JSON: expected ',' or '}' after a member, found '\"'"});
    CHECK(c.problems("{\"connectors\": {\"é\": [1, 2 x]}}") ==
          Lines{"line 1, column 28: connectors[\"é\"]: invalid JSON: expected ',' or ']' after an item, found 'x'"});
    CHECK(c.problems("{\"host\": {\"data_dir\": \"a\tb\"}}") ==
          Lines{"line 1, column 25: host.data_dir: invalid JSON: expected no control character in a string (write \\n, "
                "\\t...), found byte 0x09"});
    CHECK(c.problems("") == Lines{"line 1, column 1: invalid JSON: expected a value, found the end of the text"});
    CHECK(c.problems("{\"host\": {}} {}") ==
          Lines{"line 1, column 14: invalid JSON: expected the end of the document, found '{'"});
    CHECK(c.problems("{\"host\": tru}") == Lines{"line 1, column 13: host: invalid JSON: expected true, found '}'"});
    CHECK(c.problems("[1, 2]") ==
          Lines{"(root): expected an object {\"host\": ..., \"connectors\": ...}, found an array"});

    // Poco keeps the last of two equal keys without a word: a mistake to report, not to guess about.
    CHECK(c.problems("{\"host\": {\"listen\": {\"port\": 1,\n \"port\": 2}}}") ==
          Lines{"line 2, column 2: host.listen.port: expected each key once in an object, found this one again"});
    CHECK(c.problems(R"({"connectors": {"chorus": {}, "chorus": {}}})").size() == 1);
}

TEST_CASE("host config: a file that cannot be read is told apart from a wrong one", "[host_config]") {
    Config c;
    for (const fs::path &file : {c.dir / "missing.json", c.dir.path()}) {
        INFO(file);
        try {
            host::load_config(file, {});
            FAIL("no error");
        } catch (const ConfigError &e) {
            CHECK(e.file_unreadable());
            REQUIRE(e.problems().size() == 1);
            CHECK_THAT(e.problems()[0], Catch::StartsWith(file.string() + ": cannot read the configuration file: "));
        }
    }
    c.write("{");
    try {
        host::load_config(c.file, {});
        FAIL("no error");
    } catch (const ConfigError &e) {
        CHECK_FALSE(e.file_unreadable());
    }
}

TEST_CASE("host config: secret references from the environment and from files", "[host_config]") {
    Config c;
    fs::create_directory(c.dir / "secrets");
    c.write_file("secrets/chorus", "file-secret\r\n\n");
    c.write_file("secrets/empty", "");
    c.env = {{"CHORUS_ID", "the-client-id"}, {"EMPTY", ""}, {"ESCAPED", "$${kept}"}};
    const LoadedConfig loaded = c.load(R"({"connectors": {"chorus": {
        "client_id": "${env:CHORUS_ID}",
        "client_secret": "${file:secrets/chorus}",
        "technical_password": "${file:)" +
                                       (c.dir / "secrets" / "chorus").string() + R"(}",
        "codes": ["${env:CHORUS_ID}", "plain", 3],
        "nested": {"deeper": "${env:CHORUS_ID}"},
        "${env:CHORUS_ID}": "keys are never references",
        "empty_env": "${env:EMPTY}",
        "empty_file": "${file:secrets/empty}",
        "escaped_value": "${env:ESCAPED}"}}})");
    CHECK(text_of(loaded.connectors.at("chorus")) ==
          R"({"client_id":"the-client-id","client_secret":"file-secret","technical_password":"file-secret",)"
          R"("codes":["the-client-id","plain",3],"nested":{"deeper":"the-client-id"},)"
          R"("${env:CHORUS_ID}":"keys are never references","empty_env":"","empty_file":"",)"
          R"("escaped_value":"$${kept}"})");  // a referenced value is used as it is
    // Each value once, empty ones left out (there is nothing to hide).
    CHECK(loaded.secret_values == Lines{"the-client-id", "file-secret", "$${kept}"});
}

TEST_CASE("host config: a systemd credential is the file of that name in $CREDENTIALS_DIRECTORY", "[host_config]") {
    Config c;
    fs::create_directory(c.dir / "credentials");
    c.write_file("credentials/admin-token", "credential-admin-token\n");
    c.env = {{"CREDENTIALS_DIRECTORY", (c.dir / "credentials").string()}};
    const LoadedConfig loaded = c.load(R"({"host": {"tokens": [
        {"name": "admin", "token": "${credential:admin-token}", "scopes": ["admin"]}]},
        "connectors": {"chorus": {"client_secret": "${credential:admin-token}"}}})");
    CHECK(text_of(loaded.connectors.at("chorus")) == R"({"client_secret":"credential-admin-token"})");
    CHECK(loaded.secret_values == Lines{"credential-admin-token"});

    CHECK(c.problems(R"({"connectors": {"chorus": {"client_secret": "${credential:missing}"}}})") ==
          Lines{"connectors.chorus.client_secret: ${credential:missing}: expected a readable file, found " +
                (c.dir / "credentials" / "missing").string() + ": No such file or directory"});
    // A name is a file name, never a path out of the directory.
    CHECK(c.problems(R"({"connectors": {"chorus": {"client_secret": "${credential:../relais.json}"}}})").size() == 1);
    c.env = {};
    CHECK(c.problems(R"({"connectors": {"chorus": {"client_secret": "${credential:admin-token}"}}})") ==
          Lines{"connectors.chorus.client_secret: ${credential:admin-token}: expected CREDENTIALS_DIRECTORY to be "
                "set (systemd sets it for a unit with LoadCredential=), found it unset"});
}

TEST_CASE("host config: a missing variable or unreadable file names the key and the reference", "[host_config]") {
    Config c;
    c.env = {{"SET", "value-of-set"}};
    fs::create_directory(c.dir / "a-dir");
    CHECK(c.problems(R"({"connectors": {"chorus": {"client_secret": "${env:CHORUS_SECRET}", "x": "${env:SET}",
                                                    "list": ["${file:nowhere/secret}", "${file:a-dir}"]}}})") ==
          Lines{"connectors.chorus.client_secret: ${env:CHORUS_SECRET}: expected environment variable CHORUS_SECRET "
                "to be set, found it unset",
                "connectors.chorus.list[0]: ${file:nowhere/secret}: expected a readable file, found " +
                    (c.dir / "nowhere/secret").string() + ": No such file or directory",
                "connectors.chorus.list[1]: ${file:a-dir}: expected a readable file, found " +
                    (c.dir / "a-dir").string() + ": not a regular file"});
    CHECK(c.problems(R"({"host": {"tokens": [{"name": "erp", "token": "${env:ERP_TOKEN}", "scopes": ["client"]}]}})") ==
          Lines{"host.tokens[0].token: ${env:ERP_TOKEN}: expected environment variable ERP_TOKEN to be set, found it "
                "unset"});
    // Reported once: the reference text is not checked as if it were the value (too short,
    // the same as another token's, not a readable file...).
    CHECK(c.problems(R"({"host": {"tls": {"certificate": "${env:CERT}", "private_key": "${env:CERT}"},
                                  "tokens": [{"name": "a", "token": "${env:T}", "scopes": ["client"]},
                                             {"name": "b", "token": "${env:T}", "scopes": ["client"]},
                                             {"name": "c", "token": "Bearer ${env:T}", "scopes": ["client"]}]}})") ==
          Lines{"host.tls.certificate: ${env:CERT}: expected environment variable CERT to be set, found it unset",
                "host.tls.private_key: ${env:CERT}: expected environment variable CERT to be set, found it unset",
                "host.tokens[0].token: ${env:T}: expected environment variable T to be set, found it unset",
                "host.tokens[1].token: ${env:T}: expected environment variable T to be set, found it unset",
                "host.tokens[2].token: expected a whole value ${env:NAME}, ${file:PATH} or ${credential:NAME}, or $${ for a literal ${, "
                "found a string with another use of ${ (value hidden)"});
}

TEST_CASE("host config: $${ escapes a literal ${, any other ${ is refused", "[host_config]") {
    Config c;
    c.env = {{"X", "value-of-x"}};
    const LoadedConfig loaded = c.load(R"({"connectors": {"diagnostics": {
        "a": "$${env:X}", "b": "pre$${fix}post", "c": "$$${env:X}", "d": "cost: $5 or $$5", "e": "${env:X}"}}})");
    CHECK(text_of(loaded.connectors.at("diagnostics")) ==
          R"({"a":"${env:X}","b":"pre${fix}post","c":"$${env:X}","d":"cost: $5 or $$5","e":"value-of-x"})");
    CHECK(loaded.secret_values == Lines{"value-of-x"});

    const std::string refused =
        "expected a whole value ${env:NAME}, ${file:PATH} or ${credential:NAME}, or $${ for a literal ${, "
        "found a string with another use of ${ (value hidden)";
    CHECK(c.problems(R"({"connectors": {"d": {"header": "Bearer ${env:X}", "bad_name": "${env:1X}",
                                              "empty": "${env:}", "unknown": "${vault:x}", "open": "${env:X"}}})") ==
          Lines{"connectors.d.header: " + refused, "connectors.d.bad_name: " + refused,
                "connectors.d.empty: " + refused, "connectors.d.unknown: " + refused, "connectors.d.open: " + refused});
}

TEST_CASE("host config: environment overrides, typed, creating objects", "[host_config]") {
    Config c;
    c.write_file("relais.json", "");
    c.env = {{"RELAIS__HOST__LISTEN__PORT", "9000"},
             {"RELAIS__CONNECTORS__CHORUS__CLIENT_ID", "abc"},
             {"RELAIS__CONNECTORS__T__INTEGER", "42"},
             {"RELAIS__CONNECTORS__T__NUMBER", " 2.5 "},
             {"RELAIS__CONNECTORS__T__YES", "true"},
             {"RELAIS__CONNECTORS__T__NO", "false"},
             {"RELAIS__CONNECTORS__T__NOTHING", "null"},
             {"RELAIS__CONNECTORS__T__QUOTED", "\"12345\""},
             {"RELAIS__CONNECTORS__T__ARRAY", "[1, \"two\"]"},
             {"RELAIS__CONNECTORS__T__OBJECT", "{\"a\": {\"b\": 1}}"},
             {"RELAIS__CONNECTORS__T__WORD", "hello world"},
             {"RELAIS__CONNECTORS__T__TWO_VALUES", "1,2"},
             {"RELAIS__CONNECTORS__T__EMPTY", ""},
             {"RELAIS__CONNECTORS__T__BROKEN", "{\"a\":"},
             {"RELAIS_PLUGIN_DIR", "/not/an/override"},
             {"RELAIS_HOST__LISTEN__PORT", "1"}};
    LoadedConfig loaded = c.load(R"({"host": {"listen": {"address": "0.0.0.0", "port": 80}},
                                    "connectors": {"chorus": {"enabled": true, "client_id": "from-file"}}})");
    CHECK(loaded.host.listen.port == 9000);          // the variable wins over the file
    CHECK(loaded.host.listen.address == "0.0.0.0");  // and leaves the rest alone
    CHECK(text_of(loaded.connectors.at("chorus")) == R"({"enabled":true,"client_id":"abc"})");
    // The "t" section did not exist: created, in variable-name order.
    CHECK(
        text_of(loaded.connectors.at("t")) ==
        R"({"array":[1,"two"],"broken":"{\"a\":","empty":"","integer":42,"no":false,"nothing":null,)"
        R"("number":2.5,"object":{"a":{"b":1}},"quoted":"12345","two_values":"1,2","word":"hello world","yes":true})");

    // Without a file at all, and more specific variables winning over broader ones.
    c.env = {{"RELAIS__HOST__LISTEN", R"({"address": "::1", "port": 1})"},
             {"RELAIS__HOST__LISTEN__PORT", "2"},
             {"RELAIS__HOST__TOKENS", R"([{"name": "erp", "token": "0123456789abcdef", "scopes": ["client"]}])"}};
    loaded = host::default_config(c.env);
    CHECK(loaded.host.listen.address == "::1");
    CHECK(loaded.host.listen.port == 2);
    REQUIRE(loaded.host.tokens.size() == 1);
    CHECK(loaded.secret_values == Lines{"0123456789abcdef"});

    // Applied before references are resolved: an override may itself be a reference.
    c.env = {{"RELAIS__CONNECTORS__CHORUS__CLIENT_SECRET", "${env:CHORUS_SECRET}"}, {"CHORUS_SECRET", "s3cret-value"}};
    loaded = c.load("{}");
    CHECK(text_of(loaded.connectors.at("chorus")) == R"({"client_secret":"s3cret-value"})");
}

TEST_CASE("host config: wrong overrides name their variable", "[host_config]") {
    Config c;
    c.env = {{"RELAIS__HOST__LISTEN__PORT", "70000"}};
    CHECK(c.problems("{}") ==
          Lines{"host.listen.port: expected integer <= 65535, found 70000 (set by RELAIS__HOST__LISTEN__PORT)"});
    c.env = {{"RELAIS__HOST__LISTEN__PORT", "\"9000\""}};
    CHECK(c.problems("{}") ==
          Lines{"host.listen.port: expected integer, found string \"9000\" (set by RELAIS__HOST__LISTEN__PORT)"});
    c.env = {{"RELAIS__HOST__LISTEN", R"({"port": 1, "bind": "x"})"}};
    CHECK_THAT(c.problems("{}").at(0), Catch::StartsWith("host.listen.bind: expected no property 'bind'") &&
                                           Catch::EndsWith("(set by RELAIS__HOST__LISTEN)"));
    c.env = {{"RELAIS__HOSTS__X", "1"}};
    CHECK(
        c.problems("{}") ==
        Lines{
            "hosts: expected no property 'hosts' (allowed: host, connectors), found object (set by RELAIS__HOSTS__X)"});
    c.env = {{"RELAIS__HOST____PORT", "1"}, {"RELAIS__", "1"}};
    CHECK(c.problems("{}") == Lines{"environment variable RELAIS__: expected key names separated by __ "
                                    "(RELAIS__HOST__LISTEN__PORT), found an empty one",
                                    "environment variable RELAIS__HOST____PORT: expected key names separated by __ "
                                    "(RELAIS__HOST__LISTEN__PORT), found an empty one"});
    c.env = {{"RELAIS__HOST__LISTEN__PORT__X", "1"}};
    CHECK(c.problems(R"({"host": {"listen": {"port": 80}}})") ==
          Lines{"host.listen.port: environment variable RELAIS__HOST__LISTEN__PORT__X sets a key inside it: expected "
                "an object, found a number"});

    // With no file, the problems say so.
    c.env = {{"RELAIS__HOST__LISTEN__PORT", "70000"}};
    try {
        host::default_config(c.env);
        FAIL("no error");
    } catch (const ConfigError &e) {
        CHECK(e.problems() == Lines{"(no configuration file): host.listen.port: expected integer <= 65535, found 70000 "
                                    "(set by RELAIS__HOST__LISTEN__PORT)"});
    }
}

TEST_CASE("host config: token rules", "[host_config]") {
    Config c;
    const auto token = [](const std::string &name, const std::string &value, const std::string &scopes) {
        return R"({"name": ")" + name + R"(", "token": ")" + value + R"(", "scopes": )" + scopes + "}";
    };
    const auto tokens = [&c](const std::string &list) { return c.problems(R"({"host": {"tokens": [)" + list + "]}}"); };

    CHECK(tokens(token("erp", "0123456789abcde", R"(["client"])")) ==
          Lines{"host.tokens[0].token: expected string of at least 16 characters, found (secret, 15 characters)"});
    CHECK(tokens(token("erp", "0123456789 abcdef", R"(["client"])")) ==
          Lines{"host.tokens[0].token: expected visible ASCII characters only (no spaces or line breaks), found other "
                "characters (value hidden)"});
    CHECK(tokens(token("erp", "0123456789abcdef", R"(["root"])")) ==
          Lines{"host.tokens[0].scopes[0]: expected one of \"admin\", \"client\", found string \"root\""});
    CHECK(tokens(token("erp", "0123456789abcdef", "[]")) ==
          Lines{"host.tokens[0].scopes: expected at least 1 item, found array of 0 items"});
    CHECK(tokens(token("erp", "0123456789abcdef", R"(["client", "client"])")) ==
          Lines{"host.tokens[0].scopes[1]: expected unique items (same as /host/tokens/0/scopes/0), found string "
                "\"client\""});
    CHECK(
        tokens(token("the erp", "0123456789abcdef", R"(["client"])")) ==
        Lines{"host.tokens[0].name: expected string matching the pattern \"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$\", found "
              "string \"the erp\""});
    CHECK(tokens(R"({"token": "0123456789abcdef"})") ==
          Lines{"host.tokens[0].name: expected required property, found missing",
                "host.tokens[0].scopes: expected required property, found missing"});
    CHECK(
        tokens(token("erp", "0123456789abcdef", R"(["client"])") + "," +
               token("erp", "fedcba9876543210", R"(["admin"])") + "," +
               token("ops", "0123456789abcdef", R"(["admin"])")) ==
        Lines{"host.tokens[1].name: expected a name no other token has, found string \"erp\" as in host.tokens[0].name",
              "host.tokens[2].token: expected a value no other token has, found the value of host.tokens[0].token "
              "(value hidden)"});

    const LoadedConfig loaded = c.load(R"({"host": {"tokens": [)" + token("erp", "0123456789abcdef", R"(["client"])") +
                                       "," + token("ops", "fedcba9876543210", R"(["admin", "client"])") + "]}}");
    REQUIRE(loaded.host.tokens.size() == 2);
    CHECK(loaded.host.tokens[1].scopes == std::set<std::string>{"admin", "client"});
    // Written in place, still secrets.
    CHECK(loaded.secret_values == Lines{"0123456789abcdef", "fedcba9876543210"});
}

TEST_CASE("host config: no error message ever holds a secret value", "[host_config]") {
    Config c;
    c.write_file("a-file", "x");
    c.write_file("short.token", "short-file-tok\n");
    const Lines secrets = {"short-env-token",          "short-file-tok",           "port-from-env-secret",
                           "address from env secret!", "bad name from env secret", "the spaced token in place",
                           "duplicated-token-value",   "inline-value-secret",      "a-file/data-dir-secret"};
    c.env = {{"SHORT", secrets[0]},          {"PORT", secrets[2]}, {"ADDRESS", secrets[3]},
             {"NAME", secrets[4]},           {"DUP", secrets[6]},  {"DATA", (c.dir / secrets[8]).string()},
             {"LEVEL", "level-secret-value"}};
    c.write(R"({"host": {
        "listen": {"address": "${env:ADDRESS}", "port": "${env:PORT}"},
        "data_dir": "${env:DATA}",
        "log": {"level": "${env:LEVEL}"},
        "tokens": [
          {"name": "a", "token": "${env:SHORT}", "scopes": ["client"]},
          {"name": "b", "token": "${file:short.token}", "scopes": ["client"]},
          {"name": "${env:NAME}", "token": "${env:DUP}", "scopes": ["client"]},
          {"name": "d", "token": ")" +
            secrets[5] + R"(", "scopes": ["client"]},
          {"name": "e", "token": ")" +
            secrets[6] + R"(", "scopes": ["client"], "extra": ")" + secrets[7] + R"("},
          {"name": "f", "token": 12345678901234567890, "scopes": ["client"]}
        ]},
      "connectors": {"chorus": {"header": "Bearer )" +
            secrets[7] + R"( ${env:X}"}}})");
    try {
        host::load_config(c.file, c.env);
        FAIL("no error");
    } catch (const ConfigError &e) {
        const std::string all = e.what();
        INFO(all);
        CHECK(e.problems().size() >= 10);
        for (const auto &secret : secrets) CHECK_THAT(all, !Catch::Contains(secret));
        CHECK_THAT(all, !Catch::Contains("level-secret-value"));
        CHECK_THAT(all, !Catch::Contains("12345678901234567890"));
        // Still says what is wrong and where the value came from.
        CHECK_THAT(
            all, Catch::Contains("host.listen.port: expected integer, found a string from ${env:PORT} (value hidden)"));
        CHECK_THAT(all,
                   Catch::Contains("host.listen.address: expected an IP address or a host name, found a string from "
                                   "${env:ADDRESS} (value hidden)"));
        CHECK_THAT(all,
                   Catch::Contains("host.tokens[0].token: expected string of at least 16 characters, found a string "
                                   "from ${env:SHORT} (value hidden)"));
        CHECK_THAT(all,
                   Catch::Contains("host.tokens[1].token: expected string of at least 16 characters, found a string "
                                   "from ${file:short.token} (value hidden)"));
        CHECK_THAT(all, Catch::Contains("host.tokens[2].name: expected string matching the pattern"));
        CHECK_THAT(all, Catch::Contains("host.tokens[4].token: expected a value no other token has"));
        CHECK_THAT(all, Catch::Contains("host.tokens[5].token: expected string, found (secret, number)"));
        CHECK_THAT(all, Catch::Contains("host.data_dir: expected a directory that exists or can be created"));
    }
}

TEST_CASE("host config: redact hides every secret value, the longest first, as the logs do", "[host_config]") {
    CHECK(host::redact("token abcd-secret and abcd and abcd-secret", {"abcd", "abcd-secret", ""}) ==
          "token [redacted] and [redacted] and [redacted]");
    CHECK(host::redact(R"({"v":"a\"quote"})", {"a\"quote"}) == R"({"v":"[redacted]"})");
    CHECK(host::redact("nothing to hide", {}) == "nothing to hide");
}

TEST_CASE("host config: the process environment is read as it is", "[host_config]") {
    const Environment env = host::process_environment();
    const char *path = std::getenv("PATH");
    REQUIRE(path);
    CHECK(env.at("PATH") == path);
}
