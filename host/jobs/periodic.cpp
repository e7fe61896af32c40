#include "jobs/periodic.hpp"

#include <Poco/Logger.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace relais::host {

namespace {

Poco::Logger &logger() { return Poco::Logger::get("relais.scheduler"); }

constexpr int64_t kRetryAfterErrorMs = 60'000;

bool still_going(JobState state) {
    return state == JobState::queued || state == JobState::running || state == JobState::failed_retrying;
}

}  // namespace

std::string periodic_job_key(const std::string &task, int64_t at) {
    return "periodic:" + task + ":" + std::to_string(at);
}

PeriodicRunner::PeriodicRunner(JobStore &store, Clock &clock) : store_(store), clock_(clock) {}

void PeriodicRunner::set_tasks(const std::string &connector, const std::vector<PeriodicTask> &tasks,
                               int max_attempts) {
    std::set<std::string> names;
    for (const auto &task : tasks) {
        const auto where = "periodic task \"" + task.name + "\" of " + connector;
        if (task.name.empty()) throw std::invalid_argument("a periodic task of " + connector + " has no name");
        if (task.action.empty()) throw std::invalid_argument(where + " has no action");
        if (task.interval_ms <= 0) throw std::invalid_argument(where + ": interval must be > 0");
        if (task.start_delay_ms < 0) throw std::invalid_argument(where + ": start delay must be >= 0");
        if (!names.insert(task.name).second) throw std::invalid_argument(where + " is declared twice");
    }
    if (max_attempts < 1) throw std::invalid_argument("periodic tasks of " + connector + ": max_attempts must be >= 1");

    std::lock_guard lock(mutex_);
    std::map<Key, Planned> kept;
    for (auto it = tasks_.begin(); it != tasks_.end();) {
        if (it->first.first == connector) {
            kept.insert(tasks_.extract(it++));
        } else {
            ++it;
        }
    }
    const auto now = clock_.now_ms();
    for (const auto &task : tasks) {
        Key key{connector, task.name};
        Planned planned{task, max_attempts, std::nullopt};
        if (const auto old = kept.find(key); old != kept.end() && old->second.task == task)
            planned.next = old->second.next;
        else if (started_)
            plan(key, planned, now);
        tasks_.emplace(std::move(key), std::move(planned));
    }
}

void PeriodicRunner::plan(const Key &key, Planned &planned, int64_t start) {
    const auto first = start + planned.task.start_delay_ms;
    const auto last = store_.last_periodic_run(key.first, key.second);
    planned.next = last ? std::max(*last + planned.task.interval_ms, first) : first;
}

void PeriodicRunner::start() {
    std::lock_guard lock(mutex_);
    if (started_) return;
    const auto now = clock_.now_ms();
    for (auto &[key, planned] : tasks_) plan(key, planned, now);
    started_ = true;
}

int PeriodicRunner::run_due() {
    std::lock_guard lock(mutex_);
    if (!started_) return 0;
    int enqueued = 0;
    for (auto &[key, planned] : tasks_) {
        const auto &[connector, name] = key;
        const auto now = clock_.now_ms();
        if (!planned.next || *planned.next > now) continue;
        const auto &task = planned.task;
        try {
            // The previous run, found by its key: still going means this slot is skipped.
            if (const auto last = store_.last_periodic_run(connector, name)) {
                const auto previous = store_.find(connector, periodic_job_key(name, *last));
                if (previous && still_going(previous->state)) {
                    logger().information("periodic task " + name + " of " + connector + ": the run enqueued as job " +
                                         std::to_string(previous->id) + " is still " +
                                         std::string(to_string(previous->state)) + "; this run is skipped");
                    planned.next = now + task.interval_ms;
                    continue;
                }
            }
            NewJob job;
            job.connector = connector;
            job.action = task.action;
            job.input = task.input;
            job.idempotency_key = periodic_job_key(name, now);
            job.max_attempts = planned.max_attempts;
            store_.enqueue(job, now);
            store_.set_last_periodic_run(connector, name, now);
            ++enqueued;
            planned.next = now + task.interval_ms;
        } catch (const std::exception &e) {
            // Sooner than an interval (six hours for Universign): a full disk or a busy
            // database is often gone a minute later.
            const auto again = std::min(task.interval_ms, kRetryAfterErrorMs);
            logger().error("periodic task " + name + " of " + connector + " could not be enqueued: " + e.what() +
                           "; next try in " + std::to_string(again) + " ms");
            planned.next = now + again;
        }
    }
    return enqueued;
}

int64_t PeriodicRunner::next_due() const {
    std::lock_guard lock(mutex_);
    int64_t next = kNever;
    for (const auto &[key, planned] : tasks_)
        if (planned.next) next = std::min(next, *planned.next);
    return next;
}

std::optional<int64_t> PeriodicRunner::next_run(const std::string &connector, const std::string &task) const {
    std::lock_guard lock(mutex_);
    const auto it = tasks_.find(Key{connector, task});
    if (it == tasks_.end()) return std::nullopt;
    return it->second.next;
}

}  // namespace relais::host
