// Routes: (method, path template) -> handler, with {name} segments as path parameters.
#pragma once

#include "http_message.hpp"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace relais::emulator {

using Handler = std::function<Response(const Request &)>;

// True when `path` is `prefix` or lies under it, segment-wise ("/a" covers "/a/b", not "/ab").
// The empty prefix covers every path.
bool path_under(const std::string &path, const std::string &prefix);

struct RouteMatch {
    Handler handler;                            // empty when no route takes this method and path
    std::string route;                          // the matched template, "" for none
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;           // methods the path has, when `handler` is empty
};

// Not synchronized: the server guards it.
class Router {
public:
    // Throws std::invalid_argument for a template that does not start with '/'.
    void add(const std::string &method, const std::string &path_template, Handler handler);
    // The most specific template wins (more literal segments); among equals, the first added.
    RouteMatch match(const std::string &method, const std::string &path) const;

private:
    struct Route {
        std::string method;
        std::string path_template;
        std::vector<std::string> segments;
        Handler handler;
    };
    std::vector<Route> routes_;
};

}  // namespace relais::emulator
