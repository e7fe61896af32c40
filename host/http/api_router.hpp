// The route table of the HTTP API: method + path template ("/api/v1/connectors/{name}"),
// the scope a caller needs, and the handler. The OpenAPI document is checked against it.
#pragma once

#include "http/api_auth.hpp"
#include "http/body_limits.hpp"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <functional>
#include <ostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace relais::host::http {

struct ApiRequest {
    std::string method;
    std::string path;
    std::string route;                          // the matched template
    std::map<std::string, std::string> params;  // from the template's {placeholders}
    std::map<std::string, std::string> query;
    std::string body;
    const ApiToken *token = nullptr;
    // Filled for webhook routes (BodyKind::webhook): what a plugin checks to authenticate
    // the request, and the body, read on demand with the hook's own limit (413 beyond it).
    // Other routes get only Last-Event-ID, when sent.
    std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
    std::string raw_query;
    std::string remote_address;
    std::function<std::string(std::uint64_t limit)> read_body;
};

struct ApiResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::map<std::string, std::string> headers;
    // Set for a body sent as it is produced (an event stream), chunked, instead of `body`:
    // called once the headers are out; it writes and flushes as it goes, and returns when it
    // is done, when writing fails, or soon after `stopping()` turns true (the server stops).
    std::function<void(std::ostream &out, const std::function<bool()> &stopping)> stream;

    static ApiResponse json(int status, const Poco::JSON::Object::Ptr &body);
};

using Handler = std::function<ApiResponse(const ApiRequest &)>;

struct Route {
    std::string method;
    std::string path;  // template
    Scope scope;
    Handler handler;
    BodyKind body = BodyKind::standard;  // which body limit applies (body_limits.hpp)
    // The template cut into its segments once, when the route is added: each request then
    // compares segments, not text.
    std::vector<std::string> parts;
    int literals = 0;  // how many parts are not {placeholders}
};

class ApiRouter {
public:
    void add(std::string method, std::string path, Scope scope, Handler handler);
    // A route whose body is a connector's input (an action's, a job's): it may hold a file.
    void add(std::string method, std::string path, Scope scope, BodyKind body, Handler handler);

    // The route for a request, with its parameters filled in; throws ApiError 404 for an
    // unknown path and 405 (with Allow) for a known path with another method.
    const Route &match(const std::string &method, const std::string &path,
                       std::map<std::string, std::string> &params) const;

    const std::vector<Route> &routes() const { return routes_; }

private:
    std::vector<Route> routes_;
};

}  // namespace relais::host::http
