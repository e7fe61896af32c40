#include "http_redirect.hpp"

#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>

namespace relais::support::detail {

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::optional<std::string> redirect_target(const HttpResponse &response) {
    if (!is_redirect(response.status) || response.url.empty()) return std::nullopt;
    const auto location = response.header("Location");
    if (!location || Poco::trim(*location).empty()) return std::nullopt;
    try {
        Poco::URI target(response.url);
        target.resolve(Poco::trim(*location));  // RFC 3986 5.2: relative to the request's URL
        target.setFragment("");
        const auto text = target.toString();
        parse_origin(text);  // an http(s) URL with a host, or nothing
        return text;
    } catch (const Poco::Exception &) {
        return std::nullopt;
    } catch (const std::invalid_argument &) {
        return std::nullopt;
    }
}

std::optional<HttpRequest> follow(const HttpRequest &request, const HttpResponse &response) {
    if (!request.follow_redirects || response.redirects_followed >= request.max_redirects) return std::nullopt;
    const auto target = redirect_target(response);
    if (!target || origin_key(*target) != origin_key(request.url)) return std::nullopt;

    HttpRequest next = request;
    next.url = *target;
    const int s = response.status;
    if (s == 303 || ((s == 301 || s == 302) && request.method == "POST")) {
        // "See other" (and the historic reading of 301/302 after a POST): fetch the result.
        next.method = request.method == "HEAD" ? "HEAD" : "GET";
        next.body.clear();
        next.content_type.clear();
        next.idempotent.reset();
        next.headers.erase(std::remove_if(next.headers.begin(), next.headers.end(),
                                          [](const auto &h) {
                                              return Poco::icompare(h.first, "Content-Type") == 0 ||
                                                     Poco::icompare(h.first, "Content-Length") == 0;
                                          }),
                           next.headers.end());
        return next;
    }
    // Same method and body at the new place: only when sending it twice does no harm.
    if (!request.is_idempotent()) return std::nullopt;
    return next;
}

}  // namespace relais::support::detail
