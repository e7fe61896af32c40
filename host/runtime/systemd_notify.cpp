#include "runtime/systemd_notify.hpp"

#include <Poco/Logger.h>

#include <systemd/sd-daemon.h>

#include <atomic>
#include <cstring>

namespace relais::host {
namespace {

void notify(const std::string &state) {
    // unset_environment 0: a reload or a shutdown notifies later through the same socket.
    const int result = sd_notify(0, state.c_str());
    if (result >= 0) return;
    static std::atomic<bool> reported{false};
    if (!reported.exchange(true))
        Poco::Logger::get("relais.service")
            .warning(std::string("cannot notify systemd through NOTIFY_SOCKET: ") + std::strerror(-result));
}

}  // namespace

void notify_ready(const std::string &status) { notify("READY=1\nSTATUS=" + status); }

void notify_reloading() { notify("RELOADING=1\nSTATUS=reloading plugins"); }

void notify_stopping() { notify("STOPPING=1\nSTATUS=stopping"); }

}  // namespace relais::host
