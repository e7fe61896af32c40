// Where each endpoint stands in the event log, in relais.db, so a restart resumes its
// deliveries: its position (the last event it has taken up) and the deliveries that needed
// more than one attempt (table event_deliveries: retrying, delivered, or failed after the
// last attempt). An event is taken up when it is delivered at its first attempt or when its
// failure is recorded, in the same transaction that moves the position: a host stopped at any
// moment delivers it again after its restart (at least once), never skips it.
#pragma once

#include "events/event_db.hpp"

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace relais::host::events {

enum class DeliveryState { retrying, delivered, failed };
const char *state_name(DeliveryState state);
std::optional<DeliveryState> parse_state(const std::string &text);

struct DeliveryRecord {
    std::string endpoint;
    int64_t sequence = 0;
    DeliveryState state = DeliveryState::retrying;
    int attempts = 0;
    std::optional<int64_t> next_attempt_at;  // while retrying
    std::string last_error;
    int64_t updated_at = 0;
};

struct DeliveryFilter {
    std::optional<DeliveryState> state;
    std::optional<std::string> endpoint;
    std::optional<int64_t> sequence;
    int64_t after_sequence = 0;
    int limit = 100;
};

class DeliveryStore {
public:
    explicit DeliveryStore(const std::filesystem::path &data_dir, EventDbOptions options = {});
    ~DeliveryStore();

    // The endpoint's position; an endpoint seen for the first time starts at `initial` (the
    // log's last event: a new endpoint gets the events emitted from then on).
    int64_t position(const std::string &endpoint, int64_t initial);
    // Events up to `sequence` are not for this endpoint (its type filter): moves past them.
    void skip_to(const std::string &endpoint, int64_t sequence);

    // The first attempt at the event after the position: delivered, or failed (recorded as
    // retrying, or as failed when no retry is allowed). Moves the position to `sequence`.
    void first_attempt(const std::string &endpoint, int64_t sequence, bool delivered, int64_t now,
                       std::optional<int64_t> next_attempt_at, const std::string &error);
    // A later attempt at a recorded delivery. `next_attempt_at` null and not delivered: failed.
    void later_attempt(const std::string &endpoint, int64_t sequence, bool delivered, int64_t now,
                       std::optional<int64_t> next_attempt_at, const std::string &error);

    // The endpoint's retrying delivery of the smallest sequence: the one its order says is next.
    std::optional<DeliveryRecord> next_retry(const std::string &endpoint);

    std::vector<DeliveryRecord> list(const DeliveryFilter &filter);
    // Failed deliveries of the event back to retrying, due `now`, attempts counted from zero
    // again; how many.
    int retry_failed(int64_t sequence, int64_t now);

private:
    std::mutex mutex_;
    std::unique_ptr<sqlite::Database> db_;
};

}  // namespace relais::host::events
