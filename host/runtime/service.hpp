// The running service: every part of the host wired together from a loaded configuration.
// `relais serve` builds one, starts it, and stops it on SIGTERM; tests do the same in-process.
#pragma once

#include "runtime/connector_manager.hpp"
#include "config/host_config.hpp"
#include "events/event_hub.hpp"
#include "runtime/job_runtime.hpp"
#include "http/api_auth.hpp"
#include "http/api_router.hpp"
#include "http/api_server.hpp"
#include "observability/metrics.hpp"
#include "config/redactor.hpp"
#include "config/settings_store.hpp"

#include <atomic>
#include <chrono>
#include <memory>

namespace relais::host {

class Service {
public:
    // `plugin_dir` is used when the configuration names none. The jobs' options come from
    // host.jobs, or are given (benchmarks).
    Service(LoadedConfig config, std::filesystem::path plugin_dir);
    Service(LoadedConfig config, std::filesystem::path plugin_dir, JobRuntime::Options jobs);
    ~Service();

    // Loads and configures the plugins, then listens. Throws when the port cannot be bound.
    void start();
    std::string url() const;
    uint16_t port() const;

    // SIGHUP, or POST /api/v1/plugins/reload.
    ReloadReport reload();

    // Stops accepting, waits for requests in flight up to the configured grace period.
    // Returns false when some were still running at the deadline.
    bool stop();

    ConnectorManager &connectors() { return *connectors_; }
    JobRuntime &jobs() { return *jobs_; }
    events::EventHub &events() { return *events_; }
    std::shared_ptr<const Redactor> redactor() const { return redactor_; }
    const LoadedConfig &config() const { return config_; }

private:
    LoadedConfig config_;
    std::shared_ptr<Redactor> redactor_;
    Metrics metrics_;
    std::unique_ptr<SettingsStore> store_;
    SystemClock events_clock_;
    // Made once jobs_ has migrated relais.db, but declared before it: jobs emit into it until
    // they are gone.
    std::unique_ptr<events::EventHub> events_;
    std::unique_ptr<JobRuntime> jobs_;  // before connectors_: their plugins use it
    std::unique_ptr<ConnectorManager> connectors_;
    std::atomic<bool> ready_{false};
    std::shared_ptr<http::BodyLimits> body_limits_;  // before connectors_: told of each one published
    http::Authenticator auth_;
    http::ApiRouter router_;
    std::unique_ptr<http::ApiServer> server_;
};

}  // namespace relais::host
