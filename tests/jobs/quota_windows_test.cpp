// Quota windows: several windows of a scope at once, shared and per key, exact in every sliding
// window under many threads; concurrency limits held until released; what the upstream reports
// pauses every caller; keys seen once are forgotten. Time is a ManualClock.
#include "grant_log.hpp"
#include "temp_dir.hpp"

#include "jobs/quota.hpp"
#include "jobs/sqlite_job_store.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <barrier>
#include <future>
#include <map>
#include <mutex>
#include <tuple>
#include <random>
#include <thread>

using namespace relais::host;
using relais::test::max_in_window;
using relais::test::TempDir;
using namespace std::chrono_literals;

namespace {

constexpr int64_t T0 = 1'700'000'000'000;

QuotaSettings windows(std::vector<QuotaWindow> list) {
    QuotaSettings s;
    s.margin_ms = 0;  // the checks below are exact to the millisecond
    s.windows = std::move(list);
    return s;
}

struct Rig {
    TempDir dir;
    SqliteJobStore store{dir.path(), {.synchronous = SqliteJobStoreOptions::Sync::normal}};
    ManualClock clock{T0};
    QuotaLimiter quota{store, clock};
};

}  // namespace

TEST_CASE("quota windows: three windows per key and a shared one hold in every sliding window, under 16 threads",
          "[quota][threads]") {
    Rig rig;
    rig.quota.configure("graph", windows({{"requests", 3, 100, true},
                                          {"requests", 10, 1000, true},
                                          {"requests", 25, 5000, true},
                                          {"requests", 40, 1000, false}}));
    constexpr int kThreads = 16;
    constexpr int kKeys = 6;
    std::mutex mutex;
    std::map<std::string, std::vector<int64_t>> by_key;
    std::vector<int64_t> all;
    std::mt19937 random(7);
    bool done = false;
    int rounds = 0;
    // Time moves only between rounds, when every thread is parked at the barrier: within a
    // round all 16 race for the same instant, and a grant's time is the round's.
    std::barrier round(kThreads, [&]() noexcept {
        ++rounds;
        done = all.size() >= 1500 || rounds >= 20'000;
        rig.clock.advance(std::uniform_int_distribution<int64_t>(1, 60)(random));
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            while (!done) {
                for (int attempt = 0; attempt < 4; ++attempt) {
                    const auto key = "mailbox-" + std::to_string((t + attempt) % kKeys);
                    const auto at = rig.clock.now_ms();
                    if (rig.quota.try_take("graph", "requests", key, 1) != 0) continue;
                    std::lock_guard lock(mutex);
                    by_key[key].push_back(at);
                    all.push_back(at);
                }
                round.arrive_and_wait();
            }
        });
    for (auto &t : threads) t.join();

    REQUIRE(all.size() >= 1500);
    REQUIRE(by_key.size() == kKeys);
    int full_short = 0, full_long = 0;
    for (const auto &[key, times] : by_key) {
        INFO(key);
        CHECK(max_in_window(times, 100) <= 3);
        CHECK(max_in_window(times, 1000) <= 10);
        CHECK(max_in_window(times, 5000) <= 25);
        full_short += max_in_window(times, 100) == 3;
        full_long += max_in_window(times, 5000) == 25;
    }
    CHECK(max_in_window(all, 1000) <= 40);
    // The limits were reached, not merely respected from afar.
    CHECK(full_short == kKeys);
    CHECK(full_long == kKeys);
    CHECK(max_in_window(all, 1000) == 40);
}

TEST_CASE("quota windows: a concurrency limit per key is held until released, or until the call ends", "[quota]") {
    Rig rig;
    // Microsoft Graph: 10,000 requests per 600 s per mailbox, and 4 at once per mailbox.
    rig.quota.configure("graph", windows({{"requests", 10'000, 600'000, true}, {"requests", 4, 0, true}}));
    for (int i = 0; i < 4; ++i) REQUIRE(rig.quota.try_take("graph", "requests", "alice", 1) == 0);
    CHECK(rig.quota.try_take("graph", "requests", "alice", 1) == QuotaLimiter::kSlotRetryMs);
    CHECK(rig.quota.try_take("graph", "requests", "bob", 1) == 0);  // another mailbox
    CHECK(rig.quota.try_acquire("graph") == 0);  // the per-action charge holds no slot
    CHECK_THROWS_AS(rig.quota.try_take("graph", "requests", "alice", 5), std::invalid_argument);

    SECTION("a waiter is let through by a release, with no time passing") {
        auto waiter = std::async(std::launch::async, [&] { return rig.quota.take("graph", "requests", "alice", 1, kNever); });
        REQUIRE(rig.clock.await_waiting(1, 10s));
        CHECK(waiter.wait_for(50ms) == std::future_status::timeout);
        rig.quota.release("graph", "requests", "alice", 1);
        CHECK(waiter.get() == 0);
        CHECK(rig.clock.now_ms() == T0);
        CHECK(rig.quota.try_take("graph", "requests", "alice", 1) > 0);  // 4 held again
    }
    SECTION("a call's slots go back when it ends, released or not") {
        {
            QuotaHolds call(rig.quota, "graph");
            for (int i = 0; i < 4; ++i) REQUIRE(call.take("requests", "carol", 1, T0, {}, QuotaLimiter::Priority::background) == 0);
            CHECK(call.take("requests", "carol", 1, T0, {}, QuotaLimiter::Priority::background) > 0);
            call.release("requests", "carol");
            CHECK(rig.quota.try_take("graph", "requests", "carol", 1) == 0);  // this one is not the call's
            CHECK(call.take("requests", "carol", 3, T0, {}, QuotaLimiter::Priority::background) == 0);
            CHECK(rig.quota.try_take("graph", "requests", "carol", 1) > 0);
        }
        for (int i = 0; i < 3; ++i) CHECK(rig.quota.try_take("graph", "requests", "carol", 1) == 0);
        CHECK(rig.quota.try_take("graph", "requests", "carol", 1) > 0);
    }
}

TEST_CASE("quota windows: an upstream report pauses every caller of the scope, not only the one told", "[quota]") {
    Rig rig;
    rig.quota.configure("chorus", QuotaSettings{5, 0, 0});
    rig.quota.report("chorus", "requests", "", 3000, -1, 0);
    CHECK(rig.quota.try_acquire("chorus") == 3000);
    CHECK(rig.quota.try_take("chorus", "requests", "any-key", 1) == 3000);

    std::vector<std::future<int64_t>> callers;
    for (int i = 0; i < 3; ++i)
        callers.push_back(std::async(std::launch::async, [&] { return rig.quota.acquire("chorus", 1, kNever); }));
    callers.push_back(std::async(std::launch::async, [&] {
        return rig.quota.take("chorus", "requests", "", 1, kNever, {}, QuotaLimiter::Priority::interactive);
    }));
    REQUIRE(rig.clock.await_waiting(4, 10s));
    rig.clock.advance(2999);
    REQUIRE(rig.clock.await_waiting(4, 10s));
    for (auto &c : callers) CHECK(c.wait_for(0s) == std::future_status::timeout);
    rig.clock.advance(1);
    for (auto &c : callers) CHECK(c.get() == 0);
    CHECK(rig.clock.now_ms() == T0 + 3000);

    SECTION("a report on a key pauses that key only") {
        rig.quota.configure("graph", windows({{"requests", 100, 1000, true}}));
        rig.quota.report("graph", "requests", "alice", 1000, -1, 0);
        CHECK(rig.quota.try_take("graph", "requests", "alice", 1) == 1000);
        CHECK(rig.quota.try_take("graph", "requests", "bob", 1) == 0);
    }
    SECTION("a remaining count allows that many until the reset") {
        rig.quota.report("sirene", "requests", "", 0, 2, 10'000);  // a connector with no windows of its own
        CHECK(rig.quota.try_acquire("sirene") == 0);
        CHECK(rig.quota.try_acquire("sirene") == 0);
        CHECK(rig.quota.try_acquire("sirene") == 10'000);
        rig.clock.advance(10'000);
        CHECK(rig.quota.try_acquire("sirene") == 0);
        CHECK(rig.quota.try_acquire("sirene") == 0);  // the reset passed: no budget any more
    }
}

TEST_CASE("quota windows: keys whose windows are empty are forgotten", "[quota]") {
    Rig rig;
    rig.quota.configure("graph", windows({{"requests", 1, 100, true}, {"requests", 2, 0, true}}));
    for (int i = 0; i < 10'000; ++i)
        REQUIRE(rig.quota.try_take("graph", "requests", "mailbox-" + std::to_string(i), 1) == 0);
    CHECK(rig.quota.tracked("graph") == 10'000);
    rig.quota.release("graph", "requests", "mailbox-1", 1);
    rig.clock.advance(100);
    rig.quota.try_take("graph", "requests", "mailbox-1", 1);  // still counted: kept
    // Every other key left its window and holds no slot... except the 9,998 still holding theirs.
    CHECK(rig.quota.tracked("graph") == 10'000);
    for (int i = 0; i < 10'000; ++i) rig.quota.release("graph", "requests", "mailbox-" + std::to_string(i), 1);
    rig.clock.advance(100);
    CHECK(rig.quota.tracked("graph") == 0);
}

TEST_CASE("quota windows: a bad window is refused with its connector and place, and changes nothing", "[quota]") {
    Rig rig;
    rig.quota.configure("mindee", windows({{"enqueue", 200, 60'000, false}}));
    auto refused = [&](std::vector<QuotaWindow> list) {
        try {
            rig.quota.configure("mindee", windows(std::move(list)));
        } catch (const std::invalid_argument &e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK_THAT(refused({{"enqueue", 0, 1000, false}}), Catch::Contains("mindee") && Catch::Contains("window #0") &&
                                                        Catch::Contains("count must be at least 1"));
    CHECK_THAT(refused({{"enqueue", 1, 1000, false}, {"", 1, 1000, false}}), Catch::Contains("window #1"));
    CHECK_THAT(refused({{"enqueue", 1, -5, false}}), Catch::Contains("window must be between"));
    CHECK(rig.quota.settings("mindee") == windows({{"enqueue", 200, 60'000, false}}));
    // Mindee v2: 200 enqueues per minute; other scopes are not limited by it.
    for (int i = 0; i < 200; ++i) REQUIRE(rig.quota.try_take("mindee", "enqueue", "", 1) == 0);
    CHECK(rig.quota.try_take("mindee", "enqueue", "", 1) == 60'000);
    CHECK(rig.quota.try_acquire("mindee") == 0);
}

TEST_CASE("quota windows: every take that had to wait is told to the wait observer, with how long", "[quota]") {
    Rig rig;
    std::mutex mutex;
    std::vector<std::tuple<std::string, std::string, int64_t>> waits;
    rig.quota.set_wait_observer([&](const std::string &connector, const std::string &scope, int64_t ms) {
        std::lock_guard lock(mutex);
        waits.emplace_back(connector, scope, ms);
    });
    rig.quota.configure("sirene", windows({{"requests", 1, 1000}}));
    CHECK(rig.quota.acquire("sirene", 1, kNever) == 0);  // granted at once: not a wait
    auto second = std::async(std::launch::async, [&] { return rig.quota.acquire("sirene", 1, kNever); });
    REQUIRE(rig.clock.await_waiting(1, 10s));
    rig.clock.advance(1000);
    CHECK(second.get() == 0);
    std::lock_guard lock(mutex);
    REQUIRE(waits.size() == 1);
    CHECK(waits[0] == std::tuple<std::string, std::string, int64_t>{"sirene", "requests", 1000});
}
