// Errors of the HTTP API: each becomes {"error":{"class":...,"message":...,"details":...}}
// with the HTTP status that goes with its class.
#pragma once

#include <relais/plugin.h>

#include <Poco/JSON/Object.h>

#include <map>
#include <stdexcept>
#include <string>

namespace relais::host::http {

class ApiError : public std::runtime_error {
public:
    ApiError(int status, std::string error_class, const std::string &message, Poco::JSON::Object::Ptr details = nullptr)
        : std::runtime_error(message), status_(status), class_(std::move(error_class)), details_(std::move(details)) {}

    int status() const { return status_; }
    const std::string &error_class() const { return class_; }
    const Poco::JSON::Object::Ptr &details() const { return details_; }
    std::map<std::string, std::string> headers;  // e.g. Retry-After, Allow, WWW-Authenticate

private:
    int status_;
    std::string class_;
    Poco::JSON::Object::Ptr details_;
};

// The HTTP status for a plugin's error class. Upstream credential failures are 502, not
// 401/403: the caller's own token was fine, the connector's credentials were not.
int http_status_for(relais_status status);

}  // namespace relais::host::http
