#include "router.hpp"

#include <algorithm>
#include <stdexcept>

namespace relais::emulator {

namespace {

std::vector<std::string> split_path(const std::string &path) {
    std::vector<std::string> segments;
    std::size_t start = 1;
    while (start <= path.size()) {
        auto end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        segments.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return segments;
}

bool is_param(const std::string &segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Fills `params` and returns the number of literal segments, or -1 when the path does not fit.
int fit(const std::vector<std::string> &pattern, const std::vector<std::string> &path,
        std::map<std::string, std::string> &params) {
    if (pattern.size() != path.size()) return -1;
    int literals = 0;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (is_param(pattern[i]) && !path[i].empty())
            params[pattern[i].substr(1, pattern[i].size() - 2)] = path[i];
        else if (pattern[i] == path[i])
            ++literals;
        else
            return -1;
    }
    return literals;
}

}  // namespace

bool path_under(const std::string &path, const std::string &prefix) {
    if (prefix.empty() || path == prefix) return true;
    if (path.compare(0, prefix.size(), prefix) != 0) return false;
    return prefix.back() == '/' || path[prefix.size()] == '/';
}

void Router::add(const std::string &method, const std::string &path_template, Handler handler) {
    if (path_template.empty() || path_template.front() != '/')
        throw std::invalid_argument("route template must start with '/': " + path_template);
    routes_.push_back({method, path_template, split_path(path_template), std::move(handler)});
}

RouteMatch Router::match(const std::string &method, const std::string &path) const {
    RouteMatch best;
    int best_literals = -1;
    const auto segments = split_path(path);
    for (const auto &route : routes_) {
        std::map<std::string, std::string> params;
        const int literals = fit(route.segments, segments, params);
        if (literals < 0) continue;
        if (route.method != method) {
            if (std::find(best.allowed.begin(), best.allowed.end(), route.method) == best.allowed.end())
                best.allowed.push_back(route.method);
            continue;
        }
        if (literals > best_literals) {
            best_literals = literals;
            best.handler = route.handler;
            best.route = route.path_template;
            best.params = std::move(params);
        }
    }
    return best;
}

}  // namespace relais::emulator
