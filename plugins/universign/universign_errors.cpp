#include "universign_errors.hpp"

#include <relais/support/classify.hpp>
#include <relais/support/json.hpp>

#include <Poco/String.h>

namespace relais::universign {

namespace {

Json fault_detail(const support::xmlrpc::Fault &fault) {
    Json detail = new Poco::JSON::Object;
    detail->set("fault_code", fault.code);
    detail->set("fault_string", fault.string);
    return detail;
}

std::string said(const std::string &words) { return words.empty() ? std::string() : ": " + words; }

// REST error bodies are not documented (reference A.7): {"error", "message"}, RFC 7807
// problem details, or nothing. The words of whichever came, or the body's first words.
std::string rest_words(const support::HttpResponse &r) {
    if (r.body.empty()) return {};
    if (r.body.front() == '{') {
        try {
            const auto body = support::parse_json_object(r.body, RELAIS_TRANSIENT, "the error");
            std::string out;
            for (const auto *key : {"error", "title", "message", "detail", "error_description"}) {
                const auto value = support::string_at(body, key);
                if (value && !value->empty() && out.find(*value) == std::string::npos)
                    out += (out.empty() ? "" : ": ") + *value;
            }
            if (!out.empty()) return out;
        } catch (const Error &) {
        }
    }
    return "\"" + body_excerpt(r.body) + "\"";
}

}  // namespace

std::string body_excerpt(const std::string &body) {
    std::string out;
    for (char c : body.substr(0, 200)) out += (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
    Poco::trimInPlace(out);
    return body.size() > 200 ? out + "..." : out;
}

Error fault_error(const support::xmlrpc::Fault &fault, const std::string &what, std::chrono::seconds restore_retry) {
    const auto detail = fault_detail(fault);
    const auto text = what + ": Universign fault " + std::to_string(fault.code) + said(fault.string);
    switch (fault.code) {
    case kFaultUnauthorized:
        return Error(RELAIS_UNAUTHORIZED, text + " (check username and password)", detail);
    case 73011:
    case 73013:
        return Error(RELAIS_INVALID_CONFIG, text + " (the account has no valid or active signing account)", detail);
    case kFaultInvalid: return Error(RELAIS_INVALID_INPUT, text, detail);
    case 73014:
    case kFaultUnknown: return Error(RELAIS_NOT_FOUND, text, detail);
    case kFaultNotAllowed:
        return Error(RELAIS_PERMANENT, text + " (not allowed in the transaction's current state)", detail);
    case kFaultRestoring:
        return Error(RELAIS_TRANSIENT, text + " (documents being restored from Universign's archive; tried again later)",
                     detail, restore_retry);
    case kFaultInternal:
    case 73002:
    case 73004: return Error(RELAIS_TRANSIENT, text, detail, std::chrono::seconds(5));
    default: return Error(RELAIS_PERMANENT, text + " (a fault code Relais does not know)", detail);
    }
}

Error http_error(const support::HttpResponse &r, Api api, const std::string &what) {
    Json detail = new Poco::JSON::Object;
    detail->set("http_status", r.status);
    const auto words = api == Api::rest ? rest_words(r) : std::string(r.body.empty() ? "" : "\"" + body_excerpt(r.body) + "\"");
    const auto text = what + ": Universign answered HTTP " + std::to_string(r.status) + said(words);
    const auto credentials = api == Api::xmlrpc ? "username and password" : "api_key";
    switch (r.status) {
    case 401: return Error(RELAIS_UNAUTHORIZED, text + " (check " + credentials + ")", detail);
    case 403:
        return Error(RELAIS_FORBIDDEN, text + " (the " + (api == Api::xmlrpc ? "account" : "API key") +
                                           " may not do this)", detail);
    case 404:
        if (api == Api::xmlrpc)
            return Error(RELAIS_INVALID_CONFIG, text + " (no XML-RPC service at this URL: check url)", detail);
        return Error(RELAIS_NOT_FOUND, text, detail);
    case 400:
    case 413:
    case 422: return Error(RELAIS_INVALID_INPUT, text, detail);
    case 429: {
        const auto after = r.header("Retry-After");
        const auto wait = after ? support::parse_retry_after(*after, std::chrono::system_clock::now()) : std::nullopt;
        return Error(RELAIS_RATE_LIMITED, text + " (rate limit reached)", detail,
                     std::max<std::chrono::milliseconds>(wait.value_or(std::chrono::seconds(1)),
                                                         std::chrono::milliseconds(200)));
    }
    default: break;
    }
    if (r.status == 408 || r.status >= 500) return Error(RELAIS_TRANSIENT, text, detail, std::chrono::seconds(5));
    if (r.status >= 300 && r.status < 400)
        return Error(RELAIS_INVALID_CONFIG, text + " (a redirect to " + r.header("Location").value_or("nowhere") +
                                                "; check the URL)", detail);
    return Error(RELAIS_PERMANENT, text, detail);
}

Error transport_error(const support::TransportError &error, const std::string &what) {
    return support::classify(error, what).to_error();
}

}  // namespace relais::universign
