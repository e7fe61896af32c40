#include "http/api_router.hpp"

#include "http/api_error.hpp"

#include <Poco/URI.h>

#include <sstream>

namespace relais::host::http {
namespace {

std::vector<std::string> split_path(const std::string &path) {
    std::vector<std::string> parts;
    std::string current;
    for (char c : path) {
        if (c == '/') {
            if (!current.empty()) parts.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty()) parts.push_back(current);
    return parts;
}

bool match_template(const std::string &tmpl, const std::vector<std::string> &segments,
                    std::map<std::string, std::string> &params) {
    const auto parts = split_path(tmpl);
    if (parts.size() != segments.size()) return false;
    std::map<std::string, std::string> found;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].size() > 2 && parts[i].front() == '{' && parts[i].back() == '}') {
            std::string decoded;
            Poco::URI::decode(segments[i], decoded);
            found[parts[i].substr(1, parts[i].size() - 2)] = decoded;
        } else if (parts[i] != segments[i]) {
            return false;
        }
    }
    params = std::move(found);
    return true;
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
    std::string allowed;
    for (const auto &r : routes_) {
        std::map<std::string, std::string> p;
        if (!match_template(r.path, segments, p)) continue;
        if (r.method == method) {
            params = std::move(p);
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
