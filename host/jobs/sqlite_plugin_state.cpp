#include "jobs/sqlite_plugin_state.hpp"

#include "jobs/job_store.hpp"
#include "jobs/sqlite_db.hpp"
#include "jobs/sqlite_job_store.hpp"

namespace relais::host {
namespace fs = std::filesystem;
using sqlite::Transaction;

namespace {

// The smallest text above every key that starts with `prefix` (byte order); nullopt when
// there is none. A UTF-8 prefix never holds 0xff, so bumping its last byte is enough; the
// bound itself need not be UTF-8, since SQLite compares text with memcmp.
std::optional<std::string> past_prefix(const std::string &prefix) {
    std::string bound = prefix;
    while (!bound.empty() && static_cast<unsigned char>(bound.back()) == 0xff) bound.pop_back();
    if (bound.empty()) return std::nullopt;
    bound.back() = static_cast<char>(static_cast<unsigned char>(bound.back()) + 1);
    return bound;
}

std::optional<int64_t> expiry_for(uint64_t ttl_ms, int64_t now) {
    if (ttl_ms == 0) return std::nullopt;
    return state_expiry(now, ttl_ms);
}

}  // namespace

SqlitePluginState::SqlitePluginState(const fs::path &data_dir, SqlitePluginStateOptions options)
    : file_(data_dir / SqliteJobStore::kFileName) {
    // Opening would create an empty file: the job store is the one that makes it.
    std::error_code ec;
    if (!fs::exists(file_, ec))
        throw JobStoreError("cannot open the plugin state: " + file_.string() +
                            " does not exist (the job store creates it)");
    try {
        db_ = std::make_unique<sqlite::Database>(file_, options.busy_timeout_ms);
        const auto version = db_->scalar_int64("PRAGMA user_version");
        if (version < kFirstSchema)
            throw JobStoreError("cannot open the plugin state in " + file_.string() + ": its schema is version " +
                                std::to_string(version) + ", older than " + std::to_string(kFirstSchema) +
                                " (the job store migrates it when it opens the file)");
        if (version > SqliteJobStore::kSchemaVersion)
            throw JobStoreError("cannot open the plugin state in " + file_.string() + ": its schema is version " +
                                std::to_string(version) + ", newer than the version " +
                                std::to_string(SqliteJobStore::kSchemaVersion) + " this Relais understands");
        // The journal mode (WAL) belongs to the file, set by the job store; syncing is per
        // connection.
        db_->exec(options.synchronous == SqlitePluginStateOptions::Sync::full ? "PRAGMA synchronous = FULL"
                                                                              : "PRAGMA synchronous = NORMAL");
    } catch (const sqlite::Error &e) {
        throw JobStoreError("cannot open the plugin state in " + file_.string() + ": " + e.what());
    }
}

SqlitePluginState::~SqlitePluginState() = default;

std::optional<PluginStateValue> SqlitePluginState::read(const std::string &plugin, const std::string &key,
                                                        int64_t now) {
    check_state_key(key);
    std::lock_guard lock(mutex_);
    auto q = db_->query("SELECT value, version, expires_at FROM plugin_state "
                        "WHERE plugin = ?1 AND key = ?2 AND (expires_at IS NULL OR expires_at > ?3)");
    q.bind_all(plugin, key, now);
    if (!q.step()) return std::nullopt;
    PluginStateValue v;
    v.value = q.text(0);
    v.version = static_cast<uint64_t>(q.int64(1));
    v.expires_at = q.optional_int64(2);
    return v;
}

PluginStateWrite SqlitePluginState::write(const std::string &plugin, const std::string &key,
                                          const std::string &value, uint64_t expected_version, uint64_t ttl_ms,
                                          int64_t now) {
    check_state_key(key);
    check_state_value(key, value.size());
    std::lock_guard lock(mutex_);
    // The write lock first: from the read of the version to the commit, nobody else writes.
    Transaction tx(*db_);
    uint64_t current = 0;
    {
        auto q = db_->query("SELECT version FROM plugin_state "
                            "WHERE plugin = ?1 AND key = ?2 AND (expires_at IS NULL OR expires_at > ?3)");
        q.bind_all(plugin, key, now);
        if (q.step()) current = static_cast<uint64_t>(q.int64(0));
    }
    if (expected_version != kAnyVersion && expected_version != current) return {false, current};
    const auto version = current + 1;  // an expired row counts as absent: it starts again at 1
    db_->query("INSERT INTO plugin_state (plugin, key, value, version, expires_at) VALUES (?1, ?2, ?3, ?4, ?5) "
               "ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value, version = excluded.version, "
               "expires_at = excluded.expires_at")
        .bind_all(plugin, key)
        .bind_blob(3, value)
        .bind(4, static_cast<int64_t>(version))
        .bind(5, expiry_for(ttl_ms, now))
        .run();
    tx.commit();
    return {true, version};
}

bool SqlitePluginState::remove(const std::string &plugin, const std::string &key, int64_t now) {
    check_state_key(key);
    std::lock_guard lock(mutex_);
    auto q = db_->query("DELETE FROM plugin_state WHERE plugin = ?1 AND key = ?2 RETURNING expires_at");
    q.bind_all(plugin, key);
    if (!q.step()) return false;
    const auto expires_at = q.optional_int64(0);
    q.run();
    return !expires_at || *expires_at > now;
}

PluginStatePage SqlitePluginState::list(const std::string &plugin, const std::string &prefix,
                                        const std::optional<std::string> &cursor, uint32_t limit, int64_t now) {
    check_state_list(prefix, cursor, limit);
    const auto upper = past_prefix(prefix);
    // Keyset paging on the primary key (plugin, key): a page starts after the last key of the
    // previous one, so keys written meanwhile neither shift it nor repeat.
    std::string sql = "SELECT key, version, length(value), expires_at FROM plugin_state WHERE plugin = ?1 AND ";
    sql += cursor ? "key > ?2" : "key >= ?2";
    if (upper) sql += " AND key < ?5";
    sql += " AND (expires_at IS NULL OR expires_at > ?3) ORDER BY key LIMIT ?4";

    std::lock_guard lock(mutex_);
    auto q = db_->query(sql);
    q.bind_all(plugin, cursor ? *cursor : prefix, now, static_cast<int64_t>(limit) + 1);
    if (upper) q.bind(5, *upper);
    PluginStatePage page;
    while (q.step()) {
        if (page.keys.size() == limit) {  // one more than asked: there is a next page
            page.next_cursor = page.keys.back().key;
            break;
        }
        PluginStateKey k;
        k.key = q.text(0);
        k.version = static_cast<uint64_t>(q.int64(1));
        k.size = static_cast<uint64_t>(q.int64(2));
        k.expires_at = q.optional_int64(3);
        page.keys.push_back(std::move(k));
    }
    return page;
}

int SqlitePluginState::purge_expired(int64_t now, int limit) {
    if (limit < 1) throw std::invalid_argument("a purge of expired state takes at least 1 key at a time");
    std::lock_guard lock(mutex_);
    db_->query("DELETE FROM plugin_state WHERE (plugin, key) IN "
               "(SELECT plugin, key FROM plugin_state INDEXED BY plugin_state_expiry "
               " WHERE expires_at IS NOT NULL AND expires_at <= ?1 LIMIT ?2)")
        .bind_all(now, limit)
        .run();
    return db_->changes();
}

}  // namespace relais::host
