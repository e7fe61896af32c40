// A thin RAII layer over the SQLite C API: a connection with a cache of prepared statements,
// one use of a statement at a time, and transactions that roll back unless committed. Just
// enough for the job store; the C API stays underneath so transactions, locking and WAL are
// exactly what the store asks for. Not thread-safe: one thread at a time per Database.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace relais::host::sqlite {

// An SQLite call failed; code() is the extended result code (SQLITE_BUSY, SQLITE_CONSTRAINT_CHECK...).
class Error : public std::runtime_error {
public:
    Error(const std::string &what, int code) : std::runtime_error(what), code_(code) {}
    int code() const { return code_; }
    bool is_constraint() const;  // any SQLITE_CONSTRAINT_*: the data was refused, not the storage

private:
    int code_;
};

class Database;

// A prepared statement, owned by its Database's cache and used through Query.
class Statement {
public:
    Statement(sqlite3 *db, std::string_view sql);
    ~Statement();
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;

private:
    friend class Query;
    sqlite3 *db_;
    sqlite3_stmt *stmt_ = nullptr;
    bool in_use_ = false;
};

// One execution of a cached statement: bind (parameters count from 1), step, read columns.
// Its destructor resets the statement: a statement left mid-way would keep a read
// transaction open, and in WAL mode that pins old pages and blocks checkpoints.
class Query {
public:
    explicit Query(Statement &statement);
    ~Query();
    Query(const Query &) = delete;
    Query &operator=(const Query &) = delete;

    Query &bind(int index, int64_t value);
    Query &bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
    Query &bind(int index, bool value) { return bind(index, static_cast<int64_t>(value ? 1 : 0)); }
    Query &bind(int index, std::string_view text);
    Query &bind(int index, const std::string &text) { return bind(index, std::string_view(text)); }
    Query &bind(int index, const char *text) { return bind(index, std::string_view(text)); }
    Query &bind(int index, std::nullopt_t);
    template <class T>
    Query &bind(int index, const std::optional<T> &value) {
        return value ? bind(index, *value) : bind(index, std::nullopt);
    }
    Query &bind_blob(int index, std::string_view bytes);

    // Binds the arguments to parameters 1, 2, ...
    template <class... Args>
    Query &bind_all(const Args &...args) {
        int index = 0;
        (bind(++index, args), ...);
        return *this;
    }

    bool step();  // true: a row is ready to read; false: done
    void run();   // steps to the end, ignoring rows (for writes)

    bool is_null(int column) const;
    int64_t int64(int column) const;
    std::string text(int column) const;  // "" for NULL; also reads blobs byte for byte
    std::optional<int64_t> optional_int64(int column) const;
    std::optional<std::string> optional_text(int column) const;

private:
    Statement &statement_;
};

class Database {
public:
    // Opens (creating if needed) the file, with extended result codes and the busy timeout:
    // a writer finding the database locked by another connection waits up to that long
    // (then SQLITE_BUSY, "database is locked").
    Database(const std::filesystem::path &file, int busy_timeout_ms);
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    const std::filesystem::path &file() const { return file_; }

    // Runs one or more statements with no parameters (DDL, PRAGMAs), ignoring rows.
    void exec(const std::string &sql);
    // The first column of the first row of a parameterless statement, e.g. "PRAGMA user_version".
    std::string scalar_text(const std::string &sql);
    int64_t scalar_int64(const std::string &sql);

    // A use of the statement for `sql`, prepared on first use and cached by its text.
    Query query(std::string_view sql);

    int changes() const;  // rows changed by the last INSERT/UPDATE/DELETE

private:
    static int on_busy(void *self, int count);

    std::filesystem::path file_;
    sqlite3 *db_ = nullptr;
    std::map<std::string, std::unique_ptr<Statement>, std::less<>> statements_;
    int busy_timeout_ms_;
    std::chrono::steady_clock::time_point busy_since_;
};

// BEGIN IMMEDIATE (takes the write lock now, waiting up to the busy timeout) or BEGIN
// DEFERRED; ROLLBACK on destruction unless commit() was called. Writers always begin
// IMMEDIATE: a deferred transaction that reads and then writes can fail with SQLITE_BUSY
// without waiting when another connection wrote in between.
class Transaction {
public:
    enum class Kind { immediate, deferred };
    explicit Transaction(Database &db, Kind kind = Kind::immediate);
    ~Transaction();
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;

    void commit();

private:
    Database &db_;
    bool open_ = true;
};

}  // namespace relais::host::sqlite
