#include "jobs/clock.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace relais::host {

int64_t SystemClock::now_ms() const {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void SystemClock::wait_until(std::unique_lock<std::mutex> &lock, std::condition_variable &cv, int64_t deadline_ms) {
    if (deadline_ms == kNever) {
        cv.wait(lock);
        return;
    }
    const auto remaining = deadline_ms - now_ms();
    if (remaining <= 0) return;
    cv.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(remaining, 1000)));
}

ManualClock::ManualClock(int64_t start_ms) : now_(start_ms) {}

int64_t ManualClock::now_ms() const {
    std::lock_guard guard(mutex_);
    return now_;
}

void ManualClock::wait_until(std::unique_lock<std::mutex> &lock, std::condition_variable &cv, int64_t deadline_ms) {
    Waiter self{&cv, lock.mutex(), deadline_ms};
    {
        // The caller holds its mutex here and until cv.wait releases it; advance() takes that
        // mutex before notifying, so a time change made after this check cannot be missed.
        std::lock_guard guard(mutex_);
        if (now_ >= deadline_ms) return;
        waiters_.push_back(&self);
    }
    joined_.notify_all();
    cv.wait(lock);
    // Leave the list without holding the caller's mutex (advance() may be waiting for it to
    // notify us), and only once advance() is done with this Waiter, which lives on our stack.
    lock.unlock();
    {
        std::unique_lock guard(mutex_);
        std::erase(waiters_, &self);
        released_.wait(guard, [&] { return self.in_use == 0; });
    }
    lock.lock();
}

void ManualClock::advance(int64_t ms) {
    if (ms < 0) throw std::invalid_argument("ManualClock::advance: time does not go back");
    {
        std::lock_guard guard(mutex_);
        now_ += ms;
    }
    wake_all();
}

void ManualClock::set(int64_t at_ms) {
    {
        std::lock_guard guard(mutex_);
        if (at_ms < now_) throw std::invalid_argument("ManualClock::set: time does not go back");
        now_ = at_ms;
    }
    wake_all();
}

int ManualClock::waiting_locked() const {
    return static_cast<int>(std::count_if(waiters_.begin(), waiters_.end(), [&](const Waiter *w) {
        return w->deadline > now_;
    }));
}

int ManualClock::waiting() const {
    std::lock_guard guard(mutex_);
    return waiting_locked();
}

bool ManualClock::await_waiting(int n, std::chrono::milliseconds timeout) const {
    std::unique_lock guard(mutex_);
    return joined_.wait_for(guard, timeout, [&] { return waiting_locked() >= n; });
}

void ManualClock::wake_all() {
    std::vector<Waiter *> due;
    {
        std::lock_guard guard(mutex_);
        for (auto *w : waiters_)
            if (w->deadline <= now_) {
                ++w->in_use;
                due.push_back(w);
            }
    }
    // Without our own mutex held: a waiter holds its mutex while it takes ours.
    for (auto *w : due) {
        std::lock_guard guard(*w->mutex);
        w->cv->notify_all();
    }
    {
        std::lock_guard guard(mutex_);
        for (auto *w : due) --w->in_use;
    }
    released_.notify_all();
}

}  // namespace relais::host
