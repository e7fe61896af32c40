#include <relais/support/oauth2_client_credentials.hpp>

#include <relais/support/classify.hpp>

#include <Poco/Base64Encoder.h>
#include <Poco/String.h>

#include <sstream>

namespace relais::support {

using namespace std::chrono;

namespace {

std::string base64(const std::string &text) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << text;
    encoder.close();
    return out.str();
}

}  // namespace

std::string AccessToken::authorization() const {
    // RFC 6750 says "Bearer"; some servers answer "bearer" in token_type.
    return (Poco::icompare(type, "bearer") == 0 || type.empty() ? std::string("Bearer") : type) + " " + value;
}

OAuth2ClientCredentials::OAuth2ClientCredentials(HttpClient &http, OAuth2Config config, Clock clock)
    : http_(http), config_(std::move(config)), clock_(std::move(clock)) {
    if (config_.token_url.empty()) throw invalid_config("OAuth2: the token URL is empty");
    if (config_.client_id.empty()) throw invalid_config("OAuth2: the client id is empty");
    if (config_.client_secret.empty()) throw invalid_config("OAuth2: the client secret is empty");
}

steady_clock::time_point OAuth2ClientCredentials::now() const { return clock_ ? clock_() : steady_clock::now(); }

AccessToken OAuth2ClientCredentials::token() {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (current_ && now() < current_->renew_at) return *current_;
        if (!renewing_) break;
        // Another thread is renewing: wait for its outcome rather than send a second request.
        const auto generation = generation_;
        renewed_.wait(lock, [&] { return generation_ != generation; });
        if (last_error_) std::rethrow_exception(last_error_);
    }
    renewing_ = true;
    ++requests_;
    lock.unlock();
    try {
        AccessToken fresh = fetch();
        if (config_.on_token) {
            try {
                config_.on_token(fresh.value, fresh.type,
                                 system_clock::now() + duration_cast<system_clock::duration>(fresh.expires_at - now()));
            } catch (...) {
                // Keeping a copy is an optimisation; the token itself is good.
            }
        }
        lock.lock();
        current_ = fresh;
        renewing_ = false;
        ++generation_;
        last_error_ = nullptr;
        renewed_.notify_all();
        return fresh;
    } catch (...) {
        lock.lock();
        renewing_ = false;
        ++generation_;
        last_error_ = std::current_exception();
        renewed_.notify_all();
        throw;
    }
}

void OAuth2ClientCredentials::invalidate(const std::string &rejected) {
    std::lock_guard lock(mutex_);
    if (current_ && current_->value == rejected) current_.reset();
}

void OAuth2ClientCredentials::clear() {
    std::lock_guard lock(mutex_);
    current_.reset();
}

bool OAuth2ClientCredentials::adopt(const std::string &value, const std::string &type,
                                    system_clock::time_point expires_at) {
    const auto remaining = duration_cast<steady_clock::duration>(expires_at - system_clock::now());
    if (value.empty() || remaining <= config_.renew_before_expiry) return false;
    std::lock_guard lock(mutex_);
    if (current_ || renewing_) return false;
    AccessToken token;
    token.value = value;
    token.type = type.empty() ? "Bearer" : type;
    token.obtained_at = now();
    token.expires_at = token.obtained_at + remaining;
    token.renew_at = token.expires_at - config_.renew_before_expiry;
    current_ = token;
    return true;
}

std::uint64_t OAuth2ClientCredentials::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

AccessToken OAuth2ClientCredentials::fetch() {
    const std::string step = "OAuth token request to " + without_query(config_.token_url);
    Fields form{{"grant_type", "client_credentials"}};
    HttpRequest request = HttpRequest::post(config_.token_url);
    if (config_.client_auth == OAuth2Config::ClientAuth::form_body) {
        form.emplace_back("client_id", config_.client_id);
        form.emplace_back("client_secret", config_.client_secret);
    } else {
        // RFC 6749 2.3.1: both parts form-encoded before Base64.
        request.header("Authorization",
                       "Basic " + base64(url_encode(config_.client_id) + ":" + url_encode(config_.client_secret)));
    }
    if (!config_.scope.empty()) form.emplace_back("scope", config_.scope);
    for (const auto &field : config_.extra_form) form.push_back(field);
    request.form(form).header("Accept", "application/json");

    const auto sent_at = now();
    HttpResponse response;
    try {
        response = http_.send(request);
    } catch (const TransportError &e) {
        throw classify(e, step).to_error();
    }

    if (!response.ok()) {
        Json body;
        try {
            body = response.json();
        } catch (const Error &) {
        }
        const auto code = string_at(body, "error").value_or("");
        const auto description = string_at(body, "error_description").value_or("");
        const auto said = code.empty() ? std::string() : " (" + code + (description.empty() ? "" : ": " + description) + ")";
        Json detail = new Poco::JSON::Object;
        detail->set("step", "oauth_token");
        detail->set("http_status", response.status);
        if (!code.empty()) detail->set("oauth_error", code);
        // RFC 6749 5.2: invalid_client is 401 (or 400), unauthorized_client 400.
        if (response.status == 401 || code == "invalid_client" || code == "unauthorized_client")
            throw unauthorized(step + " refused the client credentials: HTTP " + std::to_string(response.status) + said +
                                   "; check the client id and secret",
                               detail);
        if (code == "invalid_scope")
            throw invalid_config(step + " refused the scope '" + config_.scope + "'" + said, detail);
        ClassifyOptions options;
        options.what = step;
        options.client_error = RELAIS_INVALID_CONFIG;  // a malformed token request is our configuration's fault
        throw classify(response, options).to_error(detail);
    }

    const auto body = response.json("the answer of the " + step);
    AccessToken token;
    token.value = string_at(body, "access_token").value_or("");
    if (token.value.empty())
        throw invalid_config(step + " answered HTTP " + std::to_string(response.status) +
                             " without an access_token: is the token URL right?");
    token.type = string_at(body, "token_type").value_or("Bearer");
    token.scope = string_at(body, "scope").value_or("");
    const auto expires_in = integer_at(body, "expires_in");
    const seconds lifetime = expires_in && *expires_in > 0 ? seconds(*expires_in) : config_.default_lifetime;
    // Renew `renew_before_expiry` early, but never use less than half the lifetime.
    const auto margin = std::min<steady_clock::duration>(config_.renew_before_expiry, lifetime / 2);
    token.obtained_at = sent_at;  // the lifetime runs from when the server issued it: be early, not late
    token.expires_at = sent_at + lifetime;
    token.renew_at = token.expires_at - margin;
    return token;
}

}  // namespace relais::support
