#include "events/event_db.hpp"

#include "jobs/job_store.hpp"
#include "jobs/sqlite_job_store.hpp"

namespace relais::host::events {
namespace fs = std::filesystem;

std::unique_ptr<sqlite::Database> open_event_db(const fs::path &data_dir, const EventDbOptions &options,
                                                const std::string &what) {
    const fs::path file = data_dir / SqliteJobStore::kFileName;
    // Opening would create an empty file: the job store is the one that makes it.
    std::error_code ec;
    if (!fs::exists(file, ec))
        throw JobStoreError("cannot open " + what + ": " + file.string() + " does not exist (the job store creates it)");
    try {
        auto db = std::make_unique<sqlite::Database>(file, options.busy_timeout_ms);
        const auto version = db->scalar_int64("PRAGMA user_version");
        if (version < kFirstEventSchema)
            throw JobStoreError("cannot open " + what + " in " + file.string() + ": its schema is version " +
                                std::to_string(version) + ", older than " + std::to_string(kFirstEventSchema) +
                                " (the job store migrates it when it opens the file)");
        if (version > SqliteJobStore::kSchemaVersion)
            throw JobStoreError("cannot open " + what + " in " + file.string() + ": its schema is version " +
                                std::to_string(version) + ", newer than the version " +
                                std::to_string(SqliteJobStore::kSchemaVersion) + " this Relais understands");
        // The journal mode (WAL) belongs to the file, set by the job store; syncing is per connection.
        db->exec(options.full_sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        return db;
    } catch (const sqlite::Error &e) {
        throw JobStoreError("cannot open " + what + " in " + file.string() + ": " + e.what());
    }
}

}  // namespace relais::host::events
