#include "jobs/sqlite_job_store.hpp"

#include "jobs/schema_migrations.hpp"
#include "jobs/sqlite_db.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <array>
#include <cstdio>

namespace relais::host {
namespace fs = std::filesystem;
using sqlite::Query;
using sqlite::Transaction;

namespace {

// "RLAI" in PRAGMA application_id, so a Relais database is recognisable (`file relais.db`)
// and another program's SQLite file is refused instead of being migrated.
constexpr int64_t kApplicationId = 0x524c4149;

// Migration i (1-based) is kMigrations[i - 1]; the list is checked at open.
constexpr int kLatestVersion = static_cast<int>(kMigrationCount);

// The columns of a Job, in the order job_from_row reads them.
#define RELAIS_JOB_COLUMNS                                                                                        \
    "id, connector, action, input, idempotency_key, state, attempts, max_attempts, priority, run_at, created_at, " \
    "updated_at, lease_owner, lease_expires_at, cancel_requested, result, last_error_class, last_error_message, "  \
    "last_error_detail, last_error_retry_after_ms, callback_url, checkpoint, step, deadline_at, callback_progress"

Job job_from_row(const Query &q) {
    Job job;
    job.id = q.int64(0);
    job.connector = q.text(1);
    job.action = q.text(2);
    job.input = q.text(3);
    job.idempotency_key = q.optional_text(4);
    const auto state = q.text(5);
    const auto parsed = job_state_from_string(state);
    // The CHECK constraint makes this impossible short of a hand-edited file.
    if (!parsed) throw JobStoreError("job " + std::to_string(job.id) + " has an unknown state \"" + state + "\"");
    job.state = *parsed;
    job.attempts = static_cast<int>(q.int64(6));
    job.max_attempts = static_cast<int>(q.int64(7));
    job.priority = static_cast<int>(q.int64(8));
    job.run_at = q.int64(9);
    job.created_at = q.int64(10);
    job.updated_at = q.int64(11);
    job.lease_owner = q.optional_text(12);
    job.lease_expires_at = q.optional_int64(13);
    job.cancel_requested = q.int64(14) != 0;
    job.result = q.optional_text(15);
    if (!q.is_null(16))
        job.last_error = AttemptError{q.text(16), q.text(17), q.text(18), q.optional_int64(19)};
    job.callback_url = q.optional_text(20);
    job.checkpoint = q.optional_text(21);
    job.step = static_cast<int>(q.int64(22));
    job.deadline_at = q.optional_int64(23);
    job.callback_progress = q.int64(24) != 0;
    return job;
}

// Reads the one row a statement returns (RETURNING or a lookup by key), stepping it to the end.
std::optional<Job> single_job(Query &q) {
    std::optional<Job> job;
    if (q.step()) job = job_from_row(q);
    q.run();
    return job;
}

std::optional<std::string> optional_json(const std::string &text) {
    if (text.empty()) return std::nullopt;
    return text;
}

// A JSON array of strings, for `connector IN (SELECT value FROM json_each(?))`: one cached
// statement whatever the number of connectors.
std::string json_string_array(const std::vector<std::string> &items) {
    std::string out = "[";
    for (const auto &item : items) {
        if (out.size() > 1) out += ',';
        out += '"';
        for (unsigned char c : item) {
            if (c == '"' || c == '\\') {
                out += '\\';
                out += static_cast<char>(c);
            } else if (c < 0x20) {
                char escaped[8];
                std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                out += escaped;
            } else {
                out += static_cast<char>(c);
            }
        }
        out += '"';
    }
    return out + "]";
}

// The list cursor: the (created_at, id) of the last job of the page, as 32 hex digits. Opaque
// to clients, so its form may change with the store.
std::string encode_cursor(int64_t created_at, JobId id) {
    char text[33];
    std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(created_at),
                  static_cast<unsigned long long>(id));
    return text;
}

std::pair<int64_t, JobId> decode_cursor(const std::string &cursor) {
    auto bad = [&] { return std::invalid_argument("invalid cursor \"" + cursor + "\": pass a next_cursor unchanged"); };
    if (cursor.size() != 32) throw bad();
    uint64_t parts[2] = {0, 0};
    for (size_t i = 0; i < 32; ++i) {
        const char c = cursor[i];
        int digit;
        if (c >= '0' && c <= '9') digit = c - '0';
        else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        else throw bad();
        parts[i / 16] = parts[i / 16] << 4 | static_cast<uint64_t>(digit);
    }
    return {static_cast<int64_t>(parts[0]), static_cast<JobId>(parts[1])};
}

bool is_day(const std::string &day) {
    if (day.size() != 10 || day[4] != '-' || day[7] != '-') return false;
    for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (day[i] < '0' || day[i] > '9') return false;
    return true;
}

void require(bool condition, const char *message) {
    if (!condition) throw std::invalid_argument(message);
}

// A constraint refused the data (an input or result that is not JSON): the caller's mistake,
// not the storage's, so it is reported as a bad argument, in words.
template <class F>
auto refusing_bad_data(F &&f) -> decltype(f()) {
    try {
        return f();
    } catch (const sqlite::Error &e) {
        if (!e.is_constraint()) throw;
        const std::string what = e.what();
        if (what.find("input_is_json") != std::string::npos)
            throw std::invalid_argument("a job's input must be JSON text");
        if (what.find("result_is_json") != std::string::npos)
            throw std::invalid_argument("a job's result must be JSON text");
        if (what.find("checkpoint_is_json") != std::string::npos)
            throw std::invalid_argument("a job's checkpoint must be JSON text");
        throw std::invalid_argument(what);
    }
}

void refuse_if_newer(const fs::path &file, int64_t version) {
    if (version > kLatestVersion)
        throw JobStoreError(file.string() + " has schema version " + std::to_string(version) +
                            ", newer than the version " + std::to_string(kLatestVersion) +
                            " this Relais understands: it was written by a newer Relais. Run that version, "
                            "or point this one at another data directory.");
}

}  // namespace

static_assert(SqliteJobStore::kSchemaVersion == kLatestVersion, "kSchemaVersion names the last migration");

SqliteJobStore::SqliteJobStore(const fs::path &data_dir, SqliteJobStoreOptions options)
    : file_(data_dir / kFileName) {
    try {
        fs::create_directories(data_dir);
        open_retrying(options);
    } catch (const fs::filesystem_error &e) {
        throw JobStoreError("cannot create the data directory " + data_dir.string() + ": " + e.code().message());
    } catch (const sqlite::Error &e) {
        throw JobStoreError("cannot open the job database " + file_.string() + ": " + e.what());
    }
}

SqliteJobStore::~SqliteJobStore() = default;

// Several connections opening a fresh file at once (processes starting together, or the
// job store beside the plugin state and the quota journal) can be told SQLITE_BUSY at once,
// without the busy handler being asked: switching the journal to WAL takes an exclusive lock
// SQLite does not wait for. That is not a failure, only bad timing: open again, for as long as
// any other write would have waited.
void SqliteJobStore::open_retrying(const SqliteJobStoreOptions &options) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
    for (int attempt = 1;; ++attempt) {
        try {
            open(options);
            return;
        } catch (const sqlite::Error &e) {
            if ((e.code() & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= give_up) throw;
            db_.reset();
            std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5 * attempt, 50)));
        }
    }
}

void SqliteJobStore::open(const SqliteJobStoreOptions &options) {
    db_ = std::make_unique<sqlite::Database>(file_, options.busy_timeout_ms);
    auto &db = *db_;

    // Checked before anything is written, so a file we must not touch stays untouched.
    const auto application_id = db.scalar_int64("PRAGMA application_id");
    if (application_id != 0 && application_id != kApplicationId)
        throw JobStoreError(file_.string() + " is not a Relais database (it belongs to another program)");
    refuse_if_newer(file_, db.scalar_int64("PRAGMA user_version"));

    // WAL: readers (list, get, metrics) never block the writer, and a commit is one append
    // to the log. It needs shared memory, so it fails on some network filesystems: say so.
    const auto mode = db.scalar_text("PRAGMA journal_mode = WAL");
    if (mode != "wal")
        throw JobStoreError("cannot use write-ahead logging on " + file_.string() + " (journal mode stays \"" +
                            mode + "\"); put the data directory on a local filesystem");
    db.exec(options.synchronous == SqliteJobStoreOptions::Sync::full ? "PRAGMA synchronous = FULL"
                                                                     : "PRAGMA synchronous = NORMAL");
    sync_enqueues_ = options.synchronous == SqliteJobStoreOptions::Sync::accepted;
    // Every user of a Database is serialised by mutex_; nothing else can run yet. Foreign
    // keys are off while migrating (SQLite ignores the pragma inside a transaction): a
    // migration that rebuilds a table drops the old one, which would otherwise cascade.
    db.exec("PRAGMA foreign_keys = OFF");
    migrate();
    db.exec("PRAGMA foreign_keys = ON");
}

void SqliteJobStore::migrate() {
    auto &db = *db_;
    // Under the write lock, re-read: another process may have migrated the file meanwhile.
    Transaction tx(db);
    const auto version = db.scalar_int64("PRAGMA user_version");
    refuse_if_newer(file_, version);
    if (version == kLatestVersion) return;  // nothing to do; the transaction rolls back
    for (const auto &migration : kMigrations)
        if (migration.version > version) db.exec(migration.sql);
    // What the foreign keys would have refused, had they been on.
    if (const auto broken = db.scalar_text("SELECT COUNT(*) FROM pragma_foreign_key_check"); broken != "0")
        throw JobStoreError("migrating " + file_.string() + " left " + broken + " row(s) pointing at nothing");
    // Both live in the file's header, which the transaction covers like any page.
    db.exec("PRAGMA user_version = " + std::to_string(kLatestVersion));
    db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    tx.commit();
}

// --- jobs -----------------------------------------------------------------------------------

EnqueueResult SqliteJobStore::enqueue(const NewJob &job, int64_t now) {
    require(!job.connector.empty(), "a job needs a connector");
    require(!job.action.empty(), "a job needs an action");
    require(job.max_attempts >= 1, "max_attempts must be at least 1");
    require(!job.idempotency_key || !job.idempotency_key->empty(), "an idempotency key may not be empty");

    PendingEnqueue mine{job, now, std::nullopt, nullptr};
    std::unique_lock queue(batch_mutex_);
    pending_.push_back(&mine);
    // Leader and followers: whoever finds no commit in progress takes everything queued so
    // far (its own job included) and commits it; the others wait for that commit, and one of
    // those left over when it ends takes the next batch.
    while (!mine.done) {
        if (committing_) {
            batch_done_.wait(queue);
            continue;
        }
        const auto take = static_cast<std::ptrdiff_t>(std::min(pending_.size(), kMaxGroupCommit));
        std::vector<PendingEnqueue *> batch(pending_.begin(), pending_.begin() + take);
        pending_.erase(pending_.begin(), pending_.begin() + take);
        committing_ = true;
        queue.unlock();
        commit_batch(batch);
        queue.lock();
        committing_ = false;
        ++batch_commits_;
        batched_jobs_ += static_cast<int64_t>(batch.size());
        for (auto *p : batch) p->done = true;
        batch_done_.notify_all();
    }
    queue.unlock();
    if (mine.error) std::rethrow_exception(mine.error);
    return std::move(*mine.result);
}

GroupCommitStats SqliteJobStore::group_commit_stats() const {
    std::lock_guard queue(batch_mutex_);
    GroupCommitStats stats;
    stats.commits = batch_commits_;
    stats.jobs = batched_jobs_;
    stats.queued = static_cast<int64_t>(pending_.size());
    stats.committing = committing_;
    return stats;
}

void SqliteJobStore::commit_batch(const std::vector<PendingEnqueue *> &batch) {
    try {
        std::lock_guard lock(mutex_);
        // In "accepted" mode this commit, and the log before it, reach the disk before any
        // caller of the batch returns (and its API answers 202); other transitions stay unsynced.
        struct SyncedCommit {
            sqlite::Database &db;
            bool on;
            SyncedCommit(sqlite::Database &d, bool enable) : db(d), on(enable) {
                if (on) db.exec("PRAGMA synchronous = FULL");
            }
            ~SyncedCommit() {
                if (!on) return;
                try {
                    db.exec("PRAGMA synchronous = NORMAL");
                } catch (...) {
                }
            }
        } synced(*db_, sync_enqueues_);
        Transaction tx(*db_);
        for (auto *p : batch) {
            // A constraint aborts only its own statement (SQLite's ABORT keeps the transaction
            // and the jobs inserted before it): that job's caller alone is refused.
            try {
                p->result = refusing_bad_data([&] { return insert_job(p->job, p->now); });
            } catch (const std::invalid_argument &) {
                p->error = std::current_exception();
            }
        }
        tx.commit();
    } catch (...) {
        // Nothing of the batch is on disk: every caller not already refused gets the failure.
        for (auto *p : batch) {
            if (p->error) continue;
            p->result.reset();
            p->error = std::current_exception();
        }
    }
}

EnqueueResult SqliteJobStore::insert_job(const NewJob &job, int64_t now) {
    // ON CONFLICT DO NOTHING covers the idempotency index, so two connections enqueuing the
    // same key at once cannot both insert (the write lock serialises them anyway), and a key
    // seen earlier in the same batch finds the job inserted for it.
    auto insert = db_->query(
        "INSERT INTO jobs (connector, action, input, idempotency_key, state, max_attempts, priority, run_at, "
        "created_at, updated_at, callback_url, deadline_at, callback_progress) "
        "VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11) "
        "ON CONFLICT DO NOTHING RETURNING " RELAIS_JOB_COLUMNS);
    insert.bind_all(job.connector, job.action, job.input, job.idempotency_key, job.max_attempts, job.priority,
                    job.run_at.value_or(now), now, job.callback_url, job.deadline_at, job.callback_progress);
    if (auto created = single_job(insert)) return EnqueueResult{std::move(*created), true};
    auto existing = db_->query("SELECT " RELAIS_JOB_COLUMNS " FROM jobs WHERE connector = ?1 AND idempotency_key = ?2");
    existing.bind_all(job.connector, job.idempotency_key);
    auto found = single_job(existing);
    if (!found) throw JobStoreError("enqueue: a job was neither inserted nor found (connector " + job.connector + ")");
    return EnqueueResult{std::move(*found), false};
}

std::optional<Job> SqliteJobStore::claim(const ClaimRequest &request, int64_t now) {
    require(!request.owner.empty(), "a claim needs an owner");
    require(request.lease_ms > 0, "a lease must last more than 0 ms");
    if (request.connectors.empty()) return std::nullopt;

    std::lock_guard lock(mutex_);
    // BEGIN IMMEDIATE: the pick and the update happen under the database's single write lock,
    // so another connection (another store, another process) cannot pick the same job.
    Transaction tx(*db_);
    // INDEXED BY: walk the runnable jobs in claim order and stop at the first match. Left to
    // itself, SQLite 3.40 reads every runnable job through the state index and sorts them all,
    // for each claim: quadratic over a backlog. (Preparing fails loudly if the index no longer
    // fits the query.)
    auto pick = db_->query(
        "UPDATE jobs SET state = 'running', lease_owner = ?1, lease_expires_at = ?2, attempts = attempts + 1, "
        "wake_requested = 0, updated_at = ?3 "
        "WHERE id = (SELECT id FROM jobs INDEXED BY jobs_runnable "
        "            WHERE state IN ('queued', 'failed_retrying', 'waiting') AND run_at <= ?3 "
        "              AND (deadline_at IS NULL OR deadline_at > ?3) "
        "              AND connector IN (SELECT value FROM json_each(?4)) "
        "            ORDER BY priority DESC, run_at, id LIMIT 1) "
        "RETURNING " RELAIS_JOB_COLUMNS);
    pick.bind_all(request.owner, now + request.lease_ms, now, json_string_array(request.connectors));
    auto job = single_job(pick);
    if (!job) return std::nullopt;

    // Attempt numbers run over the job's whole life (retry() resets only the counter).
    db_->query("INSERT INTO attempts (job_id, number, owner, started_at) "
               "VALUES (?1, (SELECT COALESCE(MAX(number), 0) + 1 FROM attempts WHERE job_id = ?1), ?2, ?3)")
        .bind_all(job->id, request.owner, now)
        .run();
    tx.commit();
    return job;
}

bool SqliteJobStore::extend_lease(JobId id, const std::string &owner, int64_t new_expiry) {
    std::lock_guard lock(mutex_);
    db_->query("UPDATE jobs SET lease_expires_at = ?3 WHERE id = ?1 AND state = 'running' AND lease_owner = ?2")
        .bind_all(id, owner, new_expiry)
        .run();
    return db_->changes() == 1;
}

bool SqliteJobStore::succeed(JobId id, const std::string &owner, const std::string &result_json, int64_t now) {
    std::lock_guard lock(mutex_);
    return refusing_bad_data([&] {
        Transaction tx(*db_);
        db_->query("UPDATE jobs SET state = 'succeeded', result = ?3, lease_owner = NULL, lease_expires_at = NULL, "
                   "updated_at = ?4 WHERE id = ?1 AND state = 'running' AND lease_owner = ?2")
            .bind_all(id, owner, result_json, now)
            .run();
        if (db_->changes() != 1) return false;  // rescued meanwhile: the new holder's attempt decides
        db_->query("UPDATE attempts SET finished_at = ?2, outcome = 'ok' WHERE job_id = ?1 AND finished_at IS NULL")
            .bind_all(id, now)
            .run();
        tx.commit();
        return true;
    });
}

bool SqliteJobStore::fail(JobId id, const std::string &owner, const AttemptError &error,
                          std::optional<int64_t> retry_at, int64_t now) {
    require(!error.error_class.empty(), "a failure needs an error class");
    std::lock_guard lock(mutex_);
    Transaction tx(*db_);
    db_->query("UPDATE jobs SET state = CASE WHEN cancel_requested THEN 'cancelled' "
               "                             WHEN ?3 IS NULL THEN 'dead' ELSE 'failed_retrying' END, "
               "run_at = COALESCE(?3, run_at), lease_owner = NULL, lease_expires_at = NULL, "
               "last_error_class = ?4, last_error_message = ?5, last_error_detail = ?6, "
               "last_error_retry_after_ms = ?7, updated_at = ?8 "
               "WHERE id = ?1 AND state = 'running' AND lease_owner = ?2")
        .bind_all(id, owner, retry_at, error.error_class, error.message, optional_json(error.detail),
                  error.retry_after_ms, now)
        .run();
    if (db_->changes() != 1) return false;
    finish_attempt(id, error, now);
    tx.commit();
    return true;
}

bool SqliteJobStore::snooze(JobId id, const std::string &owner, const AttemptError &error, int64_t run_at,
                            int64_t now) {
    require(!error.error_class.empty(), "a snooze needs an error class");
    std::lock_guard lock(mutex_);
    Transaction tx(*db_);
    // MAX(..., 0): a claim always counted one, but stay safe against a hand-edited row.
    db_->query("UPDATE jobs SET state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'queued' END, "
               "attempts = MAX(attempts - 1, 0), run_at = ?3, lease_owner = NULL, lease_expires_at = NULL, "
               "last_error_class = ?4, last_error_message = ?5, last_error_detail = ?6, "
               "last_error_retry_after_ms = ?7, updated_at = ?8 "
               "WHERE id = ?1 AND state = 'running' AND lease_owner = ?2")
        .bind_all(id, owner, run_at, error.error_class, error.message, optional_json(error.detail),
                  error.retry_after_ms, now)
        .run();
    if (db_->changes() != 1) return false;
    finish_attempt(id, error, now);
    tx.commit();
    return true;
}

bool SqliteJobStore::wait(JobId id, const std::string &owner, const std::string &checkpoint_json, int64_t run_at,
                          int64_t now) {
    std::lock_guard lock(mutex_);
    return refusing_bad_data([&] {
        Transaction tx(*db_);
        // A wake that came while the step ran means what the step waits for may be there now.
        db_->query("UPDATE jobs SET state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'waiting' END, "
                   "checkpoint = ?3, run_at = CASE WHEN wake_requested THEN ?5 ELSE ?4 END, wake_requested = 0, "
                   "step = step + 1, attempts = 0, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?5 "
                   "WHERE id = ?1 AND state = 'running' AND lease_owner = ?2")
            .bind_all(id, owner, checkpoint_json, run_at, now)
            .run();
        if (db_->changes() != 1) return false;
        db_->query("UPDATE attempts SET finished_at = ?2, outcome = 'continued' WHERE job_id = ?1 AND finished_at IS NULL")
            .bind_all(id, now)
            .run();
        tx.commit();
        return true;
    });
}

bool SqliteJobStore::wake(const std::string &connector, const JobRef &ref, int64_t now) {
    std::lock_guard lock(mutex_);
    Transaction tx(*db_);
    std::optional<JobId> id;
    if (const auto key = std::get_if<std::string>(&ref)) {
        auto q = db_->query("SELECT id FROM jobs WHERE connector = ?1 AND idempotency_key = ?2 "
                            "AND state IN ('queued', 'running', 'failed_retrying', 'waiting')");
        q.bind_all(connector, *key);
        if (q.step()) id = q.int64(0);
    } else {
        auto q = db_->query("SELECT id FROM jobs WHERE connector = ?1 AND id = ?2 "
                            "AND state IN ('queued', 'running', 'failed_retrying', 'waiting')");
        q.bind_all(connector, std::get<JobId>(ref));
        if (q.step()) id = q.int64(0);
    }
    if (!id) return false;
    db_->query("UPDATE jobs SET run_at = MIN(run_at, ?2), updated_at = ?2 "
               "WHERE id = ?1 AND state IN ('waiting', 'failed_retrying')")
        .bind_all(*id, now)
        .run();
    db_->query("UPDATE jobs SET wake_requested = 1 WHERE id = ?1 AND state = 'running'").bind_all(*id).run();
    tx.commit();
    return true;
}

std::vector<JobId> SqliteJobStore::expire_deadlines(int64_t now) {
    std::lock_guard lock(mutex_);
    Transaction tx(*db_);
    auto q = db_->query(
        "UPDATE jobs INDEXED BY jobs_deadline SET state = 'dead', last_error_class = 'deadline', "
        "last_error_message = 'the job''s deadline (' || strftime('%Y-%m-%dT%H:%M:%fZ', deadline_at / 1000.0, "
        "'unixepoch') || ') passed after ' || step || ' completed step(s)', last_error_detail = NULL, "
        "last_error_retry_after_ms = NULL, updated_at = ?1 "
        "WHERE deadline_at IS NOT NULL AND state IN ('queued', 'failed_retrying', 'waiting') AND deadline_at <= ?1 "
        "RETURNING id");
    q.bind(1, now);
    std::vector<JobId> expired;
    while (q.step()) expired.push_back(q.int64(0));
    q.run();
    tx.commit();
    return expired;
}

void SqliteJobStore::finish_attempt(JobId id, const AttemptError &error, int64_t now) {
    db_->query("UPDATE attempts SET finished_at = ?2, outcome = ?3, message = ?4, detail = ?5, retry_after_ms = ?6 "
               "WHERE job_id = ?1 AND finished_at IS NULL")
        .bind_all(id, now, error.error_class, error.message, optional_json(error.detail), error.retry_after_ms)
        .run();
}

int SqliteJobStore::requeue_expired(int64_t now) {
    static const std::string message =
        "the lease expired before the worker reported: it crashed, was stopped, or hung";
    std::lock_guard lock(mutex_);
    Transaction tx(*db_);
    db_->query("UPDATE attempts SET finished_at = ?1, outcome = 'lease_expired', message = ?2 "
               "WHERE finished_at IS NULL AND job_id IN "
               "  (SELECT id FROM jobs WHERE state = 'running' AND lease_expires_at < ?1)")
        .bind_all(now, message)
        .run();
    db_->query("UPDATE jobs SET state = CASE WHEN cancel_requested THEN 'cancelled' "
               "                             WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, "
               "run_at = ?1, lease_owner = NULL, lease_expires_at = NULL, last_error_class = 'lease_expired', "
               "last_error_message = ?2, last_error_detail = NULL, last_error_retry_after_ms = NULL, updated_at = ?1 "
               "WHERE state = 'running' AND lease_expires_at < ?1")
        .bind_all(now, message)
        .run();
    const int requeued = db_->changes();
    tx.commit();
    return requeued;
}

int SqliteJobStore::purge_finished(int64_t before, int limit) {
    std::lock_guard lock(mutex_);
    Transaction tx(*db_);
    // Attempts go with their job (ON DELETE CASCADE).
    db_->query("DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state IN ('succeeded', 'cancelled') "
               "AND updated_at < ?1 LIMIT ?2)")
        .bind_all(before, limit)
        .run();
    const auto purged = static_cast<int>(db_->changes());
    tx.commit();
    return purged;
}

std::vector<JobId> SqliteJobStore::pending_callbacks(int limit) {
    std::lock_guard lock(mutex_);
    std::vector<JobId> ids;
    auto q = db_->query("SELECT id FROM jobs WHERE callback_pending = 1 ORDER BY id LIMIT ?1");
    q.bind(1, static_cast<int64_t>(limit));
    while (q.step()) ids.push_back(q.int64(0));
    return ids;
}

void SqliteJobStore::callback_done(JobId id) {
    std::lock_guard lock(mutex_);
    db_->query("UPDATE jobs SET callback_pending = 0 WHERE id = ?1").bind_all(id).run();
}

bool SqliteJobStore::cancel(JobId id, int64_t now) {
    std::lock_guard lock(mutex_);
    Transaction tx(*db_);
    db_->query("UPDATE jobs SET state = 'cancelled', updated_at = ?2 "
               "WHERE id = ?1 AND state IN ('queued', 'failed_retrying', 'waiting')")
        .bind_all(id, now)
        .run();
    if (db_->changes() == 0) {
        // A running job cannot be taken from its worker; it is asked to stop.
        db_->query("UPDATE jobs SET cancel_requested = 1, updated_at = ?2 WHERE id = ?1 AND state = 'running'")
            .bind_all(id, now)
            .run();
        if (db_->changes() == 0) return false;
    }
    tx.commit();
    return true;
}

bool SqliteJobStore::retry(JobId id, int64_t now) {
    std::lock_guard lock(mutex_);
    db_->query("UPDATE jobs SET state = 'queued', attempts = 0, run_at = ?2, lease_owner = NULL, "
               "lease_expires_at = NULL, cancel_requested = 0, result = NULL, updated_at = ?2, "
               "deadline_at = CASE WHEN deadline_at <= ?2 THEN NULL ELSE deadline_at END "
               "WHERE id = ?1 AND state IN ('dead', 'cancelled')")
        .bind_all(id, now)
        .run();
    return db_->changes() == 1;
}

std::optional<JobDetail> SqliteJobStore::get(JobId id) {
    std::lock_guard lock(mutex_);
    // One read transaction: the job and its attempts from the same snapshot.
    Transaction tx(*db_, Transaction::Kind::deferred);
    auto select = db_->query("SELECT " RELAIS_JOB_COLUMNS " FROM jobs WHERE id = ?1");
    select.bind(1, id);
    auto job = single_job(select);
    if (!job) return std::nullopt;
    JobDetail detail{std::move(*job), {}};
    auto attempts = db_->query("SELECT job_id, number, owner, started_at, finished_at, outcome, message, detail, "
                               "retry_after_ms FROM attempts WHERE job_id = ?1 ORDER BY number");
    attempts.bind(1, id);
    while (attempts.step())
        detail.attempts.push_back(Attempt{attempts.int64(0), static_cast<int>(attempts.int64(1)), attempts.text(2),
                                          attempts.int64(3), attempts.optional_int64(4), attempts.optional_text(5),
                                          attempts.text(6), attempts.text(7), attempts.optional_int64(8)});
    tx.commit();
    return detail;
}

std::optional<Job> SqliteJobStore::find(const std::string &connector, const std::string &idempotency_key) {
    std::lock_guard lock(mutex_);
    auto q = db_->query("SELECT " RELAIS_JOB_COLUMNS " FROM jobs WHERE connector = ?1 AND idempotency_key = ?2");
    q.bind_all(connector, idempotency_key);
    return single_job(q);
}

namespace {

// The WHERE conditions of a filter (without its cursor), and their binding in the same order.
// Each combination is its own cached statement, so each can use the index that fits it rather
// than one catch-all query with "? IS NULL OR ..." that can't.
std::string filter_conditions(const ListFilter &filter) {
    std::string sql;
    if (filter.state) sql += " AND state = ?";
    if (filter.connector) sql += " AND connector = ?";
    if (filter.action) sql += " AND action = ?";
    if (filter.idempotency_key) sql += " AND idempotency_key = ?";
    if (filter.since) sql += " AND created_at >= ?";
    if (filter.until) sql += " AND created_at < ?";
    return sql;
}

template <typename Query>
int bind_filter(Query &q, const ListFilter &filter) {
    int index = 0;
    if (filter.state) q.bind(++index, to_string(*filter.state));
    if (filter.connector) q.bind(++index, *filter.connector);
    if (filter.action) q.bind(++index, *filter.action);
    if (filter.idempotency_key) q.bind(++index, *filter.idempotency_key);
    if (filter.since) q.bind(++index, *filter.since);
    if (filter.until) q.bind(++index, *filter.until);
    return index;
}

}  // namespace

Page SqliteJobStore::list(const ListFilter &filter) {
    if (filter.limit < 1 || filter.limit > kMaxListLimit)
        throw std::invalid_argument("limit must be between 1 and " + std::to_string(kMaxListLimit) + ", not " +
                                    std::to_string(filter.limit));
    std::optional<std::pair<int64_t, JobId>> after;
    if (filter.cursor) after = decode_cursor(*filter.cursor);
    std::string sql = "SELECT " RELAIS_JOB_COLUMNS " FROM jobs WHERE 1" + filter_conditions(filter);
    if (after) sql += " AND (created_at, id) < (?, ?)";
    sql += " ORDER BY created_at DESC, id DESC LIMIT ?";

    std::lock_guard lock(mutex_);
    auto q = db_->query(sql);
    int index = bind_filter(q, filter);
    if (after) {
        q.bind(++index, after->first);
        q.bind(++index, after->second);
    }
    q.bind(++index, filter.limit + 1);  // one row more than asked tells whether there is a next page
    Page page;
    while (q.step()) page.jobs.push_back(job_from_row(q));
    if (page.jobs.size() > static_cast<size_t>(filter.limit)) {
        page.jobs.pop_back();
        page.next_cursor = encode_cursor(page.jobs.back().created_at, page.jobs.back().id);
    }
    return page;
}

int64_t SqliteJobStore::count_matching(const ListFilter &filter) {
    std::lock_guard lock(mutex_);
    auto q = db_->query("SELECT COUNT(*) FROM jobs WHERE 1" + filter_conditions(filter));
    bind_filter(q, filter);
    q.step();
    return q.int64(0);
}

std::vector<JobId> SqliteJobStore::ids_matching(const ListFilter &filter, int limit) {
    if (limit < 1) throw std::invalid_argument("ids_matching needs a limit of at least 1");
    std::lock_guard lock(mutex_);
    auto q = db_->query("SELECT id FROM jobs WHERE 1" + filter_conditions(filter) +
                        " ORDER BY created_at DESC, id DESC LIMIT ?");
    const int index = bind_filter(q, filter);
    q.bind(index + 1, limit);
    std::vector<JobId> ids;
    while (q.step()) ids.push_back(q.int64(0));
    return ids;
}

std::vector<MinuteOutcomes> SqliteJobStore::finished_by_minute(int64_t since, int64_t now) {
    std::lock_guard lock(mutex_);
    auto q = db_->query(
        "SELECT (updated_at / 60000) * 60000 AS minute, "
        "SUM(state = 'succeeded'), SUM(state = 'dead'), SUM(state = 'cancelled') FROM jobs "
        "WHERE state IN ('succeeded', 'dead', 'cancelled') AND updated_at >= ?1 AND updated_at <= ?2 "
        "GROUP BY minute ORDER BY minute");
    q.bind_all(since, now);
    std::vector<MinuteOutcomes> out;
    while (q.step()) out.push_back({q.int64(0), q.int64(1), q.int64(2), q.int64(3)});
    return out;
}

int64_t SqliteJobStore::count(JobState state, const std::optional<std::string> &connector) {
    std::lock_guard lock(mutex_);
    if (!connector) {
        auto q = db_->query("SELECT COUNT(*) FROM jobs WHERE state = ?1");
        q.bind(1, to_string(state));
        q.step();
        return q.int64(0);
    }
    auto q = db_->query("SELECT COUNT(*) FROM jobs WHERE state = ?1 AND connector = ?2");
    q.bind_all(to_string(state), *connector);
    q.step();
    return q.int64(0);
}

int64_t SqliteJobStore::count_runnable(int64_t now, const std::optional<std::string> &connector) {
    std::lock_guard lock(mutex_);
    // The jobs claim() picks from, whatever their connector's policy.
    auto q = db_->query("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'failed_retrying', 'waiting') "
                        "AND run_at <= ?1 AND (deadline_at IS NULL OR deadline_at > ?1) "
                        "AND (?2 IS NULL OR connector = ?2)");
    q.bind(1, now);
    q.bind(2, connector);
    q.step();
    return q.int64(0);
}

// --- per-connector daily quotas -------------------------------------------------------------

int64_t SqliteJobStore::add_daily_usage(const std::string &connector, const std::string &day, int64_t n) {
    require(is_day(day), "a day is written YYYY-MM-DD");
    std::lock_guard lock(mutex_);
    auto q = db_->query("INSERT INTO daily_usage (connector, day, used) VALUES (?1, ?2, ?3) "
                        "ON CONFLICT (connector, day) DO UPDATE SET used = used + excluded.used RETURNING used");
    q.bind_all(connector, day, n);
    q.step();
    const auto total = q.int64(0);
    q.run();
    return total;
}

int64_t SqliteJobStore::daily_usage(const std::string &connector, const std::string &day) {
    require(is_day(day), "a day is written YYYY-MM-DD");
    std::lock_guard lock(mutex_);
    auto q = db_->query("SELECT used FROM daily_usage WHERE connector = ?1 AND day = ?2");
    q.bind_all(connector, day);
    return q.step() ? q.int64(0) : 0;
}

// --- periodic tasks -------------------------------------------------------------------------

std::optional<int64_t> SqliteJobStore::last_periodic_run(const std::string &connector, const std::string &task) {
    std::lock_guard lock(mutex_);
    auto q = db_->query("SELECT last_run_at FROM periodic_runs WHERE connector = ?1 AND task = ?2");
    q.bind_all(connector, task);
    if (!q.step()) return std::nullopt;
    return q.int64(0);
}

void SqliteJobStore::set_last_periodic_run(const std::string &connector, const std::string &task, int64_t at) {
    std::lock_guard lock(mutex_);
    db_->query("INSERT INTO periodic_runs (connector, task, last_run_at) VALUES (?1, ?2, ?3) "
               "ON CONFLICT (connector, task) DO UPDATE SET last_run_at = excluded.last_run_at")
        .bind_all(connector, task, at)
        .run();
}

}  // namespace relais::host
