// What an emulator's route handler sees (Request) and gives back (Response).
#pragma once

#include "multipart.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/Net/NameValueCollection.h>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace relais::emulator {

// Decoded name/value pairs in their order (query strings and form bodies may repeat a name).
using Fields = std::vector<std::pair<std::string, std::string>>;

// Decodes application/x-www-form-urlencoded text ('+' is a space, %XX a byte).
Fields decode_form(const std::string &text);

struct Request {
    std::string method;
    std::string path;                           // percent-decoded, without the query
    std::string query;                          // raw, without the '?'
    std::map<std::string, std::string> params;  // from the route template's {name} segments
    Fields query_params;
    Poco::Net::NameValueCollection headers;     // names compare case-insensitively
    std::string body;
    Fields form;  // the body decoded, when it is application/x-www-form-urlencoded

    // A path parameter of the matched route; std::out_of_range if the template has no such name.
    const std::string &param(const std::string &name) const { return params.at(name); }
    std::optional<std::string> query_param(const std::string &name) const;
    std::optional<std::string> form_param(const std::string &name) const;
    std::optional<std::string> header(const std::string &name) const;
    // The body as a JSON object; throws HttpError (400) when it is not one, since a client that
    // sends bad JSON made the mistake, not the emulator.
    Poco::JSON::Object::Ptr json() const;
    // The body as multipart/form-data (multipart.hpp), parsed on each call; throws HttpError
    // (400) when the Content-Type is not multipart/form-data or the body is malformed.
    MultipartForm multipart(const MultipartLimits &limits = {}) const;
};

struct Response {
    int status = 200;
    Poco::Net::NameValueCollection headers;
    std::string body;

    static Response json(int status, const Poco::JSON::Object::Ptr &body);
    static Response json(int status, std::string body);
    static Response xml(int status, std::string body);
    static Response text(int status, std::string body);
    // Adds a header (a repeated name gives several header lines, as Set-Cookie needs).
    Response &header(const std::string &name, const std::string &value);
};

// Thrown by a handler to answer with `response`: for refusals deep inside a handler's helpers.
class HttpError : public std::runtime_error {
public:
    explicit HttpError(Response response);
    const Response &response() const { return response_; }

private:
    Response response_;
};

// Thrown by a handler that has done its work (a deposit recorded) to drop the connection
// without answering, as a server that crashes before replying does: the client cannot tell
// whether its request took effect. The request stays in the log, unanswered (status 0).
class DropConnection : public std::exception {
public:
    const char *what() const noexcept override { return "the handler dropped the connection"; }
};

// {"error": code, "message": message}: the emulator framework's own error bodies.
Response error_response(int status, const std::string &code, const std::string &message);

}  // namespace relais::emulator
