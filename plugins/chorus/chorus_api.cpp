#include "chorus_api.hpp"

#include <relais/support/classify.hpp>
#include <relais/support/json.hpp>

#include <Poco/Base64Encoder.h>
#include <Poco/String.h>

#include <sstream>

namespace relais::chorus {

using support::HttpRequest;
using support::HttpResponse;
using support::TransportError;

namespace {

// How long a call may wait for the connector's quota before giving up as rate limited (the
// job is then put back until the quota allows it).
constexpr std::chrono::seconds kQuotaWait{30};

// PISTE's answer when the cpro-account header is refused: 401 with an empty body and
//   WWW-Authenticate: Bearer realm="PISTE",error="Unauthorized",error_description="login or password incorrects"
bool names_technical_account(const HttpResponse &response) {
    const auto challenge = Poco::toLower(response.header("WWW-Authenticate").value_or(""));
    return challenge.find("login or password") != std::string::npos ||
           challenge.find("error=\"unauthorized\"") != std::string::npos;
}

Json detail_with(int http_status, int64_t code, const std::string &libelle) {
    Json detail = new Poco::JSON::Object;
    detail->set("http_status", http_status);
    if (code != 0) detail->set("codeRetour", code);
    if (!libelle.empty()) detail->set("libelle", libelle);
    return detail;
}

}  // namespace

std::string cpro_account_header(const std::string &login, const std::string &password) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << login << ':' << password;
    encoder.close();
    return out.str();
}

ChorusApi::ChorusApi(Settings settings, std::shared_ptr<support::HttpClient> http,
                     std::shared_ptr<support::OAuth2ClientCredentials> tokens)
    : settings_(std::move(settings)), http_(std::move(http)), tokens_(std::move(tokens)),
      cpro_account_(cpro_account_header(settings_.technical_login, settings_.technical_password)) {}

HttpResponse ChorusApi::send(HttpRequest request, const Call &call, const std::string &what) {
    if (call.cancelled()) throw transient(what + ": cancelled before the request was sent");
    call.acquire_quota(1, std::min<std::chrono::milliseconds>(kQuotaWait, call.remaining()));
    const auto headers = request.headers;
    auto attempt = [&](const support::AccessToken &token) {
        request.headers = headers;
        request.header("Authorization", token.authorization());
        request.header("cpro-account", cpro_account_);
        request.header("Accept", "application/json;charset=utf-8");
        return http_->send(request);
    };
    auto token = tokens_->token();
    auto response = attempt(token);
    if (response.status != 401) return response;

    const std::string technical =
        what + ": the Chorus Pro technical account was refused (HTTP 401, 'login or password incorrect'): check "
               "technical_login and technical_password, and that the password has not expired";
    if (names_technical_account(response)) throw unauthorized(technical, detail_with(401, 0, "technical_account"));
    // Most likely the token expired early or was revoked: renew it once and try again.
    tokens_->invalidate(token.value);
    token = tokens_->token();
    call.acquire_quota(1, std::min<std::chrono::milliseconds>(kQuotaWait, call.remaining()));
    response = attempt(token);
    if (response.status != 401) return response;
    // A token just issued is refused too: what is left is the technical account.
    throw unauthorized(technical, detail_with(401, 0, "technical_account"));
}

Answer ChorusApi::read(const HttpResponse &response, const std::string &what) const {
    Answer answer;
    answer.http_status = response.status;
    if (response.body.empty()) return answer;
    if (response.status == 200) {
        answer.body = response.json("the answer to " + what);  // a cut body is transient
    } else {
        try {
            answer.body = response.json();
        } catch (const Error &) {
            return answer;  // an HTML or empty gateway page: the status says enough
        }
    }
    answer.code = support::integer_at(answer.body, "codeRetour").value_or(0);
    answer.libelle = support::string_at(answer.body, "libelle").value_or("");
    return answer;
}

void ChorusApi::throw_for(const Answer &answer, const HttpResponse &response, const std::string &what) const {
    if (answer.ok()) return;
    const int status = answer.http_status;
    if (status == 200) {
        if (!answer.body) throw transient(what + ": empty answer (HTTP 200)");
        throw permanent(what + " refused by Chorus Pro: " + answer.libelle + " (codeRetour " +
                            std::to_string(answer.code) + ")",
                        detail_with(status, answer.code, answer.libelle));
    }
    if (status == 403)
        throw forbidden(what + ": PISTE answered 403: the PISTE application is not subscribed to the Chorus Pro "
                               "APIs (Factures, Structures, Transverses: accept their terms on piste.gouv.fr), or "
                               "the technical account is not attached to this structure",
                        detail_with(status, 0, ""));
    if (status == 404)
        throw invalid_config(what + ": " + settings_.api_url + " answered 404: is api_url the PISTE API base (" +
                                 (settings_.production ? kProduction.api_url : kQualification.api_url) + ")?",
                             detail_with(status, 0, ""));
    if (status == 413)
        throw invalid_input(what + ": the file is too large for Chorus Pro (HTTP 413; 10 MB per file)",
                            detail_with(status, 0, ""));
    if (status == 400 && (answer.code != 0 || !answer.libelle.empty()))
        throw permanent(what + " refused by Chorus Pro: " + answer.libelle +
                            (answer.code ? " (codeRetour " + std::to_string(answer.code) + ")" : ""),
                        detail_with(status, answer.code, answer.libelle));
    support::ClassifyOptions options;
    options.what = what;
    options.client_error = RELAIS_PERMANENT;
    const auto classified = support::classify(response, options);
    Json detail = detail_with(status, answer.code, answer.libelle);
    throw classified.to_error(detail);
}

std::pair<HttpResponse, Answer> ChorusApi::exchange(HttpRequest request, const Call &call, const std::string &what) {
    HttpResponse response;
    try {
        response = send(std::move(request), call, what);
    } catch (const TransportError &e) {
        throw support::classify(e, what).to_error();
    }
    auto answer = read(response, what);
    return {std::move(response), std::move(answer)};
}

HttpRequest ChorusApi::business_post(const std::string &path, const Json &body) const {
    return HttpRequest::post(settings_.api_url + "/cpro/" + path).json(body);
}

Answer ChorusApi::post_envelope(const std::string &path, const Json &body, const Call &call, const std::string &what) {
    // Chorus Pro's read-only calls are POSTs: safe to send again on a new connection.
    const auto [response, answer] = exchange(business_post(path, body).mark_idempotent(true), call, what);
    if ((response.status == 200 || response.status == 400) && answer.body && answer.code != 0) return answer;
    throw_for(answer, response, what);
    return answer;
}

Json ChorusApi::post(const std::string &path, const Json &body, const Call &call, const std::string &what) {
    const auto [response, answer] = exchange(business_post(path, body).mark_idempotent(true), call, what);
    throw_for(answer, response, what);
    return answer.body;
}

Outcome ChorusApi::post_outcome(const std::string &path, const Json &body, const Call &call, const std::string &what) {
    Outcome outcome;
    HttpResponse response;
    try {
        response = send(business_post(path, body), call, what);
    } catch (const TransportError &e) {
        // The kit tells a request that never reached Chorus Pro (refused, unresolvable,
        // untrusted, not fully written) from one it may have taken (a timeout or a reset after
        // it was sent).
        using Applied = support::Classification::Applied;
        outcome.kind = support::applied_for(e) == Applied::no ? Outcome::Kind::not_sent : Outcome::Kind::uncertain;
        outcome.error = support::classify(e, what).to_error();
        return outcome;
    }
    outcome.answer = read(response, what);
    if (outcome.answer.ok()) return outcome;
    // The gateway refused it (quota, 503 maintenance, credentials): not processed. A 500, 502
    // or 504 may come from behind the gateway after the backend acted: uncertain (the kit's
    // rule for every connector).
    try {
        throw_for(outcome.answer, response, what);
    } catch (const Error &e) {
        outcome.error = e;
        outcome.kind = support::applied_for_status(response.status) == support::Classification::Applied::unknown
                           ? Outcome::Kind::uncertain
                           : Outcome::Kind::answered;
    }
    return outcome;
}

Answer ChorusApi::health_check(const Call &call) {
    const std::string what = "Chorus Pro health check";
    const auto [response, answer] =
        exchange(HttpRequest::get(settings_.api_url + "/cpro/transverses/v1/health-check"), call, what);
    if (response.status != 200) throw_for(answer, response, what);
    return answer;
}

}  // namespace relais::chorus
