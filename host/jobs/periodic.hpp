// Periodic tasks declared by plugins (Universign: poll every 21,600 s, first 20 s after start),
// run as ordinary jobs so that quotas, retries and history apply to them too.
//
// When a task runs, from the time of its last run (JobStore::last_periodic_run, so it
// survives restarts) and the time the runner started:
//   - never ran:           start + start_delay;
//   - ran at `last`:       max(last + interval, start + start_delay). After downtime that
//                          missed several periods, the task runs once, after the start delay,
//                          not once per missed period (no backfill: a poll made late still sees
//                          everything), then every interval after that run.
// A run is not started while the previous one is still queued, running or waiting to retry:
// that slot is skipped and the next comes an interval later.
//
// Each run is enqueued with the idempotency key "periodic:<task>:<enqueue time>" and then
// recorded as the last run; the key is how the previous run is found again after a restart.
// A crash between the two can enqueue one extra run after restart, never lose one (at least
// once, like every job). One runner per store: several hosts sharing a database would each
// run the tasks (leader election is for the PostgreSQL store).
//
// Thread-safe.
#pragma once

#include "jobs/clock.hpp"
#include "jobs/job_store.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace relais::host {

struct PeriodicTask {
    std::string name;
    std::string action;
    std::string input = "{}";  // JSON text
    int64_t interval_ms = 0;   // > 0
    int64_t start_delay_ms = 0;

    bool operator==(const PeriodicTask &) const = default;
};

class PeriodicRunner {
public:
    PeriodicRunner(JobStore &store, Clock &clock);

    // Replaces a connector's tasks (an empty list removes them). A task kept unchanged keeps its
    // next run; a new or changed one is planned as at start (from now, once started). Runs
    // are enqueued with max_attempts. Throws std::invalid_argument for a task without a name or
    // action, with an interval <= 0, a negative start delay, or two tasks of one name.
    void set_tasks(const std::string &connector, const std::vector<PeriodicTask> &tasks, int max_attempts = 3);

    // Plans every task from now (the "start" above). Before it, run_due() enqueues nothing.
    void start();

    // Enqueues every task due by now. Returns how many runs it enqueued. A task whose enqueue
    // fails (a storage error, an input that is not JSON) is logged and tried again a minute
    // later (or an interval, when shorter), and the others still run.
    int run_due();

    // When the next task is due (kNever: no task, or not started).
    int64_t next_due() const;
    // When this task runs next; nullopt when there is no such task or the runner has not started.
    std::optional<int64_t> next_run(const std::string &connector, const std::string &task) const;

private:
    struct Planned {
        PeriodicTask task;
        int max_attempts = 3;
        std::optional<int64_t> next;  // nullopt until planned
    };
    using Key = std::pair<std::string, std::string>;  // (connector, task name)

    void plan(const Key &key, Planned &planned, int64_t start);

    JobStore &store_;
    Clock &clock_;
    mutable std::mutex mutex_;
    bool started_ = false;
    std::map<Key, Planned> tasks_;
};

// The idempotency key of the run of `task` enqueued at `at`.
std::string periodic_job_key(const std::string &task, int64_t at);

}  // namespace relais::host
