#include "sirene_rate_limiter.hpp"

#include <algorithm>

namespace relais::sirene {

using namespace std::chrono;

RateLimiter::RateLimiter(int64_t limit, milliseconds window) : limit_(std::max<int64_t>(1, limit)), window_(window) {}

void RateLimiter::forget_expired(Clock::time_point now) {
    while (!sent_.empty() && sent_.front() + window_ <= now) sent_.pop_front();
    if (server_remaining_ && server_reset_ <= now) server_remaining_.reset();  // a new window: unknown again
}

std::optional<milliseconds> RateLimiter::acquire(Clock::time_point deadline,
                                                 const std::function<void(milliseconds)> &before_waiting) {
    std::unique_lock lock(mutex_);
    const auto arrived = Clock::now();
    bool waited = false;
    bool announced = !before_waiting;
    for (;;) {
        const auto now = Clock::now();
        forget_expired(now);
        auto ready = now;
        if (static_cast<int64_t>(sent_.size()) >= limit_) ready = std::max(ready, sent_.front() + window_);
        ready = std::max(ready, blocked_until_);
        if (server_remaining_ && *server_remaining_ <= 0) ready = std::max(ready, server_reset_);
        if (ready <= now) {
            sent_.push_back(now);
            if (server_remaining_) --*server_remaining_;
            if (waited) {
                ++waits_;
                waited_ += now - arrived;
            }
            return std::nullopt;
        }
        if (ready > deadline) return ceil<milliseconds>(ready - now);
        if (!announced) {
            // Said once, before the first wait; the state is read again after, as it may have
            // changed while the lock was released.
            announced = true;
            lock.unlock();
            before_waiting(ceil<milliseconds>(ready - now));
            lock.lock();
            continue;
        }
        waited = true;
        changed_.wait_until(lock, ready);
    }
}

void RateLimiter::observe(std::optional<int64_t> remaining, std::optional<system_clock::time_point> reset) {
    if (!remaining || !reset) return;
    const auto now = Clock::now();
    // A little after the announced reset: our clock and the gateway's are not the same one.
    const auto at = now + duration_cast<Clock::duration>(*reset - system_clock::now()) + milliseconds(100);
    std::lock_guard lock(mutex_);
    if (at <= now) return;  // already over (or the clocks disagree): nothing to learn
    // Answers arrive out of order: within one window (the same reset, give or take clock
    // jitter) the smallest remaining count is the latest; a later reset is a new window.
    const bool same_window = server_remaining_ && at < server_reset_ + seconds(1) && at > server_reset_ - seconds(1);
    if (same_window) {
        server_remaining_ = std::min(*server_remaining_, *remaining);
    } else if (!server_remaining_ || at > server_reset_) {
        server_remaining_ = *remaining;
        server_reset_ = at;
    }
    changed_.notify_all();
}

void RateLimiter::block_until(Clock::time_point until) {
    std::lock_guard lock(mutex_);
    blocked_until_ = std::max(blocked_until_, until);
}

uint64_t RateLimiter::waits() const {
    std::lock_guard lock(mutex_);
    return waits_;
}

milliseconds RateLimiter::waited() const {
    std::lock_guard lock(mutex_);
    return duration_cast<milliseconds>(waited_);
}

}  // namespace relais::sirene
