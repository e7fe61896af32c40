// The Authorization header of the connector's requests. With oauth: a Bearer token from the
// client-credentials grant (Microsoft identity platform v2.0) for the backend's scope,
// https://graph.microsoft.com/.default or https://outlook.office365.com/.default, cached and
// renewed before expiry, renewed once after a 401. Without oauth (EWS on premises): none, the
// HttpClient sends the Basic or NTLM credentials of the connection settings itself.
#pragma once

#include "exchange_settings.hpp"

#include <relais/support/http_client.hpp>
#include <relais/support/oauth2_client_credentials.hpp>

#include <memory>
#include <optional>
#include <string>

namespace relais::exchange {

// A refusal of the token endpoint (an AADSTS code) as the error naming the setting to fix:
// AADSTS90002 tenant_id (invalid_config), 7000215 / 7000222 / 7000218 client_secret, 700016
// client_id (unauthorized); other errors keep their class, prefixed by `what`.
Error token_refusal(const Settings &settings, const std::string &what, const Error &error);

class TokenSource {
public:
    TokenSource(const Settings &settings, std::shared_ptr<support::HttpClient> http);

    // "Bearer ..." with oauth, nullopt without. Throws relais::Error naming the token step
    // (unauthorized for a wrong secret, invalid_config for an unknown tenant: AADSTS codes).
    std::optional<std::string> authorization();
    // The API answered 401 to `authorization`: the next one is a new token.
    void refused(const std::string &authorization);
    // The Test button's first step: a token obtained, and for how long.
    std::string check();
    bool oauth() const { return tokens_ != nullptr; }

private:
    std::shared_ptr<support::HttpClient> http_;
    std::unique_ptr<support::OAuth2ClientCredentials> tokens_;
    std::string token_url_, scope_;
};

}  // namespace relais::exchange
