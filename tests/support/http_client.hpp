// A small HTTP client for API tests (keep-alive, bearer token, JSON bodies).
#pragma once

#include <Poco/JSON/Object.h>

#include <map>
#include <memory>
#include <string>

#include <Poco/Net/Context.h>

namespace Poco::Net {
class HTTPClientSession;
}

namespace relais::test {

struct HttpResult {
    int status = 0;
    std::map<std::string, std::string> headers;
    std::string body;

    Poco::JSON::Object::Ptr json() const;  // throws when the body is not a JSON object
    std::string header(const std::string &name) const;
};

class HttpClient {
public:
    explicit HttpClient(const std::string &base_url);
    // HTTPS with the given client context (e.g. one trusting only a test CA).
    HttpClient(const std::string &base_url, Poco::Net::Context::Ptr context);
    ~HttpClient();

    HttpResult request(const std::string &method, const std::string &path, const std::string &token = "",
                       const std::string &body = "", const std::string &content_type = "application/json");
    HttpResult get(const std::string &path, const std::string &token = "") { return request("GET", path, token); }
    HttpResult post(const std::string &path, const std::string &token, const std::string &body = "") {
        return request("POST", path, token, body);
    }

private:
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
};

}  // namespace relais::test
