// What the administration console needs beside the resource endpoints: who the caller is, a
// settings check that saves nothing, the periodic tasks with "run now", and the figures of
// its charts. Each is an ordinary API endpoint, in the OpenAPI document, behind the same
// tokens and scopes as the others.
#include "http/api_error.hpp"
#include "http/api_routes.hpp"

#include "config/connector_settings.hpp"
#include "jobs/job_json.hpp"
#include "runtime/connector_manager.hpp"
#include "runtime/job_runtime.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>

#include <algorithm>

namespace relais::host::http {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::shared_ptr<const Connector> connector_or_404(ConnectorManager &m, const std::string &name) {
    auto c = m.find(name);
    if (!c) throw ApiError(404, "not_found", "no connector named '" + name + "'");
    return c;
}

Object::Ptr settings_body(const std::string &body) {
    if (body.empty()) return new Object;
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        return parser.parse(body).extract<Object::Ptr>();
    } catch (const Poco::BadCastException &) {
        throw ApiError(400, "invalid_input", "the settings must be a JSON object");
    } catch (const Poco::Exception &e) {
        throw ApiError(400, "invalid_input", "the settings are not valid JSON: " + e.displayText());
    }
}

// "/a/b" -> "a.b": the name a settings form gives the field ("" for the whole document).
std::string field_of(const std::string &pointer) {
    std::string field = pointer.empty() ? std::string() : pointer.substr(1);
    for (auto &ch : field)
        if (ch == '/') ch = '.';
    // JSON Pointer escapes, back to the property's own name.
    for (size_t at = field.find("~1"); at != std::string::npos; at = field.find("~1", at)) field.replace(at, 2, "/");
    for (size_t at = field.find("~0"); at != std::string::npos; at = field.find("~0", at)) field.replace(at, 2, "~");
    return field;
}

// PUT /api/v1/connectors/{name}/config/validate: the problems the same settings would meet at
// save, per field, without applying or saving anything. Secrets sent back as "[redacted]" count
// as their current value, as at save.
Object::Ptr validate_settings(const Connector &c, const Object::Ptr &incoming) {
    const auto restored =
        restore_redacted_secrets(*c.settings_schema, incoming, c.settings ? c.settings : c.source);
    const auto with_defaults = c.settings_schema->with_defaults(restored);
    Array::Ptr problems = new Array;
    for (const auto &e : c.settings_schema->validate(Poco::Dynamic::Var(with_defaults))) {
        Object::Ptr p = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        p->set("field", field_of(e.path));
        p->set("path", e.path);
        p->set("expected", e.expected);
        p->set("found", e.found);
        p->set("message", "expected " + e.expected + ", found " + e.found);
        problems->add(p);
    }
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("valid", problems->size() == 0);
    o->set("problems", problems);
    return o;
}

std::string time_text(int64_t ms) { return job_time_text(ms); }

Object::Ptr task_json(ApiContext &ctx, const std::string &connector, const PeriodicTask &task) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("connector", connector);
    o->set("name", task.name);
    o->set("action", task.action);
    o->set("interval_seconds", task.interval_ms / 1000);
    if (const auto next = ctx.jobs.scheduler().periodic().next_run(connector, task.name))
        o->set("next_run_at", time_text(*next));
    else
        o->set("next_run_at", Poco::Dynamic::Var());
    Poco::Dynamic::Var last;
    if (const auto at = ctx.jobs.store().last_periodic_run(connector, task.name)) {
        Object::Ptr run = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        run->set("at", time_text(*at));
        // The run's job, found by the key every run is enqueued with (periodic.hpp).
        if (const auto job =
                ctx.jobs.store().find(connector, "periodic:" + task.name + ":" + std::to_string(*at))) {
            run->set("job_id", job->id);
            run->set("state", std::string(to_string(job->state)));
            if (job->last_error) {
                run->set("error_class", job->last_error->error_class);
                run->set("error", job->last_error->message);
            }
        }
        last = run;
    }
    o->set("last_run", last);
    return o;
}

std::vector<PeriodicTask> tasks_of(ApiContext &ctx, const std::string &connector) {
    const auto policy = ctx.jobs.scheduler().policy(connector);
    return policy ? policy->periodic : std::vector<PeriodicTask>{};
}

}  // namespace

void add_console_routes(ApiRouter &router, ApiContext ctx) {
    router.add("GET", "/api/v1/whoami", Scope::any, [](const ApiRequest &req) {
        Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("name", req.token->name);
        Array::Ptr scopes = new Array;
        for (const auto &s : req.token->scopes) scopes->add(s);
        o->set("scopes", scopes);
        o->set("admin", req.token->has_scope("admin"));
        return ApiResponse::json(200, o);
    });
    router.add("PUT", "/api/v1/connectors/{name}/config/validate", Scope::admin, [ctx](const ApiRequest &req) {
        const auto c = connector_or_404(ctx.connectors, req.params.at("name"));
        return ApiResponse::json(200, validate_settings(*c, settings_body(req.body)));
    });
    router.add("GET", "/api/v1/tasks", Scope::any, [ctx](const ApiRequest &) mutable {
        Array::Ptr list = new Array;
        for (const auto &c : ctx.connectors.connectors())
            for (const auto &task : tasks_of(ctx, c->name())) list->add(task_json(ctx, c->name(), task));
        Object::Ptr o = new Object;
        o->set("tasks", list);
        return ApiResponse::json(200, o);
    });
    router.add("POST", "/api/v1/connectors/{name}/tasks/{task}/run", Scope::admin, [ctx](const ApiRequest &req) mutable {
        const auto c = connector_or_404(ctx.connectors, req.params.at("name"));
        const auto &name = req.params.at("task");
        const auto tasks = tasks_of(ctx, c->name());
        const auto task = std::find_if(tasks.begin(), tasks.end(), [&](const PeriodicTask &t) { return t.name == name; });
        if (task == tasks.end())
            throw ApiError(404, "not_found", "connector " + c->name() + " has no periodic task '" + name + "'");
        // An extra run now, beside the planned ones (which keep their times): its own key, so
        // a second click in the same millisecond is the same run.
        NewJob job;
        job.connector = c->name();
        job.action = task->action;
        job.input = task->input;
        job.idempotency_key = "run-now:" + task->name + ":" + std::to_string(ctx.jobs.scheduler().clock().now_ms());
        const auto policy = ctx.jobs.scheduler().policy(c->name());
        job.max_attempts = policy ? policy->retry.max_attempts : 3;
        const auto r = ctx.jobs.submit(std::move(job));
        auto out = ApiResponse::json(r.created ? 202 : 200, job_to_json(r.job));
        out.headers["Location"] = "/api/v1/jobs/" + std::to_string(r.job.id);
        return out;
    });
    router.add("GET", "/api/v1/stats", Scope::any, [ctx](const ApiRequest &req) mutable {
        int minutes = 60;
        if (const auto it = req.query.find("minutes"); it != req.query.end())
            if (!Poco::NumberParser::tryParse(it->second, minutes) || minutes < 1 || minutes > 1440)
                throw ApiError(400, "invalid_input", "minutes must be 1 to 1440");
        const auto now = ctx.jobs.scheduler().clock().now_ms();
        const auto since = (now / 60'000 - (minutes - 1)) * 60'000;
        Array::Ptr per_minute = new Array;
        for (const auto &m : ctx.jobs.store().finished_by_minute(since, now)) {
            Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            o->set("minute", time_text(m.minute));
            o->set("succeeded", m.succeeded);
            o->set("dead", m.dead);
            o->set("cancelled", m.cancelled);
            per_minute->add(o);
        }
        Array::Ptr quota = new Array;
        for (const auto &c : ctx.connectors.connectors()) {
            for (const auto &u : ctx.jobs.scheduler().quota().usage(c->name())) {
                Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                o->set("connector", c->name());
                o->set("scope", u.scope);
                o->set("limit", u.limit);
                o->set("window_seconds", static_cast<double>(u.window_ms) / 1000.0);
                o->set("used", u.used);
                o->set("describe", u.describe);
                quota->add(o);
            }
        }
        Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("since", time_text(since));
        o->set("now", time_text(now));
        o->set("jobs_per_minute", per_minute);
        o->set("quota", quota);
        return ApiResponse::json(200, o);
    });
}

}  // namespace relais::host::http
