#include <relais/support/classify.hpp>

#include "http_redirect.hpp"

#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>

#include <algorithm>
#include <cctype>

namespace relais::support {

using namespace std::chrono;

namespace {

bool all_digits(const std::string &s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string trim(std::string s) {
    Poco::trimInPlace(s);
    return s;
}

// One line, at most `max` bytes (cut on a UTF-8 boundary).
std::string one_line(std::string s, std::size_t max = 300) {
    for (auto &c : s)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    s = trim(std::move(s));
    if (s.size() > max) {
        std::size_t cut = max;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
        s = s.substr(0, cut) + "...";
    }
    return s;
}

std::optional<std::string> text_member(const Json &o, const char *key) {
    auto v = string_at(o, key);
    if (v && !trim(*v).empty()) return v;
    return std::nullopt;
}

}  // namespace

std::string describe_error_body(const HttpResponse &response) {
    if (response.body.empty()) return {};
    Json body;
    try {
        Poco::JSON::Parser parser;
        const auto v = parser.parse(response.body);
        if (v.type() == typeid(Poco::JSON::Object::Ptr)) body = v.extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception &) {
    }
    if (!body) {
        // Plain text is worth quoting; HTML error pages are not.
        const auto type = Poco::toLower(response.content_type());
        if (type.rfind("text/plain", 0) == 0) return one_line(response.body);
        return {};
    }
    static const char *const keys[] = {"message", "error_description", "detail", "title", "error"};
    std::string found;
    for (const auto *key : keys)
        if (auto v = text_member(body, key)) {
            found = *v;
            // OAuth: "invalid_client: A valid OAuth client could not be found..."
            if (std::string(key) == "error_description")
                if (auto code = text_member(body, "error")) found = *code + ": " + found;
            break;
        }
    if (found.empty())
        for (const auto *outer : {"header", "error", "fault", "errors"})
            if (auto nested = object_at(body, outer)) {
                for (const auto *key : {"message", "description", "detail", "title"})
                    if (auto v = text_member(nested, key)) {
                        found = *v;
                        break;
                    }
                if (!found.empty()) break;
            }
    return one_line(found);
}

std::optional<milliseconds> parse_retry_after(const std::string &raw, system_clock::time_point now) {
    const auto value = trim(raw);
    if (all_digits(value)) {
        if (value.size() > 9) return std::nullopt;
        return seconds(std::stoll(value));
    }
    try {
        int tz = 0;
        const auto when = Poco::DateTimeParser::parse(value, tz);  // RFC 1123 and the obsolete forms
        const auto at = system_clock::time_point(microseconds(when.timestamp().epochMicroseconds()));
        return std::max(milliseconds(0), ceil<milliseconds>(at - now));
    } catch (const Poco::Exception &) {
        return std::nullopt;
    }
}

std::optional<milliseconds> reset_delay(const HttpResponse &response, const ResetHeader &header,
                                        system_clock::time_point now) {
    const auto raw = response.header(header.name);
    if (!raw) return std::nullopt;
    const auto value = trim(*raw);
    if (!all_digits(value) || value.size() > 15) return std::nullopt;
    const long long n = std::stoll(value);
    const auto since_epoch = duration_cast<milliseconds>(now.time_since_epoch());
    switch (header.unit) {
    case ResetHeader::Unit::epoch_milliseconds:
        return std::max(milliseconds(0), milliseconds(n) - since_epoch);
    case ResetHeader::Unit::epoch_seconds:
        return std::max(milliseconds(0), duration_cast<milliseconds>(seconds(n)) - since_epoch);
    case ResetHeader::Unit::delay_seconds:
        return duration_cast<milliseconds>(seconds(n));
    }
    return std::nullopt;
}

Error Classification::to_error(Json detail) const {
    if (http_status != 0) {
        if (!detail) detail = new Poco::JSON::Object;
        if (!detail->has("http_status")) detail->set("http_status", http_status);
    }
    return Error(status == RELAIS_OK ? RELAIS_INTERNAL : status, message, detail, retry_after);
}

Classification::Applied applied_for_status(int s) {
    using Applied = Classification::Applied;
    if (s >= 200 && s <= 299) return Applied::yes;
    if (s == 500 || s == 502 || s == 504 || s == 303) return Applied::unknown;
    return Applied::no;
}

Classification::Applied applied_for(const TransportError &error) {
    return error.request_sent() ? Classification::Applied::unknown : Classification::Applied::no;
}

Classification classify(const HttpResponse &response, const ClassifyOptions &options, system_clock::time_point now) {
    Classification c;
    c.http_status = response.status;
    c.applied = applied_for_status(response.status);
    if (response.ok()) return c;

    const auto upstream = (options.describe_body ? options.describe_body : &describe_error_body)(response);
    c.message = (options.what.empty() ? std::string() : options.what + ": ") + "HTTP " +
                std::to_string(response.status) + (response.reason.empty() ? "" : " " + response.reason) +
                (upstream.empty() ? "" : " (" + upstream + ")");
    if (response.status == 401 && !response.refused_credentials.empty())
        c.message += ": the server refused " + response.refused_credentials;

    const auto retry_after = [&]() -> std::optional<milliseconds> {
        if (const auto h = response.header("Retry-After"))
            if (auto d = parse_retry_after(*h, now)) return d;
        if (options.reset_header)
            if (auto d = reset_delay(response, *options.reset_header, now)) return d;
        return std::nullopt;
    };

    const int s = response.status;
    if (s == 429) {
        c.status = RELAIS_RATE_LIMITED;
        c.retry_after = retry_after().value_or(options.default_retry_after);
    } else if (s == 408 || (s >= 500 && s <= 599)) {
        c.status = RELAIS_TRANSIENT;
        c.retry_after = retry_after().value_or(milliseconds(0));
    } else if (s == 401) {
        c.status = RELAIS_UNAUTHORIZED;
    } else if (s == 403) {
        c.status = RELAIS_FORBIDDEN;
    } else if (s == 404 || s == 410) {
        c.status = RELAIS_NOT_FOUND;
    } else if (s == 400 || s == 422) {
        c.status = options.client_error;
    } else if (s == 407) {
        c.status = RELAIS_INVALID_CONFIG;
        c.message += ": the proxy refused the credentials of the proxy URL";
    } else {
        c.status = RELAIS_PERMANENT;  // other 4xx, and 1xx/3xx a client does not follow
        if (const auto target = detail::redirect_target(response)) {
            const auto host = parse_origin(*target).host;
            if (response.url.empty() || origin_key(*target) == origin_key(response.url))
                c.message += ": redirected to " + without_query(*target) + ", not followed" +
                             (response.redirects_followed > 0
                                  ? " after " + std::to_string(response.redirects_followed) + " redirects"
                                  : std::string());
            else
                c.message += ": redirected to another host (" + host +
                             "): not followed, credentials are never sent there";
        }
    }
    return c;
}

Classification classify(const TransportError &error, const std::string &what) {
    Classification c;
    c.message = (what.empty() ? std::string() : what + ": ") + error.what();
    c.status = error.kind() == TransportError::Kind::tls_verification ? RELAIS_INVALID_CONFIG : RELAIS_TRANSIENT;
    c.applied = applied_for(error);
    return c;
}

void throw_unless_ok(const HttpResponse &response, const ClassifyOptions &options) {
    const auto c = classify(response, options);
    if (!c.ok()) throw c.to_error();
}

}  // namespace relais::support
