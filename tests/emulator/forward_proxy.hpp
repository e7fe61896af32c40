// A forward HTTP proxy on 127.0.0.1, for tests of clients behind a corporate proxy: plain HTTP
// requests in absolute form ("GET http://host:port/path HTTP/1.1") are relayed to the target,
// one per connection; CONNECT opens a tunnel that relays bytes both ways (HTTPS, with the TLS
// session between the client and the target: the proxy sees none of it). With a user name
// set, requests without the matching Proxy-Authorization (Basic) get a 407.
//
// Targets are on loopback only ("localhost" is taken as 127.0.0.1). Thread-safe.
#pragma once

#include <Poco/Net/NameValueCollection.h>
#include <Poco/Types.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace Poco::Net {
class StreamSocket;
class TCPServer;
}  // namespace Poco::Net

namespace relais::emulator {

class ForwardProxy {
public:
    struct Options {
        std::string username;  // "" for a proxy without authentication
        std::string password;
    };

    struct Seen {
        std::string request_line;  // "CONNECT localhost:4443 HTTP/1.1", "GET http://... HTTP/1.1"
        Poco::Net::NameValueCollection headers;
        bool refused = false;      // answered 407
    };

    explicit ForwardProxy(Options options = {});
    ~ForwardProxy();  // stops
    ForwardProxy(const ForwardProxy &) = delete;
    ForwardProxy &operator=(const ForwardProxy &) = delete;

    void start();
    // Returns once every connection has ended (tunnels are cut).
    void stop();
    Poco::UInt16 port() const { return port_; }
    // "http://127.0.0.1:PORT", or with "user:password@" when given.
    std::string url(const std::string &username = "", const std::string &password = "") const;

    std::vector<Seen> seen() const;
    std::size_t tunnels() const;    // CONNECT requests accepted
    std::size_t forwarded() const;  // absolute-form requests relayed
    std::size_t refused() const;    // 407 answers

    // A connection of the proxy (run by Poco's TCPServer threads).
    void serve(Poco::Net::StreamSocket &client);

private:
    class Connection;
    class Factory;

    void record(Seen seen);
    bool stopping() const { return stopping_.load(); }

    Options options_;
    std::unique_ptr<Poco::Net::TCPServer> server_;
    Poco::UInt16 port_ = 0;
    std::atomic<bool> stopping_{false};

    mutable std::mutex mutex_;
    std::condition_variable idle_;
    int active_ = 0;
    std::vector<Seen> seen_;
    std::size_t tunnels_ = 0;
    std::size_t forwarded_ = 0;
    std::size_t refused_ = 0;
};

}  // namespace relais::emulator
