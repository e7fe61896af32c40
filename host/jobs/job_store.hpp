// The durable job store: what the scheduler, the workers and the HTTP API need from storage,
// and nothing about how it is stored. SqliteJobStore is the single-host implementation; a
// PostgreSQL one (several hosts, claims with FOR UPDATE SKIP LOCKED) can be added beside it
// without touching its users.
//
// Contract for every implementation:
// - Each call is atomic and durable when it returns (an enqueue that returned is on disk, so
//   the API may answer 202), and safe to make from several threads and several processes or
//   hosts sharing the same storage.
// - Times are milliseconds since the epoch from the caller's clock; the store never reads one.
// - Delivery is at least once: a worker that vanishes loses its lease and the job runs again.
//   Effects on remote systems are made safe by idempotency keys, not by the store.
// - Storage failures throw (std::runtime_error or a subclass); bad arguments throw
//   std::invalid_argument; "no such job" and "not in a state that allows it" are return values.
#pragma once

#include "jobs/job.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace relais::host {

// A job named by what its submitter knows of it: its idempotency key, or its id.
using JobRef = std::variant<std::string, JobId>;

// The store cannot be used as it is (e.g. its schema is newer than this program).
class JobStoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class JobStore {
public:
    virtual ~JobStore() = default;
    JobStore() = default;
    JobStore(const JobStore &) = delete;
    JobStore &operator=(const JobStore &) = delete;

    // --- jobs -------------------------------------------------------------------------------

    // Creates a queued job, or returns the existing one when (connector, idempotency_key)
    // was seen before, with created = false, even when several enqueue it at once.
    virtual EnqueueResult enqueue(const NewJob &job, int64_t now) = 0;

    // Atomically takes the next runnable job (queued, failed_retrying or waiting, run_at <= now,
    // and deadline_at, if any, still ahead) of one of request.connectors, by priority (higher
    // first), then run_at, then id; marks it running under request.owner until now + lease_ms,
    // counts the attempt and opens an attempt record. No two claims ever return the same job
    // while its lease is held. A job past its deadline is never claimed (see expire_deadlines).
    virtual std::optional<Job> claim(const ClaimRequest &request, int64_t now) = 0;

    // Moves the lease's expiry to new_expiry; false when owner no longer holds the job.
    virtual bool extend_lease(JobId id, const std::string &owner, int64_t new_expiry) = 0;

    // Ends the running attempt. Both return false, changing nothing, when owner no longer holds
    // the job (its lease expired and it was requeued). A lease that has expired but was not yet
    // requeued still counts as held: nobody else has the job, and its work is done.
    // succeed: -> succeeded with result (JSON text), even if cancel was requested meanwhile.
    virtual bool succeed(JobId id, const std::string &owner, const std::string &result_json, int64_t now) = 0;
    // fail: -> failed_retrying, to run again at retry_at; or dead when retry_at is nullopt (the
    // scheduler decides from the error class and max_attempts); or cancelled when cancel was
    // requested while it ran.
    virtual bool fail(JobId id, const std::string &owner, const AttemptError &error, std::optional<int64_t> retry_at,
                      int64_t now) = 0;

    // Ends the running attempt without using it up: -> queued, to run at run_at, with the
    // attempts counter back down by one (the attempt record stays, ending with error, so the
    // history shows every try); or cancelled when cancel was requested while it ran. For
    // answers that mean "not now" rather than "failed": a rate_limited error, or a job the
    // host stopped before it could run it. False, changing nothing, when owner no longer holds
    // the job (as for fail).
    virtual bool snooze(JobId id, const std::string &owner, const AttemptError &error, int64_t run_at,
                        int64_t now) = 0;

    // Ends the running step of a job of several steps that is not finished: -> waiting, to run
    // again at run_at (or at now when wake() was called while the step ran), with
    // checkpoint_json (JSON text) kept for the next step; or cancelled (the checkpoint kept)
    // when cancel was requested while it ran. The attempt record ends as "continued", the
    // lease is cleared, step goes up by one, and attempts goes back to 0: each step has the
    // whole max_attempts, and a failed step is retried from the last checkpoint. False,
    // changing nothing, when owner no longer holds the job (as for fail). Throws
    // std::invalid_argument when the checkpoint is not JSON.
    virtual bool wait(JobId id, const std::string &owner, const std::string &checkpoint_json, int64_t run_at,
                      int64_t now) = 0;

    // The job of `connector` named by `job` (its idempotency key or its id) should run now:
    // waiting or failed_retrying, its run_at becomes now; running, its next wait() runs it
    // again at once; queued, it is due already. True when such an unfinished job (queued,
    // running, failed_retrying or waiting) exists; false otherwise, changing nothing.
    virtual bool wake(const std::string &connector, const JobRef &job, int64_t now) = 0;

    // Every queued, failed_retrying or waiting job whose deadline_at <= now -> dead, with the
    // error class "deadline" and a message naming the deadline and how many steps completed.
    // A running job is left to its worker, which is told the deadline. Returns their ids.
    virtual std::vector<JobId> expire_deadlines(int64_t now) = 0;

    // Crash safety, at start and periodically: every running job whose lease_expires_at < now
    // loses its lease, its open attempt ends as "lease_expired", and it goes back to queued
    // (run_at = now), keeping its checkpoint and step (only the step that ran is repeated); or
    // to dead when it has used max_attempts (a job that kills its worker must not loop
    // forever); or to cancelled when cancel was requested. Returns how many.
    virtual int requeue_expired(int64_t now) = 0;

    // Deletes up to `limit` succeeded or cancelled jobs last changed before `before`, with
    // their attempts; returns how many. Dead jobs are kept (they wait for a person), and so are
    // the others. Ids are never reused; a purged job's idempotency key may name a new job.
    virtual int purge_finished(int64_t before, int limit) = 0;

    // Finished jobs whose callback_url has not been delivered yet (nor given up), oldest first:
    // what a restarted host still has to post. callback_done() takes a job off that list.
    virtual std::vector<JobId> pending_callbacks(int limit) = 0;
    virtual void callback_done(JobId id) = 0;

    // queued | failed_retrying | waiting -> cancelled. running: sets cancel_requested, which the worker
    // reads with get() (e.g. when it extends its lease) to stop early; the job ends as its worker reports.
    // False when there is no such job or it has already finished.
    virtual bool cancel(JobId id, int64_t now) = 0;

    // dead | cancelled -> queued, run_at = now, with a fresh attempts counter (max_attempts
    // applies again) and no lease or result; the attempt history, last_error, checkpoint and
    // step stay (it goes on from its last step), and new attempts keep numbering after the old
    // ones. A deadline_at already passed is lifted (else the retry could never run). False
    // for any other state or no such job.
    virtual bool retry(JobId id, int64_t now) = 0;

    virtual std::optional<JobDetail> get(JobId id) = 0;

    // The job enqueued with this (connector, idempotency_key), if any.
    virtual std::optional<Job> find(const std::string &connector, const std::string &idempotency_key) = 0;

    // Throws std::invalid_argument for a limit outside 1..kMaxListLimit or a cursor this store
    // did not produce.
    virtual Page list(const ListFilter &filter) = 0;

    // How many jobs match the filter (its limit and cursor ignored), and their ids, newest
    // first, up to `limit`: what a bulk retry or cancel works on.
    virtual int64_t count_matching(const ListFilter &filter) = 0;
    virtual std::vector<JobId> ids_matching(const ListFilter &filter, int limit) = 0;

    // The jobs that ended (succeeded, dead or cancelled) in each minute from `since` to `now`
    // (minutes with none left out), by their last change; purged jobs are not counted.
    virtual std::vector<MinuteOutcomes> finished_by_minute(int64_t since, int64_t now) = 0;

    // How many jobs are in `state` (of one connector, or of all), for metrics and readiness.
    virtual int64_t count(JobState state, const std::optional<std::string> &connector = std::nullopt) = 0;
    // How many jobs claim() could take at `now` (of one connector, or of all): the queue's depth.
    virtual int64_t count_runnable(int64_t now, const std::optional<std::string> &connector = std::nullopt) = 0;

    // --- per-connector daily quotas -----------------------------------------------------------

    // day is "YYYY-MM-DD" in whatever time zone the quota is defined in (the caller's choice).
    // Adds n (may be 0) and returns the new total.
    virtual int64_t add_daily_usage(const std::string &connector, const std::string &day, int64_t n) = 0;
    virtual int64_t daily_usage(const std::string &connector, const std::string &day) = 0;

    // --- periodic tasks -----------------------------------------------------------------------

    virtual std::optional<int64_t> last_periodic_run(const std::string &connector, const std::string &task) = 0;
    virtual void set_last_periodic_run(const std::string &connector, const std::string &task, int64_t at) = 0;

    // The plugins' key-value state lives in the same storage but is not the job store's: see
    // PluginStateStore (jobs/plugin_state_store.hpp).
};

}  // namespace relais::host
