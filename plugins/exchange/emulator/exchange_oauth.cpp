// The Microsoft identity platform's token endpoint, client credentials only, with the AADSTS
// error bodies; and the tokens it gave, as EWS and Graph check them.
#include "exchange_state.hpp"

#include "exchange_time.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/String.h>

namespace relais::exchange_emulator {

using emulator::Request;
using emulator::Response;

namespace {

// {"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id",
// "error_uri"}, as the identity platform answers.
Response aadsts(int status, const std::string &error, int code, const std::string &description, TimePoint now,
                IdMaker &ids) {
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    const auto timestamp = ews_time(now).substr(0, 19) + "Z";
    body->set("error", error);
    body->set("error_description", "AADSTS" + std::to_string(code) + ": " + description +
                                       " Trace ID: " + ids.change_key() + " Correlation ID: " + ids.change_key() +
                                       " Timestamp: " + timestamp.substr(0, 10) + " " + timestamp.substr(11, 8) + "Z");
    Poco::JSON::Array::Ptr codes = new Poco::JSON::Array;
    codes->add(code);
    body->set("error_codes", codes);
    body->set("timestamp", timestamp.substr(0, 10) + " " + timestamp.substr(11, 8) + "Z");
    body->set("trace_id", ids.change_key());
    body->set("correlation_id", ids.change_key());
    body->set("error_uri", "https://login.microsoftonline.com/error?code=" + std::to_string(code));
    return Response::json(status, body);
}

}  // namespace

Response ExchangeEmulator::State::token(const Request &request) {
    std::unique_lock lock(mutex);
    const auto now = clock->now();
    const auto tenant_text = request.param("tenant");
    const Tenant *tenant = nullptr;
    for (const auto &t : options.tenants) {
        if (Poco::icompare(t.id, tenant_text) == 0) tenant = &t;
        for (const auto &d : t.domains)
            if (Poco::icompare(d, tenant_text) == 0) tenant = &t;
    }
    if (!tenant)
        return aadsts(400, "invalid_request", 90002,
                      "Tenant '" + tenant_text +
                          "' not found. Check to make sure you have the correct tenant ID and are signing into the "
                          "correct cloud. Check with your subscription administrator, this may happen if there are "
                          "no active subscriptions for the tenant.",
                      now, ids);
    ++calls["token"];
    if (const auto failure = take_failure_locked("token", Api::token)) {
        if (*failure == Failure::unavailable) {
            Response r = Response::text(503, "Service Unavailable");
            if (options.retry_after.count() > 0) r.header("Retry-After", std::to_string(options.retry_after.count()));
            return r;
        }
        if (*failure == Failure::server_error)
            return aadsts(500, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.",
                          now, ids);
        // lose_answer: nothing issued, the connection reset (a token request has no effect).
        throw emulator::DropConnection();
    }
    const auto grant = request.form_param("grant_type").value_or("");
    if (grant != "client_credentials")
        return aadsts(400, "unsupported_grant_type", 70003,
                      "The app requested an unsupported grant type '" + grant + "'.", now, ids);
    const auto client_id = request.form_param("client_id").value_or("");
    const Application *app = nullptr;
    for (const auto &a : options.applications)
        if (a.client_id == client_id && Poco::icompare(a.tenant, tenant->id) == 0) app = &a;
    if (!app)
        return aadsts(400, "unauthorized_client", 700016,
                      "Application with identifier '" + client_id + "' was not found in the directory '" + tenant->id +
                          "'. This can happen if the application has not been installed by the "
                          "administrator of the tenant or consented to by any user in the tenant. You may have sent "
                          "your authentication request to the wrong tenant.",
                      now, ids);
    const auto secret = request.form_param("client_secret");
    if (!secret)
        return aadsts(401, "invalid_client", 7000218,
                      "The request body must contain the following parameter: 'client_assertion' or "
                      "'client_secret'.",
                      now, ids);
    if (*secret != app->client_secret)
        return aadsts(401, "invalid_client", 7000215,
                      "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                      "secret value, not the client secret ID, for a secret added to app '" +
                          client_id + "'.",
                      now, ids);
    const auto scope = request.form_param("scope");
    if (!scope)
        return aadsts(400, "invalid_request", 90014, "The required field 'scope' is missing from the credential.", now,
                      ids);
    std::string audience;
    if (*scope == "https://graph.microsoft.com/.default")
        audience = "graph";
    else if (*scope == "https://outlook.office365.com/.default")
        audience = "ews";
    else if (scope->size() < 9 || scope->substr(scope->size() - 9) != "/.default")
        return aadsts(400, "invalid_scope", 1002012,
                      "The provided value for scope " + *scope +
                          " is not valid. Client credential flows must have a scope value with /.default suffixed "
                          "to the resource identifier (application ID URI).",
                      now, ids);
    else
        return aadsts(400, "invalid_resource", 500011,
                      "The resource principal named " + scope->substr(0, scope->size() - 9) +
                          " was not found in the tenant named " + tenant->id +
                          ". This can happen if the application has not been installed by the administrator of the "
                          "tenant or consented to by any user in the tenant.",
                      now, ids);

    const auto access_token = ids.token();
    tokens[access_token] = {tenant->id, app->client_id, audience, now + options.token_lifetime, token_generation};
    ++tokens_issued;
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("token_type", "Bearer");
    body->set("expires_in", static_cast<int>(options.token_lifetime.count()));
    body->set("ext_expires_in", static_cast<int>(options.token_lifetime.count()));
    body->set("access_token", access_token);
    return Response::json(200, body);
}

const IssuedToken *ExchangeEmulator::State::bearer_locked(const Request &request, const std::string &audience,
                                                          std::string &why) {
    const auto header = request.header("Authorization").value_or("");
    if (header.size() < 8 || Poco::icompare(header.substr(0, 7), "Bearer ") != 0) {
        why = "no bearer token";
        return nullptr;
    }
    const auto it = tokens.find(header.substr(7));
    if (it == tokens.end()) {
        why = "the token is not one the emulator issued";
        return nullptr;
    }
    if (it->second.generation != token_generation || clock->now() >= it->second.expires) {
        why = "the token has expired";
        return nullptr;
    }
    if (it->second.audience != audience) {
        why = "the token is for another audience (" +
              std::string(it->second.audience == "graph" ? "https://graph.microsoft.com"
                                                         : "https://outlook.office365.com") +
              ")";
        return nullptr;
    }
    return &it->second;
}

const Application *ExchangeEmulator::State::application_of(const IssuedToken &token) const {
    for (const auto &a : options.applications)
        if (a.client_id == token.client_id && Poco::icompare(a.tenant, token.tenant) == 0) return &a;
    return nullptr;
}

}  // namespace relais::exchange_emulator
