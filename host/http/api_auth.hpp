// Bearer-token authentication of API callers, with scopes: "client" may call actions;
// "admin" may change settings, run tests and reload plugins. Neither implies the other (a
// token for the administrator's console need not run invoices through); any valid token may
// read the connectors, the metrics and the API document.
#pragma once

#include "config/host_config.hpp"

#include <string>
#include <vector>

namespace relais::host::http {

enum class Scope { none, any, client, admin };

using relais::host::ApiToken;

class Authenticator {
public:
    explicit Authenticator(std::vector<ApiToken> tokens) : tokens_(std::move(tokens)) {}

    // The token named by an "Authorization: Bearer ..." header, or null. Every configured
    // token is compared in constant time, so timing tells nothing about which one nearly matched.
    const ApiToken *authenticate(const std::string &authorization_header) const;

    static bool allows(const ApiToken &token, Scope scope);

private:
    std::vector<ApiToken> tokens_;
};

}  // namespace relais::host::http
