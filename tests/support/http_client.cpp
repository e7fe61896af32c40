#include "http_client.hpp"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>

namespace relais::test {

Poco::JSON::Object::Ptr HttpResult::json() const {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::string HttpResult::header(const std::string &name) const {
    for (const auto &[k, v] : headers)
        if (Poco::icompare(k, name) == 0) return v;
    return {};
}

HttpClient::HttpClient(const std::string &base_url) {
    const Poco::URI uri(base_url);
    session_ = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    session_->setKeepAlive(true);
    session_->setTimeout(Poco::Timespan(30, 0));
}

HttpClient::HttpClient(const std::string &base_url, Poco::Net::Context::Ptr context) {
    const Poco::URI uri(base_url);
    session_ = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
    session_->setKeepAlive(true);
    session_->setTimeout(Poco::Timespan(30, 0));
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::request(const std::string &method, const std::string &path, const std::string &token,
                               const std::string &body, const std::string &content_type) {
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!token.empty()) request.set("Authorization", "Bearer " + token);
    if (!body.empty() || method == "POST" || method == "PUT") {
        request.setContentLength64(static_cast<Poco::Int64>(body.size()));
        if (!content_type.empty()) request.setContentType(content_type);
    }
    session_->sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    auto &in = session_->receiveResponse(response);
    HttpResult r;
    r.status = response.getStatus();
    for (const auto &[k, v] : response) r.headers[k] = v;
    Poco::StreamCopier::copyToString(in, r.body);
    return r;
}

}  // namespace relais::test
