#include "jobs/job_json.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Timestamp.h>

namespace relais::host {

std::string job_time_text(int64_t ms) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(ms * 1000), Poco::DateTimeFormat::ISO8601_FRAC_FORMAT);
}
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string iso(int64_t ms) { return job_time_text(ms); }

Poco::Dynamic::Var json_or_text(const std::string &text) {
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        return parser.parse(text);
    } catch (const Poco::Exception &) {
        return text;
    }
}

}  // namespace

Object::Ptr job_to_json(const Job &j, bool include_input) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("id", j.id);
    o->set("connector", j.connector);
    o->set("action", j.action);
    o->set("state", std::string(to_string(j.state)));
    if (j.idempotency_key) o->set("idempotency_key", *j.idempotency_key);
    o->set("attempts", j.attempts);
    o->set("max_attempts", j.max_attempts);
    o->set("run_at", iso(j.run_at));
    // When it runs next: for a waiting or retrying job, what a client polls for.
    if (j.state == JobState::queued || j.state == JobState::waiting || j.state == JobState::failed_retrying)
        o->set("next_run_at", iso(j.run_at));
    o->set("step", j.step);
    if (j.checkpoint) o->set("progress", json_or_text(*j.checkpoint));
    if (j.deadline_at) o->set("deadline_at", iso(*j.deadline_at));
    o->set("created_at", iso(j.created_at));
    o->set("updated_at", iso(j.updated_at));
    if (j.cancel_requested) o->set("cancel_requested", true);
    if (include_input) o->set("input", json_or_text(j.input));
    if (j.result) o->set("result", json_or_text(*j.result));
    if (j.last_error) {
        Object::Ptr e = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        e->set("class", j.last_error->error_class);
        e->set("message", j.last_error->message);
        if (!j.last_error->detail.empty()) e->set("details", json_or_text(j.last_error->detail));
        o->set("last_error", e);
    }
    if (j.callback_url) o->set("callback_url", *j.callback_url);
    if (j.callback_progress) o->set("callback_progress", true);
    return o;
}

Object::Ptr job_detail_to_json(const JobDetail &d, bool include_input) {
    auto o = job_to_json(d.job, include_input);
    Array::Ptr attempts = new Array;
    for (const auto &a : d.attempts) {
        Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        item->set("number", a.number);
        item->set("started_at", iso(a.started_at));
        if (a.finished_at) item->set("finished_at", iso(*a.finished_at));
        item->set("outcome", a.outcome ? *a.outcome : std::string("running"));
        if (!a.message.empty()) item->set("message", a.message);
        if (!a.detail.empty()) item->set("details", json_or_text(a.detail));
        if (a.retry_after_ms) item->set("retry_after_ms", *a.retry_after_ms);
        attempts->add(item);
    }
    o->set("attempt_history", attempts);
    return o;
}

}  // namespace relais::host
