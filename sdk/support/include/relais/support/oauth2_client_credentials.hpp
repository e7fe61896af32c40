// relais/support/oauth2_client_credentials.hpp: an OAuth 2.0 client-credentials token cache
// (RFC 6749 section 4.4), as PISTE (Chorus Pro) and other gateways require.
//
// - token() returns the cached access token while it is valid, and asks the token endpoint
//   for a new one `renew_before_expiry` before it expires (at most half its lifetime early).
// - Concurrent callers share one renewal (single flight): eight threads finding the token
//   expired send one token request; the others wait for it and get its result or its error.
// - invalidate(token) after the API answered 401 with that token: the next token() renews.
//   A token already replaced by another thread is left alone, so a burst of 401s renews once.
// - Failures of the token request are classified; a refused client (401/400 invalid_client,
//   unauthorized_client) is `unauthorized` and its message names the OAuth step and the
//   token URL, so an administrator knows it is the client id/secret that is wrong.
//
// Thread-safe. The HttpClient must outlive the cache.
#pragma once

#include <relais/support/http_client.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace relais::support {

struct OAuth2Config {
    std::string token_url;
    std::string client_id;
    std::string client_secret;  // never logged nor put in messages
    std::string scope;          // sent when non-empty
    // Where the client credentials go: the form body (client_secret_post, what PISTE expects)
    // or an Authorization: Basic header (client_secret_basic).
    enum class ClientAuth { form_body, basic_header } client_auth = ClientAuth::form_body;
    Fields extra_form;  // more form fields, e.g. {"audience", "..."}
    std::chrono::seconds renew_before_expiry{60};
    // The lifetime assumed when the answer has no expires_in.
    std::chrono::seconds default_lifetime{300};
    // Called with each new token and its wall-clock expiry, e.g. to keep it in durable state
    // so the next process adopts it (adopt()) instead of asking for another one. Called on
    // the renewing thread, outside the cache's lock; an exception from it is ignored.
    std::function<void(const std::string &value, const std::string &type, std::chrono::system_clock::time_point expires_at)>
        on_token;
};

struct AccessToken {
    std::string value;
    std::string type = "Bearer";
    std::string scope;
    std::chrono::steady_clock::time_point obtained_at;
    std::chrono::steady_clock::time_point renew_at;  // when token() stops returning it
    std::chrono::steady_clock::time_point expires_at;

    // "Bearer <value>", for the Authorization header.
    std::string authorization() const;
};

class OAuth2ClientCredentials {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    // Throws relais::Error (invalid_config) when token_url, client_id or client_secret is empty.
    // `clock` replaces steady_clock::now (tests move time instead of waiting).
    OAuth2ClientCredentials(HttpClient &http, OAuth2Config config, Clock clock = {});

    // A valid token, renewed first if needed. Throws relais::Error when the renewal fails.
    AccessToken token();
    // Forgets `rejected` if it is still the cached token.
    void invalidate(const std::string &rejected);
    // Forgets whatever is cached.
    void clear();
    // Takes a token obtained earlier (by another process, kept in durable state) as the cached
    // one, unless it expires within renew_before_expiry or a token is already cached. True
    // when adopted.
    bool adopt(const std::string &value, const std::string &type, std::chrono::system_clock::time_point expires_at);
    // Token requests sent so far (successful or not).
    std::uint64_t requests() const;

private:
    AccessToken fetch();
    std::chrono::steady_clock::time_point now() const;

    HttpClient &http_;
    OAuth2Config config_;
    Clock clock_;

    mutable std::mutex mutex_;
    std::condition_variable renewed_;
    std::optional<AccessToken> current_;
    bool renewing_ = false;
    std::uint64_t generation_ = 0;      // completed renewals, successful or not
    std::exception_ptr last_error_;     // of the renewal that completed generation_
    std::uint64_t requests_ = 0;
};

}  // namespace relais::support
