#include "exchange_auth.hpp"

namespace relais::exchange {

TokenSource::TokenSource(const Settings &s, std::shared_ptr<support::HttpClient> http)
    : http_(std::move(http)), token_url_(s.token_url), scope_(s.scope) {
    if (!s.oauth || s.client_id.empty() || s.client_secret.empty()) return;
    support::OAuth2Config config;
    config.token_url = s.token_url;
    config.client_id = s.client_id;
    config.client_secret = s.client_secret;
    config.scope = s.scope;
    config.renew_before_expiry = std::chrono::seconds(300);
    tokens_ = std::make_unique<support::OAuth2ClientCredentials>(*http_, config);
}

std::optional<std::string> TokenSource::authorization() {
    if (!tokens_) return std::nullopt;
    return tokens_->token().authorization();
}

void TokenSource::refused(const std::string &authorization) {
    if (!tokens_) return;
    const std::string prefix = "Bearer ";
    tokens_->invalidate(authorization.rfind(prefix, 0) == 0 ? authorization.substr(prefix.size()) : authorization);
}

std::string TokenSource::check() {
    if (!tokens_) return {};
    const auto token = tokens_->token();
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(token.expires_at - std::chrono::steady_clock::now());
    return "the tenant issued a token for " + scope_ + " (valid " + std::to_string(left.count()) + " s more)";
}

}  // namespace relais::exchange
