#include "jobs/sqlite_quota_journal.hpp"

#include "jobs/job_store.hpp"
#include "jobs/sqlite_db.hpp"
#include "jobs/sqlite_job_store.hpp"

namespace relais::host {
namespace fs = std::filesystem;

SqliteQuotaJournal::SqliteQuotaJournal(const fs::path &data_dir, int busy_timeout_ms)
    : file_(data_dir / SqliteJobStore::kFileName) {
    // Opening would create an empty file: the job store is the one that makes it.
    std::error_code ec;
    if (!fs::exists(file_, ec))
        throw JobStoreError("cannot open the quota journal: " + file_.string() +
                            " does not exist (the job store creates it)");
    try {
        db_ = std::make_unique<sqlite::Database>(file_, busy_timeout_ms);
        const auto version = db_->scalar_int64("PRAGMA user_version");
        if (version < kFirstSchema)
            throw JobStoreError("cannot open the quota journal in " + file_.string() + ": its schema is version " +
                                std::to_string(version) + ", older than " + std::to_string(kFirstSchema) +
                                " (the job store migrates it when it opens the file)");
        if (version > SqliteJobStore::kSchemaVersion)
            throw JobStoreError("cannot open the quota journal in " + file_.string() + ": its schema is version " +
                                std::to_string(version) + ", newer than the version " +
                                std::to_string(SqliteJobStore::kSchemaVersion) + " this Relais understands");
        // WAL belongs to the file (the job store set it); syncing is per connection.
        db_->exec("PRAGMA synchronous = NORMAL");
    } catch (const sqlite::Error &e) {
        throw JobStoreError("cannot open the quota journal in " + file_.string() + ": " + e.what());
    }
}

SqliteQuotaJournal::~SqliteQuotaJournal() = default;

void SqliteQuotaJournal::record(const Grant &g) {
    std::lock_guard lock(mutex_);
    db_->query("INSERT INTO quota_grants (connector, scope, key, at, count, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind_all(g.connector, g.scope, g.key, g.at, g.count, g.expires_at)
        .run();
}

void SqliteQuotaJournal::record(const Report &r) {
    std::lock_guard lock(mutex_);
    db_->query("INSERT INTO quota_reports (connector, scope, key, reported_at, pause_until, remaining, reset_at) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (connector, scope, key) DO UPDATE SET "
               "reported_at = excluded.reported_at, pause_until = excluded.pause_until, "
               "remaining = excluded.remaining, reset_at = excluded.reset_at")
        .bind_all(r.connector, r.scope, r.key, r.reported_at, r.pause_until, r.remaining, r.reset_at)
        .run();
}

std::vector<QuotaJournal::Grant> SqliteQuotaJournal::grants(int64_t now) {
    std::lock_guard lock(mutex_);
    std::vector<Grant> out;
    auto q = db_->query("SELECT connector, scope, key, at, count, expires_at FROM quota_grants "
                        "WHERE expires_at > ?1 ORDER BY at, rowid");
    q.bind(1, now);
    while (q.step()) out.push_back({q.text(0), q.text(1), q.text(2), q.int64(3), q.int64(4), q.int64(5)});
    return out;
}

std::vector<QuotaJournal::Report> SqliteQuotaJournal::reports(int64_t now) {
    std::lock_guard lock(mutex_);
    std::vector<Report> out;
    auto q = db_->query("SELECT connector, scope, key, reported_at, pause_until, remaining, reset_at FROM quota_reports "
                        "WHERE MAX(pause_until, reset_at) > ?1");
    q.bind(1, now);
    while (q.step()) out.push_back({q.text(0), q.text(1), q.text(2), q.int64(3), q.int64(4), q.int64(5), q.int64(6)});
    return out;
}

int SqliteQuotaJournal::purge(int64_t now, int limit) {
    std::lock_guard lock(mutex_);
    // A batch at a time, so the file's write lock is never held long.
    db_->query("DELETE FROM quota_grants WHERE rowid IN "
               "(SELECT rowid FROM quota_grants WHERE expires_at <= ?1 LIMIT ?2)")
        .bind_all(now, limit)
        .run();
    const auto grants = db_->changes();
    db_->query("DELETE FROM quota_reports WHERE MAX(pause_until, reset_at) <= ?1").bind(1, now).run();
    return grants + db_->changes();
}

}  // namespace relais::host
