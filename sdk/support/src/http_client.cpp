#include <relais/support/http_client.hpp>

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

#include <atomic>
#include <map>
#include <mutex>
#include <vector>

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

using Session = Poco::Net::HTTPClientSession;
using SteadyClock = std::chrono::steady_clock;

struct IdleSession {
    std::unique_ptr<Session> session;
    SteadyClock::time_point since;
};

Poco::Timespan timespan(std::chrono::milliseconds ms) { return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000); }

// Errors a reused keep-alive connection gives when the server closed it while it was idle.
bool stale_connection(const Poco::Exception &e) {
    return dynamic_cast<const Poco::Net::NoMessageException *>(&e) ||
           dynamic_cast<const Poco::Net::ConnectionResetException *>(&e) ||
           dynamic_cast<const Poco::Net::ConnectionAbortedException *>(&e) ||
           dynamic_cast<const Poco::Net::SSLConnectionUnexpectedlyClosedException *>(&e);
}

std::string where(const Origin &o) { return o.host + ":" + std::to_string(o.port); }

TransportError translate(const Poco::Exception &e, const Origin &o, const std::string &verify_error,
                         const HttpClientOptions &options) {
    using Kind = TransportError::Kind;
    const auto &host = o.host;
    if (dynamic_cast<const Poco::TimeoutException *>(&e))
        return {Kind::timeout, host,
                "no answer from " + where(o) + " in time (connect timeout " +
                    std::to_string(options.connect_timeout.count()) + " ms, read timeout " +
                    std::to_string(options.read_timeout.count()) + " ms)"};
    if (dynamic_cast<const Poco::Net::CertificateValidationException *>(&e))
        return {Kind::tls_verification, host,
                "certificate verification failed for host " + host + ": " +
                    (verify_error.empty() ? "the certificate is not valid for this host name (" + e.message() + ")"
                                          : verify_error)};
    if (dynamic_cast<const Poco::Net::SSLConnectionUnexpectedlyClosedException *>(&e))
        return {Kind::reset, host, "the TLS connection to " + where(o) + " was closed unexpectedly"};
    if (dynamic_cast<const Poco::Net::SSLException *>(&e)) {
        if (!verify_error.empty() || e.message().find("certificate verify failed") != std::string::npos)
            return {Kind::tls_verification, host,
                    "certificate verification failed for host " + host + ": " +
                        (verify_error.empty() ? e.message() : verify_error)};
        // OpenSSL 3 reports a peer that vanished mid-connection as "unexpected eof": a reset,
        // not a handshake problem (the request may have been taken).
        if (e.message().find("unexpected eof") != std::string::npos)
            return {Kind::reset, host, "the TLS connection to " + where(o) + " was closed unexpectedly (" + e.message() + ")"};
        return {Kind::tls, host, "TLS failure with " + where(o) + ": " + e.displayText()};
    }
    if (dynamic_cast<const Poco::Net::ConnectionRefusedException *>(&e))
        return {Kind::connect_failed, host, "connection refused by " + where(o)};
    if (dynamic_cast<const Poco::Net::DNSException *>(&e))
        return {Kind::dns, host, "the host name " + host + " cannot be resolved (" + e.displayText() + ")"};
    if (dynamic_cast<const Poco::Net::ConnectionResetException *>(&e) ||
        dynamic_cast<const Poco::Net::ConnectionAbortedException *>(&e))
        return {Kind::reset, host, "the connection to " + where(o) + " was reset"};
    if (dynamic_cast<const Poco::Net::NoMessageException *>(&e))
        return {Kind::reset, host, "the connection to " + where(o) + " was closed without an answer"};
    if (dynamic_cast<const Poco::Net::NetException *>(&e))
        return {Kind::connect_failed, host, "network failure with " + where(o) + ": " + e.displayText()};
    if (dynamic_cast<const Poco::IOException *>(&e))
        return {Kind::reset, host, "I/O failure with " + where(o) + ": " + e.displayText()};
    return {Kind::other, host, "failure talking to " + where(o) + ": " + e.displayText()};
}

}  // namespace

struct HttpClient::Impl {
    HttpClientOptions options;
    Poco::Net::Context::Ptr tls;
    std::atomic<std::size_t> opened{0};
    std::mutex mutex;
    std::map<std::string, std::vector<IdleSession>> idle;

    std::unique_ptr<Session> acquire(const Origin &origin, bool may_reuse, bool &reused) {
        if (may_reuse) {
            std::lock_guard lock(mutex);
            auto &pool = idle[origin.key()];
            const auto now = SteadyClock::now();
            while (!pool.empty()) {
                IdleSession s = std::move(pool.back());
                pool.pop_back();
                if (now - s.since < options.keep_alive_idle) {
                    reused = true;
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
        // Poco's TLS socket waits up to the receive timeout twice before giving up on a read:
        // once in recv(), then once more polling before it retries SSL_read. Half of it each
        // keeps the wait within read_timeout, as over plain HTTP.
        const auto receive = origin.scheme == "https"
                                 ? std::max(std::chrono::milliseconds(1), options.read_timeout / 2)
                                 : options.read_timeout;
        session->setTimeout(timespan(options.connect_timeout), timespan(options.read_timeout), timespan(receive));
        session->setKeepAlive(true);
        session->setKeepAliveTimeout(timespan(options.keep_alive_idle));
        opened.fetch_add(1, std::memory_order_relaxed);
        return session;
    }

    void release(const Origin &origin, std::unique_ptr<Session> session) {
        std::lock_guard lock(mutex);
        auto &pool = idle[origin.key()];
        if (pool.size() < options.max_idle_per_origin) pool.push_back({std::move(session), SteadyClock::now()});
    }

    HttpResponse exchange(Session &session, const Origin &origin, const HttpRequest &request, bool &keep_alive) {
        Poco::Net::HTTPRequest out(request.method, origin.target, Poco::Net::HTTPMessage::HTTP_1_1);
        out.setKeepAlive(true);
        bool has_agent = false;
        for (const auto &[name, value] : request.headers) {
            out.add(name, value);
            if (Poco::icompare(name, "User-Agent") == 0) has_agent = true;
        }
        if (!has_agent && !options.user_agent.empty()) out.set("User-Agent", options.user_agent);
        const bool with_body = !request.body.empty() || !request.content_type.empty() || request.method == "POST" ||
                               request.method == "PUT" || request.method == "PATCH";
        if (with_body) {
            out.setContentType(request.content_type.empty() ? "application/octet-stream" : request.content_type);
            out.setContentLength(static_cast<std::streamsize>(request.body.size()));
        }
        auto &body_out = session.sendRequest(out);
        if (with_body) body_out.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));

        Poco::Net::HTTPResponse in;
        auto &body_in = session.receiveResponse(in);
        HttpResponse response;
        response.status = static_cast<int>(in.getStatus());
        response.reason = in.getReason();
        for (const auto &[name, value] : in) response.headers.emplace_back(name, value);
        char buffer[16384];
        while (body_in.read(buffer, sizeof(buffer)) || body_in.gcount() > 0) {
            response.body.append(buffer, static_cast<std::size_t>(body_in.gcount()));
            if (response.body.size() > options.max_body_bytes)
                throw TransportError(TransportError::Kind::other, origin.host,
                                     "the answer of " + where(origin) + " is larger than " +
                                         std::to_string(options.max_body_bytes) + " bytes");
        }
        if (body_in.bad())
            throw TransportError(TransportError::Kind::reset, origin.host,
                                 "the answer of " + where(origin) + " was cut short");
        keep_alive = in.getKeepAlive();
        return response;
    }
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->options = std::move(options);
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
    const Origin origin = parse_origin(request.url);
    for (int attempt = 0;; ++attempt) {
        detail::take_verify_error();  // a stale reason from an earlier handshake must not be reported
        bool reused = false;
        const bool idempotent = request.is_idempotent();
        auto session = impl_->acquire(origin, idempotent, reused);
        try {
            bool keep_alive = false;
            HttpResponse response = impl_->exchange(*session, origin, request, keep_alive);
            if (keep_alive) impl_->release(origin, std::move(session));
            return response;
        } catch (const TransportError &) {
            throw;
        } catch (const Poco::Exception &e) {
            const auto verify_error = detail::take_verify_error();
            session.reset();
            // A kept-alive connection the server closed meanwhile: once more on a new one.
            if (reused && idempotent && attempt == 0 && stale_connection(e)) continue;
            throw translate(e, origin, verify_error, impl_->options);
        } catch (const std::exception &e) {
            throw TransportError(TransportError::Kind::other, origin.host,
                                 "failure talking to " + where(origin) + ": " + e.what());
        }
    }
}

const HttpClientOptions &HttpClient::options() const { return impl_->options; }

std::size_t HttpClient::connections_opened() const { return impl_->opened.load(std::memory_order_relaxed); }

}  // namespace relais::support
