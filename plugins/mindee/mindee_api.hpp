// Mindee over HTTP, both generations behind one shape (shared/reference/sirene-mindee.md part B):
//
//   v1  predict (synchronous, 201 with the prediction)
//       predict_async -> job id; documents/queue/{id} polled; a finished job answers a redirect
//       to documents/{document_id}, followed (same origin only) to the prediction
//   v2  inferences/enqueue -> job with polling_url; jobs/{id} polled; a processed job answers
//       a 302 to its result, followed; with ?redirect=false (or a proxy that strips it) the job
//       says Processed with its result_url, read next
//
// Every request first takes the connector's quota of its kind (v1: "requests"; v2: "enqueues"
// or "polls") through the Gate, so the host paces every caller together; a 429 Mindee sends
// anyway goes back to the host's quota (quota_report) before it is thrown as rate_limited.
#pragma once

#include "mindee_reading.hpp"
#include "mindee_settings.hpp"

#include <relais/plugin.hpp>
#include <relais/support/http_client.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace relais::mindee {

// The file as it goes up.
struct Upload {
    std::string bytes;
    std::string name;
    std::string mime;
};

// An asynchronous read Mindee accepted.
struct Pending {
    std::string job_id;
    std::string poll_url;  // where to look next (v1: the queue URL; v2: the job's polling_url)
};

struct PollResult {
    enum class State { processing, done, failed };
    State state = State::processing;
    Json body;           // done: the prediction (v1) or result (v2)
    std::string reason;  // failed: Mindee's words
};

// How a request waits for its quota: a synchronous call up to max_wait; a job step briefly,
// then it continues later instead of holding a worker.
struct Gate {
    const Call *call = nullptr;  // null: no quota (the standalone CLI)
    std::chrono::milliseconds max_wait{0};
};

class MindeeApi {
public:
    MindeeApi(const Settings &settings, std::shared_ptr<support::HttpClient> http, Host host);

    ApiVersion version() const { return version_; }
    const char *version_name() const { return version_ == ApiVersion::v1 ? "v1" : "v2"; }

    // v1 only: the synchronous prediction (the answer's body).
    Json predict(const Upload &file, const Gate &gate);
    Pending enqueue(const Upload &file, const Gate &gate);
    PollResult poll(const Pending &pending, const Gate &gate);
    // The reading of a finished read's body, by this API's generation.
    Reading reading_of(const Json &body) const;

    // The Test button, spending no page: v2 lists the account's models and finds model_id in
    // them; v1 asks for a job that does not exist (404 with a valid key, 401 without).
    std::string check_key(const Gate &gate);
    std::string check_model(const Gate &gate);

private:
    support::HttpResponse send(support::HttpRequest request, const char *scope, const Gate &gate,
                               const std::string &what);
    std::string v1_product_url() const;
    // A URL Mindee gave (polling_url, result_url), used only when it is on the configured origin:
    // the API key goes nowhere else.
    std::string on_our_origin(const std::string &url, const std::string &fallback) const;
    PollResult poll_v1(const Pending &pending, const Gate &gate);
    PollResult poll_v2(const Pending &pending, const Gate &gate);

    ApiVersion version_;
    std::string url_, api_key_, model_id_, product_;
    bool confidence_;
    std::vector<std::string> webhook_ids_;
    std::shared_ptr<support::HttpClient> http_;
    Host host_;
};

}  // namespace relais::mindee
