#include "jobs/sqlite_db.hpp"

#include <sqlite3.h>

#include <thread>

namespace relais::host::sqlite {
namespace {

[[noreturn]] void fail(sqlite3 *db, int code, const std::string &doing) {
    const char *message = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    throw Error(doing + ": " + message, code);
}

void check(sqlite3 *db, int code, const std::string &doing) {
    if (code != SQLITE_OK) fail(db, code, doing);
}

}  // namespace

bool Error::is_constraint() const { return (code_ & 0xff) == SQLITE_CONSTRAINT; }

// --- Statement ------------------------------------------------------------------------------

Statement::Statement(sqlite3 *db, std::string_view sql) : db_(db) {
    // PREPARE_PERSISTENT: these statements live as long as the connection.
    const int rc =
        sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    check(db, rc, "cannot prepare \"" + std::string(sql) + "\"");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

// --- Query ----------------------------------------------------------------------------------

Query::Query(Statement &statement) : statement_(statement) {
    // Two live uses of one cached statement would rebind it under the first one's feet.
    if (statement_.in_use_) throw std::logic_error("an SQLite statement is used twice at once: " +
                                                   std::string(sqlite3_sql(statement_.stmt_)));
    statement_.in_use_ = true;
}

Query::~Query() {
    sqlite3_reset(statement_.stmt_);
    sqlite3_clear_bindings(statement_.stmt_);
    statement_.in_use_ = false;
}

Query &Query::bind(int index, int64_t value) {
    check(statement_.db_, sqlite3_bind_int64(statement_.stmt_, index, value), "cannot bind a parameter");
    return *this;
}

Query &Query::bind(int index, std::string_view text) {
    check(statement_.db_,
          sqlite3_bind_text64(statement_.stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
          "cannot bind a parameter");
    return *this;
}

Query &Query::bind(int index, std::nullopt_t) {
    check(statement_.db_, sqlite3_bind_null(statement_.stmt_, index), "cannot bind a parameter");
    return *this;
}

Query &Query::bind_blob(int index, std::string_view bytes) {
    check(statement_.db_, sqlite3_bind_blob64(statement_.stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT),
          "cannot bind a parameter");
    return *this;
}

bool Query::step() {
    const int rc = sqlite3_step(statement_.stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(statement_.db_, sqlite3_extended_errcode(statement_.db_), "SQLite statement failed");
}

void Query::run() {
    while (step()) {
    }
}

bool Query::is_null(int column) const { return sqlite3_column_type(statement_.stmt_, column) == SQLITE_NULL; }

int64_t Query::int64(int column) const { return sqlite3_column_int64(statement_.stmt_, column); }

std::string Query::text(int column) const {
    // Blob access returns the bytes as stored (text access would convert a blob's encoding).
    const auto *bytes = static_cast<const char *>(sqlite3_column_blob(statement_.stmt_, column));
    const auto size = sqlite3_column_bytes(statement_.stmt_, column);
    return bytes ? std::string(bytes, static_cast<size_t>(size)) : std::string();
}

std::optional<int64_t> Query::optional_int64(int column) const {
    if (is_null(column)) return std::nullopt;
    return int64(column);
}

std::optional<std::string> Query::optional_text(int column) const {
    if (is_null(column)) return std::nullopt;
    return text(column);
}

// --- Database -------------------------------------------------------------------------------

Database::Database(const std::filesystem::path &file, int busy_timeout_ms)
    : file_(file), busy_timeout_ms_(busy_timeout_ms) {
    // NOMUTEX: the owner serialises access (one thread at a time), so SQLite's own mutexes
    // would only cost time.
    const int rc = sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    if (rc != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        throw Error("cannot open " + file.string() + ": " + message, rc);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_handler(db_, &Database::on_busy, this);
}

// SQLite's own busy timeout backs off to one retry per 100 ms. Its lock is not fair: while
// another connection commits back to back, the lock is free only for the moment between
// one COMMIT and the next BEGIN, and a waiter polling ten times a second can miss it for
// seconds (two stores claiming a backlog starved each other past 5 s that way). Polling
// every 0.1 to 2 ms finds it quickly; a poll is one lock attempt, which costs next to nothing.
int Database::on_busy(void *self, int count) {
    auto &db = *static_cast<Database *>(self);
    const auto now = std::chrono::steady_clock::now();
    if (count == 0) db.busy_since_ = now;
    if (now - db.busy_since_ >= std::chrono::milliseconds(db.busy_timeout_ms_)) return 0;  // give up: SQLITE_BUSY
    const auto delay = std::chrono::microseconds(count < 5 ? 100 << count : 2000);
    std::this_thread::sleep_for(delay);
    return 1;
}

Database::~Database() {
    statements_.clear();  // every statement must be finalized before the connection closes
    sqlite3_close(db_);
}

void Database::exec(const std::string &sql) {
    char *message = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string text = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        throw Error(file_.filename().string() + ": " + text, sqlite3_extended_errcode(db_));
    }
}

std::string Database::scalar_text(const std::string &sql) {
    Statement statement(db_, sql);
    Query q(statement);
    if (!q.step()) throw Error("no row from \"" + sql + "\"", SQLITE_ERROR);
    return q.text(0);
}

int64_t Database::scalar_int64(const std::string &sql) {
    Statement statement(db_, sql);
    Query q(statement);
    if (!q.step()) throw Error("no row from \"" + sql + "\"", SQLITE_ERROR);
    return q.int64(0);
}

Query Database::query(std::string_view sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end())
        it = statements_.emplace(std::string(sql), std::make_unique<Statement>(db_, sql)).first;
    return Query(*it->second);
}

int Database::changes() const { return sqlite3_changes(db_); }

// --- Transaction ----------------------------------------------------------------------------

Transaction::Transaction(Database &db, Kind kind) : db_(db) {
    db_.exec(kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
}

Transaction::~Transaction() {
    if (!open_) return;
    try {
        db_.exec("ROLLBACK");
    } catch (...) {
        // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL); nothing to undo.
    }
}

void Transaction::commit() {
    db_.exec("COMMIT");
    open_ = false;
}

}  // namespace relais::host::sqlite
