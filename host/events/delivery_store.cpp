#include "events/delivery_store.hpp"

#include <algorithm>

namespace relais::host::events {
namespace {

constexpr const char *kColumns = "endpoint, seq, state, attempts, next_attempt_at, last_error, updated_at";

DeliveryRecord read_record(const sqlite::Query &q) {
    DeliveryRecord r;
    r.endpoint = q.text(0);
    r.sequence = q.int64(1);
    r.state = parse_state(q.text(2)).value_or(DeliveryState::failed);
    r.attempts = static_cast<int>(q.int64(3));
    r.next_attempt_at = q.optional_int64(4);
    r.last_error = q.text(5);
    r.updated_at = q.int64(6);
    return r;
}

// Errors are kept short: a receiver's answer is not ours to store whole.
std::string bounded(const std::string &error) { return error.size() <= 500 ? error : error.substr(0, 500) + "..."; }

}  // namespace

const char *state_name(DeliveryState state) {
    switch (state) {
    case DeliveryState::retrying: return "retrying";
    case DeliveryState::delivered: return "delivered";
    case DeliveryState::failed: return "failed";
    }
    return "failed";
}

std::optional<DeliveryState> parse_state(const std::string &text) {
    for (auto s : {DeliveryState::retrying, DeliveryState::delivered, DeliveryState::failed})
        if (text == state_name(s)) return s;
    return std::nullopt;
}

DeliveryStore::DeliveryStore(const std::filesystem::path &data_dir, EventDbOptions options)
    : db_(open_event_db(data_dir, options, "the event deliveries")) {}

DeliveryStore::~DeliveryStore() = default;

int64_t DeliveryStore::position(const std::string &endpoint, int64_t initial) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto insert = db_->query("INSERT INTO event_endpoints (endpoint, position) VALUES (?, ?) ON CONFLICT DO NOTHING");
    insert.bind_all(endpoint, std::max<int64_t>(0, initial));
    insert.run();
    auto q = db_->query("SELECT position FROM event_endpoints WHERE endpoint = ?");
    q.bind(1, endpoint);
    q.step();
    return q.int64(0);
}

void DeliveryStore::skip_to(const std::string &endpoint, int64_t sequence) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto q = db_->query("UPDATE event_endpoints SET position = ? WHERE endpoint = ? AND position < ?");
    q.bind_all(sequence, endpoint, sequence);
    q.run();
}

void DeliveryStore::first_attempt(const std::string &endpoint, int64_t sequence, bool delivered, int64_t now,
                                  std::optional<int64_t> next_attempt_at, const std::string &error) {
    std::lock_guard<std::mutex> lock(mutex_);
    sqlite::Transaction tx(*db_);
    if (!delivered) {
        auto q = db_->query("INSERT OR REPLACE INTO event_deliveries (" + std::string(kColumns) +
                            ") VALUES (?, ?, ?, 1, ?, ?, ?)");
        q.bind_all(endpoint, sequence, next_attempt_at ? "retrying" : "failed", next_attempt_at, bounded(error), now);
        q.run();
    }
    auto q = db_->query("UPDATE event_endpoints SET position = ? WHERE endpoint = ? AND position < ?");
    q.bind_all(sequence, endpoint, sequence);
    q.run();
    tx.commit();
}

void DeliveryStore::later_attempt(const std::string &endpoint, int64_t sequence, bool delivered, int64_t now,
                                  std::optional<int64_t> next_attempt_at, const std::string &error) {
    std::lock_guard<std::mutex> lock(mutex_);
    const char *state = delivered ? "delivered" : next_attempt_at ? "retrying" : "failed";
    auto q = db_->query(
        "UPDATE event_deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?, "
        "last_error = CASE WHEN ? THEN last_error ELSE ? END, updated_at = ? WHERE endpoint = ? AND seq = ?");
    q.bind_all(state, delivered ? std::nullopt : next_attempt_at, delivered, bounded(error), now, endpoint, sequence);
    q.run();
}

std::optional<DeliveryRecord> DeliveryStore::next_retry(const std::string &endpoint) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto q = db_->query("SELECT " + std::string(kColumns) +
                        " FROM event_deliveries WHERE endpoint = ? AND state = 'retrying' ORDER BY seq LIMIT 1");
    q.bind(1, endpoint);
    if (!q.step()) return std::nullopt;
    return read_record(q);
}

std::vector<DeliveryRecord> DeliveryStore::list(const DeliveryFilter &filter) {
    std::string sql = "SELECT " + std::string(kColumns) + " FROM event_deliveries WHERE seq > ?";
    if (filter.state) sql += " AND state = ?";
    if (filter.endpoint) sql += " AND endpoint = ?";
    if (filter.sequence) sql += " AND seq = ?";
    sql += " ORDER BY seq, endpoint LIMIT ?";
    std::lock_guard<std::mutex> lock(mutex_);
    auto q = db_->query(sql);
    int index = 0;
    q.bind(++index, filter.after_sequence);
    if (filter.state) q.bind(++index, state_name(*filter.state));
    if (filter.endpoint) q.bind(++index, *filter.endpoint);
    if (filter.sequence) q.bind(++index, *filter.sequence);
    q.bind(++index, std::clamp(filter.limit, 1, 500));
    std::vector<DeliveryRecord> out;
    while (q.step()) out.push_back(read_record(q));
    return out;
}

int DeliveryStore::retry_failed(int64_t sequence, int64_t now) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto q = db_->query(
        "UPDATE event_deliveries SET state = 'retrying', attempts = 0, next_attempt_at = ?, updated_at = ? "
        "WHERE seq = ? AND state = 'failed'");
    q.bind_all(now, now, sequence);
    q.run();
    return db_->changes();
}

}  // namespace relais::host::events
