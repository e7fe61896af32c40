#include "chorus_oauth.hpp"

#include "chorus_wire.hpp"

#include <Poco/String.h>

namespace relais::chorus_emulator {

using emulator::Request;
using emulator::Response;

std::string TokenTable::issue(const std::string &client_id, time_point now) {
    static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::lock_guard lock(mutex_);
    // Forget the dead ones, so a long-running emulator does not keep every token ever issued.
    for (auto it = expiry_.begin(); it != expiry_.end();) it = it->second <= now ? expiry_.erase(it) : std::next(it);
    std::string token;
    std::uniform_int_distribution<std::size_t> pick(0, sizeof(kChars) - 2);
    for (int i = 0; i < 46; ++i) token += kChars[pick(random_)];
    (void)client_id;  // one table for all clients: a token is valid whoever it was issued to
    expiry_[token] = now + lifetime_;
    return token;
}

bool TokenTable::valid(const std::string &token, time_point now) const {
    std::lock_guard lock(mutex_);
    const auto it = expiry_.find(token);
    return it != expiry_.end() && now < it->second;
}

void TokenTable::expire_all() {
    std::lock_guard lock(mutex_);
    expiry_.clear();
}

namespace {

Response oauth_error(int status, const std::string &error, const std::string &description) {
    auto body = wire::object();
    body->set("error", error);
    body->set("error_description", description);
    auto response = Response::json(status, body);
    // As OAuth2 servers do for every token answer (RFC 6749 section 5.1).
    response.header("Cache-Control", "no-store").header("Pragma", "no-cache");
    return response;
}

}  // namespace

Response token_endpoint(const Request &request, const std::vector<PisteClient> &clients, TokenTable &tokens,
                        TokenTable::time_point now) {
    // A body that is not a form has no fields: it reads as a request without a grant type.
    const auto grant = request.form_param("grant_type");
    if (grant != std::optional<std::string>("client_credentials"))
        return oauth_error(400, "unsupported_grant_type",
                           "The authorization grant type is not supported by the authorization server.");
    const auto id = request.form_param("client_id");
    const auto secret = request.form_param("client_secret");
    const PisteClient *client = nullptr;
    for (const auto &c : clients)
        if (id == c.client_id && secret == c.client_secret) client = &c;
    if (!client)
        return oauth_error(401, "invalid_client",
                           "Client authentication failed (e.g. unknown client, no client authentication "
                           "included, or unsupported authentication method).");

    auto body = wire::object();
    body->set("access_token", tokens.issue(client->client_id, now));
    body->set("token_type", "Bearer");
    body->set("expires_in", static_cast<long>(tokens.lifetime().count()));
    // PISTE answers "openid" whatever was asked (the reference's clients all see that).
    body->set("scope", "openid");
    auto response = Response::json(200, body);
    response.header("Cache-Control", "no-store").header("Pragma", "no-cache");
    return response;
}

std::optional<Response> check_bearer(const Request &request, const TokenTable &tokens, TokenTable::time_point now) {
    const auto authorization = request.header("Authorization").value_or("");
    const std::string scheme = "bearer ";
    if (authorization.size() > scheme.size() &&
        Poco::icompare(authorization.substr(0, scheme.size()), scheme) == 0) {
        const auto token = Poco::trim(authorization.substr(scheme.size()));
        if (tokens.valid(token, now)) return std::nullopt;
    }
    Response refused;
    refused.status = 401;
    refused.header("WWW-Authenticate", R"(Bearer realm="PISTE", error="invalid_token")");
    return refused;
}

}  // namespace relais::chorus_emulator
