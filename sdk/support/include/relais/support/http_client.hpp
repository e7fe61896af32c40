// relais/support/http_client.hpp: the HTTP(S) client connectors call their APIs with.
//
// - Timeouts on connect and on every read; a request never waits for ever.
// - TLS certificate verification is always on: the chain against the system CAs (and an
//   optional extra CA file, for a private CA or a test CA), and the host name. Nothing in this
//   client can turn it off, and it does not depend on Poco's global SSLManager: a handler that
//   some other code installs there to accept invalid certificates has no effect on it.
// - Keep-alive: idle connections are kept in a small pool per origin and reused by whichever
//   thread sends next. A reused connection that the server closed meanwhile is retried once on
//   a fresh one, as browsers and curl do.
// - send() returns every HTTP answer, whatever its status; only transport failures throw
//   (TransportError). classify() (relais/support/classify.hpp) turns either into an error class.
//
// Thread-safe: one HttpClient is shared by all the calls of a connector instance.
#pragma once

#include <relais/support/json.hpp>
#include <relais/support/multipart.hpp>
#include <relais/support/url.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace relais::support {

struct HttpRequest {
    std::string method = "GET";
    std::string url;  // absolute: http(s)://host[:port]/path[?query]
    Fields headers;
    std::string body;
    std::string content_type;  // sent when non-empty (or when there is a body)
    // Whether sending it twice does no harm (RFC 9110 9.2.2); by default, from the method
    // (GET, HEAD, OPTIONS, PUT, DELETE are). Only an idempotent request is sent again when a
    // kept-alive connection turns out closed; one that is not goes on a new connection, so
    // "the server closed an idle connection" cannot be confused with "the server took the
    // request and then dropped the connection" (a deposit must not be sent twice).
    std::optional<bool> idempotent;
    bool is_idempotent() const;

    static HttpRequest get(std::string url);
    static HttpRequest post(std::string url);

    HttpRequest &header(std::string name, std::string value);
    // Appends query parameters to the URL.
    HttpRequest &query(const Fields &fields);
    // An application/x-www-form-urlencoded body.
    HttpRequest &form(const Fields &fields);
    // A JSON body (application/json).
    HttpRequest &json(const Json &body);
    // A multipart/form-data body (files for upload APIs), with a fresh boundary.
    HttpRequest &multipart(const Multipart &form);
    HttpRequest &mark_idempotent(bool value);
};

struct HttpResponse {
    int status = 0;
    std::string reason;
    Fields headers;  // in the order received
    std::string body;

    bool ok() const { return status >= 200 && status < 300; }
    // The first header of that name (case-insensitive).
    std::optional<std::string> header(const std::string &name) const;
    std::string content_type() const;
    // The body as a JSON object; throws relais::Error (transient) naming `what` when it is not
    // one: a cut or garbled body is most often a failure on the way, worth a retry.
    Json json(const std::string &what = "the response") const;
};

// A request that got no HTTP answer.
class TransportError : public std::runtime_error {
public:
    enum class Kind {
        timeout,           // no connection, or no data, within the timeout
        connect_failed,    // refused or unreachable
        dns,               // the host name does not resolve
        reset,             // the connection was reset or closed without an answer
        tls_verification,  // the server's certificate is not trusted or not for this host
        tls,               // another TLS failure (handshake, protocol)
        other,
    };
    TransportError(Kind kind, std::string host, const std::string &message)
        : std::runtime_error(message), kind_(kind), host_(std::move(host)) {}
    Kind kind() const { return kind_; }
    const std::string &host() const { return host_; }

private:
    Kind kind_;
    std::string host_;
};

struct HttpClientOptions {
    std::chrono::milliseconds connect_timeout{10'000};
    // The longest wait for each read (not for the whole answer).
    std::chrono::milliseconds read_timeout{30'000};
    // Trust the system's CA store (/etc/ssl/certs); on by default.
    bool trust_system_cas = true;
    // A PEM file of CA certificates trusted in addition (a private CA, the emulators' test CA).
    std::string extra_ca_file;
    // Idle keep-alive connections kept per origin.
    std::size_t max_idle_per_origin = 4;
    // An idle connection older than this is closed rather than reused (servers close theirs).
    std::chrono::milliseconds keep_alive_idle{8'000};
    // A larger answer is abandoned (TransportError::Kind::other): a misbehaving server must
    // not exhaust the host's memory.
    std::size_t max_body_bytes = 64u << 20;
    std::string user_agent = "Relais";
};

class HttpClient {
public:
    // Throws relais::Error (invalid_config) when extra_ca_file cannot be loaded.
    explicit HttpClient(HttpClientOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient &) = delete;
    HttpClient &operator=(const HttpClient &) = delete;

    // Sends `request` and reads the whole answer. Throws TransportError when there is none,
    // std::invalid_argument for a URL that is not absolute http(s).
    HttpResponse send(const HttpRequest &request);

    const HttpClientOptions &options() const;
    // Connections opened so far (the difference with requests sent is keep-alive reuse).
    std::size_t connections_opened() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace relais::support
