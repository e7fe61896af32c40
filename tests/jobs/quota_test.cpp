// Quotas: the rate holds in every 1-second window over many grants (the benchmark's check),
// bursts are allowed, the daily cap is durable and waits for the next UTC day, limits change at
// run time. Time is a ManualClock: a thousand grants take no real time.
#include "grant_log.hpp"
#include "temp_dir.hpp"

#include "jobs/quota.hpp"
#include "jobs/sqlite_job_store.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <future>
#include <random>
#include <stop_token>

using namespace relais::host;
using relais::test::max_in_window;
using relais::test::TempDir;
using namespace std::chrono_literals;

namespace {

constexpr int64_t T0 = 1'700'000'000'000;         // 2023-11-14T22:13:20Z
constexpr int64_t kMidnight = 1'700'006'400'000;  // 2023-11-15T00:00:00Z

QuotaSettings rate(double per_second, int64_t per_day = 0, int64_t margin_ms = 0) {
    return QuotaSettings{per_second, per_day, margin_ms};
}

}  // namespace

TEST_CASE("quota: utc_day names the UTC date, and next_utc_day_start its end", "[quota]") {
    CHECK(utc_day(T0) == "2023-11-14");
    CHECK(utc_day(kMidnight - 1) == "2023-11-14");
    CHECK(utc_day(kMidnight) == "2023-11-15");
    CHECK(utc_day(0) == "1970-01-01");
    CHECK(utc_day(-1) == "1969-12-31");
    CHECK(utc_day(951'782'400'000) == "2000-02-29");
    CHECK(next_utc_day_start(T0) == kMidnight);
    CHECK(next_utc_day_start(kMidnight) == kMidnight + 86'400'000);
}

TEST_CASE("quota: a greedy client never gets more than 20 grants in any 1-second window", "[quota]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    ManualClock clock(T0);
    QuotaLimiter quota(store, clock);
    quota.configure("chorus", rate(20));

    // Take every grant as soon as it is possible, moving time exactly to the moment the
    // limiter names: the worst case for the windows.
    std::vector<int64_t> granted;
    while (granted.size() < 1000) {
        const auto wait = quota.try_acquire("chorus");
        if (wait == 0) granted.push_back(clock.now_ms());
        else clock.advance(wait);
    }
    CHECK(max_in_window(granted, 1000) == 20);  // the burst is there, never more
    // The achieved rate: 1000 grants in 50 windows of one second.
    const double seconds = static_cast<double>(granted.back() - granted.front() + 1000) / 1000.0;
    CHECK(1000 / seconds >= 19.9);
    CHECK(granted.back() - granted.front() == 49'000);
}

TEST_CASE("quota: grants at irregular times, several at once, stay within the rate in every window", "[quota]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    ManualClock clock(T0);
    QuotaLimiter quota(store, clock);
    quota.configure("chorus", rate(20));

    std::mt19937 random(42);
    std::vector<int64_t> granted;  // one entry per request
    int refused = 0;
    while (granted.size() < 3000) {
        clock.advance(std::uniform_int_distribution<int64_t>(0, 97)(random));
        const auto n = std::uniform_int_distribution<int64_t>(1, 4)(random);
        const auto wait = quota.try_acquire("chorus", n);
        if (wait == 0) granted.insert(granted.end(), static_cast<size_t>(n), clock.now_ms());
        else ++refused;
        CHECK(wait >= 0);
        CHECK(wait <= 1000);
    }
    CHECK(refused > 0);
    CHECK(max_in_window(granted, 1000) <= 20);
}

TEST_CASE("quota: a fractional rate holds over its own window and in the long run", "[quota]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    ManualClock clock(T0);
    QuotaLimiter quota(store, clock);
    quota.configure("sirene", rate(2.5));  // burst 3, window 1200 ms
    CHECK(quota.max_grant("sirene") == 3);

    std::vector<int64_t> granted;
    while (granted.size() < 300) {
        const auto wait = quota.try_acquire("sirene");
        if (wait == 0) granted.push_back(clock.now_ms());
        else clock.advance(wait);
    }
    CHECK(max_in_window(granted, 1200) == 3);
    CHECK(max_in_window(granted, 1000) <= 3);
    const double seconds = static_cast<double>(granted.back() - granted.front() + 1200) / 1000.0;
    CHECK(300 / seconds <= 2.5);
    CHECK(300 / seconds >= 2.4);
}

TEST_CASE("quota: the margin widens the window to absorb request delays", "[quota]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    ManualClock clock(T0);
    QuotaLimiter quota(store, clock);
    quota.configure("chorus", rate(20, 0, 20));

    std::vector<int64_t> granted;
    while (granted.size() < 200) {
        const auto wait = quota.try_acquire("chorus");
        if (wait == 0) granted.push_back(clock.now_ms());
        else clock.advance(wait);
    }
    // Each grant could reach upstream up to 20 ms later than the one before it, and every
    // 1-second window would still hold at most 20.
    CHECK(max_in_window(granted, 1020) == 20);
    CHECK(granted[20] - granted[0] == 1020);
}

TEST_CASE("quota: try_acquire says how long to wait, and a connector without limits waits for nothing", "[quota]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    ManualClock clock(T0);
    QuotaLimiter quota(store, clock);
    quota.configure("chorus", rate(5));

    for (int i = 0; i < 5; ++i) {
        CHECK(quota.wait_ms("chorus") == 0);
        CHECK(quota.try_acquire("chorus") == 0);
        clock.advance(100);  // grants at T0, +100, ..., +400
    }
    CHECK(quota.wait_ms("chorus") == 500);  // the one at T0 leaves at T0 + 1000; now is T0 + 500
    CHECK(quota.try_acquire("chorus") == 500);
    CHECK(quota.try_acquire("chorus", 3) == 700);  // three must leave: the third at +200
    CHECK_THROWS_AS(quota.try_acquire("chorus", 6), std::invalid_argument);  // never possible
    CHECK_THROWS_AS(quota.try_acquire("chorus", 0), std::invalid_argument);
    clock.advance(500);
    CHECK(quota.try_acquire("chorus") == 0);

    for (int i = 0; i < 10'000; ++i) REQUIRE(quota.try_acquire("never-configured") == 0);
    quota.configure("sirene", rate(0));
    CHECK(quota.try_acquire("sirene", 1'000'000) == 0);
    CHECK(store.daily_usage("never-configured", utc_day(T0)) == 0);  // nothing written
    CHECK(store.daily_usage("chorus", utc_day(T0)) == 0);             // no daily cap: nothing written
}

TEST_CASE("quota: acquire blocks until the grant, or gives up at its deadline or when stopped", "[quota]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    ManualClock clock(T0);
    QuotaLimiter quota(store, clock);
    quota.configure("chorus", rate(1));
    REQUIRE(quota.try_acquire("chorus") == 0);

    SECTION("granted when the window frees") {
        auto result = std::async(std::launch::async, [&] { return quota.acquire("chorus", 1, kNever); });
        REQUIRE(clock.await_waiting(1, 10s));
        clock.advance(999);
        REQUIRE(clock.await_waiting(1, 10s));
        clock.advance(1);
        CHECK(result.get() == 0);
        CHECK(clock.now_ms() == T0 + 1000);
        CHECK(quota.wait_ms("chorus") == 1000);  // it was counted
    }
    SECTION("not granted by the deadline") {
        auto result = std::async(std::launch::async, [&] { return quota.acquire("chorus", 1, T0 + 400); });
        REQUIRE(clock.await_waiting(1, 10s));
        clock.advance(400);
        CHECK(result.get() == 600);
        CHECK(quota.wait_ms("chorus") == 600);  // nothing was taken
    }
    SECTION("stopped") {
        std::stop_source stop;
        auto result = std::async(std::launch::async, [&] { return quota.acquire("chorus", 1, kNever, stop.get_token()); });
        REQUIRE(clock.await_waiting(1, 10s));
        stop.request_stop();
        CHECK(result.get() == 1000);
        std::stop_source already;
        already.request_stop();
        CHECK(quota.acquire("chorus", 1, kNever, already.get_token()) == 1000);
    }
    SECTION("a limit raised at run time lets the waiter through") {
        auto result = std::async(std::launch::async, [&] { return quota.acquire("chorus", 1, kNever); });
        REQUIRE(clock.await_waiting(1, 10s));
        quota.configure("chorus", rate(2));
        CHECK(result.get() == 0);
        CHECK(clock.now_ms() == T0);
    }
}

TEST_CASE("quota: lowering a limit at run time makes new requests wait for the window", "[quota]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    ManualClock clock(T0);
    QuotaLimiter quota(store, clock);
    quota.configure("chorus", rate(20));
    for (int i = 0; i < 10; ++i) REQUIRE(quota.try_acquire("chorus") == 0);
    quota.configure("chorus", rate(5));  // the test space
    CHECK(quota.settings("chorus") == rate(5));
    CHECK(quota.try_acquire("chorus") == 1000);  // 10 granted in the window, 5 allowed
    clock.advance(1000);
    for (int i = 0; i < 5; ++i) CHECK(quota.try_acquire("chorus") == 0);
    CHECK(quota.try_acquire("chorus") > 0);

    CHECK_THROWS_AS(quota.configure("chorus", rate(-1)), std::invalid_argument);
    CHECK_THROWS_AS(quota.configure("chorus", rate(1, -5)), std::invalid_argument);
    CHECK_THROWS_AS(quota.configure("chorus", rate(0.000001)), std::invalid_argument);
    CHECK(quota.settings("chorus") == rate(5));  // unchanged by the refusals
}

TEST_CASE("quota: the daily cap survives a restart and waits for the next UTC day", "[quota]") {
    TempDir dir;
    ManualClock clock(T0);
    {
        SqliteJobStore store(dir.path());
        QuotaLimiter quota(store, clock);
        quota.configure("chorus", rate(0, 5));
        for (int i = 0; i < 3; ++i) REQUIRE(quota.try_acquire("chorus") == 0);
        CHECK(quota.used_today("chorus") == 3);
        CHECK(store.daily_usage("chorus", "2023-11-14") == 3);
    }
    // A restart: a new store on the same file, a new limiter.
    SqliteJobStore store(dir.path());
    QuotaLimiter quota(store, clock);
    quota.configure("chorus", rate(20, 5));
    CHECK(quota.used_today("chorus") == 3);
    CHECK(quota.try_acquire("chorus", 2) == 0);
    CHECK(store.daily_usage("chorus", "2023-11-14") == 5);
    // The cap is reached: the wait is until midnight UTC, even though the rate would allow more.
    CHECK(quota.try_acquire("chorus") == kMidnight - T0);
    CHECK(quota.wait_ms("chorus") == kMidnight - T0);
    CHECK_THROWS_AS(quota.try_acquire("chorus", 6), std::invalid_argument);

    auto next_day = std::async(std::launch::async, [&] { return quota.acquire("chorus", 1, kNever); });
    REQUIRE(clock.await_waiting(1, 10s));
    clock.set(kMidnight - 1);
    REQUIRE(clock.await_waiting(1, 10s));
    clock.set(kMidnight);
    CHECK(next_day.get() == 0);
    CHECK(store.daily_usage("chorus", "2023-11-15") == 1);
    CHECK(store.daily_usage("chorus", "2023-11-14") == 5);
    CHECK(quota.used_today("chorus") == 1);
}

TEST_CASE("quota: threads taking grants at once never pass the rate or the daily cap", "[quota][threads]") {
    TempDir dir;
    SqliteJobStore store(dir.path(), {.synchronous = SqliteJobStoreOptions::Sync::normal});
    ManualClock clock(T0);
    QuotaLimiter quota(store, clock);
    quota.configure("chorus", rate(10, 25));

    std::mutex mutex;
    std::vector<int64_t> granted;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 20; ++i) {
                if (quota.try_acquire("chorus") != 0) continue;
                std::lock_guard lock(mutex);
                granted.push_back(clock.now_ms());
            }
        });
    for (auto &t : threads) t.join();
    CHECK(granted.size() == 10);  // time did not move: the burst, no more
    clock.advance(1000);
    threads.clear();
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 20; ++i) {
                if (quota.try_acquire("chorus") != 0) continue;
                std::lock_guard lock(mutex);
                granted.push_back(clock.now_ms());
            }
        });
    for (auto &t : threads) t.join();
    CHECK(granted.size() == 20);
    CHECK(store.daily_usage("chorus", "2023-11-14") == 20);
}

TEST_CASE("quota: a synchronous caller waiting for the quota goes before waiting jobs", "[quota]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    ManualClock clock(T0);
    QuotaLimiter quota(store, clock);
    quota.configure("chorus", rate(1));
    REQUIRE(quota.try_acquire("chorus") == 0);

    // A job waits first, then a synchronous call; the window frees one slot.
    auto job = std::async(std::launch::async, [&] { return quota.acquire("chorus", 1, kNever); });
    REQUIRE(clock.await_waiting(1, 10s));
    auto call = std::async(std::launch::async, [&] {
        return quota.acquire("chorus", 1, T0 + 5000, {}, QuotaLimiter::Priority::interactive);
    });
    REQUIRE(clock.await_waiting(2, 10s));
    clock.advance(1000);
    CHECK(call.get() == 0);
    CHECK(clock.now_ms() == T0 + 1000);
    // The job gets the next slot, a second later.
    REQUIRE(clock.await_waiting(1, 10s));
    CHECK(job.wait_for(0s) == std::future_status::timeout);
    clock.advance(1000);
    CHECK(job.get() == 0);

    // An interactive caller that gives up lets the jobs through again.
    auto second_job = std::async(std::launch::async, [&] { return quota.acquire("chorus", 1, kNever); });
    REQUIRE(clock.await_waiting(1, 10s));
    auto impatient = std::async(std::launch::async, [&] {
        return quota.acquire("chorus", 1, clock.now_ms() + 100, {}, QuotaLimiter::Priority::interactive);
    });
    REQUIRE(clock.await_waiting(2, 10s));
    clock.advance(100);
    CHECK(impatient.get() == 900);
    REQUIRE(clock.await_waiting(1, 10s));
    clock.advance(900);
    CHECK(second_job.get() == 0);
}
