#include "mindee_errors.hpp"

#include "mindee_json.hpp"

#include <relais/support/classify.hpp>

#include <Poco/JSON/Parser.h>
#include <Poco/String.h>

namespace relais::mindee {

namespace {

using support::HttpResponse;

Json parsed(const HttpResponse &r) {
    if (r.body.empty() || r.body.front() != '{') return nullptr;
    try {
        return Poco::JSON::Parser().parse(r.body).extract<Json>();
    } catch (const std::exception &) {
        return nullptr;
    }
}

// The text of an HTML page: its title and first heading, tags removed.
std::string html_text(const std::string &html) {
    auto inner = [&](const std::string &tag) -> std::string {
        const auto lower = Poco::toLower(html);
        const auto open = lower.find("<" + tag);
        if (open == std::string::npos) return {};
        const auto start = lower.find('>', open);
        const auto end = lower.find("</" + tag, start);
        if (start == std::string::npos || end == std::string::npos) return {};
        return Poco::trim(html.substr(start + 1, end - start - 1));
    };
    const auto title = inner("title"), heading = inner("h1");
    if (!heading.empty() && heading != title) return title.empty() ? heading : title + ": " + heading;
    return title;
}

struct Problem {
    std::string message;  // Mindee's words
    std::string code;     // v1 error.code or v2 code
    std::string pointer;  // v2 errors[0].pointer, or "#/document" for v1 details.document
    bool about_our_request = false;
};

Problem problem_of(const HttpResponse &r) {
    Problem p;
    const auto body = parsed(r);
    if (!body) {
        const auto type = Poco::toLower(r.content_type());
        if (type.find("html") != std::string::npos || r.body.find("<html") != std::string::npos ||
            r.body.find("<!DOCTYPE") != std::string::npos)
            p.message = html_text(r.body);
        else
            p.message = Poco::trim(r.body.substr(0, 200));
        return p;
    }
    if (const auto request = object_at(body, "api_request")) {  // v1
        const auto error = object_at(request, "error");
        p.code = text_at(error, "code").value_or("");
        p.message = describe_v1_error(body);
        if (p.message == "none") p.message.clear();
        if (const auto details = object_at(error, "details")) {
            if (details->has("document")) p.pointer = "#/document";
            else if (details->size() > 0) p.about_our_request = true, p.pointer = "#/" + details->getNames().front();
        }
        return p;
    }
    // v2 problem details
    p.code = text_at(body, "code").value_or("");
    const auto title = text_at(body, "title").value_or(""), detail = text_at(body, "detail").value_or("");
    p.message = title.empty() ? detail : detail.empty() ? title : title + ": " + detail;
    for (const auto &e : objects_in(body, "errors")) {
        const auto pointer = text_at(e, "pointer").value_or("");
        const auto what = text_at(e, "detail").value_or("");
        if (p.pointer.empty()) p.pointer = pointer;
        p.message += (p.message.empty() ? "" : "; ") + (pointer.empty() ? what : pointer + ": " + what);
    }
    if (p.message.empty()) p.message = text_at(body, "message").value_or("");
    return p;
}

bool is_file_pointer(const std::string &pointer) {
    return pointer.empty() || pointer == "#/file" || pointer == "#/document" || pointer == "#/url" ||
           pointer == "#/file_base64" || pointer.rfind("#/file/", 0) == 0;
}

std::string said(const Problem &p) { return p.message.empty() ? std::string() : " (" + p.message + ")"; }

}  // namespace

std::string describe_mindee_body(const HttpResponse &response) { return problem_of(response).message; }

Error mindee_error(const HttpResponse &r, ApiVersion version, const std::string &what) {
    const auto p = problem_of(r);
    Json detail = new Poco::JSON::Object;
    detail->set("http_status", r.status);
    if (!p.code.empty()) detail->set("mindee_code", p.code);
    if (!p.pointer.empty()) detail->set("pointer", p.pointer);
    const auto status = "HTTP " + std::to_string(r.status);
    const auto lower = Poco::toLower(p.message);

    switch (r.status) {
    case 401:
        return Error(RELAIS_UNAUTHORIZED,
                     what + ": Mindee refused the API key (" + status + said(p) + "); check api_key" +
                         (version == ApiVersion::v1 ? " (a v1 key, sent as 'Token <key>')" : " (a v2 key, md_...)"),
                     detail);
    case 402:
        return Error(RELAIS_PERMANENT, what + ": Mindee's plan is exhausted (" + status + said(p) +
                                           "): no more pages can be read until it is renewed or upgraded", detail);
    case 403:
        if (p.code == "PlanLimitReached" || lower.find("plan limit") != std::string::npos)
            return Error(RELAIS_PERMANENT, what + ": Mindee's plan is exhausted (" + status + said(p) +
                                               "): no more pages can be read until it is renewed or upgraded", detail);
        return Error(RELAIS_FORBIDDEN, what + ": Mindee does not allow it (" + status + said(p) + ")", detail);
    case 404:
        return Error(RELAIS_NOT_FOUND, what + ": Mindee has no such resource (" + status + said(p) + ")", detail);
    case 400:
    case 413:
    case 422:
        if (p.pointer == "#/model_id")
            return Error(RELAIS_INVALID_CONFIG, what + ": Mindee refused model_id (" + status + said(p) + ")", detail);
        if (p.about_our_request || !is_file_pointer(p.pointer))
            return Error(RELAIS_INTERNAL, what + ": Mindee refused the request Relais built (" + status + said(p) + ")",
                         detail);
        return Error(RELAIS_INVALID_INPUT, what + ": Mindee refused the file (" + status + said(p) + ")", detail);
    case 429: {
        const auto after = r.header("Retry-After");
        auto wait = after ? support::parse_retry_after(*after, std::chrono::system_clock::now()) : std::nullopt;
        const auto delay = wait.value_or(std::chrono::seconds(2));
        return Error(RELAIS_RATE_LIMITED, what + ": Mindee's rate limit was reached (" + status + said(p) + ")", detail,
                     std::max<std::chrono::milliseconds>(delay, std::chrono::milliseconds(100)));
    }
    case 500:
        if (lower.find("inference failed") != std::string::npos || lower.find("can not run prediction") != std::string::npos)
            return Error(RELAIS_PERMANENT, what + ": Mindee could not read this file (" + status + said(p) +
                                               "); sending it again will not help", detail);
        return Error(RELAIS_TRANSIENT, what + ": Mindee failed (" + status + said(p) + ")", detail);
    default: break;
    }
    if (r.status == 408 || r.status >= 500)
        return Error(RELAIS_TRANSIENT, what + ": Mindee is unavailable (" + status + said(p) + ")", detail);
    if (r.status >= 300 && r.status < 400)
        return Error(RELAIS_INTERNAL, what + ": Mindee answered an unexpected redirect (" + status + " to " +
                                          r.header("Location").value_or("nowhere") + ")", detail);
    return Error(RELAIS_PERMANENT, what + ": Mindee refused it (" + status + said(p) + ")", detail);
}

Error transport_error(const support::TransportError &error, const std::string &what) {
    const auto c = support::classify(error, what);
    return c.to_error();
}

}  // namespace relais::mindee
