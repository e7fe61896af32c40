// relais serve under systemd's Type=notify, without systemd: the test is the manager, a unix
// datagram socket named by NOTIFY_SOCKET, and reads what sd_notify sends.
#include "http_client.hpp"
#include "plugin_files.hpp"
#include "serve_process.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string>

using namespace relais;

namespace {

// The socket a service manager listens on.
class NotifySocket {
public:
    explicit NotifySocket(std::string path) : path_(std::move(path)) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        if (path_.size() >= sizeof(address.sun_path)) throw std::runtime_error("socket path too long: " + path_);
        std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
        if (::bind(fd_, reinterpret_cast<const sockaddr *>(&address), sizeof(address)) != 0)
            throw std::runtime_error("bind " + path_ + ": " + std::strerror(errno));
    }
    ~NotifySocket() {
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    NotifySocket(const NotifySocket &) = delete;
    NotifySocket &operator=(const NotifySocket &) = delete;

    // The next datagram, or "" when none came within the deadline.
    std::string receive(std::chrono::milliseconds deadline = std::chrono::seconds(15)) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(deadline.count())) <= 0) return "";
        char buffer[4096];
        const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
    }

    const std::string &path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
};

bool has_line(const std::string &message, const std::string &line) {
    return ("\n" + message + "\n").find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("systemd notify: READY=1 once the API answers, RELOADING=1 then READY=1 around SIGHUP, STOPPING=1",
          "[packaging][systemd]") {
    test::TempDir dir;
    const auto plugins = (dir / "plugins").string();
    test::copy_plugin(test::built_plugin_dir(), "diagnostics", plugins);
    NotifySocket manager((dir / "notify").string());

    test::ServeProcess serve(plugins, {"--data-dir", (dir / "data").string()}, {{"NOTIFY_SOCKET", manager.path()}});
    const std::string ready = manager.receive();
    INFO(serve.transcript());
    INFO("received: " << ready);
    CHECK(has_line(ready, "READY=1"));
    CHECK(has_line(ready, "STATUS=listening on " + serve.url()));
    // READY=1 came, so the API must answer now (systemctl start returns at READY=1).
    test::HttpClient http(serve.url());
    CHECK(http.get("/healthz").status == 200);

    serve.signal(SIGHUP);
    const std::string reloading = manager.receive();
    INFO("received: " << reloading);
    CHECK(has_line(reloading, "RELOADING=1"));
    const std::string ready_again = manager.receive();
    INFO("received: " << ready_again);
    CHECK(has_line(ready_again, "READY=1"));
    CHECK(http.get("/healthz").status == 200);

    serve.signal(SIGTERM);
    const std::string stopping = manager.receive();
    INFO("received: " << stopping);
    CHECK(has_line(stopping, "STOPPING=1"));
    CHECK(serve.wait_exit() == 0);
    CHECK(manager.receive(std::chrono::milliseconds(200)).empty());
}

TEST_CASE("systemd notify: a NOTIFY_SOCKET nobody listens on is reported once and changes nothing else",
          "[packaging][systemd]") {
    test::TempDir dir;
    const auto plugins = (dir / "plugins").string();
    test::copy_plugin(test::built_plugin_dir(), "diagnostics", plugins);
    test::ServeProcess serve(plugins, {"--data-dir", (dir / "data").string()},
                             {{"NOTIFY_SOCKET", (dir / "nobody-listens").string()}});
    INFO(serve.transcript());
    CHECK(serve.wait_for_output("cannot notify systemd through NOTIFY_SOCKET"));
    CHECK(test::HttpClient(serve.url()).get("/healthz").status == 200);
    serve.signal(SIGHUP);
    CHECK(serve.wait_for_output("SIGHUP: reloading plugins"));
    serve.signal(SIGTERM);
    CHECK(serve.wait_exit() == 0);
    int reports = 0;
    for (const auto &line : serve.output())
        if (line.find("cannot notify systemd") != std::string::npos) ++reports;
    CHECK(reports == 1);
}
