// read_receipt: a photographed receipt becomes one normalised expense (mindee_expense.hpp).
//
// 1. The file is checked here first, and a bad one costs no request: its type by magic bytes
//    (JPEG, PNG, PDF, WEBP, TIFF, HEIC), empty or truncated, an encrypted PDF, the size and page
//    limits of the API generation and of the way it is read (v1 reads up to 10 pages at once,
//    up to 20 as a job).
// 2. Never paid twice: Mindee bills per page, so the answer is kept in the plugin state under
//    the file's SHA-256 (and the model) for dedupe_ttl_hours; the same bytes read again get it
//    back without a request (`force` reads again). Concurrent reads of a new file make one
//    request: in this process through Flights, and across jobs and hosts through a pending
//    record in the state, which names the Mindee job a second read then follows.
// 3. A synchronous call reads at once: v1's predict; v2 enqueues and polls within the call.
//    A job enqueues (v1 predict_async, v2 enqueue), then continues later between looks, each
//    wait 1.5 times the last within the polling bounds, and ends with the expense or, when
//    Mindee's job fails, dead with Mindee's reason. A v2 webhook wakes it at once
//    (wake_for_mindee_job).
#pragma once

#include "mindee_api.hpp"
#include "mindee_flights.hpp"
#include "mindee_settings.hpp"

#include <relais/plugin.hpp>
#include <relais/support/document_inspect.hpp>
#include <relais/support/file_input.hpp>
#include <relais/support/state_store.hpp>

#include <memory>
#include <optional>
#include <string>

namespace relais::mindee {

struct ReceiptRequest {
    support::FileInput file;
    support::DocumentInfo document;
    std::optional<std::string> locale;
    bool force = false;
    bool include_raw = false;
};

class Receipts {
public:
    Receipts(Settings settings, std::shared_ptr<MindeeApi> api, std::shared_ptr<support::StateStore> state,
             std::shared_ptr<Flights> flights, Host host);

    // The action: a synchronous read, or one step of a job.
    Json read(const Json &input, Call &call);

    // A Mindee job finished (its webhook said so): wakes the Relais job waiting on it. False
    // when no job waits on it here.
    bool wake_for_mindee_job(const std::string &mindee_job_id);

    // The checks of step 1, on their own (also what the tests call). Throws invalid_input.
    ReceiptRequest parse(const Json &input, bool as_job) const;

private:
    Json read_now(const ReceiptRequest &request, Call &call);
    Json job_step(const ReceiptRequest &request, Call &call);
    Json start_job(const ReceiptRequest &request, Call &call);
    Json poll_job(const ReceiptRequest &request, Call &call, const Json &checkpoint, bool owner);
    Json follow(const ReceiptRequest &request, Call &call, const Json &checkpoint);
    Json read_inline_v2(const ReceiptRequest &request, Call &call);

    // The body of a finished read, as the action's result.
    Json result(const Json &body, const ReceiptRequest &request, bool from_cache, int64_t read_at_ms) const;
    std::optional<Json> cached(const ReceiptRequest &request) const;
    void remember(const ReceiptRequest &request, const Json &body) const;

    std::string cache_key(const ReceiptRequest &request) const;
    std::string pending_key(const ReceiptRequest &request) const;
    Upload upload(const ReceiptRequest &request) const;
    std::chrono::milliseconds next_delay(int64_t polls) const;
    Json later(Call &call, std::chrono::milliseconds delay, Json checkpoint) const;

    Settings settings_;
    std::shared_ptr<MindeeApi> api_;
    std::shared_ptr<support::StateStore> state_;
    std::shared_ptr<Flights> flights_;
    Host host_;
};

}  // namespace relais::mindee
