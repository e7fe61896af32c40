// The durable job store (SQLite): every transition, concurrency between connections to one
// file, listing, quotas, periodic runs, schema migrations, durability (plugin state: plugin_state_test).
// Time is a number the tests choose; threads start together on a latch; nothing sleeps.
#include "temp_dir.hpp"

#include "jobs/sqlite_db.hpp"
#include "jobs/sqlite_job_store.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

using namespace relais::host;
using relais::test::TempDir;

namespace {

constexpr int64_t T0 = 1'700'000'000'000;  // 2023-11-14, in ms

NewJob new_job(const std::string &connector, const std::string &input = R"({"n":1})") {
    NewJob job;
    job.connector = connector;
    job.action = "send";
    job.input = input;
    return job;
}

ClaimRequest claim_of(std::vector<std::string> connectors, const std::string &owner = "host-a/worker-1",
                      int64_t lease_ms = 30'000) {
    return ClaimRequest{owner, lease_ms, std::move(connectors)};
}

// Runs body(i) on n threads released together; rethrows the first exception from any of them
// (Catch2's assertions are not thread-safe, so threads only collect results).
template <class Body>
void on_threads(int n, Body body) {
    std::latch start(n);
    std::exception_ptr error;
    std::mutex error_mutex;
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            try {
                body(i);
            } catch (...) {
                std::lock_guard lock(error_mutex);
                if (!error) error = std::current_exception();
            }
        });
    for (auto &t : threads) t.join();
    if (error) std::rethrow_exception(error);
}

}  // namespace

TEST_CASE("jobs: enqueue stores a job and get returns it as given", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());

    NewJob job = new_job("chorus", R"({"invoice":"F-1"})");
    job.action = "deposit";
    job.idempotency_key = "invoice-F-1";
    job.max_attempts = 5;
    job.priority = 2;
    job.callback_url = "https://erp.example/callback";
    const auto enqueued = store.enqueue(job, T0);
    CHECK(enqueued.created);
    const Job &j = enqueued.job;
    CHECK(j.id > 0);
    CHECK(j.connector == "chorus");
    CHECK(j.action == "deposit");
    CHECK(j.input == R"({"invoice":"F-1"})");
    CHECK(j.idempotency_key == "invoice-F-1");
    CHECK(j.state == JobState::queued);
    CHECK(j.attempts == 0);
    CHECK(j.max_attempts == 5);
    CHECK(j.priority == 2);
    CHECK(j.run_at == T0);  // no run_at: now
    CHECK(j.created_at == T0);
    CHECK(j.updated_at == T0);
    CHECK_FALSE(j.lease_owner);
    CHECK_FALSE(j.lease_expires_at);
    CHECK_FALSE(j.cancel_requested);
    CHECK_FALSE(j.result);
    CHECK_FALSE(j.last_error);
    CHECK(j.callback_url == "https://erp.example/callback");

    const auto detail = store.get(j.id);
    REQUIRE(detail);
    CHECK(detail->job == j);
    CHECK(detail->attempts.empty());

    NewJob later = new_job("sirene");
    later.run_at = T0 + 60'000;
    const auto second = store.enqueue(later, T0 + 1);
    CHECK(second.job.id > j.id);
    CHECK(second.job.run_at == T0 + 60'000);
    CHECK(second.job.created_at == T0 + 1);

    CHECK_FALSE(store.get(9999));
}

TEST_CASE("jobs: enqueue refuses what cannot be a job, and the store stays usable", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());

    CHECK_THROWS_AS(store.enqueue(new_job(""), T0), std::invalid_argument);
    auto no_action = new_job("chorus");
    no_action.action.clear();
    CHECK_THROWS_AS(store.enqueue(no_action, T0), std::invalid_argument);
    auto no_attempts = new_job("chorus");
    no_attempts.max_attempts = 0;
    CHECK_THROWS_WITH(store.enqueue(no_attempts, T0), Catch::Contains("max_attempts"));
    auto empty_key = new_job("chorus");
    empty_key.idempotency_key = "";
    CHECK_THROWS_AS(store.enqueue(empty_key, T0), std::invalid_argument);
    CHECK_THROWS_WITH(store.enqueue(new_job("chorus", "{not json"), T0), "a job's input must be JSON text");

    CHECK(store.count(JobState::queued) == 0);
    CHECK(store.enqueue(new_job("chorus"), T0).created);
    CHECK(store.count(JobState::queued) == 1);
}

TEST_CASE("jobs: the same idempotency key for the same connector returns the first job", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());

    auto job = new_job("chorus", R"({"invoice":"F-1"})");
    job.idempotency_key = "F-1";
    const auto first = store.enqueue(job, T0);
    REQUIRE(first.created);

    job.input = R"({"invoice":"F-1","again":true})";
    const auto again = store.enqueue(job, T0 + 5);
    CHECK_FALSE(again.created);
    CHECK(again.job == first.job);  // the first job, as it was: nothing was overwritten

    // Unique per connector only; and jobs without a key are never merged.
    auto other_connector = new_job("universign");
    other_connector.idempotency_key = "F-1";
    CHECK(store.enqueue(other_connector, T0).created);
    CHECK(store.enqueue(new_job("chorus"), T0).created);
    CHECK(store.enqueue(new_job("chorus"), T0).created);
    CHECK(store.count(JobState::queued) == 4);

    // Still the same job once it has run.
    const auto claimed = store.claim(claim_of({"chorus"}), T0 + 10);
    REQUIRE(claimed);
    REQUIRE(claimed->id == first.job.id);
    REQUIRE(store.succeed(claimed->id, "host-a/worker-1", "{}", T0 + 20));
    const auto after_run = store.enqueue(job, T0 + 30);
    CHECK_FALSE(after_run.created);
    CHECK(after_run.job.id == first.job.id);
    CHECK(after_run.job.state == JobState::succeeded);
}

TEST_CASE("jobs: 8 connections enqueuing one idempotency key at once create exactly one job", "[jobs][threads]") {
    TempDir dir;
    // One store per thread: eight connections to the file, as eight processes would have.
    std::vector<std::unique_ptr<SqliteJobStore>> stores;
    for (int i = 0; i < 8; ++i) stores.push_back(std::make_unique<SqliteJobStore>(dir.path()));

    std::vector<EnqueueResult> results(8);
    on_threads(8, [&](int i) {
        auto job = new_job("chorus", R"({"thread":)" + std::to_string(i) + "}");
        job.idempotency_key = "invoice-42";
        results[static_cast<size_t>(i)] = stores[static_cast<size_t>(i)]->enqueue(job, T0 + i);
    });

    const auto created = std::count_if(results.begin(), results.end(), [](const auto &r) { return r.created; });
    CHECK(created == 1);
    for (const auto &r : results) CHECK(r.job.id == results[0].job.id);
    CHECK(stores[0]->count(JobState::queued) == 1);
}

TEST_CASE("jobs: claim takes runnable jobs by priority, then run_at, then id", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());

    auto at = [&](int64_t run_at, int priority = 0) {
        auto job = new_job("chorus");
        job.run_at = run_at;
        job.priority = priority;
        return store.enqueue(job, T0).job.id;
    };
    const auto a = at(T0 + 10);
    const auto b = at(T0);
    const auto c = at(T0);
    const auto d = at(T0 + 5, 5);
    const auto future = at(T0 + 1000);
    const auto urgent_future = at(T0 + 1000, 9);  // priority does not make a job run early

    std::vector<JobId> order;
    while (auto job = store.claim(claim_of({"chorus"}), T0 + 20)) order.push_back(job->id);
    CHECK(order == std::vector<JobId>{d, b, c, a});

    const auto next = store.claim(claim_of({"chorus"}), T0 + 1000);  // run_at <= now is runnable
    REQUIRE(next);
    CHECK(next->id == urgent_future);
    CHECK(store.claim(claim_of({"chorus"}), T0 + 1000)->id == future);
    CHECK_FALSE(store.claim(claim_of({"chorus"}), T0 + 1000));
}

TEST_CASE("jobs: claim takes only jobs of the connectors it is given", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    const auto chorus = store.enqueue(new_job("chorus"), T0).job.id;
    const auto sirene = store.enqueue(new_job("sirene"), T0 + 1).job.id;
    const auto odd = store.enqueue(new_job(R"(we"ird\name)"), T0 + 2).job.id;

    CHECK_FALSE(store.claim(claim_of({}), T0 + 10));  // no free slot anywhere: nothing
    CHECK_FALSE(store.claim(claim_of({"exchange"}), T0 + 10));
    auto job = store.claim(claim_of({"sirene", "exchange"}), T0 + 10);
    REQUIRE(job);
    CHECK(job->id == sirene);
    CHECK_FALSE(store.claim(claim_of({"sirene"}), T0 + 10));
    job = store.claim(claim_of({R"(we"ird\name)"}), T0 + 10);  // names travel as JSON, escaped
    REQUIRE(job);
    CHECK(job->id == odd);
    job = store.claim(claim_of({"sirene", "chorus"}), T0 + 10);
    REQUIRE(job);
    CHECK(job->id == chorus);
}

TEST_CASE("jobs: claim marks the job running under a lease and opens an attempt", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    const auto id = store.enqueue(new_job("chorus"), T0).job.id;

    const auto job = store.claim(claim_of({"chorus"}, "host-a/worker-3", 45'000), T0 + 100);
    REQUIRE(job);
    CHECK(job->id == id);
    CHECK(job->state == JobState::running);
    CHECK(job->lease_owner == "host-a/worker-3");
    CHECK(job->lease_expires_at == T0 + 100 + 45'000);
    CHECK(job->attempts == 1);
    CHECK(job->updated_at == T0 + 100);

    const auto detail = store.get(id);
    REQUIRE(detail);
    CHECK(detail->job == *job);
    REQUIRE(detail->attempts.size() == 1);
    const auto &attempt = detail->attempts[0];
    CHECK(attempt.job_id == id);
    CHECK(attempt.number == 1);
    CHECK(attempt.owner == "host-a/worker-3");
    CHECK(attempt.started_at == T0 + 100);
    CHECK_FALSE(attempt.finished_at);
    CHECK_FALSE(attempt.outcome);

    CHECK_FALSE(store.claim(claim_of({"chorus"}, "host-b/worker-1"), T0 + 200));  // held

    CHECK(store.extend_lease(id, "host-a/worker-3", T0 + 90'000));
    CHECK(store.get(id)->job.lease_expires_at == T0 + 90'000);
    CHECK_FALSE(store.extend_lease(id, "host-b/worker-1", T0 + 99'000));
    CHECK_FALSE(store.extend_lease(9999, "host-a/worker-3", T0 + 99'000));
}

TEST_CASE("jobs: two stores on one file, two threads each, never claim the same job", "[jobs][threads]") {
    TempDir dir;
    constexpr int kJobs = 500;
    SqliteJobStore a(dir.path());
    SqliteJobStore b(dir.path());
    for (int i = 0; i < kJobs; ++i) (i % 2 ? a : b).enqueue(new_job(i % 3 ? "chorus" : "sirene"), T0);

    std::vector<std::vector<JobId>> claimed(4);
    on_threads(4, [&](int t) {
        auto &store = t < 2 ? a : b;
        const auto owner = "worker-" + std::to_string(t);
        int64_t now = T0 + 1;
        while (auto job = store.claim(claim_of({"chorus", "sirene"}, owner), now)) {
            claimed[static_cast<size_t>(t)].push_back(job->id);
            if (!store.succeed(job->id, owner, R"({"ok":true})", now))
                throw std::runtime_error("lost the lease of job " + std::to_string(job->id));
        }
    });

    std::multiset<JobId> all;
    for (const auto &ids : claimed) all.insert(ids.begin(), ids.end());
    CHECK(all.size() == kJobs);
    CHECK(std::set<JobId>(all.begin(), all.end()).size() == kJobs);  // each job exactly once
    CHECK(a.count(JobState::succeeded) == kJobs);
    CHECK(b.count(JobState::queued) == 0);
    for (JobId id : all) {
        const auto detail = b.get(id);
        REQUIRE(detail);
        REQUIRE(detail->attempts.size() == 1);
        CHECK(detail->attempts[0].outcome == "ok");
    }
}

TEST_CASE("jobs: succeed records the result and closes the attempt", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    const auto id = store.enqueue(new_job("sirene"), T0).job.id;
    REQUIRE(store.claim(claim_of({"sirene"}), T0 + 1));

    CHECK_THROWS_WITH(store.succeed(id, "host-a/worker-1", "<html>", T0 + 40), "a job's result must be JSON text");
    CHECK(store.get(id)->job.state == JobState::running);  // nothing of it was kept
    CHECK_FALSE(store.get(id)->attempts[0].finished_at);

    CHECK(store.succeed(id, "host-a/worker-1", R"({"siret":"12345678901234"})", T0 + 50));
    const auto detail = store.get(id);
    REQUIRE(detail);
    CHECK(detail->job.state == JobState::succeeded);
    CHECK(detail->job.result == R"({"siret":"12345678901234"})");
    CHECK_FALSE(detail->job.lease_owner);
    CHECK_FALSE(detail->job.lease_expires_at);
    CHECK(detail->job.updated_at == T0 + 50);
    REQUIRE(detail->attempts.size() == 1);
    CHECK(detail->attempts[0].finished_at == T0 + 50);
    CHECK(detail->attempts[0].outcome == "ok");

    CHECK_FALSE(store.succeed(id, "host-a/worker-1", "{}", T0 + 60));  // once only
    CHECK_FALSE(store.claim(claim_of({"sirene"}), T0 + 100));
}

TEST_CASE("jobs: fail with a retry time waits for it, and without one the job is dead", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    const auto id = store.enqueue(new_job("chorus"), T0).job.id;
    const std::string w = "host-a/worker-1";

    REQUIRE(store.claim(claim_of({"chorus"}, w), T0));
    CHECK(store.fail(id, w, AttemptError{"rate_limited", "quota reached", R"({"limit":20})", 10'000}, T0 + 10'000,
                     T0 + 5));
    auto job = store.get(id)->job;
    CHECK(job.state == JobState::failed_retrying);
    CHECK(job.run_at == T0 + 10'000);
    CHECK_FALSE(job.lease_owner);
    CHECK(job.last_error == AttemptError{"rate_limited", "quota reached", R"({"limit":20})", 10'000});
    CHECK(store.count(JobState::failed_retrying) == 1);

    CHECK_FALSE(store.claim(claim_of({"chorus"}, w), T0 + 9'999));
    auto again = store.claim(claim_of({"chorus"}, w), T0 + 10'000);
    REQUIRE(again);
    CHECK(again->attempts == 2);

    CHECK(store.fail(id, w, AttemptError{"permanent", "invoice refused", "", std::nullopt}, std::nullopt, T0 + 10'100));
    const auto detail = store.get(id);
    CHECK(detail->job.state == JobState::dead);
    CHECK(detail->job.last_error == AttemptError{"permanent", "invoice refused", "", std::nullopt});
    CHECK_FALSE(store.claim(claim_of({"chorus"}, w), T0 + 100'000));

    REQUIRE(detail->attempts.size() == 2);
    CHECK(detail->attempts[0] ==
          Attempt{id, 1, w, T0, T0 + 5, "rate_limited", "quota reached", R"({"limit":20})", 10'000});
    CHECK(detail->attempts[1] == Attempt{id, 2, w, T0 + 10'000, T0 + 10'100, "permanent", "invoice refused", "", {}});

    CHECK_FALSE(store.fail(id, w, AttemptError{"transient", "", "", {}}, std::nullopt, T0 + 10'200));  // not running
    CHECK_THROWS_AS(store.fail(id, w, AttemptError{}, std::nullopt, T0), std::invalid_argument);
}

TEST_CASE("jobs: snooze puts a running job back for later and gives its attempt back", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    auto one_try = new_job("chorus");
    one_try.max_attempts = 1;
    const auto id = store.enqueue(one_try, T0).job.id;
    const std::string w = "host-a/worker-1";

    REQUIRE(store.claim(claim_of({"chorus"}, w), T0));
    const AttemptError limited{"rate_limited", "429 from PISTE", "", 30'000};
    CHECK(store.snooze(id, w, limited, T0 + 30'000, T0 + 5));
    auto job = store.get(id)->job;
    CHECK(job.state == JobState::queued);
    CHECK(job.attempts == 0);  // given back: the one allowed attempt is still there
    CHECK(job.run_at == T0 + 30'000);
    CHECK_FALSE(job.lease_owner);
    CHECK_FALSE(job.lease_expires_at);
    CHECK(job.last_error == limited);

    CHECK_FALSE(store.claim(claim_of({"chorus"}, w), T0 + 29'999));
    const auto again = store.claim(claim_of({"chorus"}, w), T0 + 30'000);
    REQUIRE(again);
    CHECK(again->attempts == 1);
    REQUIRE(store.succeed(id, w, "{}", T0 + 30'001));
    const auto detail = store.get(id);
    REQUIRE(detail->attempts.size() == 2);  // the history keeps the snoozed attempt
    CHECK(detail->attempts[0] == Attempt{id, 1, w, T0, T0 + 5, "rate_limited", "429 from PISTE", "", 30'000});
    CHECK(detail->attempts[1].number == 2);
    CHECK(detail->attempts[1].outcome == "ok");

    // Not held (no longer running): nothing changes. A cancel requested meanwhile wins.
    CHECK_FALSE(store.snooze(id, w, limited, T0 + 40'000, T0 + 40'000));
    CHECK(store.get(id)->job.state == JobState::succeeded);
    const auto other = store.enqueue(new_job("chorus"), T0).job.id;
    REQUIRE(store.claim(claim_of({"chorus"}, w), T0 + 50'000));
    REQUIRE(store.cancel(other, T0 + 50'001));
    CHECK(store.snooze(other, w, {"interrupted", "host stopping", "", std::nullopt}, T0 + 50'002, T0 + 50'002));
    CHECK(store.get(other)->job.state == JobState::cancelled);
    CHECK_THROWS_AS(store.snooze(other, w, AttemptError{}, T0, T0), std::invalid_argument);
}

TEST_CASE("jobs: find returns the job of a connector's idempotency key", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    auto job = new_job("universign");
    job.idempotency_key = "periodic:poll:1";
    const auto id = store.enqueue(job, T0).job.id;
    store.enqueue(new_job("universign"), T0);

    const auto found = store.find("universign", "periodic:poll:1");
    REQUIRE(found);
    CHECK(found->id == id);
    CHECK(*found == store.get(id)->job);
    CHECK_FALSE(store.find("chorus", "periodic:poll:1"));  // keys are per connector
    CHECK_FALSE(store.find("universign", "periodic:poll:2"));
}

TEST_CASE("jobs: a worker whose lease was rescued can neither finish nor extend the job", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    const auto id = store.enqueue(new_job("chorus"), T0).job.id;

    REQUIRE(store.claim(claim_of({"chorus"}, "old", 1'000), T0));
    CHECK(store.requeue_expired(T0 + 2'000) == 1);
    REQUIRE(store.claim(claim_of({"chorus"}, "new", 1'000), T0 + 2'000));

    CHECK_FALSE(store.succeed(id, "old", R"({"late":true})", T0 + 2'100));
    CHECK_FALSE(store.fail(id, "old", AttemptError{"transient", "late", "", {}}, T0 + 5'000, T0 + 2'100));
    CHECK_FALSE(store.extend_lease(id, "old", T0 + 9'000));
    auto job = store.get(id)->job;
    CHECK(job.state == JobState::running);
    CHECK(job.lease_owner == "new");
    CHECK(job.lease_expires_at == T0 + 3'000);
    CHECK_FALSE(job.result);

    CHECK(store.extend_lease(id, "new", T0 + 9'000));
    // An expired lease nobody took is still held: the work is done, so it counts.
    CHECK(store.succeed(id, "new", R"({"done":1})", T0 + 9'500));
    const auto detail = store.get(id);
    CHECK(detail->job.state == JobState::succeeded);
    CHECK(detail->job.result == R"({"done":1})");
    REQUIRE(detail->attempts.size() == 2);
    CHECK(detail->attempts[0].owner == "old");
    CHECK(detail->attempts[0].outcome == "lease_expired");
    CHECK(detail->attempts[0].finished_at == T0 + 2'000);
    CHECK(detail->attempts[1].owner == "new");
    CHECK(detail->attempts[1].outcome == "ok");
}

TEST_CASE("jobs: requeue_expired requeues only expired leases, and buries jobs out of attempts", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    const auto short_lease = store.enqueue(new_job("chorus"), T0).job.id;
    const auto long_lease = store.enqueue(new_job("chorus"), T0 + 1).job.id;
    auto last_try = new_job("sirene");
    last_try.max_attempts = 1;
    const auto poison = store.enqueue(last_try, T0 + 2).job.id;

    REQUIRE(store.claim(claim_of({"chorus"}, "w1", 1'000), T0 + 10)->id == short_lease);
    REQUIRE(store.claim(claim_of({"chorus"}, "w2", 5'000), T0 + 10)->id == long_lease);
    REQUIRE(store.claim(claim_of({"sirene"}, "w3", 1'000), T0 + 10)->id == poison);

    CHECK(store.requeue_expired(T0 + 1'010) == 0);  // expires at T0 + 1'010: not yet past it
    CHECK(store.requeue_expired(T0 + 1'011) == 2);

    auto job = store.get(short_lease);
    CHECK(job->job.state == JobState::queued);
    CHECK(job->job.run_at == T0 + 1'011);
    CHECK(job->job.attempts == 1);
    CHECK_FALSE(job->job.lease_owner);
    REQUIRE(job->job.last_error);
    CHECK(job->job.last_error->error_class == "lease_expired");
    CHECK(job->attempts.back().outcome == "lease_expired");

    // A job that crashed its worker on its last attempt must not loop forever.
    auto dead = store.get(poison);
    CHECK(dead->job.state == JobState::dead);
    CHECK(dead->attempts.back().outcome == "lease_expired");

    CHECK(store.get(long_lease)->job.state == JobState::running);

    auto rerun = store.claim(claim_of({"chorus"}, "w4"), T0 + 1'100);
    REQUIRE(rerun);
    CHECK(rerun->id == short_lease);
    CHECK(rerun->attempts == 2);
    CHECK(store.get(short_lease)->attempts.size() == 2);
    CHECK(store.requeue_expired(T0 + 1'200) == 0);
}

TEST_CASE("jobs: cancel stops waiting jobs at once and asks running ones to stop", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    const auto queued = store.enqueue(new_job("chorus"), T0).job.id;
    const auto retrying = store.enqueue(new_job("chorus"), T0 + 1).job.id;
    const auto running = store.enqueue(new_job("sirene"), T0 + 2).job.id;
    const auto finishing = store.enqueue(new_job("mindee"), T0 + 3).job.id;
    const auto crashing = store.enqueue(new_job("exchange"), T0 + 4).job.id;

    REQUIRE(store.claim(claim_of({"chorus"}, "w"), T0 + 10)->id == queued);  // make `retrying` wait
    REQUIRE(store.fail(queued, "w", AttemptError{"transient", "", "", {}}, T0 + 50, T0 + 11));
    REQUIRE(store.claim(claim_of({"chorus"}, "w"), T0 + 12)->id == retrying);
    REQUIRE(store.fail(retrying, "w", AttemptError{"transient", "", "", {}}, T0 + 500, T0 + 13));
    REQUIRE(store.claim(claim_of({"sirene"}, "w"), T0 + 14));
    REQUIRE(store.claim(claim_of({"mindee"}, "w"), T0 + 15));
    REQUIRE(store.claim(claim_of({"exchange"}, "w", 100), T0 + 16));

    CHECK(store.cancel(queued, T0 + 20));
    CHECK(store.cancel(retrying, T0 + 20));
    CHECK(store.get(queued)->job.state == JobState::cancelled);
    CHECK(store.get(retrying)->job.state == JobState::cancelled);
    CHECK(store.get(retrying)->job.updated_at == T0 + 20);
    CHECK_FALSE(store.claim(claim_of({"chorus"}), T0 + 10'000));

    // Running: the worker is asked; the state stays running until it reports.
    CHECK(store.cancel(running, T0 + 21));
    CHECK(store.cancel(finishing, T0 + 21));
    CHECK(store.cancel(crashing, T0 + 21));
    auto job = store.get(running)->job;
    CHECK(job.state == JobState::running);
    CHECK(job.cancel_requested);

    // It stops with an error: cancelled, never retried, whatever retry time was proposed.
    CHECK(store.fail(running, "w", AttemptError{"transient", "stopped on request", "", {}}, T0 + 100, T0 + 30));
    CHECK(store.get(running)->job.state == JobState::cancelled);
    // It had already done the work: that stands.
    CHECK(store.succeed(finishing, "w", R"({"text":"receipt"})", T0 + 30));
    CHECK(store.get(finishing)->job.state == JobState::succeeded);
    // Its worker vanished: cancelled rather than requeued.
    CHECK(store.requeue_expired(T0 + 1'000) == 1);
    CHECK(store.get(crashing)->job.state == JobState::cancelled);

    CHECK_FALSE(store.cancel(queued, T0 + 40));     // already cancelled
    CHECK_FALSE(store.cancel(finishing, T0 + 40));  // already finished
    CHECK_FALSE(store.cancel(9999, T0 + 40));
}

TEST_CASE("jobs: retry requeues dead and cancelled jobs with a fresh counter and the history kept", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    auto once = new_job("chorus");
    once.max_attempts = 2;
    const auto id = store.enqueue(once, T0).job.id;
    const auto cancelled = store.enqueue(new_job("sirene"), T0).job.id;

    for (int i = 0; i < 2; ++i) {
        REQUIRE(store.claim(claim_of({"chorus"}, "w"), T0 + 100 * i));
        const auto retry_at = i == 0 ? std::optional<int64_t>(T0 + 100) : std::nullopt;  // then no more tries
        REQUIRE(store.fail(id, "w", AttemptError{"transient", "down", "", {}}, retry_at, T0 + 100 * i + 1));
    }
    REQUIRE(store.get(id)->job.state == JobState::dead);
    CHECK_FALSE(store.retry(cancelled, T0 + 500));  // queued: nothing to retry
    REQUIRE(store.cancel(cancelled, T0 + 500));

    CHECK(store.retry(id, T0 + 1'000));
    CHECK(store.retry(cancelled, T0 + 1'000));
    auto job = store.get(id)->job;
    CHECK(job.state == JobState::queued);
    CHECK(job.attempts == 0);
    CHECK(job.run_at == T0 + 1'000);
    REQUIRE(job.last_error);  // still tells why it had died
    CHECK(job.last_error->message == "down");
    CHECK(store.get(cancelled)->job.state == JobState::queued);

    const auto rerun = store.claim(claim_of({"chorus"}, "w"), T0 + 1'000);
    REQUIRE(rerun);
    CHECK(rerun->attempts == 1);
    REQUIRE(store.succeed(id, "w", "{}", T0 + 1'001));
    const auto detail = store.get(id);
    REQUIRE(detail->attempts.size() == 3);
    CHECK(detail->attempts[2].number == 3);  // numbering goes on across retries
    CHECK(detail->attempts[2].outcome == "ok");

    CHECK_FALSE(store.retry(id, T0 + 2'000));  // succeeded
    CHECK_FALSE(store.retry(9999, T0 + 2'000));
}

TEST_CASE("jobs: list filters by state, connector and creation time", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    std::map<std::string, JobId> ids;
    ids["c1"] = store.enqueue(new_job("chorus"), T0).job.id;
    ids["s1"] = store.enqueue(new_job("sirene"), T0 + 10).job.id;
    ids["c2"] = store.enqueue(new_job("chorus"), T0 + 20).job.id;
    ids["s2"] = store.enqueue(new_job("sirene"), T0 + 30).job.id;
    REQUIRE(store.claim(claim_of({"chorus"}), T0 + 40)->id == ids["c1"]);

    auto listed = [&](ListFilter filter) {
        std::vector<JobId> out;
        for (const auto &job : store.list(filter).jobs) out.push_back(job.id);
        return out;
    };
    CHECK(listed({}) == std::vector<JobId>{ids["s2"], ids["c2"], ids["s1"], ids["c1"]});  // newest first
    CHECK(listed({.state = JobState::queued}) == std::vector<JobId>{ids["s2"], ids["c2"], ids["s1"]});
    CHECK(listed({.state = JobState::running}) == std::vector<JobId>{ids["c1"]});
    CHECK(listed({.connector = "chorus"}) == std::vector<JobId>{ids["c2"], ids["c1"]});
    CHECK(listed({.since = T0 + 10}) == std::vector<JobId>{ids["s2"], ids["c2"], ids["s1"]});
    CHECK(listed({.state = JobState::queued, .connector = "sirene", .since = T0 + 11}) ==
          std::vector<JobId>{ids["s2"]});
    CHECK(listed({.state = JobState::dead}).empty());
    CHECK(listed({.connector = "exchange"}).empty());

    const auto page = store.list({.state = JobState::running});
    REQUIRE(page.jobs.size() == 1);
    CHECK(page.jobs[0] == store.get(ids["c1"])->job);  // whole jobs, as get returns them
    CHECK_FALSE(page.next_cursor);
}

TEST_CASE("jobs: list pages with a cursor that stays right while jobs are added", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    std::vector<JobId> expected;  // newest first
    // Four jobs per millisecond, so the first page ends inside a millisecond: the id breaks ties.
    for (int i = 0; i < 25; ++i)
        expected.insert(expected.begin(), store.enqueue(new_job("chorus"), T0 + i / 4).job.id);

    std::vector<JobId> seen;
    auto page = store.list({.limit = 10});
    REQUIRE(page.jobs.size() == 10);
    REQUIRE(page.next_cursor);
    REQUIRE(page.jobs.back().created_at == T0 + 3);
    for (const auto &job : page.jobs) seen.push_back(job.id);

    for (int i = 0; i < 5; ++i) store.enqueue(new_job("chorus"), T0 + 100 + i);  // while paging

    page = store.list({.limit = 10, .cursor = page.next_cursor});
    REQUIRE(page.jobs.size() == 10);
    REQUIRE(page.next_cursor);
    for (const auto &job : page.jobs) seen.push_back(job.id);
    page = store.list({.limit = 10, .cursor = page.next_cursor});
    REQUIRE(page.jobs.size() == 5);
    CHECK_FALSE(page.next_cursor);
    for (const auto &job : page.jobs) seen.push_back(job.id);
    CHECK(seen == expected);

    // A page that ends exactly at the last job has no next cursor.
    CHECK_FALSE(store.list({.limit = 30}).next_cursor);
    CHECK(store.list({.limit = 30}).jobs.size() == 30);
    CHECK(store.list({.limit = kMaxListLimit}).jobs.size() == 30);

    // Filters and cursor together: 13 of the first jobs (i >= 12) and the 5 later ones.
    std::set<JobId> filtered;
    std::optional<std::string> cursor;
    int pages = 0;
    do {
        const auto p = store.list({.connector = "chorus", .since = T0 + 3, .limit = 4, .cursor = cursor});
        for (const auto &job : p.jobs) {
            CHECK(job.created_at >= T0 + 3);
            filtered.insert(job.id);
        }
        cursor = p.next_cursor;
        ++pages;
    } while (cursor);
    CHECK(filtered.size() == 18);
    CHECK(pages == 5);

    CHECK_THROWS_WITH(store.list({.limit = 0}), Catch::Contains("limit must be between 1 and 500"));
    CHECK_THROWS_AS(store.list({.limit = kMaxListLimit + 1}), std::invalid_argument);
    CHECK_THROWS_WITH(store.list({.cursor = std::string("not-a-cursor")}), Catch::Contains("invalid cursor"));
    CHECK_THROWS_AS(store.list({.cursor = std::string(32, 'z')}), std::invalid_argument);
}

TEST_CASE("jobs: count by state, for one connector or all", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    for (int i = 0; i < 3; ++i) store.enqueue(new_job("chorus"), T0);
    for (int i = 0; i < 2; ++i) store.enqueue(new_job("sirene"), T0);
    REQUIRE(store.claim(claim_of({"sirene"}), T0));

    CHECK(store.count(JobState::queued) == 4);
    CHECK(store.count(JobState::queued, "chorus") == 3);
    CHECK(store.count(JobState::queued, "sirene") == 1);
    CHECK(store.count(JobState::running) == 1);
    CHECK(store.count(JobState::running, "chorus") == 0);
    CHECK(store.count(JobState::dead) == 0);
}

TEST_CASE("jobs: daily usage adds up per connector and day and survives a reopen", "[jobs]") {
    TempDir dir;
    {
        SqliteJobStore store(dir.path());
        CHECK(store.daily_usage("chorus", "2024-03-01") == 0);
        CHECK(store.add_daily_usage("chorus", "2024-03-01", 5) == 5);
        CHECK(store.add_daily_usage("chorus", "2024-03-01", 3) == 8);
        CHECK(store.add_daily_usage("chorus", "2024-03-02", 1) == 1);
        CHECK(store.add_daily_usage("sirene", "2024-03-01", 0) == 0);
        CHECK(store.daily_usage("chorus", "2024-03-01") == 8);
        CHECK_THROWS_WITH(store.add_daily_usage("chorus", "2024-3-1", 1), Catch::Contains("YYYY-MM-DD"));
        CHECK_THROWS_AS(store.daily_usage("chorus", "today"), std::invalid_argument);
    }
    SqliteJobStore reopened(dir.path());
    CHECK(reopened.daily_usage("chorus", "2024-03-01") == 8);
    CHECK(reopened.daily_usage("chorus", "2024-03-02") == 1);
    CHECK(reopened.daily_usage("sirene", "2024-03-01") == 0);
    CHECK(reopened.add_daily_usage("chorus", "2024-03-01", 2) == 10);
}

TEST_CASE("jobs: the last run of each periodic task is remembered", "[jobs]") {
    TempDir dir;
    {
        SqliteJobStore store(dir.path());
        CHECK_FALSE(store.last_periodic_run("universign", "poll_signatures"));
        store.set_last_periodic_run("universign", "poll_signatures", T0);
        store.set_last_periodic_run("universign", "poll_signatures", T0 + 21'600'000);
        store.set_last_periodic_run("exchange", "poll_signatures", T0 + 1);
        CHECK(store.last_periodic_run("universign", "poll_signatures") == T0 + 21'600'000);
        CHECK_FALSE(store.last_periodic_run("universign", "other"));
    }
    SqliteJobStore reopened(dir.path());
    CHECK(reopened.last_periodic_run("universign", "poll_signatures") == T0 + 21'600'000);
    CHECK(reopened.last_periodic_run("exchange", "poll_signatures") == T0 + 1);
}

TEST_CASE("jobs: a fresh file gets the current schema in WAL mode, and reopens as it is", "[jobs][migrations]") {
    TempDir dir;
    const auto data_dir = dir / "data" / "relais";  // created when missing
    JobId id = 0;
    {
        SqliteJobStore store(data_dir);
        CHECK(store.file() == data_dir / "relais.db");
        id = store.enqueue(new_job("chorus"), T0).job.id;
    }
    {
        sqlite::Database db(data_dir / "relais.db", 1000);
        CHECK(db.scalar_int64("PRAGMA user_version") == SqliteJobStore::kSchemaVersion);
        CHECK(db.scalar_text("PRAGMA journal_mode") == "wal");
        CHECK(db.scalar_int64("SELECT COUNT(*) FROM jobs") == 1);
    }
    SqliteJobStore reopened(data_dir);
    CHECK(reopened.get(id));
    CHECK(reopened.enqueue(new_job("chorus"), T0 + 1).job.id == id + 1);
}

TEST_CASE("jobs: connections opening a fresh file at once migrate it once", "[jobs][migrations]") {
    TempDir dir;
    std::vector<std::unique_ptr<SqliteJobStore>> stores(4);
    on_threads(4, [&](int i) { stores[static_cast<size_t>(i)] = std::make_unique<SqliteJobStore>(dir.path()); });
    for (size_t i = 0; i < stores.size(); ++i) stores[i]->enqueue(new_job("chorus"), T0);
    CHECK(stores[0]->count(JobState::queued) == 4);
}

TEST_CASE("jobs: a file from a newer schema, or from another program, is refused untouched", "[jobs][migrations]") {
    TempDir dir;
    { SqliteJobStore store(dir.path()); }
    const auto newer = SqliteJobStore::kSchemaVersion + 1;
    {
        sqlite::Database db(dir / "relais.db", 1000);
        db.exec("PRAGMA user_version = " + std::to_string(newer));
    }
    try {
        SqliteJobStore store(dir.path());
        FAIL("a newer schema was opened");
    } catch (const JobStoreError &e) {
        const std::string message = e.what();
        CHECK_THAT(message, Catch::Contains((dir / "relais.db").string()));
        CHECK_THAT(message, Catch::Contains("schema version " + std::to_string(newer) + ", newer than the version " +
                                            std::to_string(SqliteJobStore::kSchemaVersion)));
        CHECK_THAT(message, Catch::Contains("written by a newer Relais"));
    }
    {
        sqlite::Database db(dir / "relais.db", 1000);
        CHECK(db.scalar_int64("PRAGMA user_version") == newer);
    }

    TempDir other;
    {
        sqlite::Database db(other / "relais.db", 1000);
        db.exec("PRAGMA application_id = 42; CREATE TABLE notes (x)");
    }
    CHECK_THROWS_WITH(SqliteJobStore(other.path()), Catch::Contains("is not a Relais database"));

    TempDir garbage;
    {
        std::FILE *f = std::fopen((garbage / "relais.db").c_str(), "wb");
        REQUIRE(f);
        std::fputs("this is not an SQLite file, but it is long enough to have a header of sorts........", f);
        std::fclose(f);
    }
    CHECK_THROWS_WITH(SqliteJobStore(garbage.path()), Catch::Contains("cannot open the job database"));
}

TEST_CASE("jobs: everything written is there after the store is destroyed and reopened", "[jobs]") {
    TempDir dir;
    std::vector<JobDetail> before;
    {
        SqliteJobStore store(dir.path());
        auto keyed = new_job("chorus", R"({"invoice":"F-9"})");
        keyed.idempotency_key = "F-9";
        keyed.callback_url = "https://erp.example/cb";
        const auto a = store.enqueue(keyed, T0).job.id;
        const auto b = store.enqueue(new_job("sirene"), T0 + 1).job.id;
        const auto c = store.enqueue(new_job("mindee"), T0 + 2).job.id;
        REQUIRE(store.claim(claim_of({"chorus"}, "w"), T0 + 3));
        REQUIRE(store.fail(a, "w", AttemptError{"transient", "503", R"({"status":503})", {}}, T0 + 1'000, T0 + 4));
        REQUIRE(store.claim(claim_of({"sirene"}, "w"), T0 + 5));
        REQUIRE(store.succeed(b, "w", R"({"name":"ACME"})", T0 + 6));
        REQUIRE(store.claim(claim_of({"mindee"}, "w"), T0 + 7));  // running when the store goes
        for (auto id : {a, b, c}) before.push_back(*store.get(id));
    }
    SqliteJobStore reopened(dir.path());
    for (const auto &detail : before) CHECK(reopened.get(detail.job.id) == detail);
    auto keyed = new_job("chorus");
    keyed.idempotency_key = "F-9";
    CHECK_FALSE(reopened.enqueue(keyed, T0 + 10).created);  // the key is remembered too
}

TEST_CASE("jobs: purge_finished deletes old succeeded and cancelled jobs with their attempts, in batches", "[jobs]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    std::vector<JobId> done;
    for (int i = 0; i < 5; ++i) {
        const auto id = store.enqueue(new_job("chorus"), T0 + i).job.id;
        REQUIRE(store.claim(claim_of({"chorus"}, "w", 60'000), T0 + 10)->id == id);
        REQUIRE(store.succeed(id, "w", "{}", T0 + 20));
        done.push_back(id);
    }
    const auto cancelled = store.enqueue(new_job("chorus"), T0 + 30).job.id;
    REQUIRE(store.cancel(cancelled, T0 + 40));
    auto once = new_job("sirene");
    once.max_attempts = 1;
    const auto dead = store.enqueue(once, T0 + 50).job.id;
    REQUIRE(store.claim(claim_of({"sirene"}, "w", 60'000), T0 + 60)->id == dead);
    REQUIRE(store.fail(dead, "w", {"permanent", "refused", "", std::nullopt}, std::nullopt, T0 + 70));
    const auto queued = store.enqueue(new_job("chorus"), T0 + 80).job.id;
    const auto recent = store.enqueue(new_job("chorus"), T0 + 90).job.id;
    REQUIRE(store.cancel(recent, T0 + 10'000));

    CHECK(store.purge_finished(T0 + 1'000, 4) == 4);  // a batch
    CHECK(store.purge_finished(T0 + 1'000, 4) == 2);  // the rest: one succeeded, one cancelled
    CHECK(store.purge_finished(T0 + 1'000, 4) == 0);
    for (const auto id : done) CHECK_FALSE(store.get(id));
    CHECK_FALSE(store.get(cancelled));
    CHECK(store.get(dead)->job.state == JobState::dead);  // waits for a person
    CHECK(store.get(queued)->job.state == JobState::queued);
    CHECK(store.get(recent)->job.state == JobState::cancelled);  // ended after the cut
    // Ids are never reused.
    CHECK(store.enqueue(new_job("chorus"), T0 + 20'000).job.id > recent);
}

TEST_CASE("jobs: a finished job with a callback_url stays pending until its callback is done", "[jobs][callback]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    auto with_url = new_job("chorus");
    with_url.callback_url = "https://erp.example/hooks";
    const auto a = store.enqueue(with_url, T0).job.id;
    const auto b = store.enqueue(new_job("chorus"), T0 + 1).job.id;  // no callback
    const auto c = store.enqueue(with_url, T0 + 2).job.id;
    CHECK(store.pending_callbacks(10).empty());  // not finished yet

    REQUIRE(store.claim(claim_of({"chorus"}, "w", 60'000), T0 + 10)->id == a);
    REQUIRE(store.succeed(a, "w", "{}", T0 + 20));
    REQUIRE(store.claim(claim_of({"chorus"}, "w", 60'000), T0 + 30)->id == b);
    REQUIRE(store.succeed(b, "w", "{}", T0 + 40));
    REQUIRE(store.cancel(c, T0 + 50));
    CHECK(store.pending_callbacks(10) == std::vector<JobId>{a, c});

    store.callback_done(a);
    CHECK(store.pending_callbacks(10) == std::vector<JobId>{c});
    // Retried and finished again: due again.
    store.callback_done(c);
    REQUIRE(store.retry(c, T0 + 60));
    CHECK(store.pending_callbacks(10).empty());
    REQUIRE(store.claim(claim_of({"chorus"}, "w", 60'000), T0 + 70)->id == c);
    REQUIRE(store.succeed(c, "w", "{}", T0 + 80));
    CHECK(store.pending_callbacks(10) == std::vector<JobId>{c});
}

// --- group commit -----------------------------------------------------------------------------

namespace {

// Polls `done` until it holds or 10 s have passed; false on timeout.
template <class Condition>
bool eventually(Condition done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

}  // namespace

TEST_CASE("jobs: 16 threads enqueueing at once each get their job, keys merged, all on disk after a reopen",
          "[jobs][threads][group-commit]") {
    TempDir dir;
    constexpr int kThreads = 16, kEach = 40, kKeys = 10;
    std::vector<std::vector<EnqueueResult>> results(kThreads);
    {
        SqliteJobStore store(dir.path());  // durability "accepted": the enqueues are synced
        on_threads(kThreads, [&](int t) {
            for (int i = 0; i < kEach; ++i) {
                auto job = new_job("chorus", R"({"t":)" + std::to_string(t) + R"(,"i":)" + std::to_string(i) + "}");
                // Every fourth enqueue names one of 10 keys that all threads share.
                if (i % 4 == 0) job.idempotency_key = "invoice-" + std::to_string((t + i) % kKeys);
                results[static_cast<size_t>(t)].push_back(store.enqueue(job, T0 + i));
            }
        });
        const auto stats = store.group_commit_stats();
        CHECK(stats.jobs == kThreads * kEach);
        CHECK(stats.commits >= 1);
        CHECK(stats.commits <= stats.jobs);
        CHECK(stats.queued == 0);
    }

    std::map<std::string, std::set<JobId>> ids_of_key;
    std::map<std::string, int> created_of_key;
    std::set<JobId> unkeyed;
    std::map<JobId, std::string> input_of;
    for (int t = 0; t < kThreads; ++t)
        for (int i = 0; i < kEach; ++i) {
            const auto &r = results[static_cast<size_t>(t)][static_cast<size_t>(i)];
            const auto input = R"({"t":)" + std::to_string(t) + R"(,"i":)" + std::to_string(i) + "}";
            if (i % 4 == 0) {
                const auto key = "invoice-" + std::to_string((t + i) % kKeys);
                CHECK(r.job.idempotency_key == key);
                ids_of_key[key].insert(r.job.id);
                if (r.created) {
                    ++created_of_key[key];
                    input_of[r.job.id] = input;
                }
            } else {
                CHECK(r.created);
                CHECK(r.job.input == input);
                CHECK(unkeyed.insert(r.job.id).second);  // nobody else got this job
                input_of[r.job.id] = input;
            }
        }
    REQUIRE(ids_of_key.size() == static_cast<size_t>(kKeys));
    for (const auto &[key, ids] : ids_of_key) {
        INFO(key);
        CHECK(ids.size() == 1);             // one job per key, whoever enqueued it
        CHECK(created_of_key[key] == 1);    // created once; every other enqueue got created = false
    }

    SqliteJobStore reopened(dir.path());
    CHECK(reopened.count(JobState::queued) == static_cast<int64_t>(unkeyed.size()) + kKeys);
    for (const auto &[id, input] : input_of) {
        const auto detail = reopened.get(id);
        REQUIRE(detail);
        CHECK(detail->job.input == input);
    }
}

TEST_CASE("jobs: enqueues arriving during a commit share the next one, a bad input fails only its caller",
          "[jobs][threads][group-commit]") {
    TempDir dir;
    SqliteJobStore store(dir.path(), SqliteJobStoreOptions{SqliteJobStoreOptions::Sync::accepted, 60'000});
    // Another connection holds the write lock, so the first commit waits for it.
    sqlite::Database other(store.file(), 1000);
    other.exec("BEGIN IMMEDIATE");

    EnqueueResult first;
    std::thread leader([&] { first = store.enqueue(new_job("chorus", R"({"n":0})"), T0); });
    REQUIRE(eventually([&] {
        const auto s = store.group_commit_stats();
        return s.committing && s.queued == 0;
    }));

    constexpr int kFollowers = 7;
    std::vector<std::optional<EnqueueResult>> results(kFollowers);
    std::vector<std::string> errors(kFollowers);
    std::vector<std::thread> followers;
    for (int i = 0; i < kFollowers; ++i)
        followers.emplace_back([&, i] {
            // Followers 0 and 1 share a key; follower 2 sends an input that is not JSON.
            auto job = new_job("chorus", i == 2 ? "{nope" : R"({"n":)" + std::to_string(i + 1) + "}");
            if (i < 2) job.idempotency_key = "F-7";
            try {
                results[static_cast<size_t>(i)] = store.enqueue(job, T0 + 1);
            } catch (const std::exception &e) {
                errors[static_cast<size_t>(i)] = e.what();
            }
        });
    REQUIRE(eventually([&] { return store.group_commit_stats().queued == kFollowers; }));
    other.exec("ROLLBACK");
    leader.join();
    for (auto &t : followers) t.join();

    const auto stats = store.group_commit_stats();
    CHECK(stats.commits == 2);  // the leader's own, then every follower in one
    CHECK(stats.jobs == 1 + kFollowers);

    CHECK(first.created);
    CHECK(errors[2] == "a job's input must be JSON text");
    CHECK_FALSE(results[2]);
    REQUIRE(results[0]);
    REQUIRE(results[1]);
    CHECK(results[0]->job.id == results[1]->job.id);
    CHECK(results[0]->created != results[1]->created);  // one job for the key; the other caller learns it
    for (int i : {3, 4, 5, 6}) {
        REQUIRE(results[static_cast<size_t>(i)]);
        CHECK(results[static_cast<size_t>(i)]->created);
        CHECK(errors[static_cast<size_t>(i)].empty());
    }
    SqliteJobStore reopened(dir.path());
    CHECK(reopened.count(JobState::queued) == 1 + 1 + 4);
}

TEST_CASE("jobs: a commit of enqueues that fails fails each of its callers, and stores none of them",
          "[jobs][threads][group-commit]") {
    TempDir dir;
    // The write lock is given up on after 300 ms.
    SqliteJobStore store(dir.path(), SqliteJobStoreOptions{SqliteJobStoreOptions::Sync::accepted, 300});
    sqlite::Database other(store.file(), 1000);
    other.exec("BEGIN IMMEDIATE");

    constexpr int kThreads = 6;
    std::vector<std::string> errors(kThreads);
    std::vector<int> created(kThreads, 0);
    on_threads(kThreads, [&](int i) {
        try {
            created[static_cast<size_t>(i)] = store.enqueue(new_job("chorus"), T0).created ? 1 : 0;
        } catch (const std::runtime_error &e) {
            errors[static_cast<size_t>(i)] = e.what();
        }
    });
    other.exec("ROLLBACK");
    for (int i = 0; i < kThreads; ++i) {
        INFO("caller " << i);
        CHECK(created[static_cast<size_t>(i)] == 0);
        CHECK_THAT(errors[static_cast<size_t>(i)], Catch::Contains("locked"));
    }
    CHECK(store.group_commit_stats().jobs == kThreads);
    CHECK(store.count(JobState::queued) == 0);
    CHECK(store.enqueue(new_job("chorus"), T0 + 1).created);  // and the store works on
    CHECK(store.count(JobState::queued) == 1);
}
