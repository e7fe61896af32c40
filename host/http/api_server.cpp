#include "http/api_server.hpp"

#include "http/api_error.hpp"
#include "console/console_responder.hpp"
#include "observability/metrics.hpp"
#include "config/redactor.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <algorithm>
#include <istream>

namespace relais::host::http {
namespace {

constexpr int kKeepAliveSeconds = 5;

Poco::Logger &logger() { return Poco::Logger::get("relais.http"); }

ApiResponse error_response(const ApiError &e) {
    Poco::JSON::Object::Ptr error = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    error->set("class", e.error_class());
    error->set("message", std::string(e.what()));
    if (e.details()) error->set("details", e.details());
    Poco::JSON::Object::Ptr root = new Poco::JSON::Object;
    root->set("error", error);
    auto r = ApiResponse::json(e.status(), root);
    r.headers = e.headers;
    return r;
}

// Reads the body, refusing more than the limit for its kind whether or not a length was
// announced.
std::string read_body(Poco::Net::HTTPServerRequest &request, const BodyLimits &limits, BodyKind kind) {
    const std::uint64_t limit = limits.limit(kind);
    const auto announced = request.getContentLength64();
    if (announced != Poco::Net::HTTPMessage::UNKNOWN_CONTENT_LENGTH && static_cast<uint64_t>(announced) > limit)
        throw limits.too_large(kind, static_cast<std::uint64_t>(announced));
    std::string body;
    char buffer[65536];
    auto &in = request.stream();
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        body.append(buffer, static_cast<size_t>(in.gcount()));
        if (body.size() > limit) throw limits.too_large(kind, std::nullopt);
    }
    return body;
}

// A webhook's body, up to its hook's limit.
std::string read_limited(Poco::Net::HTTPServerRequest &request, std::uint64_t limit) {
    const auto too_large = [limit] {
        return ApiError(413, "payload_too_large", "this webhook accepts at most " + std::to_string(limit) + " bytes");
    };
    const auto announced = request.getContentLength64();
    if (announced != Poco::Net::HTTPMessage::UNKNOWN_CONTENT_LENGTH && static_cast<uint64_t>(announced) > limit)
        throw too_large();
    std::string body;
    char buffer[16384];
    auto &in = request.stream();
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        body.append(buffer, static_cast<size_t>(in.gcount()));
        if (body.size() > limit) throw too_large();
    }
    return body;
}

void check_content_type(const Poco::Net::HTTPServerRequest &request, const std::string &body) {
    if (body.empty()) return;
    auto type = Poco::toLower(request.getContentType());
    type = Poco::trim(type.substr(0, type.find(';')));
    if (type != "application/json")
        throw ApiError(415, "unsupported_media_type",
                       "request body must be application/json, not " +
                           (type.empty() ? std::string("an undeclared type") : "'" + type + "'"));
}

std::map<std::string, std::string> query_of(const Poco::URI &uri) {
    std::map<std::string, std::string> q;
    for (const auto &[k, v] : uri.getQueryParameters()) q[k] = v;
    return q;
}

}  // namespace

class RequestHandler : public Poco::Net::HTTPRequestHandler {
public:
    explicit RequestHandler(ApiServer &server) : server_(server) {}

    void handleRequest(Poco::Net::HTTPServerRequest &request, Poco::Net::HTTPServerResponse &response) override {
        server_.enter();
        std::string route = "(unmatched)";
        ApiResponse out;
        try {
            out = dispatch(request, route);
        } catch (const ApiError &e) {
            out = error_response(e);
        } catch (const std::exception &e) {
            logger().error(std::string("request failed: ") + e.what());
            out = error_response(ApiError(500, "internal", std::string("internal error: ") + e.what()));
        }
        // Nothing leaves the host with a secret in it, whatever a plugin put in its answer.
        // (The console's files are the build's own, and hold none.)
        if (server_.redactor_ && !static_file_) out.body = server_.redactor_->apply(out.body);
        // Every answer is what its Content-Type says, never to be sniffed into a script.
        out.headers.emplace("X-Content-Type-Options", "nosniff");
        // A body left unread would be taken for the next request on this connection; and a
        // stopping server lets its connections go.
        const bool close = !body_read_ || server_.stopping();
        if (close) response.setKeepAlive(false);
        if (server_.metrics_) server_.metrics_->record_http(route, request.getMethod(), out.status);
        try {
            response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
            response.setContentType(out.content_type);
            for (const auto &[k, v] : out.headers) response.set(k, v);
            if (out.stream) {
                response.setChunkedTransferEncoding(true);
                response.setKeepAlive(false);  // a stream ends with its connection
                auto &stream = response.send();
                stream.flush();
                out.stream(stream, [this] { return server_.stopping(); });
                stream.flush();
            } else {
                response.setContentLength64(static_cast<Poco::Int64>(out.body.size()));
                auto &stream = response.send();
                stream << out.body;
                stream.flush();  // on the wire before this request stops counting as in flight
            }
        } catch (const std::exception &e) {
            logger().debug(std::string("could not send the response: ") + e.what());
        }
        server_.leave();
    }

private:
    ApiResponse dispatch(Poco::Net::HTTPServerRequest &request, std::string &route_name) {
        const auto length = request.getContentLength64();
        body_read_ = length == 0 || (length == Poco::Net::HTTPMessage::UNKNOWN_CONTENT_LENGTH &&
                                     !request.getChunkedTransferEncoding());
        const Poco::URI uri(request.getURI());
        if (server_.settings_.console && console::is_console_path(uri.getPath())) {
            route_name = "/console";
            static_file_ = true;
            return console::respond(*server_.settings_.console, request.getMethod(), uri.getPath(),
                                    request.get("If-None-Match", ""));
        }
        ApiRequest api;
        api.method = request.getMethod();
        api.path = uri.getPath();
        std::map<std::string, std::string> params;
        const Route &route = server_.router_.match(api.method, api.path, params);
        route_name = route.path;
        api.route = route.path;
        api.params = std::move(params);
        api.query = query_of(uri);

        if (route.scope != Scope::none) {
            api.token = server_.auth_.authenticate(request.get("Authorization", ""));
            if (!api.token) {
                ApiError e(401, "unauthenticated", request.has("Authorization")
                                                       ? "the bearer token is not valid"
                                                       : "this endpoint needs an Authorization: Bearer token");
                e.headers["WWW-Authenticate"] = "Bearer realm=\"relais\"";
                throw e;
            }
            if (!Authenticator::allows(*api.token, route.scope))
                throw ApiError(403, "forbidden", "token '" + api.token->name + "' lacks the " +
                                                     (route.scope == Scope::admin ? "admin" : "client") + " scope");
        }
        if (route.body == BodyKind::webhook) {
            for (const auto &[name, value] : request) api.headers.emplace_back(Poco::toLower(name), value);
            api.raw_query = uri.getRawQuery();
            api.remote_address = request.clientAddress().host().toString();
            api.read_body = [this, &request](std::uint64_t limit) {
                auto body = read_limited(request, limit);
                body_read_ = true;
                return body;
            };
            return route.handler(api);
        }
        // An event stream resumes from the last event its reader saw.
        if (request.has("Last-Event-ID")) api.headers.emplace_back("last-event-id", request.get("Last-Event-ID"));
        api.body = read_body(request, *server_.settings_.body_limits, route.body);
        body_read_ = true;
        check_content_type(request, api.body);
        return route.handler(api);
    }

    ApiServer &server_;
    bool body_read_ = false;
    bool static_file_ = false;
};

namespace {

class HandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit HandlerFactory(ApiServer &server) : server_(server) {}
    Poco::Net::HTTPRequestHandler *createRequestHandler(const Poco::Net::HTTPServerRequest &) override {
        return new RequestHandler(server_);
    }

private:
    ApiServer &server_;
};

}  // namespace

ApiServer::ApiServer(ServerSettings settings, const ApiRouter &router, const Authenticator &auth,
                     std::shared_ptr<const Redactor> redactor, Metrics *metrics)
    : settings_(std::move(settings)), router_(router), auth_(auth), redactor_(std::move(redactor)),
      metrics_(metrics), pool_(2, settings_.max_threads + 2) {
    if (!settings_.body_limits) settings_.body_limits = std::make_shared<const BodyLimits>();
}

ApiServer::~ApiServer() {
    stop(std::chrono::milliseconds(0));
    server_.reset();
    if (tls_) Poco::Net::uninitializeSSL();
}

void ApiServer::start() {
    const Poco::Net::SocketAddress address(settings_.address, settings_.port);
    Poco::Net::ServerSocket socket;
    tls_ = !settings_.tls_certificate.empty() && !settings_.tls_private_key.empty();
    if (tls_) {
        Poco::Net::initializeSSL();  // reference-counted; balanced in the destructor
        Poco::Net::Context::Ptr context = new Poco::Net::Context(
            Poco::Net::Context::TLS_SERVER_USE, settings_.tls_private_key, settings_.tls_certificate, "",
            Poco::Net::Context::VERIFY_NONE, 9, false, "HIGH:!aNULL:!MD5:!RC4");
        context->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                                  Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
        socket = Poco::Net::SecureServerSocket(address, 64, context);
    } else {
        socket = Poco::Net::ServerSocket(address, 64);
    }
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(settings_.max_threads);
    params->setMaxQueued(settings_.max_queued);
    params->setTimeout(Poco::Timespan(settings_.request_timeout_seconds, 0));
    params->setKeepAlive(true);
    // An idle kept-alive connection holds one of the threads while it waits for its next
    // request: a browser's console tab keeps six, a client pool more. A few seconds keep a
    // busy client's connection warm and give an idle one's thread back soon.
    params->setKeepAliveTimeout(Poco::Timespan(std::min(settings_.request_timeout_seconds, kKeepAliveSeconds), 0));
    params->setMaxKeepAliveRequests(0);  // unlimited
    params->setServerName("relais");
    factory_ = new HandlerFactory(*this);
    server_ = std::make_unique<Poco::Net::HTTPServer>(factory_, pool_, socket, params);
    server_->start();
}

uint16_t ApiServer::port() const { return server_ ? server_->socket().address().port() : 0; }

std::string ApiServer::url() const {
    return std::string(tls_ ? "https" : "http") + "://" + settings_.address + ":" + std::to_string(port());
}

bool ApiServer::stopping() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopped_;
}

void ApiServer::enter() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++in_flight_;
}

void ApiServer::leave() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--in_flight_ == 0) idle_.notify_all();
}

bool ApiServer::stop(std::chrono::milliseconds grace) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopped_ || !server_) return true;
        stopped_ = true;
    }
    // Stop accepting. (Not stopAll(false): Poco then waits for every current request with no
    // bound.) Connections still open get "Connection: close" on their next response.
    server_->stop();
    bool drained;
    {
        std::unique_lock<std::mutex> lock(mutex_);
        logger().information("no longer accepting connections; " + std::to_string(in_flight_) +
                             " request(s) in flight");
        drained = idle_.wait_for(lock, grace, [this] { return in_flight_ == 0; });
    }
    // Idle keep-alive connections (and late requests) are closed now.
    server_->stopAll(true);
    if (!drained) {
        // The threads still inside a plugin cannot be interrupted; the caller decides (the
        // service exits without waiting for them).
        logger().warning("requests still running after the grace period; connections closed");
        return false;
    }
    pool_.joinAll();
    return true;
}

}  // namespace relais::host::http
