// The quota journal in relais.db (tables quota_grants and quota_reports, migration 5), beside
// the jobs: its own connection, opened once the job store has created and migrated the file.
//
// Each record() is one statement in autocommit. The file is in WAL mode and this connection
// runs with synchronous=NORMAL: a commit is an append to the WAL, in the OS cache when the
// call returns, so it survives kill -9 of the process (not a power cut, which a quota can
// afford to forget) and costs no fsync on the path of every upstream request.
#pragma once

#include "jobs/quota.hpp"

#include <filesystem>
#include <memory>
#include <mutex>

namespace relais::host {

namespace sqlite {
class Database;
}

class SqliteQuotaJournal final : public QuotaJournal {
public:
    // The first schema version with the quota tables.
    static constexpr int kFirstSchema = 5;

    // Opens <data_dir>/relais.db. Throws JobStoreError when the file is missing or at a schema
    // older than kFirstSchema (open a SqliteJobStore on it first: it migrates the file) or
    // newer than this build knows.
    explicit SqliteQuotaJournal(const std::filesystem::path &data_dir, int busy_timeout_ms = 5000);
    ~SqliteQuotaJournal() override;

    void record(const Grant &grant) override;
    void record(const Report &report) override;
    std::vector<Grant> grants(int64_t now) override;
    std::vector<Report> reports(int64_t now) override;
    int purge(int64_t now, int limit) override;

private:
    std::filesystem::path file_;
    std::mutex mutex_;  // one connection, one statement at a time
    std::unique_ptr<sqlite::Database> db_;
};

}  // namespace relais::host
