// /api/v1/jobs: enqueue, follow, list, cancel and retry durable jobs.
#include "http/api_error.hpp"
#include "http/api_routes.hpp"

#include "runtime/job_runtime.hpp"
#include "jobs/job_json.hpp"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>

#include <algorithm>
#include <map>

namespace relais::host::http {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

// An RFC 3339 time, or ms since the epoch as a number.
int64_t parse_time(const Poco::Dynamic::Var &value, const std::string &field) {
    if (value.isNumeric()) return value.convert<int64_t>();
    try {
        int tz = 0;
        const auto dt = Poco::DateTimeParser::parse(Poco::DateTimeFormat::ISO8601_FORMAT, value.toString(), tz);
        return (dt.timestamp().epochMicroseconds() - static_cast<int64_t>(tz) * 1'000'000) / 1000;
    } catch (const Poco::Exception &) {
        throw ApiError(400, "invalid_input", field + " must be an RFC 3339 time such as 2026-11-22T10:00:00Z");
    }
}

JobId job_id(const ApiRequest &req) {
    int64_t id = 0;
    if (!Poco::NumberParser::tryParse64(req.params.at("id"), id) || id <= 0)
        throw ApiError(404, "not_found", "no job " + req.params.at("id"));
    return id;
}

Object::Ptr body_object(const std::string &body) {
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        return parser.parse(body.empty() ? std::string("{}") : body).extract<Object::Ptr>();
    } catch (const Poco::BadCastException &) {
        throw ApiError(400, "invalid_input", "the job must be a JSON object");
    } catch (const Poco::Exception &e) {
        throw ApiError(400, "invalid_input", "the job is not valid JSON: " + e.displayText());
    }
}

// ?include=input: the job's input is shown only when asked for.
bool include_input(const ApiRequest &req) {
    const auto it = req.query.find("include");
    if (it == req.query.end()) return false;
    if (it->second != "input") throw ApiError(400, "invalid_input", "include must be \"input\", not \"" + it->second + "\"");
    return true;
}

// Up to ten years: a larger deadline is a mistake (milliseconds sent as seconds, say).
constexpr int64_t kMaxDeadlineSeconds = 10LL * 366 * 86'400;

NewJob new_job(const Object::Ptr &o, JobRuntime &jobs) {
    for (const auto &[key, value] : *o) {
        static const std::set<std::string> known = {
            "connector",    "action",           "input",            "idempotency_key", "run_at", "max_attempts",
            "callback_url", "deadline_seconds", "callback_progress"};
        if (!known.count(key)) throw ApiError(400, "invalid_input", "unknown field '" + key + "' in the job");
    }
    NewJob job;
    if (!o->has("connector") || !o->get("connector").isString())
        throw ApiError(400, "invalid_input", "the job needs \"connector\", a string");
    if (!o->has("action") || !o->get("action").isString())
        throw ApiError(400, "invalid_input", "the job needs \"action\", a string");
    job.connector = o->getValue<std::string>("connector");
    job.action = o->getValue<std::string>("action");
    if (o->has("input")) {
        const auto input = o->getObject("input");
        if (!input) throw ApiError(400, "invalid_input", "\"input\" must be a JSON object");
        std::ostringstream text;
        input->stringify(text);
        job.input = text.str();
    }
    if (o->has("idempotency_key")) {
        const auto key = o->get("idempotency_key");
        if (!key.isString() || key.toString().empty() || key.toString().size() > 200)
            throw ApiError(400, "invalid_input", "\"idempotency_key\" must be a string of 1 to 200 characters");
        job.idempotency_key = key.toString();
    }
    if (o->has("run_at")) job.run_at = parse_time(o->get("run_at"), "\"run_at\"");
    const auto policy = jobs.scheduler().policy(job.connector);
    job.max_attempts = policy ? policy->retry.max_attempts : 3;
    if (o->has("max_attempts")) {
        const auto v = o->get("max_attempts");
        if (!v.isInteger() || v.convert<int>() < 1 || v.convert<int>() > 100)
            throw ApiError(400, "invalid_input", "\"max_attempts\" must be an integer from 1 to 100");
        job.max_attempts = v.convert<int>();
    }
    if (o->has("callback_url")) {
        const auto url = o->get("callback_url").toString();
        if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
            throw ApiError(400, "invalid_input", "\"callback_url\" must be an http or https URL");
        job.callback_url = url;
    }
    if (o->has("deadline_seconds")) {
        const auto v = o->get("deadline_seconds");
        if (!v.isNumeric() || v.convert<double>() <= 0 || v.convert<double>() > static_cast<double>(kMaxDeadlineSeconds))
            throw ApiError(400, "invalid_input",
                           "\"deadline_seconds\" must be a number of seconds above 0 and at most " +
                               std::to_string(kMaxDeadlineSeconds));
        job.deadline_at =
            jobs.scheduler().clock().now_ms() + static_cast<int64_t>(v.convert<double>() * 1000.0 + 0.5);
    }
    if (o->has("callback_progress")) {
        const auto v = o->get("callback_progress");
        if (!v.isBoolean()) throw ApiError(400, "invalid_input", "\"callback_progress\" must be true or false");
        job.callback_progress = v.convert<bool>();
        if (job.callback_progress && !job.callback_url)
            throw ApiError(400, "invalid_input", "\"callback_progress\" needs a \"callback_url\" to post to");
    }
    return job;
}

// The filter fields of GET /api/v1/jobs, /api/v1/jobs/count and the bulk "filter" object,
// as strings (a query's values, or an object's).
using FilterFields = std::map<std::string, Poco::Dynamic::Var>;

FilterFields query_fields(const std::map<std::string, std::string> &query) {
    FilterFields fields;
    for (const auto &[k, v] : query)
        if (k != "limit" && k != "cursor" && k != "include") fields[k] = v;
    return fields;
}

// `where` prefixes the field names in errors ("filter." for the bulk body).
ListFilter filter_of(const FilterFields &fields, const std::string &where) {
    ListFilter filter;
    const auto text = [&](const std::string &key, const Poco::Dynamic::Var &v) {
        if (!v.isString() || v.toString().empty())
            throw ApiError(400, "invalid_input", where + key + " must be a non-empty string");
        return v.toString();
    };
    for (const auto &[key, value] : fields) {
        if (key == "state") {
            filter.state = job_state_from_string(text(key, value));
            if (!filter.state)
                throw ApiError(400, "invalid_input",
                               "unknown " + where + "state '" + value.toString() +
                                   "' (queued, running, waiting, succeeded, failed_retrying, dead, cancelled)");
        } else if (key == "connector") {
            filter.connector = text(key, value);
        } else if (key == "action") {
            filter.action = text(key, value);
        } else if (key == "idempotency_key") {
            filter.idempotency_key = text(key, value);
        } else if (key == "since") {
            filter.since = parse_time(value, where + "since");
        } else if (key == "until") {
            filter.until = parse_time(value, where + "until");
        } else {
            throw ApiError(400, "invalid_input",
                           "unknown filter '" + where + key +
                               "' (state, connector, action, idempotency_key, since, until)");
        }
    }
    return filter;
}

// How many jobs one bulk request may change: past it, the answer says how many are left, and
// the same request goes on with them.
constexpr int kMaxBulkJobs = 10'000;

// POST /api/v1/jobs/bulk: {"operation": "retry"|"cancel", "filter": {...}, "expected_count": n}.
// Done here, job by job through the same paths as the single-job endpoints (a cancel fires
// the final callback of a waiting job), not page by page by the caller. With expected_count,
// nothing is done when the filter no longer matches that many jobs (what the person
// confirmed is what is done).
Object::Ptr run_bulk(const ApiContext &ctx, const Object::Ptr &body) {
    for (const auto &[key, value] : *body)
        if (key != "operation" && key != "filter" && key != "expected_count")
            throw ApiError(400, "invalid_input", "unknown field '" + key + "' (operation, filter, expected_count)");
    const auto operation = body->optValue<std::string>("operation", "");
    if (operation != "retry" && operation != "cancel")
        throw ApiError(400, "invalid_input", "\"operation\" must be \"retry\" or \"cancel\"");
    FilterFields fields;
    if (body->has("filter")) {
        const auto filter_object = body->getObject("filter");
        if (!filter_object) throw ApiError(400, "invalid_input", "\"filter\" must be an object");
        for (const auto &[k, v] : *filter_object) fields[k] = v;
    }
    const auto filter = filter_of(fields, "filter.");
    const auto matched = ctx.jobs.store().count_matching(filter);
    if (body->has("expected_count")) {
        const auto expected = body->get("expected_count");
        if (!expected.isInteger() || expected.convert<int64_t>() < 0)
            throw ApiError(400, "invalid_input", "\"expected_count\" must be an integer of at least 0");
        if (expected.convert<int64_t>() != matched) {
            Object::Ptr details = new Object;
            details->set("matched", matched);
            details->set("expected_count", expected.convert<int64_t>());
            throw ApiError(409, "count_changed",
                           "the filter now matches " + std::to_string(matched) + " jobs, not " +
                               expected.toString() + ": nothing was changed; confirm the new count",
                           details);
        }
    }
    const auto ids = ctx.jobs.store().ids_matching(filter, kMaxBulkJobs);
    int64_t changed = 0;
    const auto now = ctx.jobs.scheduler().clock().now_ms();
    for (const auto id : ids) {
        if (operation == "retry" ? ctx.jobs.store().retry(id, now) : ctx.jobs.scheduler().cancel(id)) ++changed;
    }
    if (operation == "retry" && changed > 0) ctx.jobs.scheduler().notify();
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("operation", operation);
    o->set("matched", matched);
    o->set("changed", changed);
    // Those the operation does not apply to: a retry of a job that is not dead or cancelled,
    // a cancel of one already finished.
    o->set("unchanged", static_cast<int64_t>(ids.size()) - changed);
    o->set("remaining", std::max<int64_t>(0, matched - static_cast<int64_t>(ids.size())));
    return o;
}

}  // namespace

void add_job_routes(ApiRouter &router, ApiContext ctx) {
    router.add("POST", "/api/v1/jobs", Scope::client, BodyKind::connector_input, [ctx](const ApiRequest &req) {
        auto job = new_job(body_object(req.body), ctx.jobs);
        EnqueueResult r;
        try {
            r = ctx.jobs.submit(std::move(job));
        } catch (const std::out_of_range &e) {
            throw ApiError(404, "not_found", e.what());
        } catch (const std::invalid_argument &e) {
            throw ApiError(400, "invalid_input", e.what());
        }
        // 202: accepted and on disk; 200: this idempotency key already named a job.
        auto out = ApiResponse::json(r.created ? 202 : 200, job_to_json(r.job));
        out.headers["Location"] = "/api/v1/jobs/" + std::to_string(r.job.id);
        return out;
    });
    router.add("GET", "/api/v1/jobs", Scope::client, [ctx](const ApiRequest &req) {
        ListFilter filter = filter_of(query_fields(req.query), "");
        if (const auto it = req.query.find("limit"); it != req.query.end()) {
            int limit = 0;
            if (!Poco::NumberParser::tryParse(it->second, limit) || limit < 1 || limit > kMaxListLimit)
                throw ApiError(400, "invalid_input", "limit must be 1 to " + std::to_string(kMaxListLimit));
            filter.limit = limit;
        }
        if (const auto it = req.query.find("cursor"); it != req.query.end()) filter.cursor = it->second;
        const bool with_input = include_input(req);
        Page page;
        try {
            page = ctx.jobs.store().list(filter);
        } catch (const std::invalid_argument &e) {
            throw ApiError(400, "invalid_input", e.what());
        }
        Array::Ptr list = new Array;
        for (const auto &j : page.jobs) list->add(job_to_json(j, with_input));
        Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("jobs", list);
        if (page.next_cursor) o->set("next_cursor", *page.next_cursor);
        return ApiResponse::json(200, o);
    });
    router.add("GET", "/api/v1/jobs/count", Scope::client, [ctx](const ApiRequest &req) {
        const auto filter = filter_of(query_fields(req.query), "");
        Object::Ptr o = new Object;
        o->set("count", ctx.jobs.store().count_matching(filter));
        return ApiResponse::json(200, o);
    });
    router.add("POST", "/api/v1/jobs/bulk", Scope::admin, [ctx](const ApiRequest &req) {
        return ApiResponse::json(200, run_bulk(ctx, body_object(req.body)));
    });
    router.add("GET", "/api/v1/jobs/{id}", Scope::client, [ctx](const ApiRequest &req) {
        const bool with_input = include_input(req);
        const auto detail = ctx.jobs.store().get(job_id(req));
        if (!detail) throw ApiError(404, "not_found", "no job " + req.params.at("id"));
        return ApiResponse::json(200, job_detail_to_json(*detail, with_input));
    });
    router.add("POST", "/api/v1/jobs/{id}/cancel", Scope::client, [ctx](const ApiRequest &req) {
        const auto id = job_id(req);
        if (!ctx.jobs.store().get(id)) throw ApiError(404, "not_found", "no job " + req.params.at("id"));
        if (!ctx.jobs.scheduler().cancel(id))
            throw ApiError(409, "conflict", "job " + req.params.at("id") + " has already finished");
        return ApiResponse::json(200, job_detail_to_json(*ctx.jobs.store().get(id)));
    });
    router.add("POST", "/api/v1/jobs/{id}/retry", Scope::client, [ctx](const ApiRequest &req) {
        const auto id = job_id(req);
        if (!ctx.jobs.store().get(id)) throw ApiError(404, "not_found", "no job " + req.params.at("id"));
        if (!ctx.jobs.store().retry(id, ctx.jobs.scheduler().clock().now_ms()))
            throw ApiError(409, "conflict", "job " + req.params.at("id") + " is neither dead nor cancelled");
        ctx.jobs.scheduler().notify();
        return ApiResponse::json(200, job_detail_to_json(*ctx.jobs.store().get(id)));
    });
}

}  // namespace relais::host::http
