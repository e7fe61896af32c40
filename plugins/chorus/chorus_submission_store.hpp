// Where submissions are remembered (see chorus_submission.hpp): their records, their files
// until they are final, and which submission each flux number belongs to. The host's durable plugin state, or memory when the host offers
// none (the standalone CLI), which keeps exactly-once only for the process's life. And one
// lock per submission, so one process handles a submission in one call at a time.
#pragma once

#include <relais/support/state_store.hpp>

#include <relais/plugin.hpp>

#include <Poco/JSON/Array.h>

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace relais::chorus {

// Serialises the calls about one submission key, for the plugin's lifetime (reconfigurations
// included). Keys share a fixed set of mutexes by hash: memory stays bounded however many
// invoices pass, at the price of two unrelated submissions waiting for each other rarely.
class SubmissionLocks {
public:
    std::unique_lock<std::mutex> lock(const std::string &key);

private:
    std::array<std::mutex, 64> stripes_;
};

// The plugin's state (the kit's StateStore: the host's, or memory on a host without one).
using SubmissionStore = support::StateStore;

// Writes `value` under `key` to expire after `ttl` where the host keeps expiries (versioned
// state); elsewhere (an older host, memory) it is written for good.
void put_expiring(SubmissionStore &store, const Host &host, const std::string &key, const std::string &value,
                  std::chrono::milliseconds ttl);

// The durable record of one submission (see the state diagram in chorus_submission.hpp).
struct SubmissionRecord {
    std::string key;
    std::string invoice_number, file_sha256, file_name, syntax;
    std::string phase = "new";  // new, depositing, uncertain, deposited, final
    int64_t created_at = 0;
    int64_t attempt_started_at = 0;  // of the deposit under way or uncertain
    std::string flux_number, deposit_date;
    Poco::JSON::Array::Ptr fluxes = new Poco::JSON::Array;  // every flux: {flux_number, deposit_date, outcome}
    int64_t redeposits = 0;
    int64_t tracking_started_at = 0;
    int64_t polls = 0;  // tracking jobs enqueued so far (numbers their idempotency keys)
    int64_t polls_since_deposit = 0;
    int64_t tracking_job_id = 0;  // set by the previous version's tracking jobs; kept, unused
    std::string final_error;      // why a final submission failed ("" when it did not)
    std::string state = "new";  // the connector's state name (chorus_states.hpp) or new/unconfirmed
    std::string chorus_state;
    Json report;                      // the last processing report
    Poco::JSON::Array::Ptr invoices;  // once integrated

    Json to_json() const;
    static SubmissionRecord from_json(const Json &o);
};

}  // namespace relais::chorus
