// PISTE's OAuth2 server and gateway, as far as Chorus Pro clients meet them:
//
//   POST /api/oauth/token   grant_type=client_credentials, client_id and client_secret in the
//                           form body (client_secret_post: PISTE does not read an
//                           Authorization: Basic header, so credentials sent only there are an
//                           unknown client), any scope or none.
//                           200 {access_token, token_type "Bearer", expires_in, scope "openid"}
//                           401 {"error":"invalid_client",...}   unknown client or wrong secret
//                           400 {"error":"unsupported_grant_type",...}   another or no grant type
//   the Bearer check        a token that was never issued, has expired on the emulator's clock
//                           or was killed by expire_all(): 401, empty body,
//                           WWW-Authenticate: Bearer realm="PISTE", error="invalid_token"
//
// The reference is unsure whether a bad client gets 400 or 401; 401 is what RFC 6749 section
// 5.2 asks for when client authentication fails.
#pragma once

#include "chorus_emulator.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace relais::chorus_emulator {

class TokenTable {
public:
    using time_point = emulator::EmulatorClock::time_point;

    explicit TokenTable(std::chrono::seconds lifetime) : lifetime_(lifetime) {}

    // A new random opaque token for `client_id`, valid for the lifetime from `now`.
    std::string issue(const std::string &client_id, time_point now);
    bool valid(const std::string &token, time_point now) const;
    // Every token issued so far stops working.
    void expire_all();
    std::chrono::seconds lifetime() const { return lifetime_; }

private:
    mutable std::mutex mutex_;
    std::chrono::seconds lifetime_;
    std::map<std::string, time_point> expiry_;  // token -> end of validity
    std::mt19937_64 random_{std::random_device{}()};
};

// The token endpoint's answer to `request`.
emulator::Response token_endpoint(const emulator::Request &request, const std::vector<PisteClient> &clients,
                                  TokenTable &tokens, TokenTable::time_point now);

// nullopt when `request` carries Authorization: Bearer <a live token>; otherwise the gateway's 401.
std::optional<emulator::Response> check_bearer(const emulator::Request &request, const TokenTable &tokens,
                                               TokenTable::time_point now);

}  // namespace relais::chorus_emulator
