// relais/support/classify.hpp: from an HTTP answer or a transport failure to a Relais error
// class, so every connector maps failures the same way and the host's retry policy (driven by
// the class) behaves the same for all of them.
//
//   transport: timeout, reset, refused, DNS, TLS handshake  -> transient
//              certificate verification failed              -> invalid_config (see below)
//   HTTP:      2xx                                           -> ok
//              401 -> unauthorized       403 -> forbidden     404, 410 -> not_found
//              400, 422 -> invalid_input, or permanent (ClassifyOptions::client_error)
//              408, 5xx -> transient (with Retry-After when given)
//              429 -> rate_limited, retry after Retry-After (seconds or HTTP date) or the
//                     reset header the API uses (ClassifyOptions::reset_header)
//              407 -> invalid_config (the proxy refused the proxy URL's credentials)
//              other 4xx -> permanent; 1xx/3xx -> permanent (not followed; a redirect to
//                     another host says so: "redirected to another host (X): not followed,
//                     credentials are never sent there")
//
// Was the request applied? (Classification::applied) Whether the server may have acted on
// it, which decides whether sending it again could do it twice (a deposit, a payment):
//
//   yes      2xx.
//   no       Nothing reached the application: the request was not written in full
//            (TransportError::request_sent() false: refused, DNS, TLS handshake or certificate,
//            connect timeout, a reset while sending), or the answer says it was not processed:
//            1xx, 301/302/307/308, 4xx (408 included: the server gave up waiting for the
//            request), 501, 503 and every 5xx but the three below.
//   unknown  A timeout, a reset or another failure after the request was sent in full;
//            500, 502 and 504, which may come from a gateway after the backend acted; 303,
//            which answers a request that was processed ("see other": its result is
//            elsewhere). uncertain() is true.
//
// These are the rules the Chorus Pro connector applies to its deposits (post_outcome, in
// plugins/chorus/chorus_api.cpp): its "not sent" is `no` (refused, DNS, TLS), its "uncertain"
// `unknown` (timeout, reset; 500, 502, 504), its other answers `no`. Knowing request_sent()
// refines two cases it cannot tell apart: a timeout or reset before the request was written
// in full is `no` here (nothing reached the server), and a TLS failure after it was is
// `unknown`. A TransportError built without request_sent keeps exactly its reading.
//
// Certificate verification failure is invalid_config: retrying does not fix it, and the cure
// is configuration (a CA file for a private CA) or the network (a proxy intercepting TLS).
// Its message always reads "certificate verification failed for host X: reason".
#pragma once

#include <relais/plugin.hpp>
#include <relais/support/http_client.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace relais::support {

// How an API says when its rate-limit window resets, besides Retry-After.
struct ResetHeader {
    enum class Unit {
        epoch_milliseconds,  // X-Rate-Limit-Reset: 1725974715180 (Gravitee, INSEE)
        epoch_seconds,       // X-RateLimit-Reset: 1725974715 (GitHub style)
        delay_seconds,       // RateLimit-Reset: 42 (IETF draft)
    };
    std::string name;
    Unit unit = Unit::epoch_milliseconds;
};

struct ClassifyOptions {
    // What was being done, at the start of messages: "Sirene lookup of 39860733300059".
    std::string what;
    // 400 and 422: the caller's input (invalid_input) or a business refusal (permanent).
    relais_status client_error = RELAIS_INVALID_INPUT;
    std::optional<ResetHeader> reset_header;
    // The delay used for a 429 that says nothing about when to retry.
    std::chrono::milliseconds default_retry_after{1000};
    // Extracts the upstream's own explanation from an error body, when it has one; by default
    // the first of "message", "error_description", "error", "detail", "title" found in a JSON
    // body (nested one level: {"header":{"message":...}}, {"error":{"message":...}}).
    std::string (*describe_body)(const HttpResponse &) = nullptr;
};

struct Classification {
    // Whether the server may have acted on the request (see the rules above).
    enum class Applied { no, yes, unknown };

    relais_status status = RELAIS_OK;
    std::string message;  // one line, without secrets; empty when ok
    std::chrono::milliseconds retry_after{0};
    int http_status = 0;  // 0 for transport failures
    Applied applied = Applied::yes;

    bool ok() const { return status == RELAIS_OK; }
    // The request may or may not have been processed: look before sending it again.
    bool uncertain() const { return applied == Applied::unknown; }
    // The relais::Error to throw, with {"http_status":...} added to `detail` when there is one.
    Error to_error(Json detail = nullptr) const;
};

Classification classify(const HttpResponse &response, const ClassifyOptions &options = {},
                        std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
Classification classify(const TransportError &error, const std::string &what = {});

// Whether an answer with this status means the request was applied (see the rules above).
Classification::Applied applied_for_status(int http_status);
// The same for a failure without an answer.
Classification::Applied applied_for(const TransportError &error);

// Throws classify(response, ...).to_error() unless the response is a success.
void throw_unless_ok(const HttpResponse &response, const ClassifyOptions &options = {});

// Retry-After: delay-seconds or an HTTP date (RFC 9110 10.2.3); nullopt when unparsable.
// A date in the past gives 0.
std::optional<std::chrono::milliseconds> parse_retry_after(const std::string &value,
                                                           std::chrono::system_clock::time_point now);
// The delay a reset header announces; nullopt when absent or unparsable.
std::optional<std::chrono::milliseconds> reset_delay(const HttpResponse &response, const ResetHeader &header,
                                                     std::chrono::system_clock::time_point now);
// The default describe_body (see ClassifyOptions).
std::string describe_error_body(const HttpResponse &response);

}  // namespace relais::support
