#include "universign_pushes.hpp"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <memory>

namespace relais::universign_emulator {

int send_push(const std::string &url, const std::string &method, const std::string &json_body,
              const Poco::Net::Context::Ptr &tls_context) {
    try {
        const Poco::URI uri(url);
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (uri.getScheme() == "https") {
            auto context = tls_context ? tls_context
                                       : Poco::Net::Context::Ptr(new Poco::Net::Context(
                                             Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_STRICT,
                                             9, true));
            session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
        } else if (uri.getScheme() == "http") {
            session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        } else {
            return 0;
        }
        session->setTimeout(Poco::Timespan(5, 0));
        Poco::Net::HTTPRequest request(method, uri.getPathAndQuery(), Poco::Net::HTTPMessage::HTTP_1_1);
        if (!json_body.empty()) {
            request.setContentType("application/json");
            request.setContentLength(static_cast<std::streamsize>(json_body.size()));
        }
        session->sendRequest(request) << json_body;
        Poco::Net::HTTPResponse response;
        auto &in = session->receiveResponse(response);
        Poco::NullOutputStream discard;
        Poco::StreamCopier::copyStream(in, discard);
        return static_cast<int>(response.getStatus());
    } catch (const Poco::Exception &) {
        return 0;
    } catch (const std::exception &) {
        return 0;
    }
}

}  // namespace relais::universign_emulator
