// The scheduler's idea of "now", and its way of waiting for a time. Quotas, retries, leases and
// periodic tasks all read one injected Clock, so tests drive a ManualClock and run instantly
// and deterministically instead of sleeping.
//
// Times are milliseconds since the Unix epoch (UTC), the unit of the job store.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

namespace relais::host {

// A deadline that never comes.
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

class Clock {
public:
    virtual ~Clock() = default;
    Clock() = default;
    Clock(const Clock &) = delete;
    Clock &operator=(const Clock &) = delete;

    virtual int64_t now_ms() const = 0;

    // Blocks on `cv` (whose mutex `lock` holds) until it is notified, or this clock reaches
    // deadline_ms (kNever: no time limit). Returns at once when the deadline has passed. Like
    // any condition variable wait it may return early: callers re-check what they wait for.
    virtual void wait_until(std::unique_lock<std::mutex> &lock, std::condition_variable &cv, int64_t deadline_ms) = 0;
};

// The system's real time (std::chrono::system_clock).
class SystemClock final : public Clock {
public:
    int64_t now_ms() const override;
    // Waits on the steady clock in steps of at most a second, re-reading the time between
    // them, so that a deadline stays right when the system clock is set forward or back.
    void wait_until(std::unique_lock<std::mutex> &lock, std::condition_variable &cv, int64_t deadline_ms) override;
};

// Time that moves only when a test says so. advance() wakes every waiter, which then sees the
// new time: a test advances past a retry time or a quota window and the waiting thread runs.
class ManualClock final : public Clock {
public:
    explicit ManualClock(int64_t start_ms);

    int64_t now_ms() const override;
    void wait_until(std::unique_lock<std::mutex> &lock, std::condition_variable &cv, int64_t deadline_ms) override;

    // Moves time forward (ms >= 0) and wakes every thread waiting on this clock.
    void advance(int64_t ms);
    // Sets the time (forward only: std::invalid_argument otherwise) and wakes the waiters.
    void set(int64_t at_ms);
    // How many threads are blocked in wait_until with a deadline still ahead.
    int waiting() const;
    // Blocks (in real time, at most `timeout`) until at least n threads are blocked with a
    // deadline still ahead: a test waits until every worker is idle before it moves time.
    // False on timeout.
    bool await_waiting(int n, std::chrono::milliseconds timeout) const;

private:
    struct Waiter {
        std::condition_variable *cv;
        std::mutex *mutex;
        int64_t deadline;
        int in_use = 0;  // advance() is notifying it: it must outlive that
    };
    void wake_all();

    int waiting_locked() const;

    mutable std::mutex mutex_;
    std::condition_variable released_;      // a Waiter's in_use dropped to 0
    mutable std::condition_variable joined_;  // a thread started waiting
    int64_t now_;
    std::vector<Waiter *> waiters_;
};

}  // namespace relais::host
