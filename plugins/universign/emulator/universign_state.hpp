// The emulator's shared state and the handlers of both APIs (universign_xmlrpc_api.cpp,
// universign_rest_api.cpp); universign_emulator.cpp holds the switches and counters.
#pragma once

#include "universign_emulator.hpp"
#include "universign_model.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace relais::universign_emulator {

// A call's answer replaced (fail_next) or its answer lost (lose_next_answers).
struct InjectedFailure {
    int code = 0;        // fault code, HTTP status, or 0 for a lost answer
    std::string method;  // "" for any
    int remaining = 0;
};

// A push waiting to be sent (or sent again).
struct PendingPush {
    PushRecord record;
    TimePoint due;
};

struct UploadedFile {
    std::string owner;  // API key
    std::string file_name;
    std::string content;
    TimePoint uploaded_at;
};

class UniversignEmulator::State {
public:
    State(const UniversignEmulatorOptions &options, std::shared_ptr<emulator::EmulatorClock> clock);

    // The two endpoints' entry points.
    emulator::Response xmlrpc(const emulator::Request &request);
    emulator::Response rest(const emulator::Request &request, const std::string &route,
                            emulator::Response (State::*handler)(const emulator::Request &, const std::string &key));
    emulator::Response over_quota(const emulator::Request &request, const emulator::QuotaExceeded &exceeded) const;

    // REST handlers (the API key already checked).
    emulator::Response upload_file(const emulator::Request &r, const std::string &key);
    emulator::Response create_transaction(const emulator::Request &r, const std::string &key);
    emulator::Response add_document(const emulator::Request &r, const std::string &key);
    emulator::Response add_field(const emulator::Request &r, const std::string &key);
    emulator::Response assign_signature(const emulator::Request &r, const std::string &key);
    emulator::Response add_participant(const emulator::Request &r, const std::string &key);
    emulator::Response start_transaction(const emulator::Request &r, const std::string &key);
    emulator::Response cancel_transaction(const emulator::Request &r, const std::string &key);
    emulator::Response get_transaction(const emulator::Request &r, const std::string &key);
    emulator::Response download_document(const emulator::Request &r, const std::string &key);

    // Settles every transaction to now and queues the pushes of what happened. Locked.
    void settle_all_locked(TimePoint now);
    // Takes the injected failure for this call, if one applies (locked).
    std::optional<int> take_failure_locked(const std::string &method, bool xmlrpc);
    // Blocks the call when a hold_next_answers() applies to it, until released. Not locked:
    // it takes the mutex itself and returns without it.
    void hold_if_asked(const std::string &method);
    Timing timing() const { return {options.sign_after, options.archive_after, options.restore_delay}; }

    std::string random_id(std::size_t length);  // letters and digits
    std::string uuid();

    const UniversignEmulatorOptions options;
    const std::shared_ptr<emulator::EmulatorClock> clock;

    mutable std::mutex mutex;
    std::map<std::string, Transaction> transactions;  // by id, both APIs
    std::vector<std::string> creation_order;          // XML-RPC ids, oldest first
    std::map<std::string, std::string> by_custom_id;  // XML-RPC customId -> id
    std::map<std::string, std::size_t> created_per_custom_id;
    std::size_t created = 0;
    std::int32_t next_document_number = 1918700;
    std::map<std::string, UploadedFile> files;
    std::map<std::string, SignerBehaviour> behaviours;  // by email
    std::map<std::string, std::string> push_urls;       // by profile
    std::string webhook_url;
    std::deque<PendingPush> pending_pushes;
    std::vector<PushRecord> sent_pushes;
    std::map<std::string, std::size_t> calls;
    std::deque<InjectedFailure> failures;
    // hold_next_answers(): the holds still to apply ("code" unused), the calls blocked now,
    // and a generation that release_held() moves on (a blocked call waits for it to change).
    std::deque<InjectedFailure> holds;
    std::size_t held = 0;
    std::uint64_t hold_generation = 0;
    bool holds_disabled = false;  // while stopping: nothing may block the server's stop
    std::condition_variable hold_changed;
    std::mt19937_64 random;

    void queue_pushes_locked(const Transaction &tx, const std::vector<TransactionEvent> &events);

private:
    void settle_locked(Transaction &tx, TimePoint now);
    Transaction &rest_transaction_locked(const emulator::Request &r, const std::string &key);
    emulator::Response rest_error(int status, const std::string &code, const std::string &message) const;
    std::string rest_transaction_json(const Transaction &tx, TimePoint now) const;
};

// Thrown by the XML-RPC method handlers: answered as a fault in HTTP 200.
struct XmlRpcFault {
    int code;
    std::string message;
};

// Thrown by the REST handlers' helpers: answered with the configured error shape.
struct RestFailure {
    int status;
    std::string code;
    std::string message;
};

}  // namespace relais::universign_emulator
