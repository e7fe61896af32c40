// Talking to Chorus Pro through PISTE: the OAuth2 token (cached, kept in the host's plugin
// state across restarts, renewed before expiry and once after a 401), the cpro-account header
// of the technical account, the connector's quota taken before every request, and every
// failure turned into the right error class:
//
//   transport failure (timeout, reset, refused)   transient
//   TLS certificate not trusted                   invalid_config
//   401 naming the login/password                 unauthorized: the technical account
//   401 again with a fresh token                  unauthorized: the technical account
//   403 (empty body)                              forbidden: API not subscribed on PISTE, or the
//                                                 account not attached to the structure
//   404                                           invalid_config: api_url is not the PISTE base
//   413                                           invalid_input: the file is too large
//   429                                           rate_limited, after Retry-After (1 s without)
//   408, 5xx                                      transient
//   400 {codeRetour, libelle}, 200 codeRetour≠0   permanent, with the upstream libelle
//   a cut or garbled 200 body                     transient
#pragma once

#include "chorus_settings.hpp"

#include <relais/plugin.hpp>
#include <relais/support/http_client.hpp>
#include <relais/support/oauth2_client_credentials.hpp>

#include <memory>
#include <optional>
#include <utility>
#include <string>

namespace relais::chorus {

// An answer as received: HTTP status, JSON body (null when none or not JSON), and the
// envelope's codeRetour / libelle when present.
struct Answer {
    int http_status = 0;
    Json body;
    int64_t code = 0;
    std::string libelle;
    bool ok() const { return http_status == 200 && code == 0 && body; }
};

// What became of a request whose effect matters (a deposit).
struct Outcome {
    enum class Kind {
        answered,    // `answer` holds the HTTP answer (any status)
        not_sent,    // it certainly did not reach Chorus Pro (refused, DNS, TLS, no token)
        uncertain,   // it may have been processed: timeout or reset after sending
    };
    Kind kind = Kind::answered;
    Answer answer;
    std::optional<Error> error;  // for not_sent and uncertain: the classified failure
};

class ChorusApi {
public:
    ChorusApi(Settings settings, std::shared_ptr<support::HttpClient> http,
              std::shared_ptr<support::OAuth2ClientCredentials> tokens);

    const Settings &settings() const { return settings_; }

    // POSTs `body` to {api_url}/cpro/{path}; the body of a successful answer (HTTP 200,
    // codeRetour 0). Anything else throws the error its class calls for; `what` starts the
    // messages ("Chorus Pro consulterCRDetaille of CPP001...").
    Json post(const std::string &path, const Json &body, const Call &call, const std::string &what);
    // The same, returning the answer when it is an HTTP 200 or 400 with a JSON envelope, so a
    // caller can read codeRetour itself (20001 unknown flux); other failures throw.
    Answer post_envelope(const std::string &path, const Json &body, const Call &call, const std::string &what);
    // The same, telling apart a request that did not go out from one whose fate is unknown.
    Outcome post_outcome(const std::string &path, const Json &body, const Call &call, const std::string &what);
    // GET {api_url}/cpro/transverses/v1/health-check.
    Answer health_check(const Call &call);

    // Throws the error `answer` calls for (see the table above); nothing when it is ok().
    void throw_for(const Answer &answer, const support::HttpResponse &response, const std::string &what) const;

    // The access token now, for the connection test's first step.
    support::AccessToken token() { return tokens_->token(); }

private:
    support::HttpResponse send(support::HttpRequest request, const Call &call, const std::string &what);
    // send(), a transport failure thrown as its error class, and the answer read.
    std::pair<support::HttpResponse, Answer> exchange(support::HttpRequest request, const Call &call,
                                                      const std::string &what);
    // POST {api_url}/cpro/{path} with a JSON body.
    support::HttpRequest business_post(const std::string &path, const Json &body) const;
    Answer read(const support::HttpResponse &response, const std::string &what) const;

    Settings settings_;
    std::shared_ptr<support::HttpClient> http_;
    std::shared_ptr<support::OAuth2ClientCredentials> tokens_;
    std::string cpro_account_;
};

// The shape of base64(login:password) of the cpro-account header.
std::string cpro_account_header(const std::string &login, const std::string &password);

}  // namespace relais::chorus
