// An emulator of Mindee's document-reading APIs, strict as the reference
// (shared/reference/sirene-mindee.md, part B) describes them, odd cases included:
//
//   v1 "products" API, base /v1, `Authorization: Token <key>`
//     POST /v1/products/mindee/expense_receipts/v5/predict        201 with the prediction
//     POST .../predict_async                                       job "waiting" (200 or 202)
//     GET  .../documents/queue/{job_id}                            "processing", 302 when done, "failed"
//     GET  .../documents/{document_id}                             the finished document
//     4 requests a second and 75 a minute, in sliding windows
//   v2 platform, base /v2, `Authorization: <key>` (no prefix)
//     POST /v2/inferences/enqueue, POST /v2/products/extraction/enqueue   202 job "Processing"
//     GET  /v2/jobs/{id}                                           200, or 302 to the result when Processed
//     GET  /v2/inferences/{id}, GET /v2/products/extraction/results/{id}  the result (404 until done)
//     GET  /v2/search/models                                       the account's models
//     200 enqueues and 1200 polls a minute, in sliding windows; webhooks signed with HMAC-SHA256
//
// What it "reads" in a file is our convention (mindee_documents.hpp): a RELAIS-RECEIPT{...} JSON
// object in the file's bytes; no marker reads as a blank receipt. On top of the framework's
// faults, clock and request log (tests/emulator).
#pragma once

#include "emulator_server.hpp"

#include <Poco/JSON/Object.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace relais::mindee_emulator {

struct Model {
    std::string id, name, model_type;
    std::vector<std::pair<std::string, std::string>> webhooks;  // (id, name)
};

struct MindeeEmulatorOptions {
    emulator::ServerOptions server;
    std::set<std::string> v1_keys{"relais-mindee-v1-key"};
    std::set<std::string> v2_keys{"md_relais_test_key"};
    std::vector<Model> models;  // empty: default_models()
    int v1_per_second = 4, v1_per_minute = 75;  // 0: no limit
    int v2_enqueues_per_minute = 200, v2_polls_per_minute = 1200;
    // The "minute" the per-minute limits count: shorter for a benchmark that shows many windows.
    std::chrono::milliseconds quota_window{std::chrono::minutes(1)};
    std::chrono::milliseconds processing_time{std::chrono::seconds(3)};  // async jobs, on the emulator's clock
    int v1_async_enqueue_status = 202;  // the reference is uncertain (200 or 202): both must be producible
    bool v2_registrations_plural = false;  // v2 field "supplier_company_registration" (recorded) or "..._registrations"
};

constexpr const char *kReceiptModelId = "3f1c2a4e-5b6d-4e8f-9a0b-1c2d3e4f5a6b";  // an extraction model
constexpr const char *kReceiptWebhookId = "9b8c7d6e-0000-4a4a-8b8b-000000000001";
constexpr const char *kSplitModelId = "5d4e3f2a-1b0c-4d9e-8f7a-6b5c4d3e2f10";   // a split model
constexpr const char *kV1ReceiptPath = "/v1/products/mindee/expense_receipts/v5";

// The receipt model (with one webhook) and a split model.
std::vector<Model> default_models();

struct Document;  // mindee_documents.hpp
class SlidingWindow;  // mindee_rate_limit.hpp

class MindeeEmulator {
public:
    explicit MindeeEmulator(MindeeEmulatorOptions options = {});
    ~MindeeEmulator();
    MindeeEmulator(const MindeeEmulator &) = delete;
    MindeeEmulator &operator=(const MindeeEmulator &) = delete;

    void start();
    void stop();
    std::string v1_url() const;  // server base + "/v1"   (a connector's url with api_version v1)
    std::string v2_url() const;  // server base           (a connector's url with api_version v2)
    emulator::EmulatorServer &server() { return server_; }
    emulator::EmulatorClock &clock() { return server_.clock(); }
    const std::vector<Model> &models() const { return models_; }

    // Counters for tests and the benchmark.
    std::size_t v1_requests() const;   // every request under /v1
    std::size_t v2_requests() const;   // every request under /v2
    std::size_t predictions() const;   // documents actually processed (sync or async), i.e. billed reads
    std::size_t pages_billed() const;  // sum of their pages
    std::size_t rate_limited() const;  // 429s answered by the emulator's own windows

    // Faults shaped as Mindee's: the next `count` API requests of the version the failure is
    // for that pass the key check (and are under `path_prefix`, when given) get it. Failures
    // that have a shape in both versions apply to whichever comes first;
    // created_without_document is v1 only.
    enum class Failure {
        unauthorized,
        plan_limit,
        too_many_requests,
        inference_failed,
        bad_request_object_detail,
        created_without_document,
        bad_gateway_html,
        unavailable_html,
        gateway_timeout_html
    };
    void fail_next(Failure failure, int count = 1, std::string path_prefix = "");

    // Jobs whose processing time has elapsed on the clock become done (Processed/completed, or
    // Failed for a document that asks to fail); v2 webhooks of those jobs are delivered now,
    // from the caller's thread. Returns how many jobs finished. A poll of a due job finishes it
    // too, as the real service finishes jobs without being asked. The standalone program calls
    // this every 100 ms.
    int finish_due_jobs();

    // Where a model's v2 webhook delivers: POSTs to `url`, signed with `hmac_secret`, verifying
    // the receiver's certificate against `ca_file` when given (the system's CAs otherwise).
    void set_webhook_target(const std::string &webhook_id, std::string url, std::string hmac_secret,
                            std::string ca_file = "");
    std::size_t webhooks_delivered() const;  // deliveries the receiver took (2xx)
    std::size_t webhooks_failed() const;     // the others: no target, no answer, or not 2xx (never retried)

private:
    struct Job;
    struct PendingFailure {
        Failure failure;
        int count;
        std::string path_prefix;
    };
    struct WebhookTarget {
        std::string url, secret, ca_file;
    };
    enum class Version { v1, v2 };
    using Fn = emulator::Response (MindeeEmulator::*)(const emulator::Request &);

    void add_route(Version version, const std::string &method, const std::string &path, Fn fn);
    // Key check, fail_next, quotas, then the handler.
    emulator::Response gateway(Version version, const emulator::Request &request, Fn fn);
    std::optional<emulator::Response> take_failure(Version version, const emulator::Request &request);
    std::optional<emulator::Response> over_quota(Version version, const emulator::Request &request);
    std::string origin() const { return server_.base_url(); }

    // v1 (mindee_v1_api.cpp)
    emulator::Response v1_predict(const emulator::Request &r);
    emulator::Response v1_predict_async(const emulator::Request &r);
    emulator::Response v1_queue(const emulator::Request &r);
    emulator::Response v1_document(const emulator::Request &r);
    Document v1_upload(const emulator::Request &r, bool async) const;
    // v2 (mindee_v2_api.cpp)
    emulator::Response v2_enqueue(const emulator::Request &r);
    emulator::Response v2_job(const emulator::Request &r);
    emulator::Response v2_result(const emulator::Request &r);
    emulator::Response v2_search_models(const emulator::Request &r);
    const Model *find_model(const std::string &id) const;

    Poco::JSON::Object::Ptr v2_job_body(const Job &job) const;
    Poco::JSON::Object::Ptr v2_result_body(const Job &job) const;
    std::optional<std::string> webhook_url(const std::string &webhook_id) const;

    // Jobs (mindee_emulator.cpp)
    std::shared_ptr<Job> add_job(std::shared_ptr<Job> job);
    std::shared_ptr<Job> find_job(const std::string &id);
    std::shared_ptr<Job> find_v1_document(const std::string &document_id);
    Job snapshot(const std::shared_ptr<Job> &job);  // a copy, taken under the lock
    // Finishes `job` if it is due and not finished yet: bills it, delivers its webhooks.
    bool finish_if_due(const std::shared_ptr<Job> &job);
    void bill(const Document &document);
    void deliver_webhooks(const std::shared_ptr<Job> &job);

    MindeeEmulatorOptions options_;
    std::vector<Model> models_;
    emulator::EmulatorServer server_;

    std::mutex quota_mutex_;  // a v1 request must fit both windows: they are checked together
    std::unique_ptr<SlidingWindow> v1_second_, v1_minute_, v2_enqueues_, v2_polls_;
    std::atomic<std::size_t> predictions_{0}, pages_billed_{0}, rate_limited_{0};
    std::atomic<std::size_t> webhooks_delivered_{0}, webhooks_failed_{0};

    std::mutex failures_mutex_;
    std::deque<PendingFailure> failures_;

    std::mutex jobs_mutex_;
    std::map<std::string, std::shared_ptr<Job>> jobs_;  // by job id
    std::map<std::string, std::string> v1_documents_;  // document id -> job id

    mutable std::mutex targets_mutex_;
    std::map<std::string, WebhookTarget> webhook_targets_;
};

}  // namespace relais::mindee_emulator
