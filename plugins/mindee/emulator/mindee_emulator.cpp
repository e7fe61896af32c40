// The emulator's core: routes, the gateway every API request passes (key, injected failures,
// rate limits), the counters and the asynchronous jobs.
#include "mindee_emulator.hpp"

#include "mindee_job.hpp"
#include "mindee_rate_limit.hpp"
#include "mindee_webhooks.hpp"
#include "mindee_wire.hpp"

#include <Poco/String.h>

#include <iostream>

namespace relais::mindee_emulator {

using emulator::Request;
using emulator::Response;
using namespace std::chrono;

std::vector<Model> default_models() {
    return {Model{kReceiptModelId, "Expense receipts", "extraction", {{kReceiptWebhookId, "relais"}}},
            Model{kSplitModelId, "Invoice splitter", "split", {}}};
}

MindeeEmulator::MindeeEmulator(MindeeEmulatorOptions options)
    : options_(std::move(options)),
      models_(options_.models.empty() ? default_models() : options_.models),
      server_(options_.server),
      v1_second_(std::make_unique<SlidingWindow>(options_.v1_per_second, seconds(1))),
      v1_minute_(std::make_unique<SlidingWindow>(options_.v1_per_minute, options_.quota_window)),
      v2_enqueues_(std::make_unique<SlidingWindow>(options_.v2_enqueues_per_minute, options_.quota_window)),
      v2_polls_(std::make_unique<SlidingWindow>(options_.v2_polls_per_minute, options_.quota_window)) {
    const std::string v1 = "/v1/products/{account}/{product}/{version}";
    add_route(Version::v1, "POST", v1 + "/predict", &MindeeEmulator::v1_predict);
    add_route(Version::v1, "POST", v1 + "/predict_async", &MindeeEmulator::v1_predict_async);
    add_route(Version::v1, "GET", v1 + "/documents/queue/{job_id}", &MindeeEmulator::v1_queue);
    add_route(Version::v1, "GET", v1 + "/documents/{document_id}", &MindeeEmulator::v1_document);

    add_route(Version::v2, "POST", "/v2/inferences/enqueue", &MindeeEmulator::v2_enqueue);
    add_route(Version::v2, "POST", "/v2/products/extraction/enqueue", &MindeeEmulator::v2_enqueue);
    add_route(Version::v2, "GET", "/v2/jobs/{job_id}", &MindeeEmulator::v2_job);
    add_route(Version::v2, "GET", "/v2/inferences/{inference_id}", &MindeeEmulator::v2_result);
    add_route(Version::v2, "GET", "/v2/products/extraction/results/{inference_id}", &MindeeEmulator::v2_result);
    add_route(Version::v2, "GET", "/v2/search/models", &MindeeEmulator::v2_search_models);
}

MindeeEmulator::~MindeeEmulator() { server_.stop(); }

void MindeeEmulator::start() { server_.start(); }
void MindeeEmulator::stop() { server_.stop(); }
std::string MindeeEmulator::v1_url() const { return server_.base_url() + "/v1"; }
std::string MindeeEmulator::v2_url() const { return server_.base_url(); }

std::size_t MindeeEmulator::v1_requests() const { return server_.count("", "/v1"); }
std::size_t MindeeEmulator::v2_requests() const { return server_.count("", "/v2"); }
std::size_t MindeeEmulator::predictions() const { return predictions_; }
std::size_t MindeeEmulator::pages_billed() const { return pages_billed_; }
std::size_t MindeeEmulator::rate_limited() const { return rate_limited_; }
std::size_t MindeeEmulator::webhooks_delivered() const { return webhooks_delivered_; }
std::size_t MindeeEmulator::webhooks_failed() const { return webhooks_failed_; }

void MindeeEmulator::add_route(Version version, const std::string &method, const std::string &path, Fn fn) {
    server_.route(method, path, [this, version, fn](const Request &r) { return gateway(version, r, fn); });
}

namespace {

Response v1_unauthorized(const std::string &url, const std::string &details) {
    return v1_error(401, url, "Unauthorized", details, "Authorization required");
}

Response v2_invalid_key() {
    return v2_problem(401, "Invalid API key", "The provided API key is invalid.", "401-001");
}

}  // namespace

Response MindeeEmulator::gateway(Version version, const Request &r, Fn fn) {
    const auto authorization = Poco::trim(r.header("Authorization").value_or(""));
    if (version == Version::v1) {
        const auto url = origin() + r.path;
        if (authorization.empty()) return v1_unauthorized(url, "No token provided");
        // The literal word Token, a space, the key: a bare v2-style key is not one.
        static const std::string kPrefix = "Token ";
        if (authorization.compare(0, kPrefix.size(), kPrefix) != 0 ||
            !options_.v1_keys.count(Poco::trim(authorization.substr(kPrefix.size()))))
            return v1_unauthorized(url, "Invalid token provided");
    } else {
        if (authorization.empty())
            return v2_problem(401, "Missing credentials", "Credentials are required.", "401-008");
        // The key alone: "Token md_..." or "Bearer md_..." is refused as an invalid key.
        if (!options_.v2_keys.count(authorization)) return v2_invalid_key();
    }
    if (auto failure = take_failure(version, r)) return *failure;
    if (auto refused = over_quota(version, r)) return *refused;
    return (this->*fn)(r);
}

// --- injected failures ----------------------------------------------------------------------

void MindeeEmulator::fail_next(Failure failure, int count, std::string path_prefix) {
    if (count <= 0) return;
    std::lock_guard lock(failures_mutex_);
    failures_.push_back({failure, count, std::move(path_prefix)});
}

namespace {

Response v1_failure(MindeeEmulator::Failure failure, const std::string &url) {
    using F = MindeeEmulator::Failure;
    switch (failure) {
    case F::unauthorized: return v1_unauthorized(url, "Invalid token provided");
    case F::plan_limit:
        return v1_error(403, url, "PlanLimitReached", "The page limit of your plan has been reached.",
                        "Plan limit reached");
    case F::too_many_requests: {
        auto r = v1_error(429, url, "TooManyRequests", "Too Many Requests.", "Too many requests");
        r.header("Retry-After", "1");
        return r;
    }
    case F::inference_failed: return v1_error(500, url, "failure", "Can not run prediction: ", "Inference failed");
    case F::bad_request_object_detail:
    case F::created_without_document: {
        // The recorded oddities: an error with an object as details, under "status":"success",
        // once with 400 and once with 201 and no document at all.
        const int status = failure == F::bad_request_object_detail ? 400 : 201;
        Poco::JSON::Array::Ptr messages = new Poco::JSON::Array;
        messages->add(std::string("Invalid document: a read error occurred."));
        Json details = object();
        details->set("document", messages);
        Json error = object();
        error->set("details", details);
        Json body = object();
        body->set("api_request", v1_api_request(status, url, {"document"}, error, "success"));
        return Response::json(status, body);
    }
    case F::bad_gateway_html: return html_gateway_error(502);
    case F::unavailable_html: return html_gateway_error(503);
    case F::gateway_timeout_html: return html_gateway_error(504);
    }
    return html_gateway_error(502);
}

Response v2_failure(MindeeEmulator::Failure failure) {
    using F = MindeeEmulator::Failure;
    switch (failure) {
    case F::unauthorized: return v2_invalid_key();
    case F::plan_limit:
        return v2_problem(402, "Plan limit reached", "The organization has used up the pages of its plan.", "402-001");
    case F::too_many_requests: {
        auto r = v2_problem(429, "Too Many Requests", "Too many requests, slow down.", "429-001");
        r.header("Retry-After", "1");
        return r;
    }
    case F::inference_failed:
        return v2_problem(500, "Inference failed", "The document could not be processed.", "500-001");
    case F::bad_request_object_detail:
    case F::created_without_document:
        return v2_problem(400, "Bad request", "The request could not be processed.", "400-001",
                          {{"#/file", "Invalid document: a read error occurred."}});
    case F::bad_gateway_html: return html_gateway_error(502);
    case F::unavailable_html: return html_gateway_error(503);
    case F::gateway_timeout_html: return html_gateway_error(504);
    }
    return html_gateway_error(502);
}

}  // namespace

std::optional<Response> MindeeEmulator::take_failure(Version version, const Request &r) {
    std::optional<Failure> taken;
    {
        std::lock_guard lock(failures_mutex_);
        for (auto it = failures_.begin(); it != failures_.end(); ++it) {
            if (!emulator::path_under(r.path, it->path_prefix)) continue;
            if (it->failure == Failure::created_without_document && version != Version::v1) continue;
            taken = it->failure;
            if (--it->count == 0) failures_.erase(it);
            break;
        }
    }
    if (!taken) return std::nullopt;
    return version == Version::v1 ? v1_failure(*taken, origin() + r.path) : v2_failure(*taken);
}

// --- rate limits ----------------------------------------------------------------------------

std::optional<Response> MindeeEmulator::over_quota(Version version, const Request &r) {
    const auto now = clock().now();
    std::optional<seconds> wait;
    {
        std::lock_guard lock(quota_mutex_);
        std::vector<SlidingWindow *> windows;
        if (version == Version::v1) {
            windows = {v1_second_.get(), v1_minute_.get()};
        } else if (r.method == "POST") {
            windows = {v2_enqueues_.get()};
        } else if (!emulator::path_under(r.path, "/v2/search")) {
            windows = {v2_polls_.get()};  // jobs and results; searching models is not a poll
        }
        for (auto *w : windows)
            if (const auto refused = w->refusal(now)) wait = std::max(wait.value_or(seconds(0)), *refused);
        if (!wait)
            for (auto *w : windows) w->count(now);
    }
    if (!wait) return std::nullopt;
    ++rate_limited_;
    Response refused = version == Version::v1
                           ? v1_error(429, origin() + r.path, "TooManyRequests", "Too Many Requests.", "Too many requests")
                           : v2_problem(429, "Too Many Requests",
                                        "Too many requests: at most " +
                                            std::to_string(r.method == "POST" ? options_.v2_enqueues_per_minute
                                                                              : options_.v2_polls_per_minute) +
                                            " a minute.",
                                        "429-001");
    refused.header("Retry-After", std::to_string(wait->count()));
    return refused;
}

// --- jobs -----------------------------------------------------------------------------------

std::shared_ptr<MindeeEmulator::Job> MindeeEmulator::add_job(std::shared_ptr<Job> job) {
    std::lock_guard lock(jobs_mutex_);
    jobs_[job->id] = job;
    if (!job->document_id.empty()) v1_documents_[job->document_id] = job->id;
    return job;
}

std::shared_ptr<MindeeEmulator::Job> MindeeEmulator::find_job(const std::string &id) {
    std::lock_guard lock(jobs_mutex_);
    const auto it = jobs_.find(id);
    return it == jobs_.end() ? nullptr : it->second;
}

std::shared_ptr<MindeeEmulator::Job> MindeeEmulator::find_v1_document(const std::string &document_id) {
    std::lock_guard lock(jobs_mutex_);
    const auto it = v1_documents_.find(document_id);
    if (it == v1_documents_.end()) return nullptr;
    const auto job = jobs_.find(it->second);
    return job == jobs_.end() ? nullptr : job->second;
}

MindeeEmulator::Job MindeeEmulator::snapshot(const std::shared_ptr<Job> &job) {
    std::lock_guard lock(jobs_mutex_);
    return *job;
}

void MindeeEmulator::bill(const Document &document) {
    ++predictions_;
    pages_billed_ += static_cast<std::size_t>(document.pages);
}

bool MindeeEmulator::finish_if_due(const std::shared_ptr<Job> &job) {
    const auto now = clock().now();
    {
        std::lock_guard lock(jobs_mutex_);
        if (job->state != Job::State::processing || now < job->due) return false;
        job->completed = now;
        job->state = job->document.receipt.asks_to_fail() ? Job::State::failed : Job::State::processed;
        if (job->state == Job::State::failed) return true;
    }
    bill(job->document);
    if (job->version == Version::v2) deliver_webhooks(job);
    return true;
}

int MindeeEmulator::finish_due_jobs() {
    std::vector<std::shared_ptr<Job>> all;
    {
        std::lock_guard lock(jobs_mutex_);
        for (const auto &[id, job] : jobs_)
            if (job->state == Job::State::processing) all.push_back(job);
    }
    int finished = 0;
    for (const auto &job : all)
        if (finish_if_due(job)) ++finished;
    return finished;
}

void MindeeEmulator::set_webhook_target(const std::string &webhook_id, std::string url, std::string hmac_secret,
                                        std::string ca_file) {
    std::lock_guard lock(targets_mutex_);
    webhook_targets_[webhook_id] = {std::move(url), std::move(hmac_secret), std::move(ca_file)};
}

std::optional<std::string> MindeeEmulator::webhook_url(const std::string &webhook_id) const {
    std::lock_guard lock(targets_mutex_);
    const auto it = webhook_targets_.find(webhook_id);
    if (it == webhook_targets_.end()) return std::nullopt;
    return it->second.url;
}

void MindeeEmulator::deliver_webhooks(const std::shared_ptr<Job> &job) {
    const auto done = snapshot(job);
    if (done.webhook_ids.empty()) return;
    const auto body = stringify(v2_result_body(done));
    for (const auto &id : done.webhook_ids) {
        std::optional<WebhookTarget> target;
        {
            std::lock_guard lock(targets_mutex_);
            if (const auto it = webhook_targets_.find(id); it != webhook_targets_.end()) target = it->second;
        }
        Job::WebhookDelivery delivery;
        delivery.id = id;
        delivery.at = clock().now();
        if (!target) {
            delivery.error = "no URL is set for this webhook";
        } else {
            const auto outcome = deliver_webhook(target->url, body, target->secret, target->ca_file);
            delivery.ok = outcome.ok;
            delivery.error = outcome.error;
        }
        if (delivery.ok) {
            ++webhooks_delivered_;
        } else {
            ++webhooks_failed_;
            std::cerr << "mindee emulator: webhook " << id << " of job " << done.id << " not delivered: " << delivery.error
                      << "\n";
        }
        std::lock_guard lock(jobs_mutex_);
        job->deliveries.push_back(delivery);
    }
}

}  // namespace relais::mindee_emulator
