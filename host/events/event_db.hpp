// The connection the event log and the delivery positions open to relais.db, once the job
// store has created and migrated it: their own, so events never wait on the jobs' mutex, and
// SQLite's write lock orders the writers.
#pragma once

#include "jobs/sqlite_db.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace relais::host::events {

struct EventDbOptions {
    // full: an emitted event is on disk when emit returns; normal: survives a crash of the
    // process, not a power cut.
    bool full_sync = true;
    int busy_timeout_ms = 5000;
};

// The first schema version with the event tables.
inline constexpr int kFirstEventSchema = 6;

// Opens <data_dir>/relais.db for `what` ("the event log"). Throws JobStoreError when the file
// is missing or its schema is older than kFirstEventSchema or newer than this build knows.
std::unique_ptr<sqlite::Database> open_event_db(const std::filesystem::path &data_dir, const EventDbOptions &options,
                                                const std::string &what);

}  // namespace relais::host::events
