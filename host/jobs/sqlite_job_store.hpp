// The job store in one SQLite file, <data_dir>/relais.db: no server to run, for a single host.
// Several processes (or several store objects) may open the same file: every write takes
// SQLite's single write lock (BEGIN IMMEDIATE), so claims never overlap.
//
// Durability: WAL journal with synchronous=FULL by default, so every call that writes has
// reached the disk (fsync of the WAL) when it returns; an API answering 202 after enqueue()
// has the job on disk even if the power fails next. NORMAL skips that fsync (a power cut may
// lose the last commits, though the file stays consistent); it exists for benchmarks and
// throw-away stores.
//
// Group commit: enqueues made at the same time from several threads share one transaction and
// one fsync. The first caller to find no commit in progress commits every enqueue queued so
// far, and each caller returns only once the commit holding its job has reached the disk; a
// batch that fails fails each of its callers (a job refused for its own data fails only its
// caller). An enqueue alone pays what it always did.
#pragma once

#include "jobs/job_store.hpp"

#include <condition_variable>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

namespace relais::host {

namespace sqlite {
class Database;
}

struct SqliteJobStoreOptions {
    // full: every commit is synced to disk. accepted: enqueues are synced (an accepted job
    // survives a power cut) and the later transitions are not (after a power cut a job may
    // find itself queued again and run once more: at-least-once covers it). normal: nothing
    // is synced, which still survives any crash of the process, but a power cut may lose the
    // last commits, accepted jobs included. Every mode survives kill -9.
    enum class Sync { full, accepted, normal };
    Sync synchronous = Sync::accepted;
    // How long a write waits for another connection's write lock before failing.
    int busy_timeout_ms = 5000;
};

// How enqueues were grouped into commits since the store opened, for benchmarks and tests.
struct GroupCommitStats {
    int64_t commits = 0;  // transactions that inserted enqueued jobs (one fsync each when synced)
    int64_t jobs = 0;     // enqueues those commits held
    int64_t queued = 0;   // enqueues waiting now for a commit to take them
    bool committing = false;  // a commit of enqueues is under way
};

class SqliteJobStore final : public JobStore {
public:
    // The most enqueues one commit takes: bounds how long the connection stays busy with one.
    static constexpr size_t kMaxGroupCommit = 512;

    static constexpr const char *kFileName = "relais.db";
    // The schema this build creates and understands (PRAGMA user_version). A file with a higher
    // version was written by a newer Relais and is refused rather than misread.
    static constexpr int kSchemaVersion = 6;

    // Opens <data_dir>/relais.db, creating the directory and the file when missing, and applies
    // the pending schema migrations in one transaction. Throws JobStoreError for a file of a
    // newer schema or not made by Relais, sqlite::Error when it cannot be opened.
    explicit SqliteJobStore(const std::filesystem::path &data_dir, SqliteJobStoreOptions options = {});
    ~SqliteJobStore() override;

    const std::filesystem::path &file() const { return file_; }
    GroupCommitStats group_commit_stats() const;

    EnqueueResult enqueue(const NewJob &job, int64_t now) override;
    std::optional<Job> claim(const ClaimRequest &request, int64_t now) override;
    bool extend_lease(JobId id, const std::string &owner, int64_t new_expiry) override;
    bool succeed(JobId id, const std::string &owner, const std::string &result_json, int64_t now) override;
    bool fail(JobId id, const std::string &owner, const AttemptError &error, std::optional<int64_t> retry_at,
              int64_t now) override;
    bool snooze(JobId id, const std::string &owner, const AttemptError &error, int64_t run_at,
                int64_t now) override;
    bool wait(JobId id, const std::string &owner, const std::string &checkpoint_json, int64_t run_at,
              int64_t now) override;
    bool wake(const std::string &connector, const JobRef &job, int64_t now) override;
    std::vector<JobId> expire_deadlines(int64_t now) override;
    int requeue_expired(int64_t now) override;
    int purge_finished(int64_t before, int limit) override;
    std::vector<JobId> pending_callbacks(int limit) override;
    void callback_done(JobId id) override;
    bool cancel(JobId id, int64_t now) override;
    bool retry(JobId id, int64_t now) override;
    std::optional<JobDetail> get(JobId id) override;
    std::optional<Job> find(const std::string &connector, const std::string &idempotency_key) override;
    Page list(const ListFilter &filter) override;
    int64_t count_matching(const ListFilter &filter) override;
    std::vector<JobId> ids_matching(const ListFilter &filter, int limit) override;
    std::vector<MinuteOutcomes> finished_by_minute(int64_t since, int64_t now) override;
    int64_t count(JobState state, const std::optional<std::string> &connector = std::nullopt) override;
    int64_t count_runnable(int64_t now, const std::optional<std::string> &connector = std::nullopt) override;

    int64_t add_daily_usage(const std::string &connector, const std::string &day, int64_t n) override;
    int64_t daily_usage(const std::string &connector, const std::string &day) override;

    std::optional<int64_t> last_periodic_run(const std::string &connector, const std::string &task) override;
    void set_last_periodic_run(const std::string &connector, const std::string &task, int64_t at) override;

private:
    // One caller's enqueue, waiting for the commit that holds it.
    struct PendingEnqueue {
        const NewJob &job;
        int64_t now;
        std::optional<EnqueueResult> result;
        std::exception_ptr error;
        bool done = false;
    };

    void open_retrying(const SqliteJobStoreOptions &options);
    void open(const SqliteJobStoreOptions &options);
    // Inserts every job of the batch in one transaction, synced in "accepted" mode, and fills
    // in each one's result or error.
    void commit_batch(const std::vector<PendingEnqueue *> &batch);
    // Under mutex_, inside the caller's transaction.
    EnqueueResult insert_job(const NewJob &job, int64_t now);
    void migrate();
    // Under mutex_, inside the caller's transaction: the running attempt ends with `error`.
    void finish_attempt(JobId id, const AttemptError &error, int64_t now);

    std::filesystem::path file_;
    // One connection per store: an SQLite connection is not for concurrent use, so every call
    // holds this mutex for its whole transaction.
    std::mutex mutex_;
    bool sync_enqueues_ = false;  // Sync::accepted
    std::unique_ptr<sqlite::Database> db_;

    // The group commit's queue. Never held while waiting for mutex_ or for the disk.
    mutable std::mutex batch_mutex_;
    std::condition_variable batch_done_;
    std::vector<PendingEnqueue *> pending_;
    bool committing_ = false;  // a caller is committing a batch now
    int64_t batch_commits_ = 0;
    int64_t batched_jobs_ = 0;
};

}  // namespace relais::host
