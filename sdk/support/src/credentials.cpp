#include <relais/support/credentials.hpp>

#include <relais/support/url.hpp>

#include <Poco/Base64Encoder.h>
#include <Poco/String.h>

#include <sstream>

namespace relais::support {

Credentials Credentials::basic(std::string origin, std::string username, std::string password) {
    Credentials c;
    c.kind = Kind::basic;
    c.origin = std::move(origin);
    c.username = std::move(username);
    c.password = std::move(password);
    return c;
}

Credentials Credentials::ntlm(std::string origin, std::string username, std::string password) {
    Credentials c = basic(std::move(origin), std::move(username), std::move(password));
    c.kind = Kind::ntlm;
    return c;
}

Credentials Credentials::with_bearer(std::string origin, std::function<std::string()> bearer,
                                     std::function<void(const std::string &)> rejected) {
    Credentials c;
    c.kind = Kind::bearer;
    c.origin = std::move(origin);
    c.bearer = std::move(bearer);
    c.bearer_rejected = std::move(rejected);
    return c;
}

std::string basic_authorization(const std::string &username, const std::string &password) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << username << ':' << password;
    encoder.close();
    return "Basic " + out.str();
}

std::string origin_key(const std::string &url) {
    const Origin o = parse_origin(url);
    return Poco::toLower(o.scheme) + "://" + Poco::toLower(o.host) + ":" + std::to_string(o.port);
}

}  // namespace relais::support
