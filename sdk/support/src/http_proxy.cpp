#include "http_proxy.hpp"

#include <relais/plugin.hpp>
#include <relais/support/url.hpp>

#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/URI.h>

namespace relais::support::detail {

std::string redact_userinfo(const std::string &url) {
    const auto scheme_end = url.find("://");
    const auto at = url.find('@', scheme_end == std::string::npos ? 0 : scheme_end + 3);
    if (scheme_end == std::string::npos || at == std::string::npos) return url;
    const auto slash = url.find('/', scheme_end + 3);
    if (slash != std::string::npos && slash < at) return url;  // an '@' in the path
    return url.substr(0, scheme_end + 3) + "***" + url.substr(at);
}

ProxyRoute::ProxyRoute(const Proxy &proxy) {
    if (proxy.url.empty()) return;
    const auto shown = redact_userinfo(proxy.url);
    const auto refuse = [&](const std::string &why) {
        throw relais::invalid_config("the proxy URL " + shown + " is not valid: " + why +
                                     " (expected http://[user:password@]host:port)");
    };
    Poco::URI uri;
    try {
        uri = Poco::URI(proxy.url);
    } catch (const Poco::Exception &e) {
        refuse(e.message());
    }
    if (uri.getScheme() != "http") refuse("the scheme must be http");
    if (uri.getHost().empty()) refuse("there is no host");
    if (!uri.getPath().empty() && uri.getPath() != "/") refuse("a proxy URL has no path");
    host_ = uri.getHost();
    port_ = uri.getPort();
    const auto &userinfo = uri.getUserInfo();
    if (!userinfo.empty()) {
        const auto colon = userinfo.find(':');
        username_ = url_decode(userinfo.substr(0, colon), false);
        if (colon != std::string::npos) password_ = url_decode(userinfo.substr(colon + 1), false);
    }
    for (auto entry : proxy.no_proxy) {
        entry = Poco::toLower(Poco::trim(entry));
        if (entry == "*") bypass_all_ = true;
        if (!entry.empty() && entry.front() == '.') entry.erase(0, 1);
        if (entry.size() > 2 && entry.front() == '[' && entry.back() == ']') entry = entry.substr(1, entry.size() - 2);
        if (!entry.empty()) no_proxy_.push_back(entry);
    }
}

bool ProxyRoute::applies_to(const std::string &raw_host) const {
    if (!enabled() || bypass_all_) return false;
    auto host = Poco::toLower(raw_host);
    if (!host.empty() && host.back() == '.') host.pop_back();  // "example.org." is example.org
    for (const auto &entry : no_proxy_) {
        if (host == entry) return false;
        // "example.org" and ".example.org" both cover "api.example.org", not "badexample.org".
        if (host.size() > entry.size() && host.compare(host.size() - entry.size(), entry.size(), entry) == 0 &&
            host[host.size() - entry.size() - 1] == '.')
            return false;
    }
    return true;
}

Poco::Net::HTTPClientSession::ProxyConfig ProxyRoute::config_for(const std::string &host) const {
    Poco::Net::HTTPClientSession::ProxyConfig config;
    config.authMethod = Poco::Net::HTTPClientSession::PROXY_AUTH_NONE;
    if (!applies_to(host)) return config;
    config.host = host_;
    config.port = port_;
    if (!username_.empty() || !password_.empty()) {
        config.username = username_;
        config.password = password_;
        config.authMethod = Poco::Net::HTTPClientSession::PROXY_AUTH_HTTP_BASIC;
    }
    return config;
}

}  // namespace relais::support::detail
