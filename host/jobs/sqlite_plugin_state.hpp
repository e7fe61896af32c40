// The plugins' state in relais.db (table plugin_state), beside the jobs. It opens its own
// connection to the file once the job store has created and migrated it: the two never wait
// on each other's mutex, and SQLite's single write lock orders them, as it orders several
// processes sharing the file.
//
// A compare-and-set reads the current version and writes under BEGIN IMMEDIATE, so no other
// connection, in this process or another, writes in between.
#pragma once

#include "jobs/plugin_state_store.hpp"

#include <filesystem>
#include <memory>
#include <mutex>

namespace relais::host {

namespace sqlite {
class Database;
}

struct SqlitePluginStateOptions {
    // full: every write is synced to disk when it returns (a record that an effect was made
    // survives a power cut); normal: survives any crash of the process, not a power cut.
    enum class Sync { full, normal };
    Sync synchronous = Sync::full;
    // How long a write waits for another connection's write lock before failing.
    int busy_timeout_ms = 5000;
};

class SqlitePluginState final : public PluginStateStore {
public:
    // The first schema version with versions and expiry on plugin_state.
    static constexpr int kFirstSchema = 4;

    // Opens <data_dir>/relais.db. Throws JobStoreError when the file is missing or at a schema
    // older than kFirstSchema (open a SqliteJobStore on it first: it migrates the file) or
    // newer than this build knows, sqlite::Error when it cannot be opened.
    explicit SqlitePluginState(const std::filesystem::path &data_dir, SqlitePluginStateOptions options = {});
    ~SqlitePluginState() override;

    std::optional<PluginStateValue> read(const std::string &plugin, const std::string &key, int64_t now) override;
    PluginStateWrite write(const std::string &plugin, const std::string &key, const std::string &value,
                           uint64_t expected_version, uint64_t ttl_ms, int64_t now) override;
    bool remove(const std::string &plugin, const std::string &key, int64_t now) override;
    PluginStatePage list(const std::string &plugin, const std::string &prefix,
                         const std::optional<std::string> &cursor, uint32_t limit, int64_t now) override;
    int purge_expired(int64_t now, int limit) override;

private:
    std::filesystem::path file_;
    // One connection, not for concurrent use: every call holds this for its whole transaction.
    std::mutex mutex_;
    std::unique_ptr<sqlite::Database> db_;
};

}  // namespace relais::host
