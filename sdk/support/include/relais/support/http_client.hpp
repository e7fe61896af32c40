// relais/support/http_client.hpp: the HTTP(S) client connectors call their APIs with.
//
// - Timeouts on connect and on every read; a request never waits for ever.
// - TLS certificate verification is always on: the chain against the system CAs (and an
//   optional extra CA file, for a private CA or a test CA), and the host name. Nothing in this
//   client can turn it off, and it does not depend on Poco's global SSLManager: a handler that
//   some other code installs there to accept invalid certificates has no effect on it. It
//   applies through a proxy's CONNECT tunnel too: the certificate checked is the target's.
// - Keep-alive: idle connections are kept in a small pool per origin and reused by whichever
//   thread sends next. A reused connection that the server closed meanwhile is retried once on
//   a fresh one, as browsers and curl do.
// - send() returns every HTTP answer, whatever its status; only transport failures throw
//   (TransportError). classify() (relais/support/classify.hpp) turns either into an error class
//   and says whether the request was applied.
// - Credentials (relais/support/credentials.hpp) go only to the origin they belong to.
// - A proxy (HttpClientOptions::proxy) carries plain HTTP requests in absolute form and HTTPS
//   in a CONNECT tunnel; hosts listed in no_proxy are reached directly. Poco's process-wide
//   proxy setting is never used: a client without a proxy goes direct.
// - Redirects are followed only when the request asks (HttpRequest::follow_redirects), and
//   only within the same origin (see there).
//
// NTLM (Exchange on premises, IIS): the handshake authenticates a connection, not a request.
// On a fresh connection the client sends the request's method and path with the NEGOTIATE
// message and Content-Length 0, reads the CHALLENGE, and sends the request again, this time
// with its body and the AUTHENTICATE message, on the same connection; that connection is then
// authenticated and, kept alive, serves later requests of the origin without a handshake (a
// reused connection that answers 401 does the handshake again, once). The negotiation leg goes
// without the body, as curl does, because: the application must see the body once, on the
// leg the server has authenticated; an upload is not sent twice over the wire to be thrown
// away; and IIS (like other servers) may close a connection after a 401 to a request whose
// body it did not read, which would lose the handshake, bound to that connection. A server
// that answers the negotiation with anything but a 401 challenge did not ask for NTLM: for a
// request without a body that answer is the answer; for one with a body the request was not
// sent and send() throws (TransportError::Kind::other, request_sent() false). Non-idempotent
// requests keep to fresh connections (see HttpRequest::idempotent), so each does its own
// handshake. Through a proxy NTLM needs HTTPS (a tunnel is one connection end to end).
//
// Thread-safe: one HttpClient is shared by all the calls of a connector instance.
#pragma once

#include <relais/support/credentials.hpp>
#include <relais/support/json.hpp>
#include <relais/support/multipart.hpp>
#include <relais/support/url.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

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
    // Redirects (301, 302, 303, 307, 308) are returned as they are unless this is set. When
    // set, one to the SAME origin (scheme, host and port) is followed, up to max_redirects
    // times: 303, and 301/302 answering a POST, become a GET without body (what browsers do);
    // the others keep the method and body, and are followed only for an idempotent request
    // (a POST sent again elsewhere could be applied twice). A redirect to another origin is
    // never followed: the credentials and the body are not for that host. classify() then
    // says so (permanent, naming the host). Mindee answers a finished job's poll with a 302
    // to its result on the same host.
    bool follow_redirects = false;
    int max_redirects = 5;

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
    // The URL this answer came from: the request's, or the last one a redirect led to.
    std::string url;
    int redirects_followed = 0;
    // Set on a 401 to a request that carried the client's credentials: which credentials the
    // server refused ("the NTLM credentials of CONTOSO\alice"), never the secret itself.
    std::string refused_credentials;

    bool ok() const { return status >= 200 && status < 300; }
    // The first header of that name (case-insensitive).
    std::optional<std::string> header(const std::string &name) const;
    std::string content_type() const;
    // The body as a JSON object; throws relais::Error (transient) naming `what` when it is not
    // one: a cut or garbled body is most often a failure on the way, worth a retry.
    Json json(const std::string &what = "the response") const;
};

// A request that got no HTTP answer. request_sent() tells whether the request (line, headers
// and body) had been written in full before the failure: if not, the server cannot have
// processed it; if so, it may have (a timeout or a reset while waiting for the answer).
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
    TransportError(Kind kind, std::string host, const std::string &message, bool request_sent)
        : std::runtime_error(message), kind_(kind), host_(std::move(host)), request_sent_(request_sent) {}
    // Without knowing: connect_failed, dns, tls_verification and tls are failures before
    // anything is sent; timeout, reset and other are taken as after (the prudent guess).
    TransportError(Kind kind, std::string host, const std::string &message)
        : TransportError(kind, std::move(host), message,
                         kind == Kind::timeout || kind == Kind::reset || kind == Kind::other) {}
    Kind kind() const { return kind_; }
    const std::string &host() const { return host_; }
    bool request_sent() const { return request_sent_; }

private:
    Kind kind_;
    std::string host_;
    bool request_sent_;
};

// An HTTP proxy, as corporate networks require.
struct Proxy {
    // "http://[user:password@]host:port" ("" for none); the user info, percent-decoded, is
    // sent as Proxy-Authorization: Basic. Only an http:// proxy (what Poco speaks to).
    std::string url;
    // Hosts reached directly, as curl's NO_PROXY: "host" (that host and its subdomains),
    // ".suffix" (the same), an IP address (exactly), "*" (every host). Case-insensitive; no
    // port and no CIDR ranges.
    std::vector<std::string> no_proxy;
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
    // Sent only to credentials.origin (see credentials.hpp).
    Credentials credentials;
    Proxy proxy;
};

class HttpClient {
public:
    // Throws relais::Error (invalid_config) when extra_ca_file cannot be loaded, the proxy URL
    // is not valid, or credentials are set without an origin (or with an invalid one).
    explicit HttpClient(HttpClientOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient &) = delete;
    HttpClient &operator=(const HttpClient &) = delete;

    // Sends `request` and reads the whole answer. Throws TransportError when there is none,
    // std::invalid_argument for a URL that is not absolute http(s), and what the bearer
    // function throws.
    HttpResponse send(const HttpRequest &request);

    const HttpClientOptions &options() const;
    // Connections opened so far (the difference with requests sent is keep-alive reuse).
    std::size_t connections_opened() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace relais::support
