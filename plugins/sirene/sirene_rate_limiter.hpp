// Pacing requests to INSEE's quota (30 per minute on the public plan).
//
// The host's quotas are per second and per day, and it cannot express "30 per minute", so
// the connector keeps to it itself, in two ways that are both needed:
// - locally, a sliding window: at most `limit` requests in any `window`. Any fixed window
//   the gateway counts in (Gravitee's opens with the first request) then holds at most
//   `limit` of them, whatever its alignment.
// - from what INSEE says: X-Rate-Limit-Remaining and X-Rate-Limit-Reset on every answer
//   (the key may be shared with another program), and after a 429 no request before the
//   reset it announces.
// Thread-safe; callers wait in acquire() for their turn, in order of arrival within a wait.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

namespace relais::sirene {

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    RateLimiter(int64_t limit, std::chrono::milliseconds window);

    // Takes a slot, waiting for one if needed (on a condition variable, woken early by what
    // observe() learns). When the slot would come after `deadline`, takes nothing and returns
    // how long it would have had to wait. `before_waiting`, when given, is told how long a wait
    // will be before it starts (outside the lock: it may log), and only when it will happen.
    std::optional<std::chrono::milliseconds>
    acquire(Clock::time_point deadline, const std::function<void(std::chrono::milliseconds)> &before_waiting = {});

    // What an answer said: requests left in the gateway's window and when it resets (wall clock).
    void observe(std::optional<int64_t> remaining, std::optional<std::chrono::system_clock::time_point> reset);
    // After a 429: nothing before `until`.
    void block_until(Clock::time_point until);

    int64_t limit() const { return limit_; }
    std::chrono::milliseconds window() const { return window_; }
    // How many acquire() calls had to wait, and for how long in total.
    uint64_t waits() const;
    std::chrono::milliseconds waited() const;

private:
    void forget_expired(Clock::time_point now);

    const int64_t limit_;
    const std::chrono::milliseconds window_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Clock::time_point> sent_;  // within the last window
    Clock::time_point blocked_until_{};
    std::optional<int64_t> server_remaining_;
    Clock::time_point server_reset_{};
    uint64_t waits_ = 0;
    Clock::duration waited_{};
};

}  // namespace relais::sirene
