// Periodic tasks: the start delay, the interval, one run after downtime however many periods
// were missed, no second run while one is still going, and changes at run time. The runner is
// driven directly with a ManualClock; the scheduler test checks that it is wired in.
#include "temp_dir.hpp"

#include "jobs/periodic.hpp"
#include "jobs/sqlite_job_store.hpp"

#include <catch2/catch.hpp>

using namespace relais::host;
using relais::test::TempDir;

namespace {

constexpr int64_t T0 = 1'700'000'000'000;
constexpr int64_t kInterval = 21'600'000;  // Universign: every 21,600 s
constexpr int64_t kDelay = 20'000;         // first 20 s after start

PeriodicTask poll_task() {
    return PeriodicTask{"poll_signatures", "poll", R"({"all":true})", kInterval, kDelay};
}

std::vector<Job> jobs_of(JobStore &store, const std::string &connector) {
    return store.list({.connector = connector, .limit = 500}).jobs;
}

}  // namespace

TEST_CASE("periodic: the first run comes start_delay after start, then every interval", "[periodic]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    ManualClock clock(T0);
    PeriodicRunner runner(store, clock);
    runner.set_tasks("universign", {poll_task()}, 5);

    CHECK(runner.run_due() == 0);  // not started
    CHECK(runner.next_due() == kNever);
    runner.start();
    CHECK(runner.next_due() == T0 + kDelay);
    CHECK(runner.next_run("universign", "poll_signatures") == T0 + kDelay);
    CHECK_FALSE(runner.next_run("universign", "other"));
    CHECK(runner.run_due() == 0);

    clock.advance(kDelay - 1);
    CHECK(runner.run_due() == 0);
    clock.advance(1);
    CHECK(runner.run_due() == 1);
    CHECK(runner.run_due() == 0);  // once per slot

    auto jobs = jobs_of(store, "universign");
    REQUIRE(jobs.size() == 1);
    CHECK(jobs[0].action == "poll");
    CHECK(jobs[0].input == R"({"all":true})");
    CHECK(jobs[0].max_attempts == 5);
    CHECK(jobs[0].idempotency_key == periodic_job_key("poll_signatures", T0 + kDelay));
    CHECK(jobs[0].idempotency_key == "periodic:poll_signatures:" + std::to_string(T0 + kDelay));
    CHECK(store.last_periodic_run("universign", "poll_signatures") == T0 + kDelay);
    CHECK(runner.next_due() == T0 + kDelay + kInterval);

    // The first run finished; the next comes an interval after it.
    REQUIRE(store.claim({"w", 60'000, {"universign"}}, clock.now_ms()));
    REQUIRE(store.succeed(jobs[0].id, "w", "{}", clock.now_ms()));
    clock.advance(kInterval);
    CHECK(runner.run_due() == 1);
    CHECK(jobs_of(store, "universign").size() == 2);
}

TEST_CASE("periodic: after downtime a missed task runs once, not once per missed period", "[periodic]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    // The host was down for ten periods after its last run.
    store.set_last_periodic_run("universign", "poll_signatures", T0 - 10 * kInterval - 5);
    ManualClock clock(T0);
    PeriodicRunner runner(store, clock);
    runner.set_tasks("universign", {poll_task()});
    runner.start();
    CHECK(runner.next_due() == T0 + kDelay);  // after the start delay, like a first run

    clock.advance(kDelay);
    CHECK(runner.run_due() == 1);
    for (int i = 0; i < 10; ++i) CHECK(runner.run_due() == 0);
    CHECK(jobs_of(store, "universign").size() == 1);
    CHECK(runner.next_due() == T0 + kDelay + kInterval);
}

TEST_CASE("periodic: a restart soon after a run waits for the rest of the interval", "[periodic]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    store.set_last_periodic_run("universign", "poll_signatures", T0 - 1'000'000);
    ManualClock clock(T0);
    PeriodicRunner runner(store, clock);
    runner.set_tasks("universign", {poll_task()});
    runner.start();
    CHECK(runner.next_due() == T0 - 1'000'000 + kInterval);
    clock.set(T0 - 1'000'000 + kInterval - 1);
    CHECK(runner.run_due() == 0);
    clock.advance(1);
    CHECK(runner.run_due() == 1);
}

TEST_CASE("periodic: a run still queued, running or retrying is not enqueued again", "[periodic]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    ManualClock clock(T0);
    PeriodicRunner runner(store, clock);
    runner.set_tasks("universign", {poll_task()});
    runner.start();
    clock.advance(kDelay);
    REQUIRE(runner.run_due() == 1);
    const auto first = jobs_of(store, "universign").at(0).id;

    // Still queued (e.g. waiting for quota) at the next slot: skipped.
    clock.advance(kInterval);
    CHECK(runner.run_due() == 0);
    CHECK(runner.next_due() == clock.now_ms() + kInterval);

    // Running at the next slot: skipped.
    REQUIRE(store.claim({"w", kInterval * 10, {"universign"}}, clock.now_ms()));
    clock.advance(kInterval);
    CHECK(runner.run_due() == 0);

    // Waiting to retry: skipped.
    REQUIRE(store.fail(first, "w", {"transient", "upstream down", "", std::nullopt}, clock.now_ms() + kInterval * 5,
                       clock.now_ms()));
    clock.advance(kInterval);
    CHECK(runner.run_due() == 0);

    // The same after a restart: the previous run is found again by its key.
    {
        PeriodicRunner restarted(store, clock);
        restarted.set_tasks("universign", {poll_task()});
        restarted.start();
        clock.advance(kDelay);
        CHECK(restarted.run_due() == 0);
    }

    // Done: the next slot runs.
    REQUIRE(store.cancel(first, clock.now_ms()));
    clock.advance(kInterval);
    CHECK(runner.run_due() == 1);
    CHECK(jobs_of(store, "universign").size() == 2);
}

TEST_CASE("periodic: a task kept unchanged keeps its plan, a changed or new one is planned from now", "[periodic]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    ManualClock clock(T0);
    PeriodicRunner runner(store, clock);
    auto hourly = PeriodicTask{"sync", "sync", "{}", 3'600'000, 0};
    runner.set_tasks("exchange", {hourly});
    runner.start();
    REQUIRE(runner.run_due() == 1);
    CHECK(runner.next_run("exchange", "sync") == T0 + 3'600'000);

    clock.advance(60'000);
    runner.set_tasks("exchange", {hourly});  // reconfigured with the same task
    CHECK(runner.next_run("exchange", "sync") == T0 + 3'600'000);

    auto faster = hourly;
    faster.interval_ms = 600'000;
    faster.start_delay_ms = 5'000;
    runner.set_tasks("exchange", {faster, PeriodicTask{"purge", "purge", "{}", 86'400'000, 1'000}});
    // From the last run and now: max(last + interval, now + delay).
    CHECK(runner.next_run("exchange", "sync") == T0 + 600'000);
    CHECK(runner.next_run("exchange", "purge") == T0 + 60'000 + 1'000);

    runner.set_tasks("exchange", {});
    CHECK_FALSE(runner.next_run("exchange", "sync"));
    CHECK(runner.next_due() == kNever);
}

TEST_CASE("periodic: tasks that cannot run are refused, and a run that cannot be enqueued is tried again", "[periodic]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    ManualClock clock(T0);
    PeriodicRunner runner(store, clock);
    CHECK_THROWS_WITH(runner.set_tasks("u", {PeriodicTask{"", "poll", "{}", 1000, 0}}), Catch::Contains("no name"));
    CHECK_THROWS_WITH(runner.set_tasks("u", {PeriodicTask{"t", "", "{}", 1000, 0}}), Catch::Contains("no action"));
    CHECK_THROWS_WITH(runner.set_tasks("u", {PeriodicTask{"t", "poll", "{}", 0, 0}}), Catch::Contains("interval"));
    CHECK_THROWS_WITH(runner.set_tasks("u", {PeriodicTask{"t", "poll", "{}", 1000, -1}}),
                      Catch::Contains("start delay"));
    CHECK_THROWS_WITH(runner.set_tasks("u", {PeriodicTask{"t", "poll", "{}", 1000, 0},
                                             PeriodicTask{"t", "poll", "{}", 2000, 0}}),
                      Catch::Contains("twice"));

    // An input that is not JSON: logged, the other task still runs, tried again a minute later.
    runner.set_tasks("u", {PeriodicTask{"broken", "poll", "{not json", 3'600'000, 0},
                           PeriodicTask{"fine", "poll", "{}", 3'600'000, 0}});
    runner.start();
    CHECK(runner.run_due() == 1);
    CHECK(runner.next_run("u", "broken") == T0 + 60'000);
    CHECK(jobs_of(store, "u").size() == 1);
}
