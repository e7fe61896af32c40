#include "sirene_rate_limit.hpp"

namespace relais::sirene_emulator {

RateLimitWindow::RateLimitWindow(int limit, std::chrono::milliseconds window) : limit_(limit), window_(window) {}

RateLimitWindow::Decision RateLimitWindow::take(time_point now) {
    std::lock_guard lock(mutex_);
    if (!open_ || now >= end_) {
        open_ = true;
        end_ = now + window_;
        used_ = 0;
    }
    Decision d;
    d.limit = limit_;
    d.reset = end_;
    if (limit_ > 0 && used_ >= limit_) {
        d.allowed = false;
        d.remaining = 0;
        return d;
    }
    ++used_;
    d.remaining = limit_ > 0 ? limit_ - used_ : 0;
    return d;
}

void RateLimitWindow::reset(int limit, std::chrono::milliseconds window) {
    std::lock_guard lock(mutex_);
    limit_ = limit;
    window_ = window;
    open_ = false;
    used_ = 0;
}

int RateLimitWindow::limit() const {
    std::lock_guard lock(mutex_);
    return limit_;
}

std::chrono::milliseconds RateLimitWindow::window() const {
    std::lock_guard lock(mutex_);
    return window_;
}

}  // namespace relais::sirene_emulator
