#include "events/event_log.hpp"

#include <algorithm>
#include <iomanip>
#include <random>
#include <sstream>
#include <stdexcept>

namespace relais::host::events {
namespace {

constexpr const char *kColumns = "seq, id, connector, type, subject, data, created_at";

// 96 random bits: ids are unique without coordination, and one cannot be guessed from another.
std::string new_event_id() {
    std::random_device random;
    std::ostringstream out;
    out << "evt_" << std::hex << std::setfill('0');
    for (int i = 0; i < 3; ++i) out << std::setw(8) << static_cast<uint32_t>(random());
    return out.str();
}

Event read_event(const sqlite::Query &q) {
    Event e;
    e.sequence = q.int64(0);
    e.id = q.text(1);
    e.connector = q.text(2);
    e.type = q.text(3);
    e.subject = q.text(4);
    e.data = q.text(5);
    e.created_at = q.int64(6);
    return e;
}

constexpr int kMaxListed = 500;

}  // namespace

EventLog::EventLog(const std::filesystem::path &data_dir, const Clock &clock, EventDbOptions options)
    : clock_(clock), db_(open_event_db(data_dir, options, "the event log")) {}

EventLog::~EventLog() = default;

bool EventLog::emit(const std::string &connector, const std::string &type, const std::string &subject,
                    const std::string &data_json, const std::optional<std::string> &dedupe_key) {
    const std::string where = "event of connector " + connector;
    if (connector.empty()) throw std::invalid_argument("an event needs the connector that emits it");
    check_type(type, where);
    check_subject(subject, where);
    if (dedupe_key) check_dedupe_key(*dedupe_key, where);
    Event event;
    event.data = checked_data(data_json, where);
    event.connector = connector;
    event.type = type;
    event.subject = subject;
    event.created_at = clock_.now_ms();
    event.id = new_event_id();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto q = db_->query(
            "INSERT INTO events (id, connector, type, subject, data, dedupe_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (connector, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING RETURNING seq");
        q.bind_all(event.id, event.connector, event.type, event.subject, event.data, dedupe_key, event.created_at);
        if (!q.step()) return false;  // the dedupe key was seen before
        event.sequence = q.int64(0);
        q.run();
    }
    if (on_emitted_) on_emitted_(event);
    return true;
}

std::vector<Event> EventLog::list(const EventFilter &filter) {
    std::string sql = std::string("SELECT ") + kColumns + " FROM events WHERE seq > ?";
    const bool every_type = filter.types.empty() ||
                            std::any_of(filter.types.begin(), filter.types.end(),
                                        [](const TypePattern &p) { return p.is_prefix() && p.stem().empty(); });
    if (!every_type) {
        sql += " AND (";
        for (std::size_t i = 0; i < filter.types.size(); ++i) {
            if (i) sql += " OR ";
            sql += filter.types[i].is_prefix() ? "substr(type, 1, ?) = ?" : "type = ?";
        }
        sql += ")";
    }
    if (filter.connector) sql += " AND connector = ?";
    sql += " ORDER BY seq LIMIT ?";

    std::lock_guard<std::mutex> lock(mutex_);
    auto q = db_->query(sql);
    int index = 0;
    q.bind(++index, filter.after);
    if (!every_type)
        for (const auto &p : filter.types) {
            if (p.is_prefix()) q.bind(++index, static_cast<int64_t>(p.stem().size()));
            q.bind(++index, p.stem());
        }
    if (filter.connector) q.bind(++index, *filter.connector);
    q.bind(++index, std::clamp(filter.limit, 1, kMaxListed));
    std::vector<Event> events;
    while (q.step()) events.push_back(read_event(q));
    return events;
}

std::optional<Event> EventLog::find(const std::string &id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto q = db_->query(std::string("SELECT ") + kColumns + " FROM events WHERE id = ?");
    q.bind(1, id);
    if (!q.step()) return std::nullopt;
    return read_event(q);
}

std::optional<Event> EventLog::at(int64_t sequence) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto q = db_->query(std::string("SELECT ") + kColumns + " FROM events WHERE seq = ?");
    q.bind(1, sequence);
    if (!q.step()) return std::nullopt;
    return read_event(q);
}

int64_t EventLog::last_sequence() {
    std::lock_guard<std::mutex> lock(mutex_);
    // AUTOINCREMENT keeps the last number given in sqlite_sequence, also once it is purged.
    auto q = db_->query("SELECT seq FROM sqlite_sequence WHERE name = 'events'");
    return q.step() ? q.int64(0) : 0;
}

int EventLog::purge_created_before(int64_t cutoff_ms, int limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    sqlite::Transaction tx(*db_);
    auto q = db_->query(
        "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE created_at < ? ORDER BY created_at LIMIT ?)");
    q.bind_all(cutoff_ms, limit);
    q.run();
    const int purged = db_->changes();
    // Delivery records of events that are gone say nothing anyone can act on.
    auto orphans = db_->query("DELETE FROM event_deliveries WHERE seq NOT IN (SELECT seq FROM events)");
    orphans.run();
    tx.commit();
    return purged;
}

}  // namespace relais::host::events
