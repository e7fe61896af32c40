// HttpClientOptions::proxy, parsed once: where the proxy is, its credentials, and which hosts
// bypass it.
#pragma once

#include <relais/support/http_client.hpp>

#include <Poco/Net/HTTPClientSession.h>

#include <string>
#include <vector>

namespace relais::support::detail {

class ProxyRoute {
public:
    // No proxy when proxy.url is empty. Throws relais::Error (invalid_config) naming the URL
    // (without its password) when it is not "http://[user:password@]host[:port]".
    explicit ProxyRoute(const Proxy &proxy);

    bool enabled() const { return !host_.empty(); }
    // Whether requests to `host` go through the proxy (no_proxy, as curl reads NO_PROXY).
    bool applies_to(const std::string &host) const;
    // What a session for `host` is set up with: the proxy, or an empty configuration (direct,
    // whatever Poco's process-wide proxy setting says).
    Poco::Net::HTTPClientSession::ProxyConfig config_for(const std::string &host) const;
    // "proxy.example:3128", for messages (never the credentials).
    std::string describe() const { return host_ + ":" + std::to_string(port_); }

private:
    std::string host_;
    unsigned short port_ = 0;
    std::string username_;
    std::string password_;
    bool bypass_all_ = false;
    std::vector<std::string> no_proxy_;  // lower case, without a leading dot
};

// `url` with the user info replaced by "***", for messages.
std::string redact_userinfo(const std::string &url);

}  // namespace relais::support::detail
