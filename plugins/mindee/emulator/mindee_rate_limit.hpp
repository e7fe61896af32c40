// Mindee's rate limits as sliding windows: a request is refused when, with it, more than
// `limit` requests would fall within any `window`-long span ending at it. Refused requests are
// not counted. On the emulator's clock; not synchronized (the emulator guards its windows
// together, since a v1 request must fit both the per-second and the per-minute window).
#pragma once

#include "emulator_clock.hpp"

#include <chrono>
#include <deque>
#include <optional>

namespace relais::mindee_emulator {

class SlidingWindow {
public:
    using time_point = emulator::EmulatorClock::time_point;

    // limit 0: no limit.
    SlidingWindow(int limit, std::chrono::milliseconds window);

    // nullopt when one more request at `now` fits; otherwise the wait until one would (whole
    // seconds, at least 1, as Retry-After gives it).
    std::optional<std::chrono::seconds> refusal(time_point now);
    void count(time_point now);

private:
    void forget_before(time_point now);

    int limit_;
    std::chrono::milliseconds window_;
    std::deque<time_point> accepted_;
};

}  // namespace relais::mindee_emulator
