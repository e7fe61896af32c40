#include "forward_proxy.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <sstream>

namespace relais::emulator {

namespace {

const Poco::Timespan kPoll(0, 100'000);

std::string basic(const std::string &user, const std::string &password) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << user << ':' << password;
    encoder.close();
    return "Basic " + out.str();
}

void send_all(Poco::Net::StreamSocket &socket, const char *data, std::size_t size) {
    while (size > 0) {
        const int n = socket.sendBytes(data, static_cast<int>(size));
        if (n <= 0) throw Poco::IOException("send failed");
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

void send_all(Poco::Net::StreamSocket &socket, const std::string &text) { send_all(socket, text.data(), text.size()); }

// Parsed head of a request, and the bytes read past it (the start of the body).
struct Head {
    std::string method, target, version, line;
    Poco::Net::NameValueCollection headers;
    std::vector<std::pair<std::string, std::string>> ordered;
    std::string rest;
};

bool read_head(Poco::Net::StreamSocket &socket, Head &head, const std::atomic<bool> &stopping) {
    std::string data;
    char buffer[4096];
    std::size_t end = std::string::npos;
    while ((end = data.find("\r\n\r\n")) == std::string::npos) {
        if (stopping.load() || data.size() > 65536) return false;
        if (!socket.poll(kPoll, Poco::Net::Socket::SELECT_READ)) continue;
        const int n = socket.receiveBytes(buffer, sizeof(buffer));
        if (n <= 0) return false;
        data.append(buffer, static_cast<std::size_t>(n));
    }
    head.rest = data.substr(end + 4);
    std::istringstream lines(data.substr(0, end + 2));
    std::string line;
    std::getline(lines, head.line);
    if (!head.line.empty() && head.line.back() == '\r') head.line.pop_back();
    std::istringstream words(head.line);
    words >> head.method >> head.target >> head.version;
    while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        const auto name = line.substr(0, colon);
        const auto value = Poco::trim(line.substr(colon + 1));
        head.headers.add(name, value);
        head.ordered.emplace_back(name, value);
    }
    return !head.method.empty() && !head.target.empty();
}

Poco::Net::SocketAddress loopback(const std::string &host, Poco::UInt16 port) {
    if (host != "localhost" && host != "127.0.0.1") throw Poco::InvalidArgumentException("not a loopback target", host);
    return Poco::Net::SocketAddress("127.0.0.1", port);
}

// Bytes both ways until either side closes or the proxy stops.
void relay(Poco::Net::StreamSocket &a, Poco::Net::StreamSocket &b, const std::atomic<bool> &stopping) {
    char buffer[16384];
    while (!stopping.load()) {
        Poco::Net::Socket::SocketList readable{a, b}, writable, failed;
        if (Poco::Net::Socket::select(readable, writable, failed, kPoll) == 0) continue;
        for (auto &s : readable) {
            Poco::Net::StreamSocket from(s);
            Poco::Net::StreamSocket &to = (s == a) ? b : a;
            const int n = from.receiveBytes(buffer, sizeof(buffer));
            if (n <= 0) return;
            send_all(to, buffer, static_cast<std::size_t>(n));
        }
    }
}

}  // namespace

class ForwardProxy::Connection : public Poco::Net::TCPServerConnection {
public:
    Connection(const Poco::Net::StreamSocket &socket, ForwardProxy &proxy)
        : Poco::Net::TCPServerConnection(socket), proxy_(proxy) {}
    void run() override { proxy_.serve(socket()); }

private:
    ForwardProxy &proxy_;
};

class ForwardProxy::Factory : public Poco::Net::TCPServerConnectionFactory {
public:
    explicit Factory(ForwardProxy &proxy) : proxy_(proxy) {}
    Poco::Net::TCPServerConnection *createConnection(const Poco::Net::StreamSocket &socket) override {
        return new Connection(socket, proxy_);
    }

private:
    ForwardProxy &proxy_;
};

ForwardProxy::ForwardProxy(Options options) : options_(std::move(options)) {}

ForwardProxy::~ForwardProxy() { stop(); }

void ForwardProxy::start() {
    if (server_) return;
    stopping_ = false;
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", port_), 64);
    port_ = socket.address().port();
    Poco::Net::TCPServerParams::Ptr params = new Poco::Net::TCPServerParams;
    params->setMaxThreads(16);
    server_ = std::make_unique<Poco::Net::TCPServer>(new Factory(*this), socket, params);
    server_->start();
}

void ForwardProxy::stop() {
    if (!server_) return;
    stopping_ = true;
    server_->stop();
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [&] { return active_ == 0; });  // connections poll stopping_ every 100 ms
    lock.unlock();
    server_.reset();
}

std::string ForwardProxy::url(const std::string &username, const std::string &password) const {
    const auto userinfo = username.empty() ? std::string() : username + ":" + password + "@";
    return "http://" + userinfo + "127.0.0.1:" + std::to_string(port_);
}

std::vector<ForwardProxy::Seen> ForwardProxy::seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
}

std::size_t ForwardProxy::tunnels() const {
    std::lock_guard lock(mutex_);
    return tunnels_;
}

std::size_t ForwardProxy::forwarded() const {
    std::lock_guard lock(mutex_);
    return forwarded_;
}

std::size_t ForwardProxy::refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
}

void ForwardProxy::record(Seen seen) {
    std::lock_guard lock(mutex_);
    if (seen.refused)
        ++refused_;
    else if (Poco::icompare(seen.request_line.substr(0, 8), "CONNECT ") == 0)
        ++tunnels_;
    else
        ++forwarded_;
    seen_.push_back(std::move(seen));
}

void ForwardProxy::serve(Poco::Net::StreamSocket &client) {
    {
        std::lock_guard lock(mutex_);
        ++active_;
    }
    try {
        Head head;
        if (read_head(client, head, stopping_)) {
            Seen seen{head.line, head.headers, false};
            if (!options_.username.empty() &&
                head.headers.get("Proxy-Authorization", "") != basic(options_.username, options_.password)) {
                seen.refused = true;
                record(seen);
                send_all(client, "HTTP/1.1 407 Proxy Authentication Required\r\n"
                                 "Proxy-Authenticate: Basic realm=\"test proxy\"\r\n"
                                 "Content-Length: 0\r\nConnection: close\r\n\r\n");
            } else if (head.method == "CONNECT") {
                const auto colon = head.target.rfind(':');
                Poco::Net::StreamSocket upstream;
                upstream.connect(loopback(head.target.substr(0, colon),
                                          static_cast<Poco::UInt16>(Poco::NumberParser::parse(head.target.substr(colon + 1)))));
                record(seen);
                send_all(client, "HTTP/1.1 200 Connection established\r\n\r\n");
                relay(client, upstream, stopping_);
            } else {
                const Poco::URI uri(head.target);
                Poco::Net::StreamSocket upstream;
                upstream.connect(loopback(uri.getHost(), uri.getPort()));
                record(seen);
                std::string out = head.method + " " + uri.getPathEtc() + " " + head.version + "\r\n";
                for (const auto &[name, value] : head.ordered) {
                    if (Poco::icompare(name, "Proxy-Authorization") == 0 || Poco::icompare(name, "Proxy-Connection") == 0 ||
                        Poco::icompare(name, "Connection") == 0 || Poco::icompare(name, "Keep-Alive") == 0)
                        continue;
                    out += name + ": " + value + "\r\n";
                }
                out += "Connection: close\r\n\r\n";  // one request per connection keeps the relay simple
                send_all(upstream, out);
                std::size_t length = 0;
                if (head.headers.has("Content-Length"))
                    length = static_cast<std::size_t>(Poco::NumberParser::parseUnsigned64(head.headers.get("Content-Length")));
                std::string body = head.rest.substr(0, length);
                send_all(upstream, body);
                char buffer[16384];
                while (body.size() < length && !stopping()) {
                    if (!client.poll(kPoll, Poco::Net::Socket::SELECT_READ)) continue;
                    const int n = client.receiveBytes(buffer, static_cast<int>(std::min(sizeof(buffer), length - body.size())));
                    if (n <= 0) break;
                    body.append(buffer, static_cast<std::size_t>(n));
                    send_all(upstream, buffer, static_cast<std::size_t>(n));
                }
                relay(client, upstream, stopping_);  // the answer, until the target closes
            }
        }
    } catch (const std::exception &) {
        // A target that cannot be reached or a client that went away: the connection ends.
    }
    std::lock_guard lock(mutex_);
    --active_;
    idle_.notify_all();
}

}  // namespace relais::emulator
