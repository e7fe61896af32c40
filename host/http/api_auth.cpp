#include "http/api_auth.hpp"

#include <Poco/String.h>

namespace relais::host::http {
namespace {

// Constant time for equal lengths; lengths are not secret enough to hide (tokens are >= 16).
bool equal_constant_time(const std::string &a, const std::string &b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

}  // namespace

const ApiToken *Authenticator::authenticate(const std::string &header) const {
    static const std::string kScheme = "bearer ";
    if (header.size() <= kScheme.size() || Poco::toLower(header.substr(0, kScheme.size())) != kScheme) return nullptr;
    const auto presented = Poco::trim(header.substr(kScheme.size()));
    const ApiToken *match = nullptr;
    for (const auto &t : tokens_)  // no early exit
        if (equal_constant_time(presented, t.token) && !match) match = &t;
    return match;
}

bool Authenticator::allows(const ApiToken &token, Scope scope) {
    switch (scope) {
    case Scope::none:
    case Scope::any: return true;
    case Scope::client: return token.has_scope("client");
    case Scope::admin: return token.has_scope("admin");
    }
    return false;
}

}  // namespace relais::host::http
