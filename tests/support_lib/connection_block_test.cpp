// The connection block: its settings, their checks naming the key, and the client kept across
// reconfigurations while nothing it depends on changes.
#include <relais/support/connection.hpp>

#include <catch2/catch.hpp>

#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <fstream>

using namespace relais::support;

namespace {

struct WithConnection {
    bool enabled;
    Connection connection;
};

ConnectionBlock block() {
    ConnectionBlock b;
    b.base_url_key = "ews_url";
    b.base_url_description = "EWS endpoint";
    b.auth_kinds = {"basic", "ntlm"};
    b.username_key = "delegated_user";
    b.password_key = "delegated_password";
    return b;
}

const SettingsMap<WithConnection> &map() {
    static const auto m = [] {
        SettingsMap<WithConnection> m;
        m.enabled(&WithConnection::enabled, "on");
        add_connection_settings(m, &WithConnection::connection, block());
        return m;
    }();
    return m;
}

relais::Json parse(const std::string &text) { return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>(); }

std::string error_of(const std::string &settings) {
    try {
        map().read(parse(settings));
    } catch (const relais::Error &e) {
        CHECK(e.status() == RELAIS_INVALID_CONFIG);
        return e.what();
    }
    FAIL("no error for " << settings);
    return {};
}

}  // namespace

TEST_CASE("the block declares its settings under the connector's key names", "[connection]") {
    const auto props = parse(map().schema())->getObject("properties");
    for (const auto *key : {"ews_url", "ca_file", "connect_timeout_seconds", "read_timeout_seconds", "proxy_url",
                            "no_proxy", "auth", "delegated_user", "delegated_password"})
        CHECK(props->has(key));
    CHECK(props->getObject("delegated_password")->getValue<bool>("secret"));
    CHECK(props->getObject("auth")->getArray("enum")->size() == 3);  // none, basic, ntlm
    CHECK(props->getObject("read_timeout_seconds")->getValue<int64_t>("default") == 30);

    const auto s = map().read(parse(R"({"enabled":true,"ews_url":"https://mail.example.test/EWS/Exchange.asmx",
        "read_timeout_seconds":45,"auth":"ntlm","delegated_user":"CONTOSO\\svc","delegated_password":"pw",
        "proxy_url":"http://proxy.example.test:3128","no_proxy":[".example.test"]})"));
    CHECK(s.connection.base_url == "https://mail.example.test/EWS/Exchange.asmx");
    CHECK(s.connection.read_timeout == std::chrono::seconds(45));
    CHECK(s.connection.connect_timeout == std::chrono::seconds(10));
    CHECK(s.connection.auth == "ntlm");
    CHECK(s.connection.username == "CONTOSO\\svc");
    CHECK(s.connection.no_proxy == std::vector<std::string>{".example.test"});

    const auto options = client_options(s.connection, "Relais-test/1");
    CHECK(options.credentials.kind == Credentials::Kind::ntlm);
    CHECK(options.credentials.origin == "https://mail.example.test:443");
    CHECK(options.proxy.url == "http://proxy.example.test:3128");
    CHECK(options.read_timeout == std::chrono::seconds(45));
}

TEST_CASE("connection settings are checked, each error naming its key", "[connection]") {
    CHECK(error_of(R"({"enabled":true})") == "ews_url is required when enabled is true");
    CHECK_NOTHROW(map().read(parse(R"({"enabled":false})")));  // a disabled connector needs nothing
    CHECK(error_of(R"({"ews_url":"ftp://x.test/"})") == "ews_url: expected an http or https URL, found ftp://x.test/");
    CHECK(error_of(R"({"ews_url":"https://user:pw@x.test/"})").starts_with("ews_url: credentials do not belong in the URL"));
    CHECK(error_of(R"({"ews_url":"https://x.test/","proxy_url":"https://proxy.test:3128"})").starts_with("proxy_url: expected http://"));
    CHECK(error_of(R"({"ews_url":"https://x.test/","auth":"ntlm"})") == "delegated_user is required when auth is ntlm");
    CHECK(error_of(R"({"ews_url":"https://x.test/","auth":"basic","delegated_user":"u"})") ==
          "delegated_password is required when auth is basic");
    CHECK(error_of(R"({"auth":"kerberos"})") == "auth: expected one of none, basic, ntlm, found \"kerberos\"");
}

TEST_CASE("the client is kept while nothing it depends on changes", "[connection]") {
    ClientKeeper keeper;
    Connection c;
    c.base_url = "https://api.example.test";
    c.connect_timeout = std::chrono::seconds(5);
    c.read_timeout = std::chrono::seconds(20);
    const auto first = keeper.client(c, "Relais-test/1");
    CHECK(keeper.client(c, "Relais-test/1") == first);
    c.base_url = "https://api.example.test/v2";  // no credentials: the base URL does not matter
    CHECK(keeper.client(c, "Relais-test/1") == first);
    c.read_timeout = std::chrono::seconds(21);
    const auto second = keeper.client(c, "Relais-test/1");
    CHECK(second != first);
    CHECK(second->options().read_timeout == std::chrono::seconds(21));

    c.ca_file = (std::filesystem::temp_directory_path() / "relais-no-such-ca.pem").string();
    CHECK_THROWS_WITH(keeper.client(c, "Relais-test/1"), Catch::Matchers::StartsWith("ca_file: "));
    c.ca_file.clear();
    c.proxy_url = "http://";
    CHECK_THROWS_WITH(keeper.client(c, "Relais-test/1"), Catch::Matchers::StartsWith("proxy_url: "));
}
