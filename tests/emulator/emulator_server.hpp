// The HTTP(S) server every API emulator is built on: routes with path parameters, a request
// log, quotas, faults on demand and a controllable clock. An emulator rejects what the real
// API rejects, so a connector that passes against it has a good chance against the real one.
#pragma once

#include "certificate_authority.hpp"
#include "emulator_clock.hpp"
#include "faults.hpp"
#include "http_message.hpp"
#include "quota.hpp"
#include "request_log.hpp"
#include "router.hpp"

#include <Poco/Types.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Net
}  // namespace Poco

namespace relais::emulator {

struct ServerOptions {
    Poco::UInt16 port = 0;                 // 0: the OS picks one; port() tells which
    std::optional<TlsFiles> tls;           // HTTPS with these files, plain HTTP without
    // Connections served at once: a held request, or an idle keep-alive connection (for 10 s),
    // holds one.
    int threads = 8;
    std::shared_ptr<EmulatorClock> clock;  // shared by cooperating emulators; real time if null
};

class EmulatorServer {
public:
    explicit EmulatorServer(ServerOptions options = {});
    ~EmulatorServer();  // stops
    EmulatorServer(const EmulatorServer &) = delete;
    EmulatorServer &operator=(const EmulatorServer &) = delete;

    // Registers a handler for `method` on `path_template` ("/siret/{siret}"). Requests with no
    // route get 404, a known path with another method 405, a handler that throws HttpError its
    // response, DropConnection no answer at all (the connection is reset), and any other
    // exception 500 naming it (an emulator bug must show in the test).
    void route(const std::string &method, const std::string &path_template, Handler handler);

    // Listens on 127.0.0.1. Idempotent. After a stop(), start() listens on the same port again,
    // so a client configured with base_url() sees an outage end.
    void start();
    // Idempotent. Releases held (hanging) requests and returns once no handler runs.
    void stop();
    bool running() const;
    Poco::UInt16 port() const;
    // "https://localhost:PORT" (the name the test certificate is for) or "http://127.0.0.1:PORT".
    std::string base_url() const;
    EmulatorClock &clock() { return *clock_; }

    // The request log (see RequestLog).
    std::vector<RecordedRequest> requests() const { return log_.all(); }
    std::size_t count(const std::string &method, const std::string &path) const { return log_.count(method, path); }
    void clear() { log_.clear(); }
    bool wait_for_count(const std::string &method, const std::string &path, std::size_t n,
                        std::chrono::milliseconds timeout) const {
        return log_.wait_for_count(method, path, n, timeout);
    }
    std::size_t max_requests_in_one_second(const std::string &path_prefix = "") const {
        return log_.max_in_one_second(path_prefix);
    }

    // A quota over the requests under `path_prefix` ("" for all); 0 means no limit. Setting one
    // for the same prefix again replaces it and its counts. A request must fit every quota
    // whose prefix covers it; the first it does not fit answers. Requests answered by an
    // injected fault are not counted.
    void set_quota(int per_second, int per_day, OverQuotaResponse over_quota = {}, const std::string &path_prefix = "");
    void clear_quotas();

    // The next `count` requests that the fault applies to get it (see Fault).
    void inject(const Fault &fault, int count = 1) { faults_.push(fault, count); }
    void clear_faults() { faults_.clear(); }
    std::size_t pending_faults() const { return faults_.pending(); }

private:
    class RequestHandler;
    class HandlerFactory;

    void handle(Poco::Net::HTTPServerRequest &in, Poco::Net::HTTPServerResponse &out);
    // nullopt: the connection was dropped, nothing is to be sent.
    std::optional<Response> answer(const Request &request, const RouteMatch &match, Poco::Net::HTTPServerRequest &in,
                                   EmulatorClock::time_point arrival);
    std::optional<Response> over_quota(const Request &request, EmulatorClock::time_point arrival);
    Response dispatch(const Request &request, const RouteMatch &match);
    // Holds the request for `duration` or until stop(); false when stop() came first.
    bool hold(std::chrono::milliseconds duration);

    ServerOptions options_;
    std::shared_ptr<EmulatorClock> clock_;
    RequestLog log_;
    FaultQueue faults_;

    mutable std::mutex routes_mutex_;
    Router router_;

    std::mutex quotas_mutex_;
    std::vector<std::pair<std::string, Quota>> quotas_;

    std::mutex hold_mutex_;
    std::condition_variable hold_released_;
    bool stopping_ = false;

    mutable std::mutex lifecycle_mutex_;
    std::unique_ptr<Poco::ThreadPool> pool_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    Poco::UInt16 port_ = 0;
};

}  // namespace relais::emulator
