#include "chorus_submission_store.hpp"

#include <relais/support/json.hpp>

#include <Poco/JSON/Array.h>

namespace relais::chorus {

using support::array_at;
using support::integer_at;
using support::string_at;

std::unique_lock<std::mutex> SubmissionLocks::lock(const std::string &key) {
    return std::unique_lock(stripes_[std::hash<std::string>{}(key) % stripes_.size()]);
}

void put_expiring(SubmissionStore &store, const Host &host, const std::string &key, const std::string &value,
                  std::chrono::milliseconds ttl) {
    if (store.durable() && host.offers(RELAIS_CAP_STATE_V2)) {
        host.state_write(key, value, Host::kAnyVersion, ttl);
        return;
    }
    store.put(key, value);
}

Json SubmissionRecord::to_json() const {
    Json o = new Poco::JSON::Object;
    o->set("key", key);
    o->set("invoice_number", invoice_number);
    o->set("file_sha256", file_sha256);
    o->set("file_name", file_name);
    o->set("syntax", syntax);
    o->set("phase", phase);
    o->set("created_at", created_at);
    o->set("attempt_started_at", attempt_started_at);
    o->set("flux_number", flux_number);
    o->set("deposit_date", deposit_date);
    o->set("fluxes", fluxes);
    o->set("redeposits", redeposits);
    o->set("tracking_started_at", tracking_started_at);
    o->set("polls", polls);
    o->set("polls_since_deposit", polls_since_deposit);
    o->set("tracking_job_id", tracking_job_id);
    o->set("state", state);
    o->set("chorus_state", chorus_state);
    if (!final_error.empty()) o->set("final_error", final_error);
    if (report) o->set("report", report);
    if (invoices) o->set("invoices", invoices);
    return o;
}

SubmissionRecord SubmissionRecord::from_json(const Json &o) {
    SubmissionRecord r;
    r.key = string_at(o, "key").value_or("");
    r.invoice_number = string_at(o, "invoice_number").value_or("");
    r.file_sha256 = string_at(o, "file_sha256").value_or("");
    r.file_name = string_at(o, "file_name").value_or("");
    r.syntax = string_at(o, "syntax").value_or("");
    r.phase = string_at(o, "phase").value_or("new");
    r.created_at = integer_at(o, "created_at").value_or(0);
    r.attempt_started_at = integer_at(o, "attempt_started_at").value_or(0);
    r.flux_number = string_at(o, "flux_number").value_or("");
    r.deposit_date = string_at(o, "deposit_date").value_or("");
    if (auto a = array_at(o, "fluxes")) r.fluxes = a;
    r.redeposits = integer_at(o, "redeposits").value_or(0);
    r.tracking_started_at = integer_at(o, "tracking_started_at").value_or(0);
    r.polls = integer_at(o, "polls").value_or(0);
    r.polls_since_deposit = integer_at(o, "polls_since_deposit").value_or(0);
    r.tracking_job_id = integer_at(o, "tracking_job_id").value_or(0);
    r.state = string_at(o, "state").value_or("new");
    r.chorus_state = string_at(o, "chorus_state").value_or("");
    r.final_error = string_at(o, "final_error").value_or("");
    r.report = support::object_at(o, "report");
    r.invoices = array_at(o, "invoices");
    return r;
}

}  // namespace relais::chorus
