// The baseline of the HTTP benchmark: a minimal Poco HTTPServer that does what relais does
// for a no-op action minus everything Relais adds (routing, auth, schema validation, the
// plugin call, redaction, metrics): read the JSON body, answer the same JSON document.
// Same thread and keep-alive settings as relais serve's defaults.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <csignal>
#include <iostream>

namespace {

class EchoHandler : public Poco::Net::HTTPRequestHandler {
public:
    void handleRequest(Poco::Net::HTTPServerRequest &request, Poco::Net::HTTPServerResponse &response) override {
        std::string body;
        Poco::StreamCopier::copyToString(request.stream(), body);
        const std::string out = R"({"call_id":"call-0-1","duration_ms":0,"result":)" + body + "}";
        response.setContentType("application/json");
        response.setContentLength64(static_cast<Poco::Int64>(out.size()));
        response.send() << out;
    }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Poco::Net::HTTPRequestHandler *createRequestHandler(const Poco::Net::HTTPServerRequest &) override {
        return new EchoHandler;
    }
};

}  // namespace

int main(int argc, char **argv) {
    const unsigned short port = argc > 1 ? static_cast<unsigned short>(std::stoi(argv[1])) : 18181;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);

    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(16);
    params->setMaxQueued(64);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);
    Poco::ThreadPool pool(2, 18);
    Poco::Net::HTTPServer server(new Factory, pool, Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", port), 64),
                                 params);
    server.start();
    std::cout << "baseline listening on http://127.0.0.1:" << port << std::endl;
    int sig = 0;
    sigwait(&set, &sig);
    server.stopAll(true);
    return 0;
}
