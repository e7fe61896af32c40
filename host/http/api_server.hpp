// The HTTP(S) server in front of the API router: limits, authentication, JSON errors,
// redaction of every response, metrics, and a graceful stop that lets requests in flight
// finish within a bound.
#pragma once

#include "http/api_auth.hpp"
#include "http/api_router.hpp"
#include "http/body_limits.hpp"

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/ThreadPool.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace relais::host {
class Redactor;
class Metrics;
}  // namespace relais::host

namespace relais::host::console {
class ConsoleAssets;
}

namespace relais::host::http {

struct ServerSettings {
    std::string address = "127.0.0.1";
    uint16_t port = 8080;  // 0: any free port (see ApiServer::port)
    std::string tls_certificate;  // PEM files; HTTPS when both are set
    std::string tls_private_key;
    // Shared with the service, which declares each connector's largest input as it loads;
    // none: the defaults of BodyLimits.
    std::shared_ptr<const BodyLimits> body_limits;
    // The administration console's files, served at /console/; none: no console.
    std::shared_ptr<const console::ConsoleAssets> console;
    int request_timeout_seconds = 30;
    int max_threads = 16;
    int max_queued = 64;
};

class ApiServer {
public:
    ApiServer(ServerSettings settings, const ApiRouter &router, const Authenticator &auth,
              std::shared_ptr<const Redactor> redactor, Metrics *metrics);
    ~ApiServer();

    void start();
    uint16_t port() const;
    std::string url() const;

    // Stops accepting connections, lets requests in flight finish for up to `grace`, then
    // closes every connection. Returns false when some request was still running: its
    // thread is still inside a plugin, and the server must not be destroyed before it ends.
    bool stop(std::chrono::milliseconds grace);

    // Used by the request handlers.
    void enter();
    void leave();
    bool stopping();

private:
    friend class RequestHandler;

    ServerSettings settings_;
    const ApiRouter &router_;
    const Authenticator &auth_;
    std::shared_ptr<const Redactor> redactor_;
    Metrics *metrics_;

    // Declared before the pool, so destroyed after it: the connections' threads (joined by
    // the pool's destructor) unregister from the factory's serverStopped event as they end,
    // and the event must outlive them whatever the order Poco releases its references in.
    Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
    Poco::ThreadPool pool_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    bool tls_ = false;

    std::mutex mutex_;
    std::condition_variable idle_;
    int in_flight_ = 0;
    bool stopped_ = false;
};

}  // namespace relais::host::http
