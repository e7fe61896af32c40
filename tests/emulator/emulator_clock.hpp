// The emulator's idea of "now". Quotas and evolving state (an invoice integrated five minutes
// after its deposit) read it, so a test can move time instead of sleeping.
#pragma once

#include <chrono>
#include <mutex>

namespace relais::emulator {

class EmulatorClock {
public:
    using time_point = std::chrono::system_clock::time_point;
    using duration = std::chrono::system_clock::duration;

    // Real time: now() follows the system clock (plus whatever advance() added).
    EmulatorClock();
    // Manual time: now() stays at `start` until advance() or set() moves it.
    explicit EmulatorClock(time_point start);

    time_point now() const;
    // Moves time forward in either mode; in real time it adds a lasting offset.
    void advance(duration by);
    // Switches to manual time, frozen at `at`.
    void set(time_point at);
    // Switches to real time, going on from the current now() (time does not jump back).
    void run_real_time();
    bool manual() const;

private:
    mutable std::mutex mutex_;
    bool manual_;
    time_point manual_now_{};
    duration offset_{};
};

}  // namespace relais::emulator
