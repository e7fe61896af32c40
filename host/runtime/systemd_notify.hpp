// Telling systemd (a Type=notify unit) where the service is: ready once the API listens,
// reloading around a plugin reload, stopping at shutdown. Through libsystemd's sd_notify, which
// does nothing when NOTIFY_SOCKET is not set (not started by systemd), so these are safe to
// call anywhere; a failure to send is logged once and otherwise ignored.
#pragma once

#include <string>

namespace relais::host {

// READY=1, with STATUS= the given text (e.g. "listening on http://127.0.0.1:8080").
void notify_ready(const std::string &status);
// RELOADING=1: systemd shows the unit as reloading until the next notify_ready().
void notify_reloading();
// STOPPING=1: the service is shutting down.
void notify_stopping();

}  // namespace relais::host
