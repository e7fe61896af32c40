// The scheduler over the real SQLite store with fake executors: retries by error class and
// their times, dead letters, rate_limited snoozes, concurrency limits, fairness between
// connectors, quotas per action and per request, periodic tasks, cancellation, leases, stop
// with a grace period, rescue at start, and a throughput sanity check.
//
// Time is a ManualClock wherever time matters: a test moves it once every thread is waiting
// (ManualClock::await_waiting) and waits for outcomes through the scheduler's hooks, with a
// real-time limit that only a broken scheduler reaches. Nothing sleeps.
#include "temp_dir.hpp"

#include "jobs/scheduler.hpp"
#include "jobs/sqlite_job_store.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>

using namespace relais::host;
using relais::test::TempDir;
using namespace std::chrono_literals;

namespace {

constexpr int64_t T0 = 1'700'000'000'000;
constexpr auto kPatience = 30s;  // real time; reached only when something is broken

// A shared record of what happened, and a way to wait until it says something.
class Journal {
public:
    template <class F>
    void update(F f) {
        {
            std::lock_guard lock(mutex_);
            f();
        }
        changed_.notify_all();
    }
    template <class P>
    bool wait(P done, std::chrono::milliseconds patience = kPatience) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, patience, done);
    }
    template <class F>
    auto read(F f) {
        std::lock_guard lock(mutex_);
        return f();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
};

CallResult ok(std::string body = R"({"ok":true})") {
    CallResult result;
    result.body = std::move(body);
    return result;
}

CallResult error(relais_status status, std::string message, uint64_t retry_after_ms = 0) {
    CallResult result;
    result.status = status;
    result.message = std::move(message);
    result.retry_after_ms = retry_after_ms;
    return result;
}

// Runs `behaviour` for every job, and records what ran when, and how many ran at once.
class FakeExecutor final : public JobExecutor {
public:
    using Behaviour = std::function<CallResult(const Job &, JobContext &, int call)>;

    explicit FakeExecutor(Behaviour behaviour) : behaviour_(std::move(behaviour)) {}

    CallResult execute(const Job &job, JobContext &context) override {
        int call = 0;
        journal.update([&] {
            call = ++calls_[job.id];
            runs.push_back({job.id, job.connector, context.now_ms()});
            const int now_running = ++running_[job.connector];
            max_running[job.connector] = std::max(max_running[job.connector], now_running);
        });
        auto result = behaviour_(job, context, call);
        journal.update([&] { --running_[job.connector]; });
        return result;
    }

    struct Run {
        JobId id;
        std::string connector;
        int64_t at;
    };
    Journal journal;
    std::vector<Run> runs;                   // under journal
    std::map<std::string, int> max_running;  // under journal

private:
    Behaviour behaviour_;
    std::map<JobId, int> calls_;
    std::map<std::string, int> running_;
};

// A store, a clock, an executor and a scheduler whose attempts are journaled.
struct Rig {
    explicit Rig(FakeExecutor::Behaviour behaviour, SchedulerOptions options = default_options(),
                 SqliteJobStoreOptions store_options = {})
        : store(dir.path(), store_options), executor(std::move(behaviour)),
          scheduler(store, executor, clock, options), threads(options.workers + 1) {
        scheduler.set_on_attempt([this](const JobDetail &d) { attempts.update([&] { ended.push_back(d.job); }); });
        scheduler.set_on_finished([this](const JobDetail &d) { attempts.update([&] { finished.push_back(d.job); }); });
    }

    static SchedulerOptions default_options() {
        SchedulerOptions options;
        options.owner = "test-host/1";
        options.workers = 4;
        options.lease_ms = 60'000;
        options.poll_ms = 1'000;
        options.cancel_check_ms = 1'000;
        options.random_seed = 7;
        return options;
    }

    JobId enqueue(const std::string &connector, int max_attempts = 3, const std::string &action = "send") {
        NewJob job;
        job.connector = connector;
        job.action = action;
        job.max_attempts = max_attempts;
        const auto id = store.enqueue(job, clock.now_ms()).job.id;
        scheduler.notify();
        return id;
    }

    // Waits until `n` attempts have been recorded in all.
    bool await_attempts(size_t n) {
        return attempts.wait([&] { return ended.size() >= n; });
    }
    bool await_finished(size_t n) {
        return attempts.wait([&] { return finished.size() >= n; });
    }
    size_t finished_count() {
        return attempts.read([&] { return finished.size(); });
    }
    // Every worker and the housekeeper are blocked, waiting for time or news.
    bool await_idle() { return clock.await_waiting(threads, kPatience); }

    JobDetail detail(JobId id) {
        auto d = store.get(id);
        REQUIRE(d);
        return *d;
    }

    TempDir dir;
    SqliteJobStore store;
    ManualClock clock{T0};
    // Before the scheduler, whose threads call the hooks until it is destroyed.
    Journal attempts;
    std::vector<Job> ended;     // under attempts
    std::vector<Job> finished;  // under attempts
    FakeExecutor executor;
    Scheduler scheduler;
    int threads;
};

ConnectorPolicy policy(int max_concurrency = 4) {
    ConnectorPolicy p;
    p.max_concurrency = max_concurrency;
    return p;
}

ConnectorPolicy quota_policy(double per_second, int max_concurrency = 4) {
    auto p = policy(max_concurrency);
    p.quota = QuotaSettings{per_second, 0, 0};
    return p;
}

// The most runs in any window [t, t + width).
int max_in_window(std::vector<int64_t> times, int64_t width) {
    std::sort(times.begin(), times.end());
    int best = 0;
    size_t end = 0;
    for (size_t start = 0; start < times.size(); ++start) {
        while (end < times.size() && times[end] < times[start] + width) ++end;
        best = std::max(best, static_cast<int>(end - start));
    }
    return best;
}

}  // namespace

TEST_CASE("scheduler: a job that fails twice then succeeds is retried at the policy's times", "[scheduler]") {
    Rig rig([](const Job &, JobContext &, int call) {
        return call < 3 ? error(RELAIS_TRANSIENT, "upstream 503 (" + std::to_string(call) + ")") : ok();
    });
    rig.scheduler.set_policy("chorus", policy());  // 3 tries, 10 s apart
    const auto id = rig.enqueue("chorus");
    rig.scheduler.start();

    REQUIRE(rig.await_attempts(1));
    auto d = rig.detail(id);
    CHECK(d.job.state == JobState::failed_retrying);
    CHECK(d.job.attempts == 1);
    CHECK(d.job.run_at == T0 + 10'000);
    CHECK(d.job.last_error->error_class == "transient");
    CHECK(d.job.last_error->message == "upstream 503 (1)");

    REQUIRE(rig.await_idle());
    rig.clock.advance(9'999);
    REQUIRE(rig.await_idle());
    CHECK(rig.executor.journal.read([&] { return rig.executor.runs.size(); }) == 1);  // not before its time
    rig.clock.advance(1);
    REQUIRE(rig.await_attempts(2));
    d = rig.detail(id);
    CHECK(d.job.state == JobState::failed_retrying);
    CHECK(d.job.attempts == 2);
    CHECK(d.job.run_at == T0 + 20'000);

    REQUIRE(rig.await_idle());
    rig.clock.advance(10'000);
    REQUIRE(rig.await_finished(1));
    d = rig.detail(id);
    CHECK(d.job.state == JobState::succeeded);
    CHECK(d.job.attempts == 3);
    CHECK(d.job.result == R"({"ok":true})");
    REQUIRE(d.attempts.size() == 3);  // every attempt recorded
    CHECK(d.attempts[0].outcome == "transient");
    CHECK(d.attempts[0].started_at == T0);
    CHECK(d.attempts[1].outcome == "transient");
    CHECK(d.attempts[1].started_at == T0 + 10'000);
    CHECK(d.attempts[2].outcome == "ok");
    CHECK(d.attempts[2].started_at == T0 + 20'000);
    CHECK(rig.finished_count() == 1);
    rig.scheduler.stop(0);
}

TEST_CASE("scheduler: a transient error on the last attempt makes the job dead", "[scheduler]") {
    Rig rig([](const Job &, JobContext &, int) { return error(RELAIS_TRANSIENT, "timeout"); });
    auto p = policy();
    p.retry.delay_ms = 1'000;
    rig.scheduler.set_policy("chorus", p);
    const auto id = rig.enqueue("chorus", 2);
    rig.scheduler.start();
    REQUIRE(rig.await_attempts(1));
    REQUIRE(rig.await_idle());
    rig.clock.advance(1'000);
    REQUIRE(rig.await_finished(1));
    const auto d = rig.detail(id);
    CHECK(d.job.state == JobState::dead);
    CHECK(d.job.attempts == 2);
    CHECK(d.job.last_error->message == "timeout");
    CHECK(d.attempts.size() == 2);
}

TEST_CASE("scheduler: a permanent failure goes straight to dead with its reason", "[scheduler]") {
    Rig rig([](const Job &job, JobContext &, int) {
        if (job.action == "deposit") return error(RELAIS_PERMANENT, "invoice already deposited");
        if (job.action == "lookup") return error(RELAIS_INVALID_INPUT, "siret must have 14 digits");
        return error(RELAIS_UNAUTHORIZED, "token refused");
    });
    rig.scheduler.set_policy("chorus", policy());
    const auto deposit = rig.enqueue("chorus", 5, "deposit");
    const auto lookup = rig.enqueue("chorus", 5, "lookup");
    const auto other = rig.enqueue("chorus", 5, "status");
    rig.scheduler.start();
    REQUIRE(rig.await_finished(3));

    for (auto [id, cls, message] : {std::tuple{deposit, "permanent", "invoice already deposited"},
                                    std::tuple{lookup, "invalid_input", "siret must have 14 digits"},
                                    std::tuple{other, "unauthorized", "token refused"}}) {
        const auto d = rig.detail(id);
        CHECK(d.job.state == JobState::dead);
        CHECK(d.job.attempts == 1);
        REQUIRE(d.job.last_error);
        CHECK(d.job.last_error->error_class == cls);
        CHECK(d.job.last_error->message == message);
        REQUIRE(d.attempts.size() == 1);
        CHECK(d.attempts[0].outcome == cls);
    }
    CHECK(rig.executor.journal.read([&] { return rig.executor.runs.size(); }) == 3);
}

TEST_CASE("scheduler: rate_limited waits for the retry-after and does not use up an attempt", "[scheduler]") {
    Rig rig([](const Job &, JobContext &, int call) {
        return call == 1 ? error(RELAIS_RATE_LIMITED, "429 from PISTE", 30'000) : ok();
    });
    rig.scheduler.set_policy("chorus", policy());
    const auto id = rig.enqueue("chorus", 1);  // one attempt only: a counted failure would be dead
    rig.scheduler.start();

    REQUIRE(rig.await_attempts(1));
    auto d = rig.detail(id);
    CHECK(d.job.state == JobState::queued);
    CHECK(d.job.attempts == 0);
    CHECK(d.job.run_at == T0 + 30'000);
    CHECK(d.job.last_error->error_class == "rate_limited");
    CHECK(d.job.last_error->retry_after_ms == 30'000);

    REQUIRE(rig.await_idle());
    rig.clock.advance(29'999);
    REQUIRE(rig.await_idle());
    CHECK(rig.executor.journal.read([&] { return rig.executor.runs.size(); }) == 1);
    rig.clock.advance(1);
    REQUIRE(rig.await_finished(1));
    d = rig.detail(id);
    CHECK(d.job.state == JobState::succeeded);
    CHECK(d.job.attempts == 1);
    REQUIRE(d.attempts.size() == 2);
    CHECK(d.attempts[0].outcome == "rate_limited");
    CHECK(d.attempts[0].retry_after_ms == 30'000);
    CHECK(d.attempts[1].started_at == T0 + 30'000);
}

TEST_CASE("scheduler: a job rate-limited too many times in a row ends like a failure", "[scheduler]") {
    Rig rig([](const Job &, JobContext &, int) { return error(RELAIS_RATE_LIMITED, "429", 1'000); });
    auto p = policy();
    p.retry.max_rate_limited = 2;
    rig.scheduler.set_policy("chorus", p);
    const auto id = rig.enqueue("chorus", 1);
    rig.scheduler.start();
    for (size_t n = 1; n <= 2; ++n) {
        REQUIRE(rig.await_attempts(n));
        REQUIRE(rig.await_idle());
        rig.clock.advance(1'000);
    }
    REQUIRE(rig.await_finished(1));
    const auto d = rig.detail(id);
    CHECK(d.job.state == JobState::dead);
    CHECK(d.attempts.size() == 3);
}

TEST_CASE("scheduler: no connector ever runs more jobs at once than its max_concurrency", "[scheduler][threads]") {
    // Jobs hold until the gate opens, so the limits are reached; then everything flows.
    std::promise<void> gate;
    std::shared_future<void> open = gate.get_future().share();
    auto options = Rig::default_options();
    options.workers = 8;
    Rig rig(
        [open](const Job &, JobContext &, int) {
            open.wait();
            return ok();
        },
        options, {.synchronous = SqliteJobStoreOptions::Sync::normal});
    rig.scheduler.set_policy("exchange", policy(2));  // e.g. 4 concurrent requests per mailbox, halved
    rig.scheduler.set_policy("sirene", policy(3));
    for (int i = 0; i < 40; ++i) {
        rig.enqueue("exchange");
        rig.enqueue("sirene");
    }
    rig.scheduler.start();

    REQUIRE(rig.executor.journal.wait([&] {
        return rig.executor.max_running["exchange"] == 2 && rig.executor.max_running["sirene"] == 3;
    }));
    CHECK(rig.scheduler.running("exchange") == 2);
    CHECK(rig.scheduler.running("sirene") == 3);
    gate.set_value();
    REQUIRE(rig.await_finished(80));
    rig.scheduler.stop(0);
    CHECK(rig.executor.max_running["exchange"] == 2);
    CHECK(rig.executor.max_running["sirene"] == 3);
    CHECK(rig.store.count(JobState::succeeded) == 80);
}

TEST_CASE("scheduler: a connector waiting for quota does not hold up another", "[scheduler]") {
    Rig rig([](const Job &, JobContext &, int) { return ok(); });
    rig.scheduler.set_policy("chorus", quota_policy(2, 4));  // starved: 2 per second
    rig.scheduler.set_policy("sirene", policy(4));           // free
    for (int i = 0; i < 30; ++i) rig.enqueue("chorus");
    for (int i = 0; i < 30; ++i) rig.enqueue("sirene");
    rig.scheduler.start();

    // Without time moving at all, every sirene job runs, and chorus gets its burst.
    REQUIRE(rig.await_finished(32));
    REQUIRE(rig.await_idle());
    CHECK(rig.store.count(JobState::succeeded, "sirene") == 30);
    CHECK(rig.store.count(JobState::succeeded, "chorus") == 2);
    CHECK(rig.store.count(JobState::queued, "chorus") == 28);  // waiting, not failed

    rig.clock.advance(1'000);
    REQUIRE(rig.await_finished(34));
    REQUIRE(rig.await_idle());
    CHECK(rig.store.count(JobState::succeeded, "chorus") == 4);
    rig.scheduler.stop(0);
}

TEST_CASE("scheduler: a backlog of one connector does not starve another", "[scheduler]") {
    auto options = Rig::default_options();
    options.workers = 1;  // one worker: the order of runs is the claim order
    Rig rig([](const Job &, JobContext &, int) { return ok(); }, options);
    rig.scheduler.set_policy("chorus", policy());
    rig.scheduler.set_policy("sirene", policy());
    for (int i = 0; i < 100; ++i) rig.enqueue("chorus");  // enqueued first
    for (int i = 0; i < 5; ++i) rig.enqueue("sirene");
    rig.scheduler.start();
    REQUIRE(rig.await_finished(105));
    rig.scheduler.stop(0);

    const auto runs = rig.executor.journal.read([&] { return rig.executor.runs; });
    std::vector<std::string> first_ten;
    for (size_t i = 0; i < 10; ++i) first_ten.push_back(runs[i].connector);
    CHECK(std::count(first_ten.begin(), first_ten.end(), "sirene") == 5);  // taken in turn
}

TEST_CASE("scheduler: jobs over the quota wait and run within the rate, none fails", "[scheduler]") {
    Rig rig([](const Job &, JobContext &, int) { return ok(); });
    rig.scheduler.set_policy("chorus", quota_policy(5, 8));
    std::vector<JobId> ids;
    for (int i = 0; i < 40; ++i) ids.push_back(rig.enqueue("chorus"));
    rig.scheduler.start();

    // Move time a second at a time, each time once every thread waits.
    for (int second = 0; rig.finished_count() < 40; ++second) {
        REQUIRE(second < 20);
        REQUIRE(rig.await_idle());
        if (rig.finished_count() == 40) break;
        rig.clock.advance(1'000);
    }
    rig.scheduler.stop(0);
    std::vector<int64_t> times;
    for (const auto &run : rig.executor.journal.read([&] { return rig.executor.runs; })) times.push_back(run.at);
    CHECK(times.size() == 40);
    CHECK(max_in_window(times, 1'000) == 5);
    for (auto id : ids) {
        const auto d = rig.detail(id);
        CHECK(d.job.state == JobState::succeeded);
        CHECK(d.attempts.size() == 1);
    }
}

TEST_CASE("scheduler: a connector at its daily cap waits for the next UTC day", "[scheduler]") {
    Rig rig([](const Job &, JobContext &, int) { return ok(); });
    auto p = policy();
    p.quota = QuotaSettings{20, 3, 0};
    rig.scheduler.set_policy("chorus", p);
    for (int i = 0; i < 5; ++i) rig.enqueue("chorus");
    rig.scheduler.start();
    REQUIRE(rig.await_finished(3));
    REQUIRE(rig.await_idle());
    CHECK(rig.store.count(JobState::queued, "chorus") == 2);  // waiting, not failed
    CHECK(rig.store.daily_usage("chorus", "2023-11-14") == 3);

    constexpr int64_t kMidnight = 1'700'006'400'000;
    rig.clock.set(kMidnight - 1);
    REQUIRE(rig.await_idle());
    CHECK(rig.store.count(JobState::queued, "chorus") == 2);
    rig.clock.set(kMidnight);
    REQUIRE(rig.await_finished(5));
    CHECK(rig.store.daily_usage("chorus", "2023-11-15") == 2);
    rig.scheduler.stop(0);
}

TEST_CASE("scheduler: a plugin asking quota per request is counted per request", "[scheduler]") {
    // Each job makes three upstream requests, asking for each; the quota is 6 requests a second.
    Journal grants;
    std::vector<int64_t> granted;
    Rig rig([&](const Job &, JobContext &context, int) {
        for (int i = 0; i < 3; ++i) {
            if (context.acquire_quota(1) != 0) return error(RELAIS_TRANSIENT, "stopped");
            grants.update([&] { granted.push_back(context.now_ms()); });
        }
        return ok();
    });
    auto p = quota_policy(6, 4);
    p.quota_per_action = false;
    rig.scheduler.set_policy("mindee", p);
    for (int i = 0; i < 10; ++i) rig.enqueue("mindee");
    rig.scheduler.start();

    for (int second = 0; rig.finished_count() < 10; ++second) {
        REQUIRE(second < 20);
        REQUIRE(rig.await_idle());
        if (rig.finished_count() == 10) break;
        rig.clock.advance(1'000);
    }
    rig.scheduler.stop(0);
    const auto times = grants.read([&] { return granted; });
    CHECK(times.size() == 30);
    CHECK(max_in_window(times, 1'000) == 6);
    CHECK(rig.store.count(JobState::succeeded, "mindee") == 10);
}

TEST_CASE("scheduler: cancelling a running job is seen through its JobContext", "[scheduler]") {
    Journal seen;
    StopReason reason = StopReason::none;
    bool cancel_requested = false;
    Rig rig([&](const Job &, JobContext &context, int) {
        context.wait_for_stop(kNever);
        seen.update([&] {
            reason = context.stop_reason();
            cancel_requested = context.cancel_requested();
        });
        return error(RELAIS_TRANSIENT, "interrupted");
    });
    rig.scheduler.set_policy("universign", policy());
    const auto id = rig.enqueue("universign");
    rig.scheduler.start();
    REQUIRE(rig.executor.journal.wait([&] { return rig.executor.runs.size() == 1; }));

    SECTION("through the scheduler: at once") {
        CHECK(rig.scheduler.cancel(id));
    }
    SECTION("through the store (another process, the API): at the next check") {
        REQUIRE(rig.store.cancel(id, rig.clock.now_ms()));
        REQUIRE(rig.await_idle());
        rig.clock.advance(1'000);  // cancel_check_ms
    }
    REQUIRE(rig.await_finished(1));
    CHECK(seen.read([&] { return reason; }) == StopReason::cancelled);
    CHECK(seen.read([&] { return cancel_requested; }));
    const auto d = rig.detail(id);
    CHECK(d.job.state == JobState::cancelled);
    CHECK(d.attempts.size() == 1);
    CHECK_FALSE(rig.scheduler.cancel(id));  // already over
}

TEST_CASE("scheduler: stop lets a running job finish within the grace period", "[scheduler]") {
    std::promise<void> gate;
    std::shared_future<void> open = gate.get_future().share();
    auto options = Rig::default_options();
    options.workers = 1;  // busy with the first job: the second waits in the queue
    Rig rig([open](const Job &, JobContext &, int) {
        open.wait();
        return ok();
    }, options);
    rig.scheduler.set_policy("chorus", policy());
    const auto id = rig.enqueue("chorus");
    const auto later = rig.enqueue("chorus");
    rig.scheduler.start();
    REQUIRE(rig.executor.journal.wait([&] { return rig.executor.runs.size() == 1; }));

    auto stopped = std::async(std::launch::async, [&] { return rig.scheduler.stop(5'000); });
    // On the clock: the housekeeper, and stop() waiting for the running job.
    REQUIRE(rig.clock.await_waiting(2, kPatience));
    gate.set_value();
    CHECK(stopped.get() == 0);
    CHECK(rig.detail(id).job.state == JobState::succeeded);
    CHECK(rig.detail(later).job.state == JobState::queued);  // not started once stopping
    CHECK(rig.executor.journal.read([&] { return rig.executor.runs.size(); }) == 1);
}

TEST_CASE("scheduler: after the grace period a running job is asked to stop and keeps its attempt", "[scheduler]") {
    Journal seen;
    StopReason reason = StopReason::none;
    auto options = Rig::default_options();
    options.workers = 1;
    Rig rig([&](const Job &, JobContext &context, int) {
        context.wait_for_stop(kNever);
        seen.update([&] { reason = context.stop_reason(); });
        return error(RELAIS_TRANSIENT, "interrupted by shutdown");
    }, options);
    rig.scheduler.set_policy("chorus", policy());
    const auto id = rig.enqueue("chorus", 1);
    rig.scheduler.start();
    REQUIRE(rig.executor.journal.wait([&] { return rig.executor.runs.size() == 1; }));

    auto stopped = std::async(std::launch::async, [&] { return rig.scheduler.stop(5'000); });
    // On the clock: the job (waiting for a stop), the housekeeper, and stop() in its grace.
    REQUIRE(rig.clock.await_waiting(3, kPatience));
    CHECK(seen.read([&] { return reason; }) == StopReason::none);  // the grace is not over
    rig.clock.advance(5'000);
    CHECK(stopped.get() == 1);
    CHECK(seen.read([&] { return reason; }) == StopReason::shutdown);
    const auto d = rig.detail(id);
    CHECK(d.job.state == JobState::queued);  // back to the queue for the next start
    CHECK(d.job.attempts == 0);              // with its only attempt given back
    CHECK(d.attempts.size() == 1);
}

TEST_CASE("scheduler: a job that runs longer than half its lease gets it extended", "[scheduler]") {
    auto options = Rig::default_options();
    options.lease_ms = 10'000;
    options.cancel_check_ms = 60'000;
    Rig rig([](const Job &, JobContext &context, int) {
        context.wait_for_stop(kNever);
        return error(RELAIS_TRANSIENT, "stopped");
    }, options);
    rig.scheduler.set_policy("exchange", policy());
    const auto id = rig.enqueue("exchange");
    rig.scheduler.start();
    REQUIRE(rig.executor.journal.wait([&] { return rig.executor.runs.size() == 1; }));
    CHECK(rig.detail(id).job.lease_expires_at == T0 + 10'000);

    for (int step = 1; step <= 6; ++step) {  // 30 s: three leases' worth
        REQUIRE(rig.await_idle());
        rig.clock.advance(5'000);
    }
    REQUIRE(rig.await_idle());
    const auto d = rig.detail(id);
    CHECK(d.job.state == JobState::running);  // never rescued from under its worker
    CHECK(d.job.lease_expires_at == T0 + 30'000 + 10'000);
    CHECK(rig.scheduler.cancel(id));
    REQUIRE(rig.await_finished(1));
}

TEST_CASE("scheduler: jobs left running by a vanished worker are requeued at start", "[scheduler]") {
    Rig rig([](const Job &, JobContext &, int) { return ok(); });
    NewJob job;
    job.connector = "chorus";
    job.action = "send";
    const auto id = rig.store.enqueue(job, T0 - 120'000).job.id;
    REQUIRE(rig.store.claim({"crashed-host/worker-1", 60'000, {"chorus"}}, T0 - 100'000));  // expired at T0 - 40 s
    rig.scheduler.set_policy("chorus", policy());
    rig.scheduler.start();
    REQUIRE(rig.await_finished(1));
    const auto d = rig.detail(id);
    CHECK(d.job.state == JobState::succeeded);
    REQUIRE(d.attempts.size() == 2);
    CHECK(d.attempts[0].outcome == "lease_expired");
    CHECK(d.attempts[1].outcome == "ok");
    CHECK(d.attempts[1].owner.rfind("test-host/1/worker-", 0) == 0);
}

TEST_CASE("scheduler: periodic tasks of a policy are enqueued and run", "[scheduler]") {
    Rig rig([](const Job &, JobContext &, int) { return ok(); });
    auto p = policy();
    p.periodic = {PeriodicTask{"poll_signatures", "poll", "{}", 21'600'000, 20'000}};
    rig.scheduler.set_policy("universign", p);
    rig.scheduler.start();
    REQUIRE(rig.await_idle());
    CHECK(rig.store.count(JobState::queued) == 0);

    rig.clock.advance(20'000);
    REQUIRE(rig.await_finished(1));
    const auto run = rig.attempts.read([&] { return rig.finished.at(0); });
    CHECK(run.action == "poll");
    CHECK(run.idempotency_key == periodic_job_key("poll_signatures", T0 + 20'000));
    CHECK(run.max_attempts == p.retry.max_attempts);

    REQUIRE(rig.await_idle());
    rig.clock.advance(21'600'000);
    REQUIRE(rig.await_finished(2));
    rig.scheduler.stop(0);
}

TEST_CASE("scheduler: executors that throw or answer non-JSON are internal errors", "[scheduler]") {
    Rig rig([](const Job &job, JobContext &, int) -> CallResult {
        if (job.action == "throw") throw std::runtime_error("bug in the plugin glue");
        if (job.action == "garbage") return ok("{not json");
        return ok("");
    });
    auto p = policy();
    p.retry.max_attempts = 1;
    rig.scheduler.set_policy("chorus", p);
    const auto thrown = rig.enqueue("chorus", 1, "throw");
    const auto garbage = rig.enqueue("chorus", 1, "garbage");
    const auto empty = rig.enqueue("chorus", 1, "empty");
    rig.scheduler.start();
    REQUIRE(rig.await_finished(3));
    auto d = rig.detail(thrown);
    CHECK(d.job.state == JobState::dead);
    CHECK(d.job.last_error->error_class == "internal");
    CHECK(d.job.last_error->message == "the executor threw: bug in the plugin glue");
    d = rig.detail(garbage);
    CHECK(d.job.state == JobState::dead);
    CHECK(d.job.last_error->message == "the result is not JSON");
    d = rig.detail(empty);
    CHECK(d.job.state == JobState::succeeded);
    CHECK(d.job.result == "null");
}

TEST_CASE("scheduler: only connectors with a policy run, and a policy can change at run time", "[scheduler]") {
    Rig rig([](const Job &, JobContext &, int) { return ok(); });
    const auto id = rig.enqueue("exchange");
    rig.scheduler.start();
    REQUIRE(rig.await_idle());
    CHECK(rig.detail(id).job.state == JobState::queued);  // no policy: not claimed

    rig.scheduler.set_policy("exchange", policy(2));
    REQUIRE(rig.await_finished(1));
    CHECK(rig.scheduler.policy("exchange")->max_concurrency == 2);

    rig.scheduler.remove_policy("exchange");
    CHECK_FALSE(rig.scheduler.policy("exchange"));
    const auto after_removal = rig.enqueue("exchange");
    REQUIRE(rig.await_idle());
    CHECK(rig.detail(after_removal).job.state == JobState::queued);

    auto bad = policy(0);
    CHECK_THROWS_WITH(rig.scheduler.set_policy("exchange", bad), Catch::Contains("max_concurrency"));
    bad = policy();
    bad.quota.per_second = -1;
    CHECK_THROWS_AS(rig.scheduler.set_policy("exchange", bad), std::invalid_argument);
    bad = policy();
    bad.periodic = {PeriodicTask{"sync", "sync", "{}", 0, 0}};
    bad.quota.per_second = 3;
    CHECK_THROWS_WITH(rig.scheduler.set_policy("exchange", bad), Catch::Contains("interval"));
    CHECK(rig.scheduler.quota().settings("exchange") == QuotaSettings{});  // the quota was put back
    CHECK_FALSE(rig.scheduler.policy("exchange"));
    rig.scheduler.stop(0);
}

TEST_CASE("scheduler: 2000 no-op jobs over 2 connectors all complete exactly once", "[scheduler][threads]") {
    // Real time: this is the end-to-end path the benchmark measures, here without timing.
    TempDir dir;
    SqliteJobStore store(dir.path(), {.synchronous = SqliteJobStoreOptions::Sync::normal});
    SystemClock clock;
    Journal journal;
    std::map<JobId, int> executions;
    size_t finished = 0;
    FakeExecutor executor([&](const Job &job, JobContext &, int) {
        journal.update([&] { ++executions[job.id]; });
        return ok("{}");
    });
    auto options = Rig::default_options();
    options.workers = 4;
    Scheduler scheduler(store, executor, clock, options);
    scheduler.set_on_finished([&](const JobDetail &) { journal.update([&] { ++finished; }); });
    scheduler.set_policy("diagnostics", policy(8));
    scheduler.set_policy("sirene", policy(8));
    auto enqueue = [&](int n) {
        for (int i = 0; i < n; ++i) {
            NewJob job;
            job.connector = i % 2 ? "diagnostics" : "sirene";
            job.action = "echo";
            store.enqueue(job, clock.now_ms());
            if (i % 100 == 0) scheduler.notify();
        }
        scheduler.notify();
    };
    enqueue(1000);
    scheduler.start();
    enqueue(1000);  // while it runs
    REQUIRE(journal.wait([&] { return finished == 2000; }, 120s));
    CHECK(scheduler.stop(10'000) == 0);
    CHECK(store.count(JobState::succeeded) == 2000);
    CHECK(executions.size() == 2000);
    CHECK(std::all_of(executions.begin(), executions.end(), [](const auto &e) { return e.second == 1; }));
}

TEST_CASE("scheduler: finished jobs are deleted once the retention has passed, dead ones kept", "[scheduler]") {
    auto options = Rig::default_options();
    options.retention_ms = 86'400'000;
    options.purge_every_ms = 3'600'000;
    Rig rig([](const Job &job, JobContext &, int) { return job.action == "bad" ? error(RELAIS_PERMANENT, "no") : ok(); },
            options);
    rig.scheduler.set_policy("chorus", policy());
    const auto good = rig.enqueue("chorus");
    const auto bad = rig.enqueue("chorus", 3, "bad");
    rig.scheduler.start();
    REQUIRE(rig.await_finished(2));
    REQUIRE(rig.await_idle());
    rig.clock.advance(86'400'000 - 1);
    REQUIRE(rig.await_idle());
    CHECK(rig.store.get(good).has_value());  // not yet a day old
    rig.clock.advance(3'600'000);            // the next purge pass
    REQUIRE(rig.await_idle());
    CHECK_FALSE(rig.store.get(good).has_value());
    CHECK(rig.detail(bad).job.state == JobState::dead);
    rig.scheduler.stop(0);
}

TEST_CASE("scheduler: with a hook filter, the hooks see only the jobs it accepts, with their attempts",
          "[scheduler][hooks]") {
    std::vector<JobDetail> finished_details;  // under rig.attempts; before the rig, whose threads write it
    Rig rig([](const Job &, JobContext &, int call) { return call < 2 ? error(RELAIS_TRANSIENT, "503") : ok(); });
    rig.scheduler.set_hook_filter([](const Job &job) { return job.callback_url.has_value(); });
    rig.scheduler.set_on_finished(
        [&](const JobDetail &d) { rig.attempts.update([&] { finished_details.push_back(d); }); });
    auto p = policy();
    p.retry.delay_ms = 1'000;
    rig.scheduler.set_policy("chorus", p);
    NewJob with_callback;
    with_callback.connector = "chorus";
    with_callback.action = "send";
    with_callback.callback_url = "https://erp.example/cb";
    const auto followed = rig.store.enqueue(with_callback, T0).job.id;
    rig.enqueue("chorus");
    rig.enqueue("chorus");
    rig.scheduler.start();

    REQUIRE(rig.await_idle());
    CHECK(rig.store.count(JobState::failed_retrying) == 3);
    rig.clock.advance(1'000);
    REQUIRE(rig.attempts.wait([&] { return finished_details.size() >= 1; }));
    REQUIRE(rig.await_idle());
    CHECK(rig.store.count(JobState::succeeded) == 3);
    // Two attempts of the followed job, none of the others.
    CHECK(rig.attempts.read([&] { return rig.ended.size(); }) == 2);
    const auto seen = rig.attempts.read([&] { return finished_details; });
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].job.id == followed);
    CHECK(seen[0].job.state == JobState::succeeded);
    CHECK(seen[0].attempts.size() == 2);
    rig.scheduler.stop(0);
}
