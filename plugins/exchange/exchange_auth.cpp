#include "exchange_auth.hpp"

#include <relais/support/json.hpp>

namespace relais::exchange {

namespace {

bool contains(const std::string &text, const char *part) { return text.find(part) != std::string::npos; }

// "AADSTS7000215: Invalid client secret provided. ..." out of the token client's message,
// without the trace and correlation ids; the whole message when there is none.
std::string aadsts_description(const std::string &message) {
    const auto start = message.find("AADSTS");
    if (start == std::string::npos) return message;
    auto end = message.find(" Trace ID", start);
    if (end == std::string::npos) end = message.find(')', start);
    return message.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

Error token_refusal(const Settings &settings_, const std::string &what, const Error &e) {
    const std::string said = e.what();
    const auto told = aadsts_description(said);
    Json detail = e.detail() ? support::deep_copy(e.detail()) : Json(new Poco::JSON::Object);
    detail->set("step", "oauth_token");
    const auto with = [&](const char *setting) {
        detail->set("setting", setting);
        return detail;
    };
    if (contains(said, "AADSTS90002"))
        return invalid_config(
            what + ": the identity platform does not know the tenant '" + settings_.tenant_id +
                "' (AADSTS90002): check tenant_id, the Directory (tenant) ID of the application's "
                "Microsoft Entra tenant or one of its domains (contoso.onmicrosoft.com). It said: " +
                told,
            with("tenant_id"));
    if (contains(said, "AADSTS7000215"))
        return unauthorized(what +
                                ": the client secret was refused (AADSTS7000215, invalid client secret): check "
                                "client_secret, the secret's Value as shown once at its creation (not its Secret "
                                "ID). It said: " +
                                told,
                            with("client_secret"));
    if (contains(said, "AADSTS7000222"))
        return unauthorized(what +
                                ": the client secret has expired (AADSTS7000222): create a new one for the "
                                "application and set client_secret. It said: " +
                                told,
                            with("client_secret"));
    if (contains(said, "AADSTS7000218"))
        return unauthorized(what +
                                ": no client secret reached the token endpoint (AADSTS7000218): set "
                                "client_secret. It said: " +
                                told,
                            with("client_secret"));
    if (contains(said, "AADSTS700016"))
        return unauthorized(what + ": the tenant '" + settings_.tenant_id + "' has no application '" +
                                settings_.client_id +
                                "' (AADSTS700016): check client_id, the Application (client) "
                                "ID, and tenant_id. It said: " +
                                told,
                            with("client_id"));
    return Error(e.status(), what + ": " + said, detail, e.retry_after());
}


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
