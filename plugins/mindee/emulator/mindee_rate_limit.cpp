#include "mindee_rate_limit.hpp"

#include <algorithm>

namespace relais::mindee_emulator {

SlidingWindow::SlidingWindow(int limit, std::chrono::milliseconds window) : limit_(limit), window_(window) {}

void SlidingWindow::forget_before(time_point now) {
    // A request at t still counts at now while now - t < window.
    while (!accepted_.empty() && now - accepted_.front() >= window_) accepted_.pop_front();
}

std::optional<std::chrono::seconds> SlidingWindow::refusal(time_point now) {
    if (limit_ <= 0) return std::nullopt;
    forget_before(now);
    if (static_cast<int>(accepted_.size()) < limit_) return std::nullopt;
    // A slot frees when the oldest request that keeps the window full leaves it.
    const auto frees_at = accepted_[accepted_.size() - static_cast<std::size_t>(limit_)] + window_;
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(frees_at - now);
    const auto seconds = std::chrono::seconds((wait.count() + 999) / 1000);
    return std::max(seconds, std::chrono::seconds(1));
}

void SlidingWindow::count(time_point now) {
    if (limit_ <= 0) return;
    forget_before(now);
    accepted_.push_back(now);
}

}  // namespace relais::mindee_emulator
