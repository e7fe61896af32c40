// Durable jobs in the running service: the SQLite store, the scheduler and its workers, the
// executor that runs a job through its connector's plugin, and the plugin-facing services
// (enqueue a follow-up, durable state). Each connector's scheduling policy comes from its
// plugin: declared quotas and periodic tasks, adjusted by what configure returned.
#pragma once

#include "runtime/connector_manager.hpp"
#include "jobs/callback_sender.hpp"
#include "jobs/clock.hpp"
#include "jobs/scheduler.hpp"
#include "jobs/sqlite_job_store.hpp"
#include "jobs/sqlite_plugin_state.hpp"
#include "jobs/sqlite_quota_journal.hpp"
#include "plugins/plugin_backend.hpp"

#include <atomic>
#include <filesystem>
#include <memory>

namespace relais::host {

namespace events {
class EventLog;
}

// The scheduling policy a connector asks for: its descriptor's quotas and periodic tasks,
// overridden by the JSON object its configure returned, whose optional keys are
//   "quotas": [{"scope":"requests","per_second":5,"per_day":50000}],
//   "quota_windows": [{"scope":"requests","count":30,"window_seconds":60,"per_key":false}],
//     (see jobs/quota_config.hpp),
//   "retry": {"max_attempts":3,"delay_seconds":10,"exponential":false,"max_delay_seconds":3600},
//   "max_concurrency": 4,
//   "periodic_tasks": [{"name":"...","interval_seconds":21600,"start_delay_seconds":20}].
ConnectorPolicy policy_for(const Connector &connector);

class JobRuntime : public PluginBackend {
public:
    struct Options {
        int workers = 8;
        int64_t lease_ms = 60'000;
        // See SqliteJobStoreOptions: every mode survives kill -9; "accepted" and "full" also
        // keep every accepted job across a power cut.
        SqliteJobStoreOptions::Sync synchronous = SqliteJobStoreOptions::Sync::accepted;
        // Succeeded and cancelled jobs are deleted this long after they ended; 0 keeps them.
        int64_t retention_ms = 30LL * 86'400'000;
        // The deadline of a synchronous call (sync_call): the API's request timeout; 0: 30 s.
        int64_t sync_call_timeout_ms = 0;
        Metrics *metrics = nullptr;  // counts the callbacks' outcomes; may be null
    };

    JobRuntime(const std::filesystem::path &data_dir, Options options);
    ~JobRuntime() override;

    // The connectors jobs run on; set before start().
    void attach(ConnectorManager &connectors);
    // Where plugins' business events go (emit_event); set before start(). Without one, plugins
    // are told the host keeps no events.
    void attach_events(events::EventLog &log) { events_ = &log; }
    void start();
    // Lets running jobs finish for up to `grace_ms`; the others go back to the queue.
    void stop(int64_t grace_ms);

    // Follows a connector's (re)publication: its policy, or no policy while it is unusable
    // (its queued jobs then wait; nothing is lost).
    void apply_policy(const Connector &connector);

    // Checks connector, action and input, then enqueues. Throws std::invalid_argument naming
    // what is wrong; std::out_of_range when the connector does not exist.
    EnqueueResult submit(NewJob job);

    // Per-call services for a synchronous call (an API action or a connection test) of
    // `connector`: its quota is the one its jobs use, and a plugin that asks for quota per
    // request waits at most `max_quota_wait_ms` for it, then gets rate_limited.
    std::unique_ptr<relais_call_ctx> sync_call(const std::string &connector, int64_t max_quota_wait_ms = 2000);
    JobStore &store() { return *store_; }
    PluginStateStore &plugin_state() { return *state_; }
    Scheduler &scheduler() { return *scheduler_; }

    // PluginBackend
    Enqueued enqueue(const std::string &connector, const std::string &action, const std::string &input_json,
                     const std::string &idempotency_key, uint64_t delay_ms, uint32_t max_attempts) override;
    std::optional<std::string> state_get(const std::string &plugin, const std::string &key) override;
    void state_put(const std::string &plugin, const std::string &key, const std::string &value) override;
    void state_delete(const std::string &plugin, const std::string &key) override;
    uint64_t capabilities() const override;
    std::optional<StateEntry> state_read(const std::string &plugin, const std::string &key) override;
    StateWrite state_write(const std::string &plugin, const std::string &key, const std::string &value,
                           uint64_t expected_version, uint64_t ttl_ms) override;
    StatePage state_list(const std::string &plugin, const std::string &prefix, const std::optional<std::string> &cursor,
                         uint32_t limit) override;
    bool wake(const std::string &connector, const std::string &idempotency_key, std::optional<int64_t> job_id) override;
    void quota_report(const std::string &connector, const std::string &scope, const std::string &key,
                      uint64_t retry_after_ms, int64_t remaining, uint64_t reset_after_ms) override;
    bool emit_event(const std::string &connector, const std::string &type, const std::string &subject,
                    const std::string &data_json, const std::optional<std::string> &dedupe_key) override;

private:
    class Executor;

    std::unique_ptr<SqliteJobStore> store_;
    // Opened once store_ has migrated the file.
    std::unique_ptr<SqlitePluginState> state_;
    // The quota grants kept across a restart; outlives the scheduler whose limiter writes it.
    std::unique_ptr<SqliteQuotaJournal> quota_journal_;
    SystemClock clock_;
    std::unique_ptr<Executor> executor_;
    // Outlives the scheduler that feeds it; tells the store each callback delivered.
    CallbackSender callbacks_;
    std::unique_ptr<Scheduler> scheduler_;
    ConnectorManager *connectors_ = nullptr;
    events::EventLog *events_ = nullptr;
    int64_t sync_call_timeout_ms_ = 0;
    std::atomic<bool> stopping_{false};  // stop() began: synchronous calls are cancelled
};

}  // namespace relais::host
