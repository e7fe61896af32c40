#include "http/api_router.hpp"

#include "http/api_error.hpp"

#include <Poco/URI.h>

#include <algorithm>
#include <sstream>
#include <string_view>

namespace relais::host::http {
namespace {

// The next non-empty segment of `path` from `pos` (empty slashes are skipped, so "//a/" is
// "/a"), or an empty view at the end. Views into the caller's string: nothing is copied, as
// every request walks every route's template.
std::string_view next_segment(std::string_view path, std::size_t &pos) {
    while (pos < path.size() && path[pos] == '/') ++pos;
    const auto begin = pos;
    while (pos < path.size() && path[pos] != '/') ++pos;
    return path.substr(begin, pos - begin);
}

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    std::size_t pos = 0;
    for (auto s = next_segment(path, pos); !s.empty(); s = next_segment(path, pos)) parts.push_back(s);
    return parts;
}

bool is_placeholder(std::string_view part) { return part.size() > 2 && part.front() == '{' && part.back() == '}'; }

// Whether the route's parts match the segments, literal parts compared in place.
bool matches(const Route &route, const std::vector<std::string_view> &segments) {
    if (route.parts.size() != segments.size()) return false;
    for (size_t i = 0; i < segments.size(); ++i)
        if (!is_placeholder(route.parts[i]) && route.parts[i] != segments[i]) return false;
    return true;
}

// The {placeholders} of a route known to match, percent-decoded.
std::map<std::string, std::string> params_of(const Route &route, const std::vector<std::string_view> &segments) {
    std::map<std::string, std::string> found;
    for (size_t i = 0; i < segments.size(); ++i) {
        const auto &part = route.parts[i];
        if (!is_placeholder(part)) continue;
        std::string decoded;
        Poco::URI::decode(std::string(segments[i]), decoded);
        found[part.substr(1, part.size() - 2)] = std::move(decoded);
    }
    return found;
}

int literal_segments(std::string_view tmpl) {
    int n = 0;
    std::size_t pos = 0;
    for (auto part = next_segment(tmpl, pos); !part.empty(); part = next_segment(tmpl, pos))
        if (!is_placeholder(part)) ++n;
    return n;
}

}  // namespace

ApiResponse ApiResponse::json(int status, const Poco::JSON::Object::Ptr &body) {
    ApiResponse r;
    r.status = status;
    std::ostringstream s;
    body->stringify(s);
    r.body = s.str();
    return r;
}

void ApiRouter::add(std::string method, std::string path, Scope scope, Handler handler) {
    add(std::move(method), std::move(path), scope, BodyKind::standard, std::move(handler));
}

void ApiRouter::add(std::string method, std::string path, Scope scope, BodyKind body, Handler handler) {
    Route route{std::move(method), std::move(path), scope, std::move(handler), body, {}, 0};
    for (const auto part : split_path(route.path)) route.parts.emplace_back(part);
    route.literals = literal_segments(route.path);
    routes_.push_back(std::move(route));
}

const Route &ApiRouter::match(const std::string &method, const std::string &path,
                              std::map<std::string, std::string> &params) const {
    const auto segments = split_path(path);
    // The most literal templates win: /api/v1/jobs/bulk is that route's, not a job named
    // "bulk" of /api/v1/jobs/{id}, whatever the method; the others do not answer it at all.
    const Route *found = nullptr;
    int best = -1;
    for (const auto &r : routes_) {
        if (r.literals < best || !matches(r, segments)) continue;
        if (r.literals > best || (r.method == method && (!found || found->method != method))) found = &r;
        best = std::max(best, r.literals);
    }
    if (found && found->method == method) {
        params = params_of(*found, segments);
        return *found;
    }
    std::string allowed;
    for (const auto &r : routes_)
        if (r.literals == best && matches(r, segments)) allowed += (allowed.empty() ? "" : ", ") + r.method;
    if (!allowed.empty()) {
        ApiError e(405, "method_not_allowed", "method " + method + " is not allowed on " + path + " (allowed: " +
                                                  allowed + ")");
        e.headers["Allow"] = allowed;
        throw e;
    }
    throw ApiError(404, "not_found", "no such endpoint: " + path);
}

}  // namespace relais::host::http
