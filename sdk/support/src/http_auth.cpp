// HttpClient's credentials: Basic and bearer headers, and the NTLM handshake (see the
// header's "NTLM" section for why it goes the way it does).
#include "http_client_impl.hpp"
#include "tls_context.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPNTLMCredentials.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/String.h>

#include <algorithm>

namespace relais::support {

namespace {

bool has_authorization(const HttpRequest &request) {
    return std::any_of(request.headers.begin(), request.headers.end(),
                       [](const auto &h) { return Poco::icompare(h.first, "Authorization") == 0; });
}

// What a 401 offers for NTLM: the challenge of "WWW-Authenticate: NTLM <base64>", "" for a
// bare "NTLM" (the offer that starts a handshake), nullopt when NTLM is not offered. IIS
// sends "Negotiate" and "NTLM" as two headers.
std::optional<std::string> ntlm_offer(const HttpResponse &response) {
    for (const auto &[name, raw] : response.headers) {
        if (Poco::icompare(name, "WWW-Authenticate") != 0) continue;
        const auto value = Poco::trim(raw);
        if (value.size() >= 4 && Poco::icompare(value.substr(0, 4), "NTLM") == 0 && (value.size() == 4 || value[4] == ' '))
            return Poco::trim(value.substr(4));
    }
    return std::nullopt;
}

// Poco's NTLM messages, taken out of the Authorization header it writes them into: the
// NEGOTIATE message for an empty challenge, the AUTHENTICATE message (NTLMv2) for a CHALLENGE.
std::string ntlm_authorization(Poco::Net::HTTPNTLMCredentials &ntlm, const std::string &challenge) {
    Poco::Net::HTTPRequest carrier;
    ntlm.authenticate(carrier, challenge);
    return carrier.get(Poco::Net::HTTPRequest::AUTHORIZATION);
}

std::string path_of(const Origin &origin) { return without_query(origin.target); }

}  // namespace

HttpResponse HttpClient::Impl::send_authenticated(const Origin &origin, const HttpRequest &request) {
    const auto &credentials = options.credentials;
    // Only to the origin the credentials belong to; a request with its own Authorization
    // header says what it wants.
    if (credentials.kind == Credentials::Kind::none || has_authorization(request) ||
        Poco::toLower(origin.key()) != credentials_origin)
        return transmit(origin, request, std::nullopt);

    switch (credentials.kind) {
    case Credentials::Kind::basic: {
        auto response = transmit(origin, request, basic_authorization(credentials.username, credentials.password));
        if (response.status == 401) response.refused_credentials = "the Basic credentials of " + credentials.username;
        return response;
    }
    case Credentials::Kind::bearer: {
        const auto value = credentials.bearer();
        auto response = transmit(origin, request, value);
        if (response.status != 401) return response;
        // A 401 says the request was not processed: with a fresh token it is safe to send
        // again, whatever the method. Once: a second 401 is the answer.
        if (credentials.bearer_rejected) credentials.bearer_rejected(value);
        response = transmit(origin, request, credentials.bearer());
        if (response.status == 401) response.refused_credentials = "the bearer token, and the renewed one after it";
        return response;
    }
    case Credentials::Kind::ntlm:
        return send_ntlm(origin, request);
    case Credentials::Kind::none:
        break;
    }
    return transmit(origin, request, std::nullopt);
}

HttpResponse HttpClient::Impl::send_ntlm(const Origin &origin, const HttpRequest &request) {
    const bool idempotent = request.is_idempotent();
    for (int retry = 0;; ++retry) {
        detail::take_verify_error();
        Attempt attempt;
        // A pooled connection of this origin has been authenticated (or needed no handshake).
        auto session = acquire(origin, idempotent, attempt.reused);
        try {
            if (attempt.reused) {
                bool keep_alive = false;
                auto response = exchange(*session, origin, {request, std::nullopt}, keep_alive, attempt.sent);
                if (response.status != 401) {
                    if (keep_alive) release(origin, std::move(session));
                    return response;
                }
                // The server no longer takes this connection as authenticated (IIS can be set
                // to authenticate each request): the handshake again, once, on it if it stays
                // open. The 401 says the request was not processed.
                attempt = Attempt{};
                if (!keep_alive) session = acquire(origin, false, attempt.reused);
            }
            return ntlm_handshake(std::move(session), origin, request, attempt);
        } catch (const TransportError &) {
            throw;
        } catch (const Poco::Exception &e) {
            session.reset();
            if (attempt.reused && idempotent && retry == 0 && stale_connection(e)) continue;
            throw translate(e, origin, attempt.sent);
        } catch (const std::exception &e) {
            throw TransportError(TransportError::Kind::other, origin.host,
                                 "failure talking to " + where(origin) + ": " + e.what(), attempt.sent);
        }
    }
}

HttpResponse HttpClient::Impl::ntlm_handshake(std::unique_ptr<Session> session, const Origin &origin,
                                              const HttpRequest &request, Attempt &attempt) {
    const auto &credentials = options.credentials;
    Poco::Net::HTTPNTLMCredentials ntlm(credentials.username, credentials.password);
    const auto what = request.method + " " + path_of(origin);

    // NEGOTIATE, with the request's method and path and no body. Whatever happens to it, the
    // request itself has not been sent: attempt.sent stays false.
    bool keep_alive = false;
    bool negotiation_sent = false;
    auto first = exchange(*session, origin, {request, ntlm_authorization(ntlm, ""), true}, keep_alive, negotiation_sent);
    const auto offer = ntlm_offer(first);
    if (first.status != 401 || !offer || offer->empty()) {
        if (first.status == 401) {
            first.refused_credentials = offer ? "the NTLM negotiation of " + credentials.username + " (no challenge came back)"
                                              : "NTLM authentication, which it does not offer";
            return first;
        }
        // No handshake asked for. Without a body the negotiation was the request itself.
        if (request.body.empty()) {
            if (keep_alive) release(origin, std::move(session));
            return first;
        }
        throw TransportError(TransportError::Kind::other, origin.host,
                             where(origin) + " answered the NTLM negotiation of " + what + " with HTTP " +
                                 std::to_string(first.status) +
                                 " instead of a challenge, so the request was not sent with its body: "
                                 "does this server use NTLM?",
                             false);
    }
    if (!keep_alive) {
        first.refused_credentials = "an NTLM handshake: it closed the connection its challenge was bound to";
        return first;
    }

    // AUTHENTICATE, with the body, on the same connection.
    std::string authenticate;
    try {
        authenticate = ntlm_authorization(ntlm, *offer);
    } catch (const Poco::Exception &e) {
        throw TransportError(TransportError::Kind::other, origin.host,
                             where(origin) + " sent an NTLM challenge that cannot be read (" + e.message() +
                                 "); the request was not sent",
                             false);
    }
    auto answer = exchange(*session, origin, {request, authenticate}, keep_alive, attempt.sent);
    if (answer.status == 401) {
        // Not authenticated: the connection is not pooled.
        answer.refused_credentials = "the NTLM credentials of " + credentials.username;
        return answer;
    }
    if (keep_alive) release(origin, std::move(session));
    return answer;
}

}  // namespace relais::support
