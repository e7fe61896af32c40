#include "emulator_server.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocketImpl.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <csignal>
#include <cxxabi.h>
#include <iostream>
#include <typeinfo>

namespace relais::emulator {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

class EmulatorServer::RequestHandler : public Poco::Net::HTTPRequestHandler {
public:
    explicit RequestHandler(EmulatorServer &server) : server_(server) {}
    void handleRequest(HTTPServerRequest &in, HTTPServerResponse &out) override { server_.handle(in, out); }

private:
    EmulatorServer &server_;
};

class EmulatorServer::HandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit HandlerFactory(EmulatorServer &server) : server_(server) {}
    Poco::Net::HTTPRequestHandler *createRequestHandler(const HTTPServerRequest &) override {
        return new RequestHandler(server_);
    }

private:
    EmulatorServer &server_;
};

namespace {

// "std::runtime_error: boom": what an emulator bug's 500 says.
std::string describe(const std::exception &e) {
    int status = 0;
    char *name = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
    std::string text = status == 0 && name ? name : typeid(e).name();
    std::free(name);
    const auto *poco = dynamic_cast<const Poco::Exception *>(&e);
    return text + ": " + (poco ? poco->displayText() : e.what());
}

// Drops the connection without an answer. SO_LINGER 0 makes close() send a TCP reset, as a
// crashed server or a middlebox does; for TLS the TCP connection is cut with no close_notify
// (the reset follows when Poco closes the socket). Known limit: a stop() at that very moment
// races with this close, since Poco's abort shuts sockets down from the stopping thread.
void drop_connection(HTTPServerRequest &in) {
    auto &socket = dynamic_cast<Poco::Net::HTTPServerRequestImpl &>(in).socket();
    socket.setLinger(true, 0);
    if (auto *secure = dynamic_cast<Poco::Net::SecureStreamSocketImpl *>(socket.impl()))
        secure->abort();
    else
        socket.close();
}

void send(HTTPServerResponse &out, const Response &response) {
    out.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status));
    for (const auto &[name, value] : response.headers) out.add(name, value);
    out.sendBuffer(response.body.data(), response.body.size());
}

bool is_form(const std::string &content_type) {
    static const std::string form = "application/x-www-form-urlencoded";
    return Poco::icompare(content_type.substr(0, form.size()), form) == 0;
}

}  // namespace

EmulatorServer::EmulatorServer(ServerOptions options)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : std::make_shared<EmulatorClock>()),
      port_(options_.port) {}

EmulatorServer::~EmulatorServer() { stop(); }

void EmulatorServer::route(const std::string &method, const std::string &path_template, Handler handler) {
    std::lock_guard lock(routes_mutex_);
    router_.add(method, path_template, std::move(handler));
}

void EmulatorServer::start() {
    std::lock_guard lifecycle(lifecycle_mutex_);
    if (server_) return;
    // A client that gives up (a timeout during a hang) leaves the server writing to a closed
    // socket: that must fail with EPIPE, not kill the test process with SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    {
        std::lock_guard lock(hold_mutex_);
        stopping_ = false;
    }
    const Poco::Net::SocketAddress address("127.0.0.1", port_);
    Poco::Net::ServerSocket socket;
    if (options_.tls) {
        ensure_ssl_initialized();
        Poco::Net::Context::Params tls;
        tls.certificateFile = options_.tls->certificate.string();
        tls.privateKeyFile = options_.tls->private_key.string();
        tls.verificationMode = Poco::Net::Context::VERIFY_NONE;  // no client certificates
        tls.loadDefaultCAs = false;
        socket = Poco::Net::SecureServerSocket(
            address, 64, new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, tls));
    } else {
        socket = Poco::Net::ServerSocket(address, 64);
    }
    port_ = socket.address().port();

    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(options_.threads);
    // An idle connection thread rechecks for stop() this often: it bounds how long stop() waits.
    params->setThreadIdleTime(Poco::Timespan(0, 100'000));
    pool_ = std::make_unique<Poco::ThreadPool>(1, options_.threads);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(*this), *pool_, socket, params);
    server_->start();
}

void EmulatorServer::stop() {
    std::lock_guard lifecycle(lifecycle_mutex_);
    if (!server_) return;
    // Shut every connection's socket down first (held ones included), then release the held
    // requests: they find their connection gone and send nothing, and no two threads close a
    // socket at once.
    server_->stopAll(true);
    {
        std::lock_guard lock(hold_mutex_);
        stopping_ = true;
    }
    hold_released_.notify_all();
    pool_->joinAll();
    server_.reset();
    pool_.reset();
}

bool EmulatorServer::running() const {
    std::lock_guard lifecycle(lifecycle_mutex_);
    return server_ != nullptr;
}

Poco::UInt16 EmulatorServer::port() const {
    std::lock_guard lifecycle(lifecycle_mutex_);
    return port_;
}

std::string EmulatorServer::base_url() const {
    return (options_.tls ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port());
}

void EmulatorServer::set_quota(int per_second, int per_day, OverQuotaResponse over_quota,
                               const std::string &path_prefix) {
    std::lock_guard lock(quotas_mutex_);
    Quota quota(per_second, per_day, std::move(over_quota));
    for (auto &[prefix, existing] : quotas_)
        if (prefix == path_prefix) {
            existing = std::move(quota);
            return;
        }
    quotas_.emplace_back(path_prefix, std::move(quota));
}

void EmulatorServer::clear_quotas() {
    std::lock_guard lock(quotas_mutex_);
    quotas_.clear();
}

void EmulatorServer::handle(HTTPServerRequest &in, HTTPServerResponse &out) {
    Request request;
    request.method = in.getMethod();
    request.headers = in;
    Poco::StreamCopier::copyToString(in.stream(), request.body);
    std::optional<Response> response;
    try {
        const Poco::URI uri(in.getURI());
        request.path = uri.getPath();
        request.query = uri.getRawQuery();
    } catch (const Poco::Exception &e) {
        request.path = in.getURI();
        response = error_response(400, "bad_request", "unparsable request target: " + e.displayText());
    }
    request.query_params = decode_form(request.query);
    if (is_form(in.getContentType())) request.form = decode_form(request.body);
    RouteMatch match;
    {
        std::lock_guard lock(routes_mutex_);
        match = router_.match(request.method, request.path);
    }
    request.params = match.params;

    const auto arrival = clock_->now();
    const auto id = log_.add({0, arrival, request.method, request.path, request.query, match.route, request.headers,
                              request.body, 0});
    if (!response) response = answer(request, match, in, arrival);
    if (!response) return;
    // Logged before sending: a client that has its answer must find it in the log.
    log_.set_status(id, response->status);
    send(out, *response);
}

std::optional<Response> EmulatorServer::answer(const Request &request, const RouteMatch &match,
                                               HTTPServerRequest &in, EmulatorClock::time_point arrival) {
    if (const auto fault = faults_.take(request.path)) {
        switch (fault->kind) {
        case Fault::Kind::reset:
            drop_connection(in);
            return std::nullopt;
        case Fault::Kind::hang:
            // After the hang the request is handled as usual, as a slow API does: a client that
            // timed out meanwhile never learns that its request took effect.
            if (!hold(fault->hang_for)) return std::nullopt;
            break;
        default:
            return fault_response(*fault);
        }
    }
    if (auto refused = over_quota(request, arrival)) return refused;
    try {
        return dispatch(request, match);
    } catch (const DropConnection &) {
        drop_connection(in);
        return std::nullopt;
    }
}

std::optional<Response> EmulatorServer::over_quota(const Request &request, EmulatorClock::time_point arrival) {
    std::optional<std::pair<Quota, QuotaExceeded>> refused;
    {
        std::lock_guard lock(quotas_mutex_);
        for (auto &[prefix, quota] : quotas_)
            if (path_under(request.path, prefix))
                if (auto exceeded = quota.check(arrival)) {
                    refused.emplace(quota, *exceeded);
                    break;
                }
        if (!refused)
            for (auto &[prefix, quota] : quotas_)
                if (path_under(request.path, prefix)) quota.count(arrival);
    }
    // The answer is built outside the lock: the factory is the emulator's code.
    if (refused) return refused->first.over_quota_response(request, refused->second);
    return std::nullopt;
}

Response EmulatorServer::dispatch(const Request &request, const RouteMatch &match) {
    if (!match.handler) {
        if (match.allowed.empty())
            return error_response(404, "not_found", "no route for " + request.method + " " + request.path);
        std::string allow;
        for (const auto &method : match.allowed) allow += (allow.empty() ? "" : ", ") + method;
        return error_response(405, "method_not_allowed", request.method + " is not allowed on " + request.path)
            .header("Allow", allow);
    }
    std::string bug;
    try {
        return match.handler(request);
    } catch (const HttpError &e) {
        return e.response();
    } catch (const DropConnection &) {
        throw;  // answer() drops the connection: it has the socket
    } catch (const std::exception &e) {
        bug = describe(e);
    } catch (...) {
        bug = "an exception of unknown type";
    }
    // An emulator bug: say so loudly, in the answer and on stderr (a connector may hide the body).
    const auto message = "the handler of " + request.method + " " + match.route + " threw " + bug;
    std::cerr << "relais emulator: " << message << " (request " << request.method << " " << request.path << ")\n";
    return error_response(500, "emulator_bug", message);
}

bool EmulatorServer::hold(std::chrono::milliseconds duration) {
    std::unique_lock lock(hold_mutex_);
    return !hold_released_.wait_for(lock, duration, [&] { return stopping_; });
}

}  // namespace relais::emulator
