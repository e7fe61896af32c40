#include <relais/support/http_client.hpp>

#include "http_client_impl.hpp"
#include "http_redirect.hpp"
#include "tls_context.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/String.h>

#include <relais/plugin.hpp>

#include <algorithm>

namespace relais::support {

// ---------------------------------------------------------------------------------------
// HttpRequest / HttpResponse
// ---------------------------------------------------------------------------------------

HttpRequest HttpRequest::get(std::string url) {
    HttpRequest r;
    r.method = "GET";
    r.url = std::move(url);
    return r;
}

HttpRequest HttpRequest::post(std::string url) {
    HttpRequest r;
    r.method = "POST";
    r.url = std::move(url);
    return r;
}

bool HttpRequest::is_idempotent() const {
    if (idempotent) return *idempotent;
    return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" || method == "DELETE";
}

HttpRequest &HttpRequest::mark_idempotent(bool value) {
    idempotent = value;
    return *this;
}

HttpRequest &HttpRequest::header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
}

HttpRequest &HttpRequest::query(const Fields &fields) {
    url = append_query(std::move(url), fields);
    return *this;
}

HttpRequest &HttpRequest::form(const Fields &fields) {
    body = form_encode(fields);
    content_type = "application/x-www-form-urlencoded";
    return *this;
}

HttpRequest &HttpRequest::json(const Json &value) {
    body = relais::to_string(value);
    content_type = "application/json";
    return *this;
}

HttpRequest &HttpRequest::multipart(const Multipart &form) {
    auto encoded = form.encode();
    body = std::move(encoded.body);
    content_type = std::move(encoded.content_type);
    return *this;
}

std::optional<std::string> HttpResponse::header(const std::string &name) const {
    for (const auto &[n, v] : headers)
        if (Poco::icompare(n, name) == 0) return v;
    return std::nullopt;
}

std::string HttpResponse::content_type() const { return header("Content-Type").value_or(""); }

Json HttpResponse::json(const std::string &what) const {
    return parse_json_object(body, RELAIS_TRANSIENT, what + " (HTTP " + std::to_string(status) + ")");
}

// ---------------------------------------------------------------------------------------
// HttpClient
// ---------------------------------------------------------------------------------------

namespace {

Poco::Timespan timespan(std::chrono::milliseconds ms) { return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000); }

// Left less than this when a wait timed out: it was the call's deadline that cut it.
constexpr std::chrono::milliseconds kDeadlineSlack{10};

TransportError deadline_reached(const std::string &host, const std::string &where, bool sent) {
    return TransportError(TransportError::Kind::timeout, host,
                          "deadline reached: the call had no time left " +
                              std::string(sent ? "for the answer of " : "for a request to ") + where,
                          sent);
}

}  // namespace

std::optional<std::chrono::milliseconds> HttpClient::Impl::call_time_left() {
    const auto *call = relais::Call::current();
    if (!call) return std::nullopt;
    const auto left = call->remaining();
    if (left == std::chrono::milliseconds::max()) return std::nullopt;
    return left;
}

bool HttpClient::Impl::stale_connection(const Poco::Exception &e) {
    return dynamic_cast<const Poco::Net::NoMessageException *>(&e) ||
           dynamic_cast<const Poco::Net::ConnectionResetException *>(&e) ||
           dynamic_cast<const Poco::Net::ConnectionAbortedException *>(&e) ||
           dynamic_cast<const Poco::Net::SSLConnectionUnexpectedlyClosedException *>(&e);
}

std::string HttpClient::Impl::where(const Origin &o) const {
    auto text = o.host + ":" + std::to_string(o.port);
    if (proxy && proxy->applies_to(o.host)) text += " (through the proxy " + proxy->describe() + ")";
    return text;
}

TransportError HttpClient::Impl::translate(const Poco::Exception &e, const Origin &o, bool sent) const {
    using Kind = TransportError::Kind;
    const auto verify_error = detail::take_verify_error();
    const auto &host = o.host;
    const auto fail = [&](Kind kind, const std::string &message) { return TransportError(kind, host, message, sent); };
    if (const auto left = call_time_left();
        dynamic_cast<const Poco::TimeoutException *>(&e) && left && *left < kDeadlineSlack)
        return deadline_reached(host, where(o), sent);
    if (dynamic_cast<const Poco::TimeoutException *>(&e))
        return fail(Kind::timeout, (sent ? "no answer from " : "no connection to ") + where(o) +
                                       " in time (connect timeout " + std::to_string(options.connect_timeout.count()) +
                                       " ms, read timeout " + std::to_string(options.read_timeout.count()) + " ms)");
    if (dynamic_cast<const Poco::Net::CertificateValidationException *>(&e))
        return fail(Kind::tls_verification,
                    "certificate verification failed for host " + host + ": " +
                        (verify_error.empty() ? "the certificate is not valid for this host name (" + e.message() + ")"
                                              : verify_error));
    if (dynamic_cast<const Poco::Net::SSLConnectionUnexpectedlyClosedException *>(&e))
        return fail(Kind::reset, "the TLS connection to " + where(o) + " was closed unexpectedly");
    if (dynamic_cast<const Poco::Net::SSLException *>(&e)) {
        if (!verify_error.empty() || e.message().find("certificate verify failed") != std::string::npos)
            return fail(Kind::tls_verification, "certificate verification failed for host " + host + ": " +
                                                    (verify_error.empty() ? e.message() : verify_error));
        // OpenSSL 3 reports a peer that vanished mid-connection as "unexpected eof": a reset,
        // not a handshake problem (the request may have been taken).
        if (e.message().find("unexpected eof") != std::string::npos)
            return fail(Kind::reset, "the TLS connection to " + where(o) + " was closed unexpectedly (" + e.message() + ")");
        return fail(Kind::tls, "TLS failure with " + where(o) + ": " + e.displayText());
    }
    if (dynamic_cast<const Poco::Net::ConnectionRefusedException *>(&e))
        return fail(Kind::connect_failed, "connection refused by " + where(o));
    if (dynamic_cast<const Poco::Net::DNSException *>(&e))
        return fail(Kind::dns, "the host name " + host + " cannot be resolved (" + e.displayText() + ")");
    if (dynamic_cast<const Poco::Net::ConnectionResetException *>(&e) ||
        dynamic_cast<const Poco::Net::ConnectionAbortedException *>(&e))
        return fail(Kind::reset, "the connection to " + where(o) + " was reset" +
                                     (sent ? "" : " before the request was sent in full"));
    if (dynamic_cast<const Poco::Net::NoMessageException *>(&e))
        return fail(Kind::reset, "the connection to " + where(o) + " was closed without an answer");
    // Poco refuses a tunnel the proxy did not open with an HTTPException from connect().
    if (dynamic_cast<const Poco::Net::HTTPException *>(&e) && !sent && proxy && proxy->applies_to(host))
        return fail(Kind::connect_failed, "the proxy " + proxy->describe() + " did not open a tunnel to " + host + ":" +
                                              std::to_string(o.port) + " (" + e.displayText() + ")");
    if (dynamic_cast<const Poco::Net::NetException *>(&e))
        return fail(Kind::connect_failed, "network failure with " + where(o) + ": " + e.displayText());
    if (dynamic_cast<const Poco::IOException *>(&e))
        return fail(Kind::reset, "I/O failure with " + where(o) + ": " + e.displayText());
    return fail(Kind::other, "failure talking to " + where(o) + ": " + e.displayText());
}

void HttpClient::Impl::apply_timeouts(Session &session, const Origin &origin,
                                      std::optional<std::chrono::milliseconds> left) const {
    const auto cap = [&](std::chrono::milliseconds configured) {
        return left ? std::max(std::chrono::milliseconds(1), std::min(configured, *left)) : configured;
    };
    const auto connect = cap(options.connect_timeout);
    const auto read = cap(options.read_timeout);
    // Poco's TLS socket waits up to the receive timeout twice before giving up on a read:
    // once in recv(), then once more polling before it retries SSL_read. Half of it each
    // keeps the wait within read_timeout, as over plain HTTP.
    const auto receive = origin.scheme == "https" ? std::max(std::chrono::milliseconds(1), read / 2) : read;
    session.setTimeout(timespan(connect), timespan(read), timespan(receive));
    // A kept-alive connection has its socket's timeouts already: they change there too.
    if (session.connected()) {
        session.socket().setSendTimeout(timespan(read));
        session.socket().setReceiveTimeout(timespan(receive));
    }
}

std::unique_ptr<HttpClient::Impl::Session> HttpClient::Impl::acquire(const Origin &origin, bool may_reuse, bool &reused) {
    const auto left = call_time_left();
    if (left && left->count() <= 0) throw deadline_reached(origin.host, where(origin), false);
    if (may_reuse) {
        std::lock_guard lock(mutex);
        auto &pool = idle[origin.key()];
        const auto now = SteadyClock::now();
        while (!pool.empty()) {
            IdleSession s = std::move(pool.back());
            pool.pop_back();
            if (now - s.since < options.keep_alive_idle) {
                reused = true;
                apply_timeouts(*s.session, origin, left);
                return std::move(s.session);
            }
            // Too old: the server has probably closed it; the others are older still.
            pool.clear();
        }
    }
    reused = false;
    std::unique_ptr<Session> session;
    if (origin.scheme == "https")
        session = std::make_unique<Poco::Net::HTTPSClientSession>(origin.host, origin.port, tls);
    else
        session = std::make_unique<Session>(origin.host, origin.port);
    // Always set: without it a session takes Poco's process-wide proxy configuration.
    session->setProxyConfig(proxy ? proxy->config_for(origin.host) : Session::ProxyConfig{});
    apply_timeouts(*session, origin, left);
    session->setKeepAlive(true);
    session->setKeepAliveTimeout(timespan(options.keep_alive_idle));
    opened.fetch_add(1, std::memory_order_relaxed);
    return session;
}

void HttpClient::Impl::release(const Origin &origin, std::unique_ptr<Session> session) {
    std::lock_guard lock(mutex);
    auto &pool = idle[origin.key()];
    if (pool.size() < options.max_idle_per_origin) pool.push_back({std::move(session), SteadyClock::now()});
}

HttpResponse HttpClient::Impl::exchange(Session &session, const Origin &origin, const Leg &leg, bool &keep_alive,
                                        bool &sent) {
    const HttpRequest &request = leg.request;
    sent = false;
    Poco::Net::HTTPRequest out(request.method, origin.target, Poco::Net::HTTPMessage::HTTP_1_1);
    out.setKeepAlive(true);
    bool has_agent = false;
    for (const auto &[name, value] : request.headers) {
        out.add(name, value);
        if (Poco::icompare(name, "User-Agent") == 0) has_agent = true;
    }
    if (!has_agent && !options.user_agent.empty()) out.set("User-Agent", options.user_agent);
    if (leg.authorization) out.set("Authorization", *leg.authorization);
    const bool with_body = !request.body.empty() || !request.content_type.empty() || request.method == "POST" ||
                           request.method == "PUT" || request.method == "PATCH";
    const bool body_now = with_body && !leg.without_body;
    if (with_body) {
        out.setContentType(request.content_type.empty() ? "application/octet-stream" : request.content_type);
        out.setContentLength(static_cast<std::streamsize>(body_now ? request.body.size() : 0));
    }
    // Connects first (TLS handshake, proxy tunnel): a failure there is before sending.
    auto &body_out = session.sendRequest(out);
    if (body_now) body_out.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
    body_out.flush();
    // Poco keeps a write failure for receiveResponse() to throw; until then the stream only
    // turns bad. Either way the server did not get the whole request.
    sent = body_out.good() && session.networkException() == nullptr;

    Poco::Net::HTTPResponse in;
    auto &body_in = session.receiveResponse(in);
    HttpResponse response;
    response.status = static_cast<int>(in.getStatus());
    response.reason = in.getReason();
    response.url = request.url;
    for (const auto &[name, value] : in) response.headers.emplace_back(name, value);
    char buffer[16384];
    while (body_in.read(buffer, sizeof(buffer)) || body_in.gcount() > 0) {
        // Each read has its timeout; an answer that trickles in must still end by the deadline.
        if (const auto left = call_time_left(); left && left->count() <= 0)
            throw deadline_reached(origin.host, where(origin), sent);
        response.body.append(buffer, static_cast<std::size_t>(body_in.gcount()));
        if (response.body.size() > options.max_body_bytes)
            throw TransportError(TransportError::Kind::other, origin.host,
                                 "the answer of " + where(origin) + " is larger than " +
                                     std::to_string(options.max_body_bytes) + " bytes",
                                 sent);
    }
    if (body_in.bad())
        throw TransportError(TransportError::Kind::reset, origin.host, "the answer of " + where(origin) + " was cut short",
                             sent);
    keep_alive = in.getKeepAlive();
    return response;
}

HttpResponse HttpClient::Impl::transmit(const Origin &origin, const HttpRequest &request,
                                        const std::optional<std::string> &authorization) {
    const bool idempotent = request.is_idempotent();
    for (int retry = 0;; ++retry) {
        detail::take_verify_error();  // a stale reason from an earlier handshake must not be reported
        Attempt attempt;
        auto session = acquire(origin, idempotent, attempt.reused);
        try {
            bool keep_alive = false;
            HttpResponse response = exchange(*session, origin, {request, authorization}, keep_alive, attempt.sent);
            if (keep_alive) release(origin, std::move(session));
            return response;
        } catch (const TransportError &) {
            throw;
        } catch (const Poco::Exception &e) {
            session.reset();
            // A kept-alive connection the server closed meanwhile: once more on a new one.
            if (attempt.reused && idempotent && retry == 0 && stale_connection(e)) continue;
            throw translate(e, origin, attempt.sent);
        } catch (const std::exception &e) {
            throw TransportError(TransportError::Kind::other, origin.host,
                                 "failure talking to " + where(origin) + ": " + e.what(), attempt.sent);
        }
    }
}

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
    const auto &credentials = impl_->options.credentials;
    if (credentials.kind != Credentials::Kind::none) {
        if (credentials.origin.empty())
            throw invalid_config("HTTP credentials need the origin they belong to (credentials.origin, "
                                 "scheme://host[:port]): without it they would go to any host");
        try {
            const Origin o = parse_origin(credentials.origin);
            if (o.target != "/") throw std::invalid_argument("it has a path");
            impl_->credentials_origin = origin_key(credentials.origin);
        } catch (const std::invalid_argument &e) {
            throw invalid_config("the credentials' origin " + without_query(credentials.origin) +
                                 " is not scheme://host[:port] (" + e.what() + ")");
        }
        if (credentials.kind == Credentials::Kind::bearer && !credentials.bearer)
            throw invalid_config("bearer credentials need the function that gives the Authorization value");
        if ((credentials.kind == Credentials::Kind::basic || credentials.kind == Credentials::Kind::ntlm) &&
            credentials.username.empty())
            throw invalid_config("HTTP credentials for " + impl_->credentials_origin + " have no user name");
    }
    if (!impl_->options.proxy.url.empty()) impl_->proxy.emplace(impl_->options.proxy);
    impl_->tls = detail::make_client_context(impl_->options);
}

HttpClient::~HttpClient() {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->idle.clear();
    }
    impl_->tls.reset();
    Poco::Net::uninitializeSSL();  // balances make_client_context
}

HttpResponse HttpClient::send(const HttpRequest &request) {
    HttpRequest current = request;
    for (int followed = 0;; ++followed) {
        const Origin origin = parse_origin(current.url);
        HttpResponse response = impl_->send_authenticated(origin, current);
        response.url = current.url;
        response.redirects_followed = followed;
        // Judged on the request as it now is: after a 303 it is a GET.
        auto next = detail::follow(current, response);
        if (!next) return response;
        current = std::move(*next);
    }
}

const HttpClientOptions &HttpClient::options() const { return impl_->options; }

std::size_t HttpClient::connections_opened() const { return impl_->opened.load(std::memory_order_relaxed); }

}  // namespace relais::support
