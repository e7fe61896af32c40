// The scheduler running jobs of several steps over the real SQLite store: a step that asks
// to continue later makes the job wait (no attempt used, no worker held), the next step gets
// the checkpoint, hooks fire once at the end (and after each step only when asked), a cancel
// or a wake reaches a waiting job, and deadlines (a step's own, the job's) stop what runs.
//
// Time is a ManualClock: a test moves it once every thread waits, and waits for outcomes
// through the hooks with a real-time limit only a broken scheduler reaches. Nothing sleeps.
#include "temp_dir.hpp"

#include "jobs/scheduler.hpp"
#include "jobs/sqlite_job_store.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <mutex>

using namespace relais::host;
using relais::test::TempDir;
using namespace std::chrono_literals;

namespace {

constexpr int64_t T0 = 1'700'000'000'000;
constexpr auto kPatience = 30s;

CallResult later(int64_t delay_ms, std::string checkpoint) {
    CallResult r;
    r.later = ContinueLater{delay_ms, std::move(checkpoint)};
    return r;
}

CallResult ok(std::string body) {
    CallResult r;
    r.body = std::move(body);
    return r;
}

CallResult failure(relais_status status, std::string message) {
    CallResult r;
    r.status = status;
    r.message = std::move(message);
    return r;
}

class Executor final : public JobExecutor {
public:
    using Behaviour = std::function<CallResult(const Job &, JobContext &)>;
    explicit Executor(Behaviour behaviour) : behaviour_(std::move(behaviour)) {}
    CallResult execute(const Job &job, JobContext &context) override {
        {
            std::lock_guard lock(mutex);
            seen.push_back(job);
        }
        return behaviour_(job, context);
    }
    std::mutex mutex;
    std::vector<Job> seen;  // under mutex: the job as each step received it

private:
    Behaviour behaviour_;
};

struct Rig {
    explicit Rig(Executor::Behaviour behaviour, int workers = 1)
        : store(dir.path()), executor(std::move(behaviour)), scheduler(store, executor, clock, options(workers)),
          threads(workers + 1) {
        scheduler.set_on_attempt([this](const JobDetail &d) { record(attempts, d.job); });
        scheduler.set_on_finished([this](const JobDetail &d) { record(finished, d.job); });
        scheduler.set_on_progress([this](const JobDetail &d) { record(progress, d.job); });
    }
    static SchedulerOptions options(int workers) {
        SchedulerOptions o;
        o.owner = "test-host/1";
        o.workers = workers;
        o.lease_ms = 600'000;
        o.poll_ms = 1'000;
        o.cancel_check_ms = 1'000;
        o.random_seed = 7;
        return o;
    }
    void record(std::vector<Job> &list, const Job &job) {
        {
            std::lock_guard lock(mutex);
            list.push_back(job);
        }
        changed.notify_all();
    }
    bool await(const std::vector<Job> &list, size_t n) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, kPatience, [&] { return list.size() >= n; });
    }
    size_t count(const std::vector<Job> &list) {
        std::lock_guard lock(mutex);
        return list.size();
    }
    JobId enqueue(NewJob job) {
        if (job.connector.empty()) job.connector = "sign";
        if (job.action.empty()) job.action = "envelope";
        const auto id = store.enqueue(job, clock.now_ms()).job.id;
        scheduler.notify();
        return id;
    }
    JobDetail detail(JobId id) {
        auto d = store.get(id);
        REQUIRE(d);
        return *d;
    }
    bool await_idle() { return clock.await_waiting(threads, kPatience); }

    TempDir dir;
    SqliteJobStore store;
    ManualClock clock{T0};
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<Job> attempts, finished, progress;  // under mutex
    Executor executor;
    Scheduler scheduler;
    int threads;
};

ConnectorPolicy policy(int64_t step_timeout_ms = 300'000) {
    ConnectorPolicy p;
    p.max_concurrency = 4;
    p.step_timeout_ms = step_timeout_ms;
    return p;
}

int counter_of(const Job &job) {
    if (!job.checkpoint) return 0;
    return std::stoi(job.checkpoint->substr(job.checkpoint->find(':') + 1));
}

}  // namespace

TEST_CASE("waiting scheduler: a job waits ten times, gets each checkpoint back, and finishes once", "[scheduler][waiting]") {
    Rig rig([](const Job &job, JobContext &) {
        const int n = counter_of(job);
        if (n < 10) return later(1'000, "{\"n\":" + std::to_string(n + 1) + "}");
        return ok("{\"steps\":" + std::to_string(job.step + 1) + "}");
    });
    rig.scheduler.set_policy("sign", policy());
    NewJob job;
    job.max_attempts = 1;  // a wait must not use up the only attempt
    const auto id = rig.enqueue(job);
    rig.scheduler.start();

    for (size_t step = 1; step <= 10; ++step) {
        REQUIRE(rig.await(rig.attempts, step));
        const auto d = rig.detail(id);
        CHECK(d.job.state == JobState::waiting);
        CHECK(d.job.step == static_cast<int>(step));
        CHECK(d.job.attempts == 0);
        CHECK(d.job.run_at == rig.clock.now_ms() + 1'000);
        REQUIRE(rig.await_idle());  // the worker went back to claiming: it waits like the housekeeper
        CHECK(rig.count(rig.finished) == 0);
        rig.clock.advance(1'000);
    }
    REQUIRE(rig.await(rig.finished, 1));
    const auto d = rig.detail(id);
    CHECK(d.job.state == JobState::succeeded);
    CHECK(d.job.result == std::optional<std::string>(R"({"steps":11})"));
    REQUIRE(d.attempts.size() == 11);
    for (size_t i = 0; i < 10; ++i) CHECK(d.attempts[i].outcome == std::optional<std::string>("continued"));
    CHECK(d.attempts[10].outcome == std::optional<std::string>("ok"));
    {
        std::lock_guard lock(rig.executor.mutex);
        REQUIRE(rig.executor.seen.size() == 11);
        for (size_t i = 0; i < 11; ++i) {
            CHECK(rig.executor.seen[i].step == static_cast<int>(i));
            CHECK(counter_of(rig.executor.seen[i]) == static_cast<int>(i));
        }
    }
    REQUIRE(rig.await_idle());
    CHECK(rig.count(rig.finished) == 1);
    CHECK(rig.count(rig.progress) == 0);  // it did not ask for progress
    CHECK(rig.finished[0].result == std::optional<std::string>(R"({"steps":11})"));
}

TEST_CASE("waiting scheduler: a waiting job holds no worker, and reports its progress when it asked", "[scheduler][waiting]") {
    Rig rig([](const Job &job, JobContext &) {
        if (job.input == R"({"slow":true})" && job.step == 0) return later(3'600'000, R"({"asked":true})");
        return ok("{}");
    });
    rig.scheduler.set_policy("sign", policy());
    NewJob slow;
    slow.input = R"({"slow":true})";
    slow.callback_progress = true;
    const auto waiting = rig.enqueue(slow);
    rig.scheduler.start();
    REQUIRE(rig.await(rig.progress, 1));
    CHECK(rig.progress[0].id == waiting);
    CHECK(rig.progress[0].state == JobState::waiting);
    CHECK(rig.progress[0].checkpoint == std::optional<std::string>(R"({"asked":true})"));

    // The only worker is free for other jobs meanwhile.
    const auto quick = rig.enqueue(NewJob{});
    REQUIRE(rig.await(rig.finished, 1));
    CHECK(rig.finished[0].id == quick);
    CHECK(rig.detail(waiting).job.state == JobState::waiting);

    // A wake runs it now rather than in an hour.
    CHECK(rig.scheduler.wake("sign", JobRef{waiting}));
    REQUIRE(rig.await(rig.finished, 2));
    CHECK(rig.finished[1].id == waiting);
    CHECK(rig.finished[1].state == JobState::succeeded);
    CHECK_FALSE(rig.scheduler.wake("sign", JobRef{waiting}));  // finished: nothing to wake
    CHECK(rig.count(rig.progress) == 1);
}

TEST_CASE("waiting scheduler: cancelling a waiting job ends it at once, and the end is reported", "[scheduler][waiting]") {
    Rig rig([](const Job &, JobContext &) { return later(3'600'000, R"({"n":1})"); });
    rig.scheduler.set_policy("sign", policy());
    const auto id = rig.enqueue(NewJob{});
    rig.scheduler.start();
    REQUIRE(rig.await(rig.attempts, 1));
    CHECK(rig.scheduler.cancel(id));
    REQUIRE(rig.await(rig.finished, 1));
    CHECK(rig.finished[0].id == id);
    CHECK(rig.finished[0].state == JobState::cancelled);
    CHECK(rig.finished[0].checkpoint == std::optional<std::string>(R"({"n":1})"));
    CHECK_FALSE(rig.scheduler.cancel(id));
}

// What a step saw of its deadline, read by the test once the step ended (Catch2's checks
// belong on the test's thread).
struct Seen {
    std::mutex mutex;
    int64_t remaining_at_start = -1, remaining_at_end = -1;
    bool stopped_at_start = true, stopped = false;
    StopReason reason = StopReason::none;

    CallResult hang(JobContext &context, CallResult result) {
        const auto start = context.remaining_ms();
        const bool early = context.stop_requested();
        const bool stop = context.wait_for_stop(kNever);  // an upstream that never answers
        std::lock_guard lock(mutex);
        remaining_at_start = start;
        stopped_at_start = early;
        stopped = stop;
        reason = context.stop_reason();
        remaining_at_end = context.remaining_ms();
        return result;
    }
};

TEST_CASE("waiting scheduler: a step that outlives its step timeout is stopped and retried", "[scheduler][waiting][deadline]") {
    Seen seen;
    Rig rig([&](const Job &job, JobContext &context) {
        if (job.attempts > 1) return ok(R"({"second":true})");
        return seen.hang(context, failure(RELAIS_INTERNAL, "the request was abandoned"));
    });
    rig.scheduler.set_policy("sign", policy(5'000));
    const auto id = rig.enqueue(NewJob{});
    rig.scheduler.start();
    REQUIRE(rig.await_idle());
    rig.clock.advance(4'999);
    REQUIRE(rig.await_idle());
    CHECK(rig.count(rig.attempts) == 0);
    rig.clock.advance(1);
    REQUIRE(rig.await(rig.attempts, 1));
    {
        std::lock_guard lock(seen.mutex);
        CHECK(seen.remaining_at_start == 5'000);
        CHECK_FALSE(seen.stopped_at_start);
        CHECK(seen.stopped);
        CHECK(seen.reason == StopReason::deadline);
        CHECK(seen.remaining_at_end == 0);
    }
    auto d = rig.detail(id);
    CHECK(d.job.state == JobState::failed_retrying);
    REQUIRE(d.job.last_error);
    CHECK(d.job.last_error->error_class == "transient");
    CHECK(d.job.last_error->message == "step 1 ran out of time (5000 ms): the request was abandoned");
    CHECK(d.attempts[0].finished_at == std::optional<int64_t>(T0 + 5'000));

    REQUIRE(rig.await_idle());
    rig.clock.advance(10'000);  // the policy's retry delay
    REQUIRE(rig.await(rig.finished, 1));
    CHECK(rig.detail(id).job.state == JobState::succeeded);
}

TEST_CASE("waiting scheduler: a step cut short by the job's own deadline ends the job dead", "[scheduler][waiting][deadline]") {
    Seen seen;
    Rig rig([&](const Job &, JobContext &context) {
        return seen.hang(context, failure(RELAIS_TRANSIENT, "interrupted"));
    });
    rig.scheduler.set_policy("sign", policy(5'000));
    NewJob job;
    job.deadline_at = T0 + 3'000;
    const auto id = rig.enqueue(job);
    rig.scheduler.start();
    REQUIRE(rig.await_idle());
    rig.clock.advance(3'000);
    REQUIRE(rig.await(rig.finished, 1));
    {
        std::lock_guard lock(seen.mutex);
        CHECK(seen.remaining_at_start == 3'000);  // the job's deadline comes before the step's
        CHECK(seen.reason == StopReason::deadline);
    }
    const auto d = rig.detail(id);
    CHECK(d.job.state == JobState::dead);
    REQUIRE(d.job.last_error);
    CHECK(d.job.last_error->error_class == "deadline");
    CHECK(d.job.last_error->message == "the job's deadline passed during step 1: interrupted");
}

TEST_CASE("waiting scheduler: a job still waiting at its deadline is ended dead by the housekeeper", "[scheduler][waiting][deadline]") {
    Rig rig([](const Job &, JobContext &) { return later(60'000, R"({"n":1})"); });
    rig.scheduler.set_policy("sign", policy());
    NewJob job;
    job.deadline_at = T0 + 30'000;
    job.callback_url = "http://erp.example/cb";
    const auto id = rig.enqueue(job);
    rig.scheduler.start();
    REQUIRE(rig.await(rig.attempts, 1));
    REQUIRE(rig.await_idle());
    rig.clock.advance(29'999);
    REQUIRE(rig.await_idle());
    CHECK(rig.count(rig.finished) == 0);
    rig.clock.advance(1'001);  // within a poll of the deadline
    REQUIRE(rig.await(rig.finished, 1));
    CHECK(rig.finished[0].id == id);
    CHECK(rig.finished[0].state == JobState::dead);
    CHECK(rig.finished[0].last_error->error_class == "deadline");
    CHECK(rig.finished[0].last_error->message ==
          "the job's deadline (2023-11-14T22:13:50.000Z) passed after 1 completed step(s)");
    CHECK(rig.store.pending_callbacks(10) == std::vector<JobId>{id});
    std::lock_guard lock(rig.executor.mutex);
    CHECK(rig.executor.seen.size() == 1);
}
