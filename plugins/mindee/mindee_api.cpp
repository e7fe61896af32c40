#include "mindee_api.hpp"

#include "mindee_errors.hpp"
#include "mindee_jobs.hpp"
#include "mindee_json.hpp"

#include <relais/support/multipart.hpp>
#include <relais/support/url.hpp>

#include <Poco/String.h>

namespace relais::mindee {

using support::HttpRequest;
using support::HttpResponse;

namespace {

std::vector<std::string> split_ids(const std::string &text) {
    std::vector<std::string> out;
    std::string current;
    for (char c : text + ",") {
        if (c == ',') {
            const auto id = Poco::trim(current);
            if (!id.empty()) out.push_back(id);
            current.clear();
        } else {
            current += c;
        }
    }
    return out;
}

void take(const Gate &gate, const char *scope) {
    if (!gate.call) return;
    gate.call->take_quota(scope, "", 1, gate.max_wait);
}

}  // namespace

MindeeApi::MindeeApi(const Settings &s, std::shared_ptr<support::HttpClient> http, Host host)
    : version_(s.api_version), url_(s.url), api_key_(s.api_key), model_id_(s.model_id), product_(s.product),
      confidence_(s.v2_confidence), webhook_ids_(split_ids(s.webhook_ids)), http_(std::move(http)), host_(host) {}

std::string MindeeApi::v1_product_url() const { return url_ + "/products/" + product_; }

std::string MindeeApi::on_our_origin(const std::string &url, const std::string &fallback) const {
    try {
        if (!url.empty() && support::parse_origin(url).key() == support::parse_origin(url_).key()) return url;
    } catch (const std::invalid_argument &) {
    }
    return fallback;
}

HttpResponse MindeeApi::send(HttpRequest request, const char *scope, const Gate &gate, const std::string &what) {
    take(gate, scope);
    request.header("Authorization", version_ == ApiVersion::v1 ? "Token " + api_key_ : api_key_);
    request.header("Accept", "application/json");
    HttpResponse response;
    try {
        response = http_->send(request);
    } catch (const support::TransportError &e) {
        throw transport_error(e, what);
    }
    if (response.status == 429) {
        const auto error = mindee_error(response, version_, what);
        host_.quota_report(scope, "", error.retry_after());
        throw error;
    }
    return response;
}

Json MindeeApi::predict(const Upload &file, const Gate &gate) {
    const std::string what = "reading " + file.name;
    support::Multipart form;
    form.file("document", file.name, file.mime, file.bytes);
    const auto r = send(HttpRequest::post(v1_product_url() + "/predict").multipart(form), "requests", gate, what);
    if (!r.ok()) throw mindee_error(r, version_, what);
    const auto body = r.json("Mindee's prediction");
    // A 2xx without a document happens (api_request.error.details says why): it is no reading.
    if (!object_at(body, "document")) {
        const auto why = describe_v1_error(body);
        if (why.find("document") != std::string::npos)
            throw invalid_input(what + ": Mindee could not read the document (HTTP " + std::to_string(r.status) + ": " +
                                why + ")");
        throw transient(what + ": Mindee answered HTTP " + std::to_string(r.status) + " without a document (" + why + ")");
    }
    return body;
}

Pending MindeeApi::enqueue(const Upload &file, const Gate &gate) {
    const std::string what = "sending " + file.name;
    support::Multipart form;
    HttpRequest request;
    const char *scope = "requests";
    if (version_ == ApiVersion::v1) {
        form.file("document", file.name, file.mime, file.bytes);
        request = HttpRequest::post(v1_product_url() + "/predict_async");
    } else {
        form.field("model_id", model_id_);
        form.file("file", file.name, file.mime, file.bytes);
        form.field("alias", file.name);
        if (confidence_) form.field("confidence", "true");
        for (const auto &id : webhook_ids_) form.field("webhook_ids", id);
        request = HttpRequest::post(url_ + "/v2/inferences/enqueue");
        scope = "enqueues";
    }
    const auto r = send(request.multipart(form), scope, gate, what);
    if (r.status == 404 && version_ == ApiVersion::v2)
        throw invalid_config(what + ": Mindee knows no model " + model_id_ + " for this key (HTTP 404" +
                             (describe_mindee_body(r).empty() ? "" : ": " + describe_mindee_body(r)) + "); check model_id");
    if (!r.ok()) throw mindee_error(r, version_, what);
    const auto body = r.json("Mindee's answer to the enqueue");
    const auto job = object_at(body, "job");
    const auto id = text_at(job, "id");
    if (!id) throw transient(what + ": Mindee's answer (HTTP " + std::to_string(r.status) + ") has no job id");
    Pending p;
    p.job_id = *id;
    if (version_ == ApiVersion::v1)
        p.poll_url = v1_product_url() + "/documents/queue/" + *id;
    else
        p.poll_url = on_our_origin(text_at(job, "polling_url").value_or(""), url_ + "/v2/jobs/" + *id);
    return p;
}

PollResult MindeeApi::poll(const Pending &pending, const Gate &gate) {
    return version_ == ApiVersion::v1 ? poll_v1(pending, gate) : poll_v2(pending, gate);
}

PollResult MindeeApi::poll_v1(const Pending &pending, const Gate &gate) {
    const std::string what = "looking at Mindee's job " + pending.job_id;
    auto request = HttpRequest::get(pending.poll_url);
    request.follow_redirects = true;
    const auto r = send(request, "requests", gate, what);
    if (!r.ok()) throw mindee_error(r, version_, what);
    const auto body = r.json("Mindee's job");
    const auto job = read_v1_job(body);
    PollResult out;
    if (job.status == JobState::Status::failed) {
        out.state = PollResult::State::failed;
        out.reason = job.reason;
    } else if (job.status == JobState::Status::processed) {
        if (!object_at(body, "document"))
            throw transient(what + ": Mindee says the job is completed but sent no document");
        out.state = PollResult::State::done;
        out.body = body;
    }
    return out;  // waiting, processing
}

PollResult MindeeApi::poll_v2(const Pending &pending, const Gate &gate) {
    const std::string what = "looking at Mindee's job " + pending.job_id;
    auto request = HttpRequest::get(pending.poll_url);
    request.follow_redirects = true;
    auto r = send(request, "polls", gate, what);
    PollResult out;
    // The result may not be readable yet right after the job says Processed.
    if (r.status == 404 && r.redirects_followed > 0) return out;
    if (!r.ok()) throw mindee_error(r, version_, what);
    auto body = r.json("Mindee's job");
    if (!object_at(body, "inference")) {
        const auto job = read_v2_job(body);
        if (job.status == JobState::Status::failed) {
            out.state = PollResult::State::failed;
            out.reason = job.reason;
            return out;
        }
        if (job.status != JobState::Status::processed) return out;  // Processing
        const auto result_url = on_our_origin(job.result_url, url_ + "/v2/inferences/" + pending.job_id);
        r = send(HttpRequest::get(result_url), "polls", gate, "reading the result of Mindee's job " + pending.job_id);
        if (r.status == 404) return out;
        if (!r.ok()) throw mindee_error(r, version_, what);
        body = r.json("Mindee's result");
        if (!object_at(body, "inference")) throw transient(what + ": Mindee's result has no inference");
    }
    out.state = PollResult::State::done;
    out.body = body;
    return out;
}

Reading MindeeApi::reading_of(const Json &body) const {
    return version_ == ApiVersion::v1 ? read_v1_prediction(body) : read_v2_result(body);
}

std::string MindeeApi::check_key(const Gate &gate) {
    if (version_ == ApiVersion::v1) {
        const std::string what = "checking the API key";
        const auto r = send(HttpRequest::get(v1_product_url() + "/documents/queue/00000000-0000-4000-8000-000000000000"),
                            "requests", gate, what);
        if (r.status == 404 || r.ok())
            return "Mindee accepted the key for " + product_ + " (asked for a job that does not exist: HTTP " +
                   std::to_string(r.status) + ", no page spent); the subscription to the product and a real read are "
                   "not checked without spending a page";
        throw mindee_error(r, version_, what);
    }
    const std::string what = "listing the account's models";
    const auto r = send(HttpRequest::get(url_ + "/v2/search/models"), "polls", gate, what);
    if (!r.ok()) throw mindee_error(r, version_, what);
    const auto body = r.json("Mindee's model list");
    const auto models = array_at(body, "models");
    return "Mindee accepted the key (" + std::to_string(models ? models->size() : 0) + " models listed, no page spent)";
}

std::string MindeeApi::check_model(const Gate &gate) {
    if (version_ == ApiVersion::v1) return "v1 names a product, not a model: " + product_;
    const std::string what = "looking for model " + model_id_;
    std::size_t seen = 0;
    for (int page = 1; page <= 20; ++page) {
        auto request = HttpRequest::get(url_ + "/v2/search/models");
        if (page > 1) request.query({{"page", std::to_string(page)}});
        const auto r = send(request, "polls", gate, what);
        if (!r.ok()) throw mindee_error(r, version_, what);
        const auto body = r.json("Mindee's model list");
        for (const auto &m : objects_in(body, "models")) {
            ++seen;
            if (Poco::icompare(text_at(m, "id").value_or(""), model_id_) != 0) continue;
            const auto type = text_at(m, "model_type").value_or("?");
            if (type != "extraction")
                throw invalid_config("model_id " + model_id_ + " is a " + type + " model (" + text_at(m, "name").value_or("") +
                                     "); read_receipt needs an extraction model");
            return "model " + model_id_ + " found: " + text_at(m, "name").value_or("(no name)") + " (extraction)";
        }
        const auto pagination = object_at(body, "pagination");
        if (page >= static_cast<int>(number_at(pagination, "total_pages").value_or(1))) break;
    }
    throw invalid_config("model_id " + model_id_ + " is not among the " + std::to_string(seen) +
                         " models this API key can use; copy the id of the extraction model from Mindee's platform");
}

}  // namespace relais::mindee
