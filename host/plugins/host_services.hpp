// The services table the host gives every plugin instance at init (relais_host_services),
// and the per-instance context those services receive back.
#pragma once

#include <relais/plugin.h>

#include <memory>
#include <string>

namespace Poco {
class Logger;
}

namespace relais::host {
class PluginBackend;
class Metrics;
}

// Defined by the host; opaque to plugins.
struct relais_host_ctx {
    std::string plugin_name;
    Poco::Logger *logger = nullptr;                  // "relais.plugin.<name>"
    relais::host::PluginBackend *backend = nullptr;  // null in the standalone CLI
    relais::host::Metrics *metrics = nullptr;        // metric_add/metric_observe; null: they record nothing
};

namespace relais::host {

// The table for a backend (null: the standalone CLI), filled for the newest ABI this host
// speaks, with the capability bits the backend serves. Valid for the process's life.
const relais_host_services *host_services(const PluginBackend *backend = nullptr);

std::unique_ptr<relais_host_ctx> make_host_ctx(const std::string &plugin_name, PluginBackend *backend = nullptr);

}  // namespace relais::host
