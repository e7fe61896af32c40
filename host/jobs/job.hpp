// What a durable job is: its states, its attempts, and what callers pass in to create, claim
// and list jobs. Plain data shared by every JobStore implementation, the scheduler and the API.
//
// Every time is in milliseconds since the Unix epoch, read from a clock the caller passes in
// (so tests control time and a store never mixes its clock with the scheduler's).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relais::host {

// Jobs are numbered by the database (SQLite's rowid, PostgreSQL's identity column): the
// cheapest key for both, unique across every host sharing a PostgreSQL database, and strictly
// increasing in enqueue order, so "run_at then id" is first-in first-out without relying on a
// clock or random bits. The API shows it as a decimal string.
using JobId = int64_t;

//   queued ──claim──▶ running ──succeed──▶ succeeded
//     ▲                 │ │ └──fail, no retry_at──▶ dead ──retry──▶ queued
//     │                 │ └──fail with retry_at──▶ failed_retrying ──(run_at reached) claim──▶ running
//     └─requeue_expired─┘
//   running ──wait (a step asked to continue later)──▶ waiting ──(run_at reached, or wake) claim──▶ running
//   queued | failed_retrying | waiting ──cancel──▶ cancelled ──retry──▶ queued
//   queued | failed_retrying | waiting past deadline_at ──housekeeper──▶ dead ("deadline")
//   running ──cancel──▶ running with cancel_requested; the worker's next fail() or wait() (or
//                       a lease expiry) ends it as cancelled; a succeed() still ends it as succeeded.
enum class JobState { queued, running, succeeded, failed_retrying, dead, cancelled, waiting };

inline constexpr JobState kAllJobStates[] = {JobState::queued,          JobState::running, JobState::succeeded,
                                             JobState::failed_retrying, JobState::dead,    JobState::cancelled,
                                             JobState::waiting};

// The names stored in the database and shown by the API: "queued", "failed_retrying", ...
constexpr std::string_view to_string(JobState state) {
    switch (state) {
    case JobState::queued: return "queued";
    case JobState::running: return "running";
    case JobState::succeeded: return "succeeded";
    case JobState::failed_retrying: return "failed_retrying";
    case JobState::dead: return "dead";
    case JobState::cancelled: return "cancelled";
    case JobState::waiting: return "waiting";
    }
    return "unknown";
}

// nullopt for a name that is not a state.
constexpr std::optional<JobState> job_state_from_string(std::string_view name) {
    for (auto state : kAllJobStates)
        if (to_string(state) == name) return state;
    return std::nullopt;
}

// How an attempt failed, as the plugin reported it (or as the host saw it).
struct AttemptError {
    std::string error_class;  // an error class name ("transient", "rate_limited", ...) or "lease_expired"
    std::string message;
    std::string detail;                     // JSON text; empty when there is none
    std::optional<int64_t> retry_after_ms;  // what a rate_limited error asked for

    bool operator==(const AttemptError &) const = default;
};

struct Job {
    JobId id = 0;
    std::string connector;
    std::string action;
    std::string input;  // JSON text
    std::optional<std::string> idempotency_key;
    JobState state = JobState::queued;
    // Claims in the current run: reset to 0 by retry(), so max_attempts applies afresh; the
    // attempt history keeps every attempt ever made.
    int attempts = 0;
    int max_attempts = 3;
    int priority = 0;    // higher runs first among runnable jobs
    int64_t run_at = 0;  // it may not run before
    int64_t created_at = 0;
    int64_t updated_at = 0;
    std::optional<std::string> lease_owner;   // while running
    std::optional<int64_t> lease_expires_at;  // while running
    bool cancel_requested = false;            // cancel() was called while it ran
    std::optional<std::string> result;        // JSON text, once succeeded
    std::optional<AttemptError> last_error;   // the latest failure; kept across retry()
    std::optional<std::string> callback_url;
    // A job of several steps: what its last step left for the next one (JSON text, shown as
    // its progress), and how many steps completed (a step that asked to continue later).
    std::optional<std::string> checkpoint;
    int step = 0;
    std::optional<int64_t> deadline_at;  // past it, the job is never run again: it ends dead
    bool callback_progress = false;      // post the callback after each step too, not only at the end

    bool operator==(const Job &) const = default;
};

struct Attempt {
    JobId job_id = 0;
    int number = 0;  // 1, 2, ... over the job's whole life (not reset by retry())
    std::string owner;
    int64_t started_at = 0;
    std::optional<int64_t> finished_at;  // nullopt while it runs
    // "ok", "continued" (the step asked to continue later), an error class, or "lease_expired"
    // (the worker vanished); nullopt while it runs.
    std::optional<std::string> outcome;
    std::string message;
    std::string detail;  // JSON text; empty when there is none
    std::optional<int64_t> retry_after_ms;

    bool operator==(const Attempt &) const = default;
};

struct JobDetail {
    Job job;
    std::vector<Attempt> attempts;  // oldest first

    bool operator==(const JobDetail &) const = default;
};

struct NewJob {
    std::string connector;
    std::string action;
    std::string input = "{}";  // JSON text
    // Unique per connector, forever: a second enqueue with the same key returns the first job.
    std::optional<std::string> idempotency_key;
    int max_attempts = 3;
    int priority = 0;
    std::optional<int64_t> run_at;  // nullopt: now
    std::optional<std::string> callback_url;
    std::optional<int64_t> deadline_at;  // nullopt: none
    bool callback_progress = false;
};

struct EnqueueResult {
    Job job;
    bool created = false;  // false: an earlier job had the same (connector, idempotency_key)
};

struct ClaimRequest {
    std::string owner;  // unique per worker and per process run: it is what proves the lease
    int64_t lease_ms = 60'000;
    // Only jobs of these connectors (those with a free concurrency slot right now). Empty
    // claims nothing: the scheduler always knows which connectors may run.
    std::vector<std::string> connectors;
};

// Meant for designated initializers: { .state = JobState::dead, .limit = 100 }.
struct ListFilter {
    std::optional<JobState> state{};
    std::optional<std::string> connector{};
    std::optional<int64_t> since{};       // created_at >= since
    int limit = 50;                       // 1..kMaxListLimit
    std::optional<std::string> cursor{};  // next_cursor of the previous page
    std::optional<std::string> action{};
    std::optional<std::string> idempotency_key{};
    std::optional<int64_t> until{};       // created_at < until
};

// Jobs that ended in one minute, by how they ended: what the console charts.
struct MinuteOutcomes {
    int64_t minute = 0;  // its first millisecond
    int64_t succeeded = 0;
    int64_t dead = 0;
    int64_t cancelled = 0;
};

inline constexpr int kMaxListLimit = 500;

// Newest first (created_at, then id, descending), by keyset on (created_at, id): jobs enqueued
// while a client pages through sort before its first page (given a clock that does not go
// back), so later pages neither repeat nor skip a job.
struct Page {
    std::vector<Job> jobs;
    std::optional<std::string> next_cursor;  // nullopt on the last page
};

}  // namespace relais::host
