#include "mindee_webhooks.hpp"

#include "certificate_authority.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/Exception.h>
#include <Poco/HMACEngine.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/NullStream.h>
#include <Poco/SHA2Engine.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <memory>

namespace relais::mindee_emulator {

namespace {

// Poco's HMACEngine needs the block and digest sizes as constants of the engine type.
class Sha256Engine : public Poco::SHA2Engine {
public:
    enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
    Sha256Engine() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

}  // namespace

std::string hmac_sha256_hex(const std::string &secret, const std::string &body) {
    Poco::HMACEngine<Sha256Engine> hmac(secret);
    hmac.update(body);
    return Poco::DigestEngine::digestToHex(hmac.digest());
}

DeliveryOutcome deliver_webhook(const std::string &url, const std::string &body, const std::string &secret,
                                const std::string &ca_file) {
    DeliveryOutcome outcome;
    try {
        const Poco::URI uri(url);
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (uri.getScheme() == "https") {
            emulator::ensure_ssl_initialized();
            Poco::Net::Context::Params params;
            params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
            params.caLocation = ca_file;
            params.loadDefaultCAs = ca_file.empty();
            Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
            session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
        } else if (uri.getScheme() == "http") {
            session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        } else {
            outcome.error = "not an http(s) URL: " + url;
            return outcome;
        }
        session->setTimeout(Poco::Timespan(10, 0));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathEtc(),
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType("application/json");
        request.set("X-Mindee-Hmac-Signature", hmac_sha256_hex(secret, body));
        request.setContentLength64(static_cast<Poco::Int64>(body.size()));
        session->sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        auto &in = session->receiveResponse(response);
        Poco::NullOutputStream discard;
        Poco::StreamCopier::copyStream(in, discard);
        outcome.status = static_cast<int>(response.getStatus());
        outcome.ok = outcome.status >= 200 && outcome.status < 300;
        if (!outcome.ok) outcome.error = "the receiver answered HTTP " + std::to_string(outcome.status);
    } catch (const Poco::Exception &e) {
        outcome.error = e.displayText();
    } catch (const std::exception &e) {
        outcome.error = e.what();
    }
    return outcome;
}

}  // namespace relais::mindee_emulator
