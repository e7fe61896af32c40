// The injectable clock: a ManualClock wakes exactly the waiters whose time has come, and a
// notification wakes any waiter early. Threads block on condition variables; nothing sleeps.
#include "jobs/clock.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>

using namespace relais::host;
using namespace std::chrono_literals;

namespace {

constexpr int64_t T0 = 1'700'000'000'000;

// A thread waiting on `clock` until `deadline` or a notification, reporting the time it woke.
struct Sleeper {
    std::mutex mutex;
    std::condition_variable cv;
    bool notified = false;

    int64_t sleep(Clock &clock, int64_t deadline) {
        std::unique_lock lock(mutex);
        while (!notified && clock.now_ms() < deadline) clock.wait_until(lock, cv, deadline);
        return clock.now_ms();
    }
    void wake() {
        {
            std::lock_guard lock(mutex);
            notified = true;
        }
        cv.notify_all();
    }
};

}  // namespace

TEST_CASE("clock: a manual clock moves only when told, and only forward", "[clock]") {
    ManualClock clock(T0);
    CHECK(clock.now_ms() == T0);
    clock.advance(250);
    CHECK(clock.now_ms() == T0 + 250);
    clock.set(T0 + 1000);
    CHECK(clock.now_ms() == T0 + 1000);
    CHECK_THROWS_AS(clock.advance(-1), std::invalid_argument);
    CHECK_THROWS_AS(clock.set(T0), std::invalid_argument);
    CHECK(clock.now_ms() == T0 + 1000);
}

TEST_CASE("clock: advance wakes the waiters whose deadline has come and no others", "[clock]") {
    ManualClock clock(T0);
    Sleeper early, late;
    auto early_woke = std::async(std::launch::async, [&] { return early.sleep(clock, T0 + 1000); });
    auto late_woke = std::async(std::launch::async, [&] { return late.sleep(clock, T0 + 5000); });
    REQUIRE(clock.await_waiting(2, 10s));

    clock.advance(999);
    REQUIRE(clock.await_waiting(2, 10s));  // both still wait: no deadline has come
    clock.advance(1);
    CHECK(early_woke.get() == T0 + 1000);
    CHECK(clock.waiting() == 1);

    clock.set(T0 + 7000);
    CHECK(late_woke.get() == T0 + 7000);
    CHECK(clock.waiting() == 0);
}

TEST_CASE("clock: a notification wakes a waiter before its deadline", "[clock]") {
    ManualClock manual(T0);
    Sleeper sleeper;
    auto woke = std::async(std::launch::async, [&] { return sleeper.sleep(manual, kNever); });
    REQUIRE(manual.await_waiting(1, 10s));
    sleeper.wake();
    CHECK(woke.get() == T0);

    SystemClock system;
    Sleeper real;
    const auto start = system.now_ms();
    auto real_woke = std::async(std::launch::async, [&] { return real.sleep(system, start + 3'600'000); });
    real.wake();  // whether it came before or during the wait, the sleeper returns
    CHECK(real_woke.get() < start + 3'600'000);
}

TEST_CASE("clock: a deadline already passed returns at once", "[clock]") {
    std::mutex mutex;
    std::condition_variable cv;
    std::unique_lock lock(mutex);
    ManualClock manual(T0);
    manual.wait_until(lock, cv, T0);
    manual.wait_until(lock, cv, T0 - 1);
    SystemClock system;
    system.wait_until(lock, cv, system.now_ms() - 1);
    CHECK(lock.owns_lock());
}
