// The inside of HttpClient: the connection pool, one exchange on a connection, and the
// authentication flows (http_auth.cpp) built on them.
#pragma once

#include <relais/support/http_client.hpp>

#include "http_proxy.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace Poco {
class Exception;
}

namespace relais::support {

struct HttpClient::Impl {
    using Session = Poco::Net::HTTPClientSession;
    using SteadyClock = std::chrono::steady_clock;

    struct IdleSession {
        std::unique_ptr<Session> session;
        SteadyClock::time_point since;
    };

    // What goes on the wire for one leg of a request.
    struct Leg {
        const HttpRequest &request;
        std::optional<std::string> authorization;  // replaces nothing the request set itself
        bool without_body = false;                 // Content-Length 0 (the NTLM negotiation)
    };

    // What an attempt learnt before it failed, for the error and the retry decision.
    struct Attempt {
        bool reused = false;  // the connection came from the pool
        bool sent = false;    // the request that counts was written in full
    };

    HttpClientOptions options;
    std::string credentials_origin;  // origin_key(options.credentials.origin), "" without
    std::optional<detail::ProxyRoute> proxy;
    Poco::Net::Context::Ptr tls;
    std::atomic<std::size_t> opened{0};
    std::mutex mutex;
    std::map<std::string, std::vector<IdleSession>> idle;

    // The time the call running on this thread has left (relais::Call::current()), or
    // nullopt when it has no deadline (or there is no such call). Every request's connect and
    // read timeouts are capped by it, so that a stuck upstream never holds a job step, a
    // synchronous call or a stopping host past its deadline.
    static std::optional<std::chrono::milliseconds> call_time_left();

    // A connection for the request, its timeouts those of the options capped by the call's
    // time left. Throws TransportError (timeout, nothing sent: "deadline reached") at once
    // when the call has no time left.
    std::unique_ptr<Session> acquire(const Origin &origin, bool may_reuse, bool &reused);
    void apply_timeouts(Session &session, const Origin &origin, std::optional<std::chrono::milliseconds> left) const;
    void release(const Origin &origin, std::unique_ptr<Session> session);

    // One request and its whole answer on `session`. `sent` is set once the request is
    // written in full; `keep_alive` whether the connection may serve another request.
    HttpResponse exchange(Session &session, const Origin &origin, const Leg &leg, bool &keep_alive, bool &sent);

    // The request with `authorization` (if any) on a pooled or new connection, with the
    // one retry of a stale kept-alive connection.
    HttpResponse transmit(const Origin &origin, const HttpRequest &request, const std::optional<std::string> &authorization);

    // The request with the client's credentials when they are for its origin (http_auth.cpp).
    HttpResponse send_authenticated(const Origin &origin, const HttpRequest &request);
    HttpResponse send_ntlm(const Origin &origin, const HttpRequest &request);
    HttpResponse ntlm_handshake(std::unique_ptr<Session> session, const Origin &origin, const HttpRequest &request,
                                Attempt &attempt);

    // "host:port", with the proxy when the origin is reached through one.
    std::string where(const Origin &origin) const;
    // A Poco failure as a TransportError (verify error taken from the TLS context).
    TransportError translate(const Poco::Exception &e, const Origin &origin, bool sent) const;
    // Whether a failure on a reused connection is the server having closed it while idle.
    static bool stale_connection(const Poco::Exception &e);
};

}  // namespace relais::support
