// The retry policy: what each error class leads to, the fixed and exponential delays, the
// jitter, and the limit on rate_limited answers. Pure functions: no store, no threads.
#include "jobs/retry_policy.hpp"

#include <catch2/catch.hpp>

using namespace relais::host;
using Action = RetryDecision::Action;

namespace {

constexpr int64_t T0 = 1'700'000'000'000;

FailedAttempt failed(relais_status status, int attempt = 1, int max_attempts = 3, uint64_t retry_after_ms = 0) {
    return FailedAttempt{status, attempt, max_attempts, retry_after_ms, 0};
}

}  // namespace

TEST_CASE("retry: classes that cannot succeed later go to dead at once", "[retry]") {
    const RetryPolicy policy;
    for (auto status : {RELAIS_INVALID_CONFIG, RELAIS_INVALID_INPUT, RELAIS_UNAUTHORIZED, RELAIS_FORBIDDEN,
                        RELAIS_NOT_FOUND, RELAIS_PERMANENT, RELAIS_UNSUPPORTED}) {
        CAPTURE(status);
        CHECK_FALSE(is_retryable(status));
        CHECK(decide_retry(policy, failed(status, 1, 10), T0, 0.5) == RetryDecision{Action::dead, 0});
    }
    CHECK_THROWS_AS(decide_retry(policy, failed(RELAIS_OK), T0, 0.5), std::invalid_argument);
}

TEST_CASE("retry: transient and internal errors retry 10 s apart until the attempts run out", "[retry]") {
    const RetryPolicy policy;  // the defaults: 3 tries, 10 s apart
    CHECK(policy.max_attempts == 3);
    CHECK(policy.delay_ms == 10'000);
    // (An out-of-range number from a plugin never gets here: the host turns it into internal.)
    for (auto status : {RELAIS_TRANSIENT, RELAIS_INTERNAL}) {
        CAPTURE(status);
        CHECK(is_retryable(status));
        CHECK(decide_retry(policy, failed(status, 1), T0, 0.5) == RetryDecision{Action::retry, T0 + 10'000});
        CHECK(decide_retry(policy, failed(status, 2), T0, 0.5) == RetryDecision{Action::retry, T0 + 10'000});
        CHECK(decide_retry(policy, failed(status, 3), T0, 0.5) == RetryDecision{Action::dead, 0});
    }
    // The job's own max_attempts decides, not the policy's (it was fixed at enqueue).
    CHECK(decide_retry(policy, failed(RELAIS_TRANSIENT, 3, 5), T0, 0.5).action == Action::retry);
    CHECK(decide_retry(policy, failed(RELAIS_TRANSIENT, 1, 1), T0, 0.5).action == Action::dead);
    // A transient error that names a delay gets at least that delay.
    CHECK(decide_retry(policy, failed(RELAIS_TRANSIENT, 1, 3, 60'000), T0, 0.5).run_at == T0 + 60'000);
    CHECK(decide_retry(policy, failed(RELAIS_TRANSIENT, 1, 3, 2'000), T0, 0.5).run_at == T0 + 10'000);
}

TEST_CASE("retry: rate_limited snoozes for the retry-after without using an attempt", "[retry]") {
    RetryPolicy policy;
    policy.max_rate_limited = 2;
    // Even on the last attempt: a snooze gives it back.
    CHECK(decide_retry(policy, failed(RELAIS_RATE_LIMITED, 3, 3, 30'000), T0, 0.5) ==
          RetryDecision{Action::snooze, T0 + 30'000});
    // No retry-after given: the policy's delay.
    CHECK(decide_retry(policy, failed(RELAIS_RATE_LIMITED, 1, 3), T0, 0.5) == RetryDecision{Action::snooze, T0 + 10'000});

    auto again = failed(RELAIS_RATE_LIMITED, 1, 3, 30'000);
    again.rate_limited_in_a_row = 1;
    CHECK(decide_retry(policy, again, T0, 0.5).action == Action::snooze);
    // After max_rate_limited in a row it counts as a failed attempt.
    again.rate_limited_in_a_row = 2;
    CHECK(decide_retry(policy, again, T0, 0.5) == RetryDecision{Action::retry, T0 + 30'000});
    again.attempt = 3;
    CHECK(decide_retry(policy, again, T0, 0.5).action == Action::dead);
}

TEST_CASE("retry: exponential backoff doubles up to its cap, with full jitter when asked", "[retry]") {
    RetryPolicy policy;
    policy.exponential = true;
    policy.jitter = false;
    policy.delay_ms = 1'000;
    policy.max_delay_ms = 10'000;
    CHECK(backoff_ms(policy, 1, 0.5) == 1'000);
    CHECK(backoff_ms(policy, 2, 0.5) == 2'000);
    CHECK(backoff_ms(policy, 3, 0.5) == 4'000);
    CHECK(backoff_ms(policy, 4, 0.5) == 8'000);
    CHECK(backoff_ms(policy, 5, 0.5) == 10'000);
    CHECK(backoff_ms(policy, 1'000'000, 0.5) == 10'000);  // no overflow
    CHECK(decide_retry(policy, failed(RELAIS_TRANSIENT, 3, 10), T0, 0.5).run_at == T0 + 4'000);

    policy.jitter = true;
    CHECK(backoff_ms(policy, 3, 0.0) == 0);
    CHECK(backoff_ms(policy, 3, 0.5) == 2'000);
    CHECK(backoff_ms(policy, 3, 0.99999) == 4'000);
    CHECK(backoff_ms(policy, 30, 0.25) == 2'500);

    policy.exponential = false;  // fixed: jitter does not apply
    CHECK(backoff_ms(policy, 3, 0.0) == 1'000);

    policy.max_delay_ms = INT64_MAX;
    policy.exponential = true;
    policy.jitter = false;
    CHECK(backoff_ms(policy, 200, 0.5) == INT64_MAX);
}

TEST_CASE("retry: a policy out of range is refused, naming the field", "[retry]") {
    CHECK_NOTHROW(validate(RetryPolicy{}));
    RetryPolicy policy;
    policy.max_attempts = 0;
    CHECK_THROWS_WITH(validate(policy), Catch::Contains("max_attempts"));
    policy = {};
    policy.delay_ms = -1;
    CHECK_THROWS_WITH(validate(policy), Catch::Contains("delay_ms"));
    policy = {};
    policy.max_delay_ms = 5;
    CHECK_THROWS_WITH(validate(policy), Catch::Contains("max_delay_ms"));
    policy = {};
    policy.max_rate_limited = -1;
    CHECK_THROWS_WITH(validate(policy), Catch::Contains("max_rate_limited"));
}
