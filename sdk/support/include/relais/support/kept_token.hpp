// relais/support/kept_token.hpp: an OAuth2 client-credentials token that outlives the process.
//
// Gateways such as PISTE count token requests and may throttle them; a host restarted ten
// times in an hour should not ask for ten tokens. Each new token is written to the plugin's
// state with its expiry and a fingerprint of the token URL and client credentials; the next
// process adopts it while it is still good. A changed client id or secret changes the
// fingerprint, so new credentials are tried at once instead of being bypassed by an old token.
#pragma once

#include <relais/support/oauth2_client_credentials.hpp>
#include <relais/support/state_store.hpp>

#include <memory>
#include <string>

namespace relais::support {

// The token cache for `config`, seeded with the token kept under `key` in `state` when it
// belongs to the same client and is not about to expire, and keeping each new token there.
// With a state that is not durable it is a plain cache. `host` is for the log lines. The
// HttpClient must outlive the cache.
std::shared_ptr<OAuth2ClientCredentials> kept_token_cache(HttpClient &http, OAuth2Config config,
                                                          std::shared_ptr<StateStore> state, const std::string &key,
                                                          const Host &host);

}  // namespace relais::support
