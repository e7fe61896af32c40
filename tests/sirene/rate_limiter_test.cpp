// The connector's own pacing (RateLimiter): INSEE's 30 a minute are kept without asking the
// host, which counts per second and per day only. Short windows keep these tests fast.
#include "sirene_rate_limiter.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace relais::sirene;
using namespace std::chrono;
using namespace std::chrono_literals;

namespace {
RateLimiter::Clock::time_point in(milliseconds ms) { return RateLimiter::Clock::now() + ms; }
}  // namespace

TEST_CASE("sirene rate limiter: at most the limit in any window, then a wait for the oldest to expire", "[sirene][quota]") {
    RateLimiter limiter(3, 300ms);
    const auto started = steady_clock::now();
    for (int i = 0; i < 3; ++i) CHECK_FALSE(limiter.acquire(in(10s)));
    CHECK(steady_clock::now() - started < 300ms);  // the first three go at once
    CHECK_FALSE(limiter.acquire(in(10s)));        // the fourth waits for the first to leave the window
    CHECK(steady_clock::now() - started >= 300ms);
    CHECK(limiter.waits() == 1);
    CHECK(limiter.waited() > 200ms);
}

TEST_CASE("sirene rate limiter: when the slot comes after the deadline it says how long instead of waiting", "[sirene][quota]") {
    RateLimiter limiter(1, 60s);
    CHECK_FALSE(limiter.acquire(in(0ms)));
    const auto started = steady_clock::now();
    const auto wait = limiter.acquire(in(100ms));
    REQUIRE(wait);
    CHECK(*wait > 59s);
    CHECK(*wait <= 60s);
    CHECK(steady_clock::now() - started < 1s);  // it did not wait
}

TEST_CASE("sirene rate limiter: the server's remaining count and reset are honoured", "[sirene][quota]") {
    // The key is shared with another program: INSEE says 0 left until its reset, though this
    // limiter has sent nothing.
    RateLimiter limiter(30, 60s);
    limiter.observe(0, system_clock::now() + 400ms);
    auto wait = limiter.acquire(in(50ms));
    REQUIRE(wait);
    CHECK(*wait > 300ms);
    const auto started = steady_clock::now();
    CHECK_FALSE(limiter.acquire(in(5s)));
    CHECK(steady_clock::now() - started >= 300ms);
    // Two left: two go, the third waits for the reset.
    limiter.observe(2, system_clock::now() + 30s);
    CHECK_FALSE(limiter.acquire(in(0ms)));
    CHECK_FALSE(limiter.acquire(in(0ms)));
    CHECK(limiter.acquire(in(0ms)));
    // A reset already past (or a server clock behind ours) teaches nothing.
    RateLimiter other(30, 60s);
    other.observe(0, system_clock::now() - 1s);
    CHECK_FALSE(other.acquire(in(0ms)));
}

TEST_CASE("sirene rate limiter: after a 429 nothing goes before the announced reset", "[sirene][quota]") {
    RateLimiter limiter(30, 60s);
    limiter.block_until(steady_clock::now() + 250ms);
    CHECK(limiter.acquire(in(10ms)));
    const auto started = steady_clock::now();
    CHECK_FALSE(limiter.acquire(in(5s)));
    CHECK(steady_clock::now() - started >= 200ms);
}

TEST_CASE("sirene rate limiter: eight threads share the quota without exceeding it", "[sirene][quota][concurrency]") {
    RateLimiter limiter(5, 200ms);
    std::atomic<int> granted{0};
    std::vector<steady_clock::time_point> times;
    std::mutex mutex;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 2; ++i)
                if (!limiter.acquire(in(10s))) {
                    ++granted;
                    std::lock_guard lock(mutex);
                    times.push_back(steady_clock::now());
                }
        });
    for (auto &t : threads) t.join();
    CHECK(granted == 16);
    std::sort(times.begin(), times.end());
    // In any 200 ms, at most 5 grants (with a little slack for the clock reads after the grant).
    for (std::size_t i = 0; i + 5 < times.size(); ++i) CHECK(times[i + 5] - times[i] >= 190ms);
}

TEST_CASE("sirene rate limiter: a wait is announced once before it starts, and a give-up is not announced as a wait",
          "[sirene][quota]") {
    RateLimiter limiter(1, 300ms);
    std::vector<milliseconds> announced;
    const auto tell = [&](milliseconds ms) { announced.push_back(ms); };
    CHECK_FALSE(limiter.acquire(in(0ms), tell));
    CHECK(announced.empty());  // a free slot: no wait to speak of
    CHECK(limiter.acquire(in(10ms), tell));
    CHECK(announced.empty());  // beyond the deadline: it gives up without waiting
    const auto started = steady_clock::now();
    CHECK_FALSE(limiter.acquire(in(5s), tell));
    CHECK(steady_clock::now() - started >= 250ms);
    REQUIRE(announced.size() == 1);
    CHECK(announced[0] > 200ms);
    CHECK(announced[0] <= 300ms);
}
