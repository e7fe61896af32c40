#include <relais/support/connection.hpp>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <filesystem>
#include <fstream>

namespace relais::support {

namespace connection_detail {

std::string seconds_or_ms_suffix(ConnectionBlock::Unit unit) {
    return unit == ConnectionBlock::Unit::seconds ? "_seconds" : "_ms";
}

namespace {

Poco::URI parse_url(const std::string &key, const std::string &url) {
    try {
        Poco::URI uri(url);
        return uri;
    } catch (const Poco::Exception &e) {
        throw invalid_config(key + ": not a valid URL (" + e.message() + ")");
    }
}

}  // namespace

void check(const Connection &c, const ConnectionBlock &block) {
    if (!c.base_url.empty()) {
        const auto uri = parse_url(block.base_url_key, c.base_url);
        if (uri.getScheme() != "https" && uri.getScheme() != "http")
            throw invalid_config(block.base_url_key + ": expected an http or https URL, found " + c.base_url);
        if (uri.getHost().empty()) throw invalid_config(block.base_url_key + ": the URL has no host: " + c.base_url);
        if (!uri.getUserInfo().empty())
            throw invalid_config(block.base_url_key + ": credentials do not belong in the URL; use the settings for them");
    }
    if (!c.proxy_url.empty()) {
        const auto uri = parse_url("proxy_url", c.proxy_url);
        if (uri.getScheme() != "http")
            throw invalid_config("proxy_url: expected http://[user:password@]host:port (the proxy itself is reached "
                                 "over plain HTTP; HTTPS goes through it in a tunnel)");
        if (uri.getHost().empty()) throw invalid_config("proxy_url: the URL has no host");
    }
    if (c.auth == "basic" || c.auth == "ntlm") {
        if (c.username.empty())
            throw invalid_config(block.username_key + " is required when auth is " + c.auth);
        if (c.password.empty())
            throw invalid_config(block.password_key + " is required when auth is " + c.auth);
    }
}

}  // namespace connection_detail

namespace {

std::string origin_of(const std::string &url) {
    try {
        return origin_key(url);
    } catch (const std::exception &) {
        return {};  // check() has refused it already when it matters
    }
}

// Everything the client depends on, so an unchanged connection keeps its client.
std::string fingerprint(const Connection &c, const std::string &user_agent) {
    std::string f;
    for (const auto *part : {&c.ca_file, &c.proxy_url, &c.auth, &c.username, &c.password, &user_agent})
        f += std::to_string(part->size()) + ':' + *part;
    f += '|' + std::to_string(c.connect_timeout.count()) + '|' + std::to_string(c.read_timeout.count());
    for (const auto &h : c.no_proxy) f += '|' + h;
    // The credentials belong to the base URL's origin: a new origin is a new client.
    if (c.auth == "basic" || c.auth == "ntlm") f += '|' + origin_of(c.base_url);
    return f;
}

}  // namespace

HttpClientOptions client_options(const Connection &c, const std::string &user_agent) {
    HttpClientOptions options;
    if (c.connect_timeout.count() > 0) options.connect_timeout = c.connect_timeout;
    if (c.read_timeout.count() > 0) options.read_timeout = c.read_timeout;
    options.extra_ca_file = c.ca_file;
    options.user_agent = user_agent;
    options.proxy.url = c.proxy_url;
    options.proxy.no_proxy = c.no_proxy;
    if (c.auth == "basic") options.credentials = Credentials::basic(origin_of(c.base_url), c.username, c.password);
    if (c.auth == "ntlm") options.credentials = Credentials::ntlm(origin_of(c.base_url), c.username, c.password);
    return options;
}

std::shared_ptr<HttpClient> ClientKeeper::client(const Connection &c, const std::string &user_agent,
                                                 const ConnectionBlock &block) {
    auto checked = c;
    if (checked.auth.empty()) checked.auth = "none";
    connection_detail::check(checked, block);
    const auto print = fingerprint(checked, user_agent);
    std::lock_guard lock(mutex_);
    if (client_ && print == fingerprint_) return client_;
    if (!c.ca_file.empty()) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(c.ca_file, ec))
            throw invalid_config("ca_file: " + c.ca_file + " is not a readable file");
    }
    try {
        client_ = std::make_shared<HttpClient>(client_options(checked, user_agent));
    } catch (const Error &e) {
        // The client names what it could not use; the only file it reads is the CA file.
        throw invalid_config(std::string(c.ca_file.empty() ? "connection settings: " : "ca_file: ") + e.what());
    }
    fingerprint_ = print;
    return client_;
}

}  // namespace relais::support
