// The scheduler: a bounded pool of workers that claims jobs from the store and runs them
// through a JobExecutor, within each connector's concurrency limit and quota, retrying by the
// error class, extending leases, and enqueueing the periodic tasks. Nothing here knows about
// HTTP or plugin loading: the service gives it an executor that calls the plugins.
//
// Workers. Each worker claims for itself, one claim at a time across the pool (SQLite takes
// one writer at a time anyway), so a connector's running count can never pass its limit. A
// claim considers only connectors that have a policy, a free concurrency slot and quota
// available now, and asks them in turn, round robin from the one served last: a connector
// waiting for quota, at its limit, or with a backlog of thousands of jobs never holds up
// another's. A connector found empty is skipped until notify() announces new jobs, a retry of
// its own comes due, or poll_ms passes (which bounds how late a job enqueued elsewhere, or one
// scheduled for later, is seen). Jobs of connectors without a policy stay queued.
//
// Quota. With quota_per_action, a job takes one request from the connector's quota before it
// runs (taken in the claim, so normally at once; otherwise the worker waits for it, and gives
// the attempt back if it has to stop first). Without, the executor asks for each upstream
// request through JobContext::acquire_quota, and the count is of requests, not of actions.
//
// Outcomes. ok -> succeeded (an empty result is stored as null); ok with `later` (a step of a
// longer job asking to run again in a while) -> waiting, with its checkpoint: no attempt used,
// and no thread held meanwhile (the worker goes back to claiming). An error goes through the
// connector's RetryPolicy (retry_policy.hpp): failed_retrying at the retry time, queued after a
// rate_limited snooze (the attempt given back), or dead with the error as the reason. A result
// that is not JSON, or an executor that throws, is an internal error. A job cancelled while it
// ran ends cancelled (the store decides). When the outcome cannot be recorded (storage
// failure), it is logged; the lease then expires and the job runs again (at least once).
//
// Deadlines. Each step may run for its connector's step_timeout_ms, and never past the job's
// own deadline_at: JobContext::remaining_ms() counts down to the nearer of the two, and at it
// stop_requested() turns true (StopReason::deadline). A step cut short so that fails is a
// transient failure (retried by the policy from the last checkpoint), unless the job's deadline
// has passed: it is then dead with the class "deadline". Jobs not running when their deadline
// passes are ended the same way by the housekeeper (and never claimed after it).
//
// Leases. A housekeeping thread extends the lease of every running job once half of it has
// passed, reads the store's cancel_requested of running jobs every cancel_check_ms (cancel()
// here stops a job at once), tells running steps their deadline has come, ends the jobs past
// their deadline (every poll_ms), requeues the expired leases of vanished workers (at start,
// then every quarter lease), and enqueues the periodic tasks that are due.
//
// Stopping. stop(grace) claims nothing more, releases jobs still waiting for quota (back to the
// queue, attempt given back), lets running jobs finish for up to grace, then asks the rest to
// stop (JobContext::stop_requested) and waits for their executors to return. A job interrupted
// so that returns a retryable error goes back to the queue without using an attempt.
#pragma once

#include "plugins/call_result.hpp"
#include "jobs/clock.hpp"
#include "jobs/job_store.hpp"
#include "jobs/periodic.hpp"
#include "jobs/quota.hpp"
#include "jobs/retry_policy.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

namespace relais::host {

struct ConnectorPolicy {
    int max_concurrency = 4;  // >= 1
    RetryPolicy retry;
    QuotaSettings quota;  // defaults to none
    std::vector<PeriodicTask> periodic;
    // true: the scheduler takes one request of quota per job; false: the plugin asks per
    // upstream request itself (JobContext::acquire_quota).
    bool quota_per_action = true;
    // How long one attempt (one step of a job) may run before it is asked to stop (>= 1).
    int64_t step_timeout_ms = 300'000;
};

struct SchedulerOptions {
    std::string owner;  // unique per process run (e.g. host name, pid and start time): it proves the leases
    int workers = 8;
    int64_t lease_ms = 60'000;
    int64_t poll_ms = 1'000;  // longest idle wait; notify() wakes workers at once
    int64_t cancel_check_ms = 1'000;
    // Succeeded and cancelled jobs are deleted this long after they ended; 0 keeps them.
    int64_t retention_ms = 30LL * 86'400'000;
    int64_t purge_every_ms = 3'600'000;
    // Run by the housekeeper at each purge (every purge_every_ms, whatever retention_ms), for
    // what other stores keep with an expiry (the plugins' state); it may throw, like the purge.
    std::function<void(int64_t now)> on_purge;
    uint64_t random_seed = 0;  // for retry jitter; 0: from std::random_device
};

// Why a running job is asked to stop.
enum class StopReason {
    none,
    cancelled,   // cancel() here or in the store
    shutdown,    // the scheduler stops and the grace period is over
    lease_lost,  // the lease could not be extended: the job was given to someone else
    deadline,    // the step's time (step_timeout_ms) or the job's deadline_at has come
};

namespace detail {
struct RunningJob;
}

class Scheduler;

// What the code running a job can ask of the scheduler; one per attempt, valid during
// JobExecutor::execute. Thread-safe.
class JobContext {
public:
    JobContext(const JobContext &) = delete;
    JobContext &operator=(const JobContext &) = delete;

    const Job &job() const { return job_; }
    int64_t now_ms() const;

    // Whether to stop early, and why. An executor that sees it returns soon: its result is
    // recorded as usual (an error of a cancelled job ends it cancelled). Turns true by itself
    // once remaining_ms() reaches 0.
    bool stop_requested() const;
    StopReason stop_reason() const;
    bool cancel_requested() const { return stop_reason() == StopReason::cancelled; }
    std::stop_token stop_token() const;
    // Milliseconds left before this step's deadline: the nearer of the step's time limit and
    // the job's deadline_at; 0 once passed.
    int64_t remaining_ms() const;
    int64_t deadline_ms() const;  // the same, as a time

    // Takes n requests from the connector's quota: 0 once granted, or, when max_wait_ms
    // passes or a stop is requested first, nothing granted and the wait still needed (> 0).
    // Throws std::invalid_argument when n is more than the quota can ever grant at once.
    int64_t acquire_quota(int64_t n = 1, int64_t max_wait_ms = kNever);
    // The connector's quotas by scope and key (QuotaLimiter::take), beyond acquire_quota.
    QuotaLimiter &quota() const;

    // Waits until a stop is requested (true) or the clock reaches deadline_ms (false): a
    // pause between polls that a cancel cuts short.
    bool wait_for_stop(int64_t deadline_ms);

private:
    friend class Scheduler;
    JobContext(Scheduler &scheduler, const Job &job, std::shared_ptr<detail::RunningJob> running);
    void check_deadline() const;

    Scheduler &scheduler_;
    const Job &job_;
    std::shared_ptr<detail::RunningJob> running_;
};

class JobExecutor {
public:
    virtual ~JobExecutor() = default;
    // Runs one attempt; called on many threads at once. An exception counts as an internal error.
    virtual CallResult execute(const Job &job, JobContext &context) = 0;
};

class Scheduler {
public:
    // A hook gets the job as stored, with its attempts: what a callback posts.
    using JobHook = std::function<void(const JobDetail &)>;
    using JobFilter = std::function<bool(const Job &)>;

    // Throws std::invalid_argument for an empty owner, workers < 1 or a period <= 0.
    Scheduler(JobStore &store, JobExecutor &executor, Clock &clock, SchedulerOptions options);
    // Stops without grace when still running.
    ~Scheduler();
    Scheduler(const Scheduler &) = delete;
    Scheduler &operator=(const Scheduler &) = delete;

    // Sets or replaces a connector's policy, before or after start: limits apply to the next
    // claims (running jobs are not stopped when the limit drops), quota and periodic tasks at
    // once. Throws std::invalid_argument (naming the field) and changes nothing when invalid.
    void set_policy(const std::string &connector, ConnectorPolicy policy);
    // Its queued jobs are no longer claimed, its periodic tasks stop; running ones finish.
    void remove_policy(const std::string &connector);
    std::optional<ConnectorPolicy> policy(const std::string &connector) const;

    // Called on a worker thread after every recorded attempt (the job as stored afterwards:
    // succeeded, failed_retrying, queued after a snooze, dead or cancelled), and after an
    // attempt that ended the job (succeeded, dead, cancelled): e.g. for callbacks. Set them
    // before start(); they must not throw.
    // on_finished also follows jobs ended by cancel() here while they were not running, and
    // jobs the housekeeper ended at their deadline. on_progress is called after a step that
    // asked to continue later, for jobs that asked for it (Job::callback_progress).
    void set_on_attempt(JobHook hook);
    void set_on_finished(JobHook hook);
    void set_on_progress(JobHook hook);
    // The hooks run only for the jobs `concerns` accepts, judged on the job as claimed (so on
    // what an attempt does not change, such as its callback_url): the others are not read
    // again after each attempt. Without a filter the hooks see every job.
    void set_hook_filter(JobFilter concerns);

    // Requeues expired leases, plans the periodic tasks and starts the threads. Once only.
    void start();
    // See the top of this file. Returns how many running jobs were asked to stop after the
    // grace (0: all finished in time). Returns at once when not running.
    int stop(int64_t grace_ms);

    // New jobs may be runnable (call it after an enqueue): wakes idle workers.
    void notify();
    // Cancels through the store (JobStore::cancel) and, when the job runs here, asks it to
    // stop at once. False when there is no such job or it already finished.
    bool cancel(JobId id);
    // Wakes a waiting (or retrying) job of `connector` so it runs now (JobStore::wake), and
    // the workers with it. False when no unfinished job matches.
    bool wake(const std::string &connector, const JobRef &job);

    // The connectors' quotas, shared with the synchronous API (try_acquire -> 429 Retry-After).
    QuotaLimiter &quota() { return quota_; }
    PeriodicRunner &periodic() { return periodic_; }
    Clock &clock() { return clock_; }

    int running(const std::string &connector) const;
    int running() const;

private:
    friend class JobContext;

    struct ConnectorState {
        std::shared_ptr<const ConnectorPolicy> policy;  // null once removed
        int running = 0;
        // A claim found nothing at empty_seen (enqueue_seq_ then): skip it until empty_until.
        uint64_t empty_seen = 0;
        int64_t empty_until = 0;
        std::multiset<int64_t> retries;  // run_at of retries and snoozes this scheduler recorded
    };
    struct Claimed {
        std::optional<Job> job;
        std::shared_ptr<detail::RunningJob> running;
        std::shared_ptr<const ConnectorPolicy> policy;
        bool quota_pending = false;  // the quota could not be taken in the claim
        int64_t next_try = kNever;   // no job: when to look again
    };

    void work(int index);
    Claimed claim_next(const std::string &owner);
    void run(Claimed claimed, const std::string &owner);
    // Returns the run_at of a retry or snooze it recorded, if any.
    std::optional<int64_t> record(const Job &job, const std::string &owner, const ConnectorPolicy &policy,
                                  CallResult result, StopReason reason);
    int rate_limited_in_a_row(JobId id);
    void finish(const Job &job, std::optional<int64_t> retry_at, bool recorded);
    // The hooks for a job that a worker did not end (cancelled while not running, past its deadline).
    void finished_elsewhere(JobId id);
    void keep_house();
    double random_unit();

    JobStore &store_;
    JobExecutor &executor_;
    Clock &clock_;
    const SchedulerOptions options_;
    QuotaLimiter quota_;
    PeriodicRunner periodic_;
    JobHook on_attempt_;
    JobHook on_finished_;
    JobHook on_progress_;
    JobFilter hook_filter_;

    std::mutex claim_mutex_;  // one claim at a time; taken before mutex_
    mutable std::mutex mutex_;
    std::condition_variable work_;    // workers: a job may be claimable
    std::condition_variable done_;    // a running job ended
    std::condition_variable housekeeping_;
    std::map<std::string, ConnectorState, std::less<>> connectors_;  // in round-robin order
    std::string last_served_;
    std::map<JobId, std::shared_ptr<detail::RunningJob>> running_jobs_;
    uint64_t enqueue_seq_ = 0;  // notify() and new policies: marks of empty connectors expire
    uint64_t wake_seq_ = 0;     // anything that may let an idle worker claim
    uint64_t house_seq_ = 0;    // the housekeeping thread should look again
    bool started_ = false;
    bool stopping_ = false;
    bool house_stop_ = false;
    std::stop_source shutdown_;  // requested when stop() begins: jobs not yet running give up
    std::mt19937_64 random_;
    std::vector<std::thread> workers_;
    std::thread housekeeper_;
};

}  // namespace relais::host
