#include "jobs/retry_policy.hpp"

#include "plugins/error_class.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace relais::host {

void validate(const RetryPolicy &policy) {
    if (policy.max_attempts < 1) throw std::invalid_argument("retry policy: max_attempts must be at least 1");
    if (policy.delay_ms < 0) throw std::invalid_argument("retry policy: delay_ms must be >= 0");
    if (policy.max_delay_ms < policy.delay_ms)
        throw std::invalid_argument("retry policy: max_delay_ms must be >= delay_ms");
    if (policy.max_rate_limited < 0) throw std::invalid_argument("retry policy: max_rate_limited must be >= 0");
}

bool is_retryable(relais_status status) {
    switch (sanitize_status(static_cast<int>(status))) {
    case RELAIS_RATE_LIMITED:
    case RELAIS_TRANSIENT:
    case RELAIS_INTERNAL: return true;
    default: return false;
    }
}

int64_t backoff_ms(const RetryPolicy &policy, int attempt, double unit_random) {
    if (!policy.exponential) return policy.delay_ms;
    // Doubling stops at the cap, so a large attempt number cannot overflow.
    int64_t delay = policy.delay_ms;
    for (int i = 1; i < attempt && delay > 0 && delay < policy.max_delay_ms; ++i)
        delay = delay > policy.max_delay_ms / 2 ? policy.max_delay_ms : delay * 2;
    if (!policy.jitter) return delay;
    const double u = std::clamp(unit_random, 0.0, 1.0);
    const double jittered = std::floor(u * (static_cast<double>(delay) + 1.0));
    // Compared as doubles: near INT64_MAX the product may not fit back into an int64_t.
    return jittered >= static_cast<double>(delay) ? delay : static_cast<int64_t>(jittered);
}

RetryDecision decide_retry(const RetryPolicy &policy, const FailedAttempt &failed, int64_t now,
                           double unit_random) {
    const auto status = sanitize_status(static_cast<int>(failed.status));
    if (status == RELAIS_OK) throw std::invalid_argument("decide_retry: the attempt succeeded");
    using Action = RetryDecision::Action;
    if (!is_retryable(status)) return {Action::dead, 0};

    const auto asked = static_cast<int64_t>(std::min<uint64_t>(failed.retry_after_ms, INT64_MAX / 4));
    if (status == RELAIS_RATE_LIMITED && failed.rate_limited_in_a_row < policy.max_rate_limited)
        return {Action::snooze, now + (asked > 0 ? asked : backoff_ms(policy, failed.attempt, unit_random))};

    if (failed.attempt >= failed.max_attempts) return {Action::dead, 0};
    return {Action::retry, now + std::max(asked, backoff_ms(policy, failed.attempt, unit_random))};
}

}  // namespace relais::host
