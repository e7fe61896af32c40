// The business events plugins emit, kept in order in relais.db (table events): the ERP reads
// them after a cursor (GET /api/v1/events) and the deliverer pushes them to endpoints.
// Thread-safe: one connection, each call holding it for its whole statement or transaction.
#pragma once

#include "events/event_db.hpp"
#include "events/event_rules.hpp"
#include "jobs/clock.hpp"

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace relais::host::events {

struct Event {
    int64_t sequence = 0;  // increases with every event: the cursor is made of it
    std::string id;        // "evt_" and 24 random hex digits
    std::string connector;
    std::string type;
    std::string subject;
    std::string data;  // a JSON object, compact
    int64_t created_at = 0;  // ms since the epoch
};

struct EventFilter {
    int64_t after = 0;               // sequence: only later events
    std::vector<TypePattern> types;  // empty: every type
    std::optional<std::string> connector;
    int limit = 100;
};

class EventLog {
public:
    EventLog(const std::filesystem::path &data_dir, const Clock &clock, EventDbOptions options = {});
    ~EventLog();

    // Stores a new event; false, storing nothing, when this connector already emitted one with
    // `dedupe_key`. Throws std::invalid_argument naming the field for a bad type, subject,
    // dedupe key or data (see event_rules.hpp).
    bool emit(const std::string &connector, const std::string &type, const std::string &subject,
              const std::string &data_json, const std::optional<std::string> &dedupe_key = std::nullopt);

    // Oldest first. At most 500 a call.
    std::vector<Event> list(const EventFilter &filter);
    std::optional<Event> find(const std::string &id);
    std::optional<Event> at(int64_t sequence);
    // The newest event's sequence, or the last one given when the log is empty now; 0 at first.
    int64_t last_sequence();

    // Deletes up to `limit` events created before `cutoff_ms`, oldest first; how many.
    int purge_created_before(int64_t cutoff_ms, int limit);

    // Called after each new event is on disk (outside the log's lock). Set before use.
    void set_on_emitted(std::function<void(const Event &)> listener) { on_emitted_ = std::move(listener); }

    const Clock &clock() const { return clock_; }

private:
    const Clock &clock_;
    std::mutex mutex_;
    std::unique_ptr<sqlite::Database> db_;
    std::function<void(const Event &)> on_emitted_;
};

}  // namespace relais::host::events
