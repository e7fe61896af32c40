// Jobs of several steps in the SQLite store: waiting between steps with a checkpoint, a fresh
// retry budget per step, wake-ups, cancel while waiting, deadlines, crash rescue keeping the
// progress, and the upgrade of a database written by the previous schema (version 2).
// Time is a number the tests choose; nothing sleeps.
#include "temp_dir.hpp"

#include "jobs/sqlite_db.hpp"
#include "jobs/sqlite_job_store.hpp"
#include "jobs/sqlite_plugin_state.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace relais::host;
using relais::test::TempDir;

namespace {

constexpr int64_t T0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z, in ms
const std::string kOwner = "host-a/worker-1";

NewJob new_job(const std::string &key = "") {
    NewJob job;
    job.connector = "sign";
    job.action = "envelope";
    job.input = R"({"document":"D-1"})";
    if (!key.empty()) job.idempotency_key = key;
    return job;
}

ClaimRequest claim_of(const std::string &owner = kOwner) { return ClaimRequest{owner, 30'000, {"sign"}}; }

Job claim_one(JobStore &store, int64_t now) {
    auto job = store.claim(claim_of(), now);
    REQUIRE(job);
    return *job;
}

}  // namespace

TEST_CASE("waiting jobs: a step that continues later waits with its checkpoint, using no attempt", "[jobs][store][waiting]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    const auto id = store.enqueue(new_job(), T0).job.id;

    auto job = claim_one(store, T0);
    CHECK(job.step == 0);
    CHECK_FALSE(job.checkpoint);
    REQUIRE(store.wait(id, kOwner, R"({"page":1})", T0 + 5'000, T0 + 10));

    auto detail = store.get(id);
    REQUIRE(detail);
    CHECK(detail->job.state == JobState::waiting);
    CHECK(detail->job.checkpoint == std::optional<std::string>(R"({"page":1})"));
    CHECK(detail->job.step == 1);
    CHECK(detail->job.attempts == 0);
    CHECK(detail->job.run_at == T0 + 5'000);
    CHECK_FALSE(detail->job.lease_owner);
    CHECK_FALSE(detail->job.lease_expires_at);
    REQUIRE(detail->attempts.size() == 1);
    CHECK(detail->attempts[0].outcome == std::optional<std::string>("continued"));
    CHECK(detail->attempts[0].finished_at == std::optional<int64_t>(T0 + 10));
    CHECK(store.count(JobState::waiting) == 1);

    // Not before its time; then claimed with what the last step left.
    CHECK_FALSE(store.claim(claim_of(), T0 + 4'999));
    job = claim_one(store, T0 + 5'000);
    CHECK(job.checkpoint == std::optional<std::string>(R"({"page":1})"));
    CHECK(job.step == 1);
    CHECK(job.attempts == 1);

    // The lease proves the step: another owner cannot end it, and nothing changes.
    CHECK_FALSE(store.wait(id, "host-b/worker-1", R"({"page":9})", T0 + 6'000, T0 + 5'001));
    CHECK_THROWS_AS(store.wait(id, kOwner, "not json", T0 + 6'000, T0 + 5'001), std::invalid_argument);
    CHECK(store.get(id)->job.state == JobState::running);

    REQUIRE(store.succeed(id, kOwner, R"({"signed":true})", T0 + 5'010));
    detail = store.get(id);
    CHECK(detail->job.state == JobState::succeeded);
    CHECK(detail->job.step == 1);
    REQUIRE(detail->attempts.size() == 2);
    CHECK(detail->attempts[1].outcome == std::optional<std::string>("ok"));
}

TEST_CASE("waiting jobs: every step has the whole retry budget, a failed step keeps the last checkpoint", "[jobs][store][waiting]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    auto submitted = new_job();
    submitted.max_attempts = 2;
    const auto id = store.enqueue(submitted, T0).job.id;

    // Step 1 fails once, then continues: its second attempt was its last allowed one.
    claim_one(store, T0);
    REQUIRE(store.fail(id, kOwner, {"transient", "upstream down", "", std::nullopt}, T0 + 100, T0 + 1));
    CHECK(claim_one(store, T0 + 100).attempts == 2);
    REQUIRE(store.wait(id, kOwner, R"({"sent":true})", T0 + 200, T0 + 101));
    CHECK(store.get(id)->job.attempts == 0);

    // Step 2 may fail max_attempts - 1 times again and still be retried, from the checkpoint.
    auto job = claim_one(store, T0 + 200);
    CHECK(job.attempts == 1);
    REQUIRE(store.fail(id, kOwner, {"transient", "still down", "", std::nullopt}, T0 + 300, T0 + 201));
    const auto retrying = store.get(id)->job;
    CHECK(retrying.state == JobState::failed_retrying);
    CHECK(retrying.checkpoint == std::optional<std::string>(R"({"sent":true})"));
    CHECK(retrying.step == 1);
    job = claim_one(store, T0 + 300);
    CHECK(job.checkpoint == std::optional<std::string>(R"({"sent":true})"));
    CHECK(job.attempts == 2);
}

TEST_CASE("waiting jobs: cancel works on a waiting job, and a step that continues after a cancel ends it", "[jobs][store][waiting]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    const auto waiting = store.enqueue(new_job("a"), T0).job.id;
    claim_one(store, T0);
    REQUIRE(store.wait(waiting, kOwner, R"({"n":1})", T0 + 60'000, T0 + 1));
    CHECK(store.cancel(waiting, T0 + 2));
    CHECK(store.get(waiting)->job.state == JobState::cancelled);
    CHECK_FALSE(store.claim(claim_of(), T0 + 60'000));
    CHECK_FALSE(store.cancel(waiting, T0 + 3));  // already finished

    const auto running = store.enqueue(new_job("b"), T0).job.id;
    claim_one(store, T0 + 10);
    CHECK(store.cancel(running, T0 + 11));
    REQUIRE(store.wait(running, kOwner, R"({"n":2})", T0 + 60'000, T0 + 12));
    const auto ended = store.get(running)->job;
    CHECK(ended.state == JobState::cancelled);
    CHECK(ended.checkpoint == std::optional<std::string>(R"({"n":2})"));  // what it did is kept
}

TEST_CASE("waiting jobs: wake runs a waiting job now, by idempotency key or id, a running one at its next wait", "[jobs][store][waiting]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    const auto id = store.enqueue(new_job("envelope-7"), T0).job.id;
    claim_one(store, T0);
    REQUIRE(store.wait(id, kOwner, R"({"n":1})", T0 + 3'600'000, T0 + 1));

    CHECK(store.wake("sign", JobRef{std::string("envelope-7")}, T0 + 50));
    CHECK(store.get(id)->job.run_at == T0 + 50);
    CHECK(claim_one(store, T0 + 50).id == id);

    // Woken while its step runs: the step's own "later" gives way, it runs again at once.
    CHECK(store.wake("sign", JobRef{id}, T0 + 60));
    REQUIRE(store.wait(id, kOwner, R"({"n":2})", T0 + 3'600'000, T0 + 70));
    CHECK(store.get(id)->job.run_at == T0 + 70);
    CHECK(claim_one(store, T0 + 70).id == id);
    // ... and only once: the next wait keeps its time.
    REQUIRE(store.wait(id, kOwner, R"({"n":3})", T0 + 3'600'000, T0 + 80));
    CHECK(store.get(id)->job.run_at == T0 + 3'600'000);

    // No such job, another connector's key, a finished job: nothing matched.
    CHECK_FALSE(store.wake("sign", JobRef{std::string("envelope-8")}, T0 + 90));
    CHECK_FALSE(store.wake("other", JobRef{std::string("envelope-7")}, T0 + 90));
    CHECK_FALSE(store.wake("other", JobRef{id}, T0 + 90));
    REQUIRE(store.cancel(id, T0 + 95));
    CHECK_FALSE(store.wake("sign", JobRef{id}, T0 + 100));
    CHECK(store.get(id)->job.run_at == T0 + 3'600'000);
}

TEST_CASE("waiting jobs: past its deadline a job is never claimed, the housekeeping call ends it dead", "[jobs][store][waiting][deadline]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    auto submitted = new_job();
    submitted.deadline_at = T0 + 10'000;
    const auto id = store.enqueue(submitted, T0).job.id;
    CHECK(store.get(id)->job.deadline_at == std::optional<int64_t>(T0 + 10'000));
    const auto other = store.enqueue(new_job(), T0).job.id;  // no deadline: never expires

    claim_one(store, T0);
    REQUIRE(store.wait(id, kOwner, R"({"n":1})", T0 + 1'000, T0 + 1));
    claim_one(store, T0 + 1'000);  // the job without a deadline
    claim_one(store, T0 + 1'001);
    REQUIRE(store.wait(id, kOwner, R"({"n":2})", T0 + 20'000, T0 + 1'002));

    CHECK(store.expire_deadlines(T0 + 9'999).empty());
    CHECK_FALSE(store.claim(claim_of(), T0 + 20'000));  // run_at came, but after the deadline
    CHECK(store.expire_deadlines(T0 + 10'000) == std::vector<JobId>{id});
    const auto dead = store.get(id)->job;
    CHECK(dead.state == JobState::dead);
    REQUIRE(dead.last_error);
    CHECK(dead.last_error->error_class == "deadline");
    CHECK(dead.last_error->message == "the job's deadline (2023-11-14T22:13:30.000Z) passed after 2 completed step(s)");
    CHECK(store.get(other)->job.state == JobState::running);
    CHECK(store.expire_deadlines(T0 + 20'000).empty());

    // A person may run it again: the deadline that passed is lifted, the progress kept.
    REQUIRE(store.retry(id, T0 + 30'000));
    const auto again = claim_one(store, T0 + 30'000);
    CHECK(again.id == id);
    CHECK_FALSE(again.deadline_at);
    CHECK(again.checkpoint == std::optional<std::string>(R"({"n":2})"));
}

TEST_CASE("waiting jobs: a rescued step keeps the checkpoint, so only that step runs again", "[jobs][store][waiting]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    const auto id = store.enqueue(new_job(), T0).job.id;
    claim_one(store, T0);
    REQUIRE(store.wait(id, kOwner, R"({"n":4})", T0 + 10, T0 + 1));
    claim_one(store, T0 + 10);  // step 2 starts, then its worker vanishes
    CHECK(store.requeue_expired(T0 + 10 + 30'001) == 1);
    const auto job = claim_one(store, T0 + 40'000);
    CHECK(job.checkpoint == std::optional<std::string>(R"({"n":4})"));
    CHECK(job.step == 1);
}

// --- upgrade from schema 2 ------------------------------------------------------------------

namespace {

// The schema as the previous release wrote it: migrations 1 and 2, as they shipped.
const char *const kSchema1 = R"sql(
CREATE TABLE jobs (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    connector                 TEXT NOT NULL,
    action                    TEXT NOT NULL,
    input                     TEXT NOT NULL CONSTRAINT input_is_json CHECK (json_valid(input)),
    idempotency_key           TEXT,
    state                     TEXT NOT NULL CHECK (state IN
                                  ('queued', 'running', 'succeeded', 'failed_retrying', 'dead', 'cancelled')),
    attempts                  INTEGER NOT NULL DEFAULT 0,
    max_attempts              INTEGER NOT NULL CHECK (max_attempts >= 1),
    priority                  INTEGER NOT NULL DEFAULT 0,
    run_at                    INTEGER NOT NULL,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    lease_owner               TEXT,
    lease_expires_at          INTEGER,
    cancel_requested          INTEGER NOT NULL DEFAULT 0,
    result                    TEXT CONSTRAINT result_is_json CHECK (result IS NULL OR json_valid(result)),
    last_error_class          TEXT,
    last_error_message        TEXT,
    last_error_detail         TEXT,
    last_error_retry_after_ms INTEGER,
    callback_url              TEXT
) STRICT;
CREATE UNIQUE INDEX jobs_idempotency ON jobs (connector, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_runnable ON jobs (priority DESC, run_at) WHERE state IN ('queued', 'failed_retrying');
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_state_created ON jobs (state, created_at);
CREATE INDEX jobs_connector_created ON jobs (connector, created_at);
CREATE TABLE attempts (
    job_id         INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    number         INTEGER NOT NULL,
    owner          TEXT NOT NULL,
    started_at     INTEGER NOT NULL,
    finished_at    INTEGER,
    outcome        TEXT,
    message        TEXT NOT NULL DEFAULT '',
    detail         TEXT,
    retry_after_ms INTEGER,
    PRIMARY KEY (job_id, number)
) STRICT, WITHOUT ROWID;
CREATE TABLE daily_usage (
    connector TEXT NOT NULL,
    day       TEXT NOT NULL,
    used      INTEGER NOT NULL,
    PRIMARY KEY (connector, day)
) STRICT, WITHOUT ROWID;
CREATE TABLE periodic_runs (
    connector   TEXT NOT NULL,
    task        TEXT NOT NULL,
    last_run_at INTEGER NOT NULL,
    PRIMARY KEY (connector, task)
) STRICT, WITHOUT ROWID;
CREATE TABLE plugin_state (
    plugin TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  BLOB NOT NULL,
    PRIMARY KEY (plugin, key)
) STRICT, WITHOUT ROWID;
)sql";

const char *const kSchema2 = R"sql(
ALTER TABLE jobs ADD COLUMN callback_pending INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_callback_pending ON jobs (id) WHERE callback_pending = 1;
CREATE TRIGGER jobs_callback_due AFTER UPDATE OF state ON jobs
    WHEN NEW.callback_url IS NOT NULL AND NEW.state IN ('succeeded', 'dead', 'cancelled')
         AND OLD.state NOT IN ('succeeded', 'dead', 'cancelled')
BEGIN
    UPDATE jobs SET callback_pending = 1 WHERE id = NEW.id;
END;
)sql";

// One job in each state of schema 2, each with an attempt, and a purged job's id (9) given out.
void write_schema_2(const std::filesystem::path &dir) {
    std::filesystem::create_directories(dir);
    sqlite::Database db(dir / SqliteJobStore::kFileName, 5000);
    db.exec("PRAGMA foreign_keys = ON");
    db.exec(kSchema1);
    db.exec(kSchema2);
    db.exec("PRAGMA user_version = 2");
    db.exec("PRAGMA application_id = 1380729161");  // "RLAI"
    db.exec(R"sql(
INSERT INTO jobs (id, connector, action, input, idempotency_key, state, attempts, max_attempts, run_at, created_at,
                  updated_at, lease_owner, lease_expires_at, result, last_error_class, last_error_message,
                  callback_url, callback_pending) VALUES
    (1, 'sign', 'envelope', '{"n":1}', 'k1', 'queued', 0, 3, 1000, 1000, 1000, NULL, NULL, NULL, NULL, NULL, NULL, 0),
    (2, 'sign', 'envelope', '{"n":2}', 'k2', 'running', 1, 3, 1000, 1000, 1500, 'old/worker-1', 99000, NULL, NULL,
        NULL, 'http://erp/cb', 0),
    (3, 'sign', 'envelope', '{"n":3}', NULL, 'succeeded', 1, 3, 1000, 1000, 1600, NULL, NULL, '{"ok":true}', NULL,
        NULL, 'http://erp/cb', 1),
    (4, 'sign', 'envelope', '{"n":4}', NULL, 'failed_retrying', 1, 3, 5000, 1000, 1700, NULL, NULL, NULL,
        'transient', 'down', NULL, 0),
    (5, 'sign', 'envelope', '{"n":5}', NULL, 'dead', 3, 3, 1000, 1000, 1800, NULL, NULL, NULL, 'permanent', 'refused',
        NULL, 0),
    (6, 'sign', 'envelope', '{"n":6}', NULL, 'cancelled', 0, 3, 1000, 1000, 1900, NULL, NULL, NULL, NULL, NULL, NULL, 0);
INSERT INTO attempts (job_id, number, owner, started_at, finished_at, outcome, message) VALUES
    (2, 1, 'old/worker-1', 1500, NULL, NULL, ''),
    (3, 1, 'old/worker-1', 1550, 1600, 'ok', ''),
    (4, 1, 'old/worker-1', 1650, 1700, 'transient', 'down'),
    (5, 1, 'old/worker-1', 1750, 1800, 'permanent', 'refused');
UPDATE sqlite_sequence SET seq = 9 WHERE name = 'jobs';
INSERT INTO plugin_state (plugin, key, value) VALUES ('sign', 'token', x'00ff');
)sql");
}

}  // namespace

TEST_CASE("waiting jobs: a database of schema 2 opens and keeps every job, attempt and callback", "[jobs][store][migration]") {
    TempDir dir;
    write_schema_2(dir.path());
    SqliteJobStore store(dir.path());

    {
        sqlite::Database db(store.file(), 5000);
        CHECK(db.scalar_int64("PRAGMA user_version") == SqliteJobStore::kSchemaVersion);
        CHECK(db.scalar_int64("SELECT COUNT(*) FROM pragma_foreign_key_check") == 0);
    }
    const std::map<JobId, JobState> states = {{1, JobState::queued},          {2, JobState::running},
                                              {3, JobState::succeeded},       {4, JobState::failed_retrying},
                                              {5, JobState::dead},            {6, JobState::cancelled}};
    for (const auto &[id, state] : states) {
        INFO("job " << id);
        const auto detail = store.get(id);
        REQUIRE(detail);
        CHECK(detail->job.state == state);
        CHECK(detail->job.input == "{\"n\":" + std::to_string(id) + "}");
        CHECK(detail->job.step == 0);
        CHECK_FALSE(detail->job.checkpoint);
        CHECK_FALSE(detail->job.deadline_at);
        CHECK_FALSE(detail->job.callback_progress);
        CHECK(detail->attempts.size() == (id >= 2 && id <= 5 ? 1u : 0u));
    }
    CHECK(store.get(5)->job.last_error == std::optional<AttemptError>(AttemptError{"permanent", "refused", "", std::nullopt}));
    CHECK(store.get(3)->job.result == std::optional<std::string>(R"({"ok":true})"));
    CHECK(store.find("sign", "k2")->id == 2);
    CHECK(SqlitePluginState(dir.path()).read("sign", "token", 10'000)->value == std::string("\x00\xff", 2));
    CHECK(store.pending_callbacks(10) == std::vector<JobId>{3});

    // Ids are not given out again, even the purged job's.
    CHECK(store.enqueue(new_job(), 10'000).job.id == 10);
    // The old running job is rescued, runs, waits (a state the old schema refused), and its
    // callback is due once it ends, as before.
    CHECK(store.requeue_expired(100'000) == 1);
    // In claim order (run_at): 1, the retry 4, the new job 10, then 2; the others just succeed.
    for (const JobId expected : {1, 4, 10}) {
        const auto claimed = store.claim(claim_of(), 100'000);
        REQUIRE(claimed);
        CHECK(claimed->id == expected);
        REQUIRE(store.succeed(claimed->id, kOwner, "{}", 100'001));
    }
    REQUIRE(store.claim(claim_of(), 100'002)->id == 2);
    REQUIRE(store.wait(2, kOwner, R"({"half":true})", 100'010, 100'003));
    CHECK(store.get(2)->job.state == JobState::waiting);
    CHECK(store.get(2)->attempts.size() == 2);
    CHECK(store.get(2)->attempts[0].outcome == std::optional<std::string>("lease_expired"));
    REQUIRE(store.claim(claim_of(), 100'010)->id == 2);
    REQUIRE(store.succeed(2, kOwner, "{}", 100'011));
    CHECK(store.pending_callbacks(10) == std::vector<JobId>{2, 3});
    // Deleting a job still takes its attempts with it.
    CHECK(store.purge_finished(200'000, 100) >= 2);
    sqlite::Database db(store.file(), 5000);
    CHECK(db.scalar_int64("SELECT COUNT(*) FROM attempts WHERE job_id IN (2, 3)") == 0);
}
