#include "emulator_clock.hpp"

namespace relais::emulator {

using std::chrono::system_clock;

EmulatorClock::EmulatorClock() : manual_(false) {}

EmulatorClock::EmulatorClock(time_point start) : manual_(true), manual_now_(start) {}

EmulatorClock::time_point EmulatorClock::now() const {
    std::lock_guard lock(mutex_);
    return manual_ ? manual_now_ : system_clock::now() + offset_;
}

void EmulatorClock::advance(duration by) {
    std::lock_guard lock(mutex_);
    if (manual_)
        manual_now_ += by;
    else
        offset_ += by;
}

void EmulatorClock::set(time_point at) {
    std::lock_guard lock(mutex_);
    manual_ = true;
    manual_now_ = at;
}

void EmulatorClock::run_real_time() {
    std::lock_guard lock(mutex_);
    if (!manual_) return;
    offset_ = manual_now_ - system_clock::now();
    manual_ = false;
}

bool EmulatorClock::manual() const {
    std::lock_guard lock(mutex_);
    return manual_;
}

}  // namespace relais::emulator
