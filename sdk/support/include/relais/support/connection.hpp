// relais/support/connection.hpp: the connection settings every connector has, declared once.
//
// A connector adds the block to its settings map and gets, under the keys it chooses:
//   base_url                        where the API lives (validated: absolute http(s) URL)
//   ca_file                         extra CA certificates (a private CA, a TLS-inspecting proxy);
//                                   verification itself can never be turned off
//   connect_timeout_*, read_timeout_*   in seconds or milliseconds, as the connector's users know them
//   proxy_url, no_proxy             an HTTP(S) proxy, and the hosts reached without it
//   auth, username, password        only when the connector offers credentials of this kind:
//                                   none, basic or ntlm (on-premises Exchange); OAuth2 bearer
//                                   tokens come from the token cache, per connector
//
// ClientKeeper then builds the HttpClient from it, or hands back the one built before when
// nothing it depends on changed, so a reconfiguration keeps its warm connections (and the
// NTLM-authenticated ones). Every error names the setting key.
#pragma once

#include <relais/support/http_client.hpp>
#include <relais/support/settings.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace relais::support {

struct Connection {
    std::string base_url;
    std::string ca_file;
    std::chrono::milliseconds connect_timeout{0};
    std::chrono::milliseconds read_timeout{0};
    std::string proxy_url;
    std::vector<std::string> no_proxy;
    std::string auth;  // "none", "basic" or "ntlm"; "none" when the connector offers no credentials
    std::string username, password;
};

// How a connector wants the block: its key names, defaults and descriptions.
struct ConnectionBlock {
    // Empty: the connector declares its URL settings itself and fills Connection::base_url.
    std::string base_url_key = "base_url";
    // nullopt: no default, required when the connector is enabled.
    std::optional<std::string> base_url_default;
    std::string base_url_description = "Base URL of the API";

    enum class Unit { seconds, milliseconds };
    Unit timeout_unit = Unit::seconds;  // connect_timeout_seconds or connect_timeout_ms
    int64_t connect_timeout = 10;      // in timeout_unit
    int64_t read_timeout = 30;
    Range connect_timeout_range{1, 300};
    Range read_timeout_range{1, 600};
    std::string read_timeout_description = "Longest wait for each read of an answer";

    bool proxy = true;  // offer proxy_url and no_proxy

    // The kinds of credentials offered, e.g. {"basic", "ntlm"}; empty: no auth/username/password.
    std::vector<std::string> auth_kinds;
    std::string auth_default = "none";
    std::string username_key = "username", password_key = "password";
    std::string username_description = "User name; DOMAIN\\user or user@domain for NTLM";
    std::string password_description = "Password of that user";
};

namespace connection_detail {
// Checks that base_url (when set) is an absolute http(s) URL with a host, that proxy_url is an
// http URL with a host and port, and that credentials are complete; throws invalid_config
// naming the key.
void check(const Connection &c, const ConnectionBlock &block);
std::string seconds_or_ms_suffix(ConnectionBlock::Unit unit);
}  // namespace connection_detail

template <class S>
void add_connection_settings(SettingsMap<S> &map, Connection S::*member, const ConnectionBlock &block) {
    const auto at = [member](auto inner) {
        return [member, inner](S &s) -> auto & { return (s.*member).*inner; };
    };
    if (block.base_url_key.empty()) {
        // The connector declares its URL(s) itself (several, or derived from other settings)
        // and fills Connection::base_url before building the client.
    } else if (block.base_url_default)
        map.text(block.base_url_key, at(&Connection::base_url), *block.base_url_default, block.base_url_description,
                 TextRules().format("uri"));
    else
        map.text(block.base_url_key, at(&Connection::base_url), "", block.base_url_description,
                 TextRules().format("uri").required());
    map.text("ca_file", at(&Connection::ca_file), "",
             "PEM file of CA certificates trusted besides the system's (a private CA, a TLS-inspecting proxy); "
             "certificates are always verified");
    const auto suffix = connection_detail::seconds_or_ms_suffix(block.timeout_unit);
    if (block.timeout_unit == ConnectionBlock::Unit::seconds) {
        map.template duration<std::chrono::seconds, std::chrono::milliseconds>("connect_timeout" + suffix, at(&Connection::connect_timeout),
                                                    block.connect_timeout, block.connect_timeout_range,
                                                    "Longest wait to connect");
        map.template duration<std::chrono::seconds, std::chrono::milliseconds>("read_timeout" + suffix, at(&Connection::read_timeout),
                                                    block.read_timeout, block.read_timeout_range,
                                                    block.read_timeout_description);
    } else {
        map.milliseconds("connect_timeout" + suffix, at(&Connection::connect_timeout), block.connect_timeout,
                         block.connect_timeout_range, "Longest wait to connect");
        map.milliseconds("read_timeout" + suffix, at(&Connection::read_timeout), block.read_timeout,
                         block.read_timeout_range, block.read_timeout_description);
    }
    if (block.proxy) {
        map.text("proxy_url", at(&Connection::proxy_url), "",
                 "HTTP proxy the connector goes through, http://[user:password@]host:port; empty: direct");
        map.text_list("no_proxy", at(&Connection::no_proxy), {},
                      "Hosts reached without the proxy: a name, a .domain suffix, an IP address, or * for all");
    }
    if (!block.auth_kinds.empty()) {
        std::vector<std::string> kinds{"none"};
        for (const auto &k : block.auth_kinds) kinds.push_back(k);
        map.text("auth", at(&Connection::auth), block.auth_default, "How the connector authenticates to the server",
                 TextRules().one_of(kinds));
        map.text(block.username_key, at(&Connection::username), "", block.username_description);
        map.text(block.password_key, at(&Connection::password), "", block.password_description, TextRules().secret());
    }
    map.check([member, block](const S &s) {
        auto c = s.*member;
        if (block.auth_kinds.empty()) c.auth = "none";
        connection_detail::check(c, block);
    });
}

// Builds, and rebuilds only when needed, the HttpClient of a connector's connection settings.
// Thread-safe; keep one per plugin instance, across configure() calls.
class ClientKeeper {
public:
    // `user_agent`: "Relais-<connector>/<version>". Throws invalid_config naming the key
    // (ca_file unreadable, proxy_url malformed).
    std::shared_ptr<HttpClient> client(const Connection &connection, const std::string &user_agent,
                                       const ConnectionBlock &block = {});

private:
    std::mutex mutex_;
    std::string fingerprint_;
    std::shared_ptr<HttpClient> client_;
};

// The options ClientKeeper builds a client with (exposed for connectors that build their own).
HttpClientOptions client_options(const Connection &connection, const std::string &user_agent);

}  // namespace relais::support
