// What happens to a job after an attempt fails, decided from the plugin's error class (never
// from its message), the attempt number and the connector's policy.
//
//   rate_limited                 -> snooze: run again at now + retry_after (the policy's delay
//                                   when the plugin gave none). A snooze gives the attempt back
//                                   (JobStore::snooze): being told "not now" is not a failure
//                                   (River's snooze). After max_rate_limited answers in a row it
//                                   counts like a transient error, so a plugin that always says
//                                   rate_limited cannot keep a job forever.
//   transient, internal          -> retry at now + backoff (at least the retry_after the plugin
//                                   gave), while attempts < the job's max_attempts; then dead.
//   invalid_config, invalid_input, unauthorized, forbidden, not_found, permanent,
//   unsupported                  -> dead at once: retrying cannot help; the error is the reason.
//
// Attempts: the store counts every claim; a job's max_attempts is fixed when it is enqueued
// (the connector's RetryPolicy::max_attempts is what the scheduler and the API give new jobs
// by default), so a policy change never strands jobs already queued.
#pragma once

#include <relais/plugin.h>

#include <cstdint>

namespace relais::host {

struct RetryPolicy {
    int max_attempts = 3;       // given to new jobs of the connector
    int64_t delay_ms = 10'000;  // the fixed delay, or the first delay of the exponential backoff
    // delay_ms * 2^(attempt - 1), at most max_delay_ms; with jitter, a uniformly random delay
    // between 0 and that ("full jitter"), so that jobs failing together do not retry together.
    bool exponential = false;
    int64_t max_delay_ms = 3'600'000;
    bool jitter = true;  // exponential only
    int max_rate_limited = 20;

    bool operator==(const RetryPolicy &) const = default;
};

// Throws std::invalid_argument naming the field that is out of range.
void validate(const RetryPolicy &policy);

struct FailedAttempt {
    relais_status status = RELAIS_INTERNAL;  // not RELAIS_OK
    int attempt = 1;                         // the job's attempts counter, this attempt included
    int max_attempts = 3;                    // the job's
    uint64_t retry_after_ms = 0;             // what the plugin asked for; 0: nothing
    int rate_limited_in_a_row = 0;           // rate_limited answers just before this attempt
};

struct RetryDecision {
    enum class Action { retry, snooze, dead };
    Action action = Action::dead;
    int64_t run_at = 0;  // retry and snooze: when it may run again

    bool operator==(const RetryDecision &) const = default;
};

// Whether the class can succeed on a later try (rate_limited, transient, internal).
bool is_retryable(relais_status status);

// The delay before retrying after attempt `attempt` (1-based) failed; unit_random in [0, 1)
// picks the jitter (the scheduler passes a random number; tests pass what they check).
int64_t backoff_ms(const RetryPolicy &policy, int attempt, double unit_random);

// Throws std::invalid_argument for RELAIS_OK.
RetryDecision decide_retry(const RetryPolicy &policy, const FailedAttempt &failed, int64_t now,
                           double unit_random);

}  // namespace relais::host
