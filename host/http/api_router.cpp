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

// Whether the template matches the segments, literal parts compared in place.
bool matches(std::string_view tmpl, const std::vector<std::string_view> &segments) {
    std::size_t pos = 0;
    std::size_t i = 0;
    for (auto part = next_segment(tmpl, pos); !part.empty(); part = next_segment(tmpl, pos), ++i) {
        if (i == segments.size()) return false;
        if (!is_placeholder(part) && part != segments[i]) return false;
    }
    return i == segments.size();
}

// The {placeholders} of a template known to match, percent-decoded.
std::map<std::string, std::string> params_of(std::string_view tmpl, const std::vector<std::string_view> &segments) {
    std::map<std::string, std::string> found;
    std::size_t pos = 0;
    std::size_t i = 0;
    for (auto part = next_segment(tmpl, pos); !part.empty(); part = next_segment(tmpl, pos), ++i) {
        if (!is_placeholder(part)) continue;
        std::string decoded;
        Poco::URI::decode(std::string(segments[i]), decoded);
        found[std::string(part.substr(1, part.size() - 2))] = std::move(decoded);
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
    routes_.push_back({std::move(method), std::move(path), scope, std::move(handler), body});
}

const Route &ApiRouter::match(const std::string &method, const std::string &path,
                              std::map<std::string, std::string> &params) const {
    const auto segments = split_path(path);
    // The most literal templates win: /api/v1/jobs/bulk is that route's, not a job named
    // "bulk" of /api/v1/jobs/{id}, whatever the method; the others do not answer it at all.
    int best = -1;
    for (const auto &r : routes_)
        if (matches(r.path, segments)) best = std::max(best, literal_segments(r.path));
    std::string allowed;
    for (const auto &r : routes_) {
        if (!matches(r.path, segments) || literal_segments(r.path) != best) continue;
        if (r.method == method) {
            params = params_of(r.path, segments);
            return r;
        }
        allowed += (allowed.empty() ? "" : ", ") + r.method;
    }
    if (!allowed.empty()) {
        ApiError e(405, "method_not_allowed", "method " + method + " is not allowed on " + path + " (allowed: " +
                                                  allowed + ")");
        e.headers["Allow"] = allowed;
        throw e;
    }
    throw ApiError(404, "not_found", "no such endpoint: " + path);
}

}  // namespace relais::host::http
