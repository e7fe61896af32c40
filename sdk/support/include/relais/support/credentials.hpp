// relais/support/credentials.hpp: what an HttpClient authenticates with, and to whom.
//
// Credentials belong to one origin (scheme://host:port). The client adds them only to
// requests for that origin: an OAuth2 token request to another host never carries the bearer
// token, and a URL that points somewhere else by mistake (a typo, a redirect the client does
// not follow) never receives the password.
//
//   basic:  "Authorization: Basic base64(user:password)" on every request, preemptively.
//   bearer: the value bearer() returns (e.g. "Bearer xyz"); after a 401 the client tells
//           bearer_rejected() which value was refused and sends once more with a fresh one
//           (a 401 means the request was not processed, so this is safe even for a POST).
//   ntlm:   the NTLM handshake, on the connection the request then goes on (see
//           http_client.hpp, "NTLM"); username "DOMAIN\\user" or "user@DOMAIN".
//
// A request whose own headers carry an Authorization header is sent as it is.
#pragma once

#include <functional>
#include <string>

namespace relais::support {

struct Credentials {
    enum class Kind { none, basic, ntlm, bearer };
    Kind kind = Kind::none;
    std::string username;
    std::string password;  // never put in messages
    // The whole Authorization value, e.g. "Bearer xyz"; may throw (a failed token request),
    // and HttpClient::send() then throws what it threw.
    std::function<std::string()> bearer;
    // Told the value a server answered 401 to, before bearer() is asked for another one
    // (OAuth2ClientCredentials::invalidate fits).
    std::function<void(const std::string &)> bearer_rejected;
    // "https://host[:port]", the only origin the credentials are sent to. Required.
    std::string origin;

    static Credentials basic(std::string origin, std::string username, std::string password);
    static Credentials ntlm(std::string origin, std::string username, std::string password);
    static Credentials with_bearer(std::string origin, std::function<std::string()> bearer,
                                   std::function<void(const std::string &)> rejected = {});
};

// "Basic base64(user:password)".
std::string basic_authorization(const std::string &username, const std::string &password);

// "https://host:443": scheme and host in lower case, the port always given, for comparing
// origins. Throws std::invalid_argument when `url` is not an absolute http(s) URL.
std::string origin_key(const std::string &url);

}  // namespace relais::support
