// The INSEE gateway's rate limit as Gravitee counts it: a fixed window that opens with the
// first request after the previous one ended (not on minute boundaries: in the recordings the
// reset was 13:25:15.180 for requests from 13:24:15 on), `limit` requests per window.
// Every answer carries X-Rate-Limit-Limit, -Remaining and -Reset (epoch milliseconds).
//
// The window length is a parameter so tests and benchmarks can run 30 requests per second
// instead of per minute; clients see the same headers and the same 429s, only faster.
#pragma once

#include "emulator_clock.hpp"

#include <chrono>
#include <mutex>

namespace relais::sirene_emulator {

class RateLimitWindow {
public:
    using time_point = emulator::EmulatorClock::time_point;

    struct Decision {
        bool allowed = true;
        int limit = 0;
        int remaining = 0;
        time_point reset;
    };

    // limit 0: no limit (and the emulator then sends no X-Rate-Limit-* headers).
    RateLimitWindow(int limit, std::chrono::milliseconds window);

    // Counts one request at `now` if the window has room.
    Decision take(time_point now);
    // New limit and window length; the current window is forgotten.
    void reset(int limit, std::chrono::milliseconds window);
    int limit() const;
    std::chrono::milliseconds window() const;

private:
    mutable std::mutex mutex_;
    int limit_;
    std::chrono::milliseconds window_;
    bool open_ = false;
    time_point end_{};
    int used_ = 0;
};

}  // namespace relais::sirene_emulator
