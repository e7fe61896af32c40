#include "http/api_routes.hpp"

#include "runtime/connector_manager.hpp"
#include "plugins/error_class.hpp"
#include "runtime/job_runtime.hpp"
#include "observability/metrics.hpp"
#include "observability/job_gauges.hpp"
#include "http/api_error.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Handler.h>
#include <Poco/JSON/Parser.h>

#include <atomic>
#include <chrono>
#include <random>
#include <sstream>

namespace relais::host::http {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr parse_json_object(const std::string &text) {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse(text).extract<Object::Ptr>();
}

Object::Ptr parse_body_object(const std::string &body, const std::string &what) {
    if (body.empty()) return new Object;
    try {
        return parse_json_object(body);
    } catch (const Poco::BadCastException &) {
        throw ApiError(400, "invalid_input", what + " must be a JSON object");
    } catch (const Poco::Exception &e) {
        throw ApiError(400, "invalid_input", what + " is not valid JSON: " + e.displayText());
    }
}

Array::Ptr string_array(const std::vector<std::string> &items) {
    Array::Ptr a = new Array;
    for (const auto &i : items) a->add(i);
    return a;
}

std::shared_ptr<const Connector> connector_or_404(ConnectorManager &m, const std::string &name) {
    auto c = m.find(name);
    if (!c) throw ApiError(404, "not_found", "no connector named '" + name + "'");
    return c;
}

Object::Ptr test_json(const TestRecord &t) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    const auto &r = t.result;
    o->set("verdict", r.ok() ? "passed" : r.status == RELAIS_UNSUPPORTED ? "unsupported" : "failed");
    o->set("class", std::string(status_name(r.status)));
    if (!r.ok()) o->set("message", r.message);
    o->set("duration_ms", std::chrono::duration_cast<std::chrono::milliseconds>(r.duration).count());
    o->set("at", t.at);
    Array::Ptr steps = new Array;
    try {
        if (!r.body.empty()) {
            if (auto parsed = parse_json_object(r.body)->getArray("steps")) steps = parsed;
        }
    } catch (const std::exception &) {
    }
    o->set("steps", steps);
    for (size_t i = 0; i < steps->size(); ++i) {
        const auto step = steps->getObject(i);
        if (step && !step->optValue<bool>("ok", true)) {
            o->set("failed_step", step->optValue<std::string>("name", ""));
            break;
        }
    }
    return o;
}

// What the console's overview shows beside a connector's state: its jobs by state, the use
// of its quota windows, and the URLs of its webhooks.
void add_activity(Object &o, const Connector &c, JobRuntime &jobs) {
    Object::Ptr counts = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto state : kAllJobStates) counts->set(std::string(to_string(state)), jobs.store().count(state, c.name()));
    o.set("jobs", counts);
    Array::Ptr quota = new Array;
    for (const auto &u : jobs.scheduler().quota().usage(c.name())) {
        Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        item->set("scope", u.scope);
        item->set("limit", u.limit);
        item->set("window_seconds", static_cast<double>(u.window_ms) / 1000.0);
        item->set("used", u.used);
        item->set("describe", u.describe);
        quota->add(item);
    }
    o.set("quota", quota);
    Array::Ptr hooks = new Array;
    for (const auto &h : c.plugin.lib->descriptor().webhooks) {
        Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        item->set("name", h.name);
        item->set("description", h.description);
        Array::Ptr methods = new Array;
        if (h.get) methods->add("GET");
        if (h.post) methods->add("POST");
        item->set("methods", methods);
        item->set("path", "/api/v1/hooks/" + c.name() + "/" + h.name);
        hooks->add(item);
    }
    o.set("webhooks", hooks);
}

Object::Ptr connector_json(const Connector &c, const ConnectorManager &m, bool details, JobRuntime *jobs = nullptr) {
    const auto &lib = *c.plugin.lib;
    const auto &d = lib.descriptor();
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("name", d.name);
    o->set("version", d.version);
    o->set("description", d.description);
    o->set("state", std::string(state_name(c.state)));
    if (!c.problems.empty()) o->set("problems", string_array(c.problems));
    o->set("file", lib.path().filename().string());
    o->set("abi", lib.abi_version());
    o->set("has_test", d.has_test);
    Array::Ptr actions = new Array;
    for (const auto &a : d.actions) {
        if (!details) {
            actions->add(a.name);
            continue;
        }
        Object::Ptr action = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        action->set("name", a.name);
        action->set("description", a.description);
        action->set("input_schema", parse_json_object(a.input_schema));
        actions->add(action);
    }
    o->set("actions", actions);
    if (const auto t = m.last_test(d.name)) o->set("last_test", test_json(*t));
    if (jobs) add_activity(*o, c, *jobs);
    if (!details) return o;

    o->set("settings", c.redacted_settings());
    o->set("settings_schema", parse_json_object(d.settings_schema));
    Array::Ptr quotas = new Array;
    for (const auto &q : d.quotas) {
        Object::Ptr quota = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        quota->set("scope", q.scope);
        quota->set("per_second", q.per_second);
        quota->set("per_day", q.per_day);
        quotas->add(quota);
    }
    o->set("quotas", quotas);
    if (c.adjustments) o->set("adjustments", c.adjustments);
    Array::Ptr tasks = new Array;
    for (const auto &t : d.periodic_tasks) {
        Object::Ptr task = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        task->set("name", t.name);
        task->set("action", t.action);
        task->set("interval_seconds", t.interval_seconds);
        task->set("start_delay_seconds", t.start_delay_seconds);
        tasks->add(task);
    }
    o->set("periodic_tasks", tasks);
    return o;
}

// A parse handler that keeps nothing: for checking that a document is JSON.
class SyntaxOnly : public Poco::JSON::Handler {
public:
    void reset() override {}
    void startObject() override {}
    void endObject() override {}
    void startArray() override {}
    void endArray() override {}
    void key(const std::string &) override {}
    void null() override {}
    void value(int) override {}
    void value(unsigned) override {}
#if defined(POCO_HAVE_INT64)
    void value(Poco::Int64) override {}
    void value(Poco::UInt64) override {}
#endif
    void value(const std::string &) override {}
    void value(double) override {}
    void value(bool) override {}
};

// Unique within this process, and unlikely to repeat across restarts.
std::string next_call_id() {
    static const uint32_t run = std::random_device{}();
    static std::atomic<uint64_t> counter{0};
    std::ostringstream s;
    s << "call-" << std::hex << run << "-" << std::dec << ++counter;
    return s.str();
}

ApiError plugin_error(const CallResult &r) {
    Object::Ptr details;
    if (!r.detail_json.empty()) {
        try {
            details = parse_json_object(r.detail_json);
        } catch (const std::exception &) {
            details = new Object;
            details->set("raw", r.detail_json);
        }
    }
    ApiError e(http_status_for(r.status), std::string(status_name(r.status)), r.message, details);
    if (r.retry_after_ms > 0) e.headers["Retry-After"] = std::to_string((r.retry_after_ms + 999) / 1000);
    return e;
}

ApiResponse run_action(ApiContext &ctx, const ApiRequest &req) {
    const auto c = connector_or_404(ctx.connectors, req.params.at("name"));
    const auto &action = req.params.at("action");
    const auto schema = c->action_schemas.find(action);
    if (schema == c->action_schemas.end()) {
        Object::Ptr details = new Object;
        std::vector<std::string> names;
        for (const auto &[n, s] : c->action_schemas) names.push_back(n);
        details->set("actions", string_array(names));
        throw ApiError(404, "not_found", "connector " + c->name() + " has no action '" + action + "'", details);
    }
    if (c->state == Connector::State::invalid_config) {
        Object::Ptr details = new Object;
        details->set("problems", string_array(c->problems));
        throw ApiError(409, "invalid_config", "connector " + c->name() + " is not usable: its settings are invalid",
                       details);
    }
    if (c->state == Connector::State::disabled)
        throw ApiError(409, "invalid_config", "connector " + c->name() + " is disabled (enabled is false)");
    // An action that waits on the other side (a signature, a payment) cannot answer within one
    // request: it runs as a job, followed through the job's state or callback.
    if (const auto *info = c->plugin.lib->descriptor().find_action(action); info && info->job_only)
        throw ApiError(409, "job_only",
                       "action " + c->name() + "." + action +
                           " runs only as a job: submit it with POST /api/v1/jobs and follow the job");

    const auto input = parse_body_object(req.body, "the action's input");
    const auto errors = schema->second->validate(Poco::Dynamic::Var(input));
    if (!errors.empty()) {
        Array::Ptr list = new Array;
        std::string first;
        for (const auto &e : errors) {
            Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            item->set("path", e.path);
            item->set("expected", e.expected);
            item->set("found", e.found);
            list->add(item);
            if (first.empty()) first = e.message();
        }
        Object::Ptr details = new Object;
        details->set("errors", list);
        throw ApiError(400, "invalid_input", "input of " + c->name() + "." + action + " is invalid: " + first, details);
    }

    // The connector's quota is shared with its jobs; a synchronous call does not wait for it.
    if (const auto policy = ctx.jobs.scheduler().policy(c->name()); policy && policy->quota_per_action) {
        if (const auto wait = ctx.jobs.scheduler().quota().try_acquire(c->name(), 1); wait > 0) {
            ApiError e(429, "rate_limited", "the quota of connector " + c->name() + " is used up for now");
            e.headers["Retry-After"] = std::to_string((wait + 999) / 1000);
            throw e;
        }
    }
    // The body as received: validated above, and an object (an empty body stands for {}).
    const auto call_id = next_call_id();
    const auto call = ctx.jobs.sync_call(c->name());
    const auto r = ctx.connectors.execute(*c, action, req.body.empty() ? std::string("{}") : req.body, call_id, call.get());
    if (!r.ok()) throw plugin_error(r);
    // A third-party plugin may write anything; the answer must still be JSON. Only the
    // syntax is checked, without building the document.
    try {
        Poco::JSON::Parser parser(new SyntaxOnly);
        parser.parse(r.body.empty() ? std::string("{}") : r.body);
    } catch (const std::exception &) {
        throw ApiError(500, "internal", "connector " + c->name() + " returned a result that is not valid JSON");
    }
    ApiResponse out;
    out.body = "{\"call_id\":\"" + call_id + "\",\"duration_ms\":" +
               std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(r.duration).count()) +
               ",\"result\":" + (r.body.empty() ? std::string("{}") : r.body) + "}";
    return out;
}

ApiResponse text(int status, std::string body, std::string content_type) {
    ApiResponse r;
    r.status = status;
    r.body = std::move(body);
    r.content_type = std::move(content_type);
    return r;
}

}  // namespace

ApiRouter make_api_router(ApiContext ctx) {
    ApiRouter router;
    router.add("GET", "/healthz", Scope::none, [](const ApiRequest &) {
        Object::Ptr o = new Object;
        o->set("status", "ok");
        return ApiResponse::json(200, o);
    });
    router.add("GET", "/readyz", Scope::none, [ctx](const ApiRequest &) {
        Object::Ptr o = new Object;
        const bool ready = ctx.ready.load();
        o->set("status", ready ? "ready" : "not_ready");
        o->set("connectors", ctx.connectors.connectors().size());
        return ApiResponse::json(ready ? 200 : 503, o);
    });
    router.add("GET", "/metrics", Scope::any, [ctx](const ApiRequest &) {
        std::vector<std::string> names;
        for (const auto &c : ctx.connectors.connectors()) names.push_back(c->name());
        const auto jobs = read_job_gauges(ctx.jobs.store(), std::move(names), SystemClock().now_ms());
        return text(200, ctx.metrics.render_prometheus(&jobs), "text/plain; version=0.0.4; charset=utf-8");
    });
    router.add("GET", "/api/v1/openapi.json", Scope::any,
               [](const ApiRequest &) { return text(200, openapi_document(), "application/json"); });

    router.add("GET", "/api/v1/connectors", Scope::any, [ctx](const ApiRequest &) {
        Array::Ptr list = new Array;
        for (const auto &c : ctx.connectors.connectors())
            list->add(connector_json(*c, ctx.connectors, false, &ctx.jobs));
        Object::Ptr o = new Object;
        o->set("connectors", list);
        return ApiResponse::json(200, o);
    });
    router.add("GET", "/api/v1/connectors/{name}", Scope::any, [ctx](const ApiRequest &req) {
        const auto c = connector_or_404(ctx.connectors, req.params.at("name"));
        return ApiResponse::json(200, connector_json(*c, ctx.connectors, true, &ctx.jobs));
    });
    router.add("PUT", "/api/v1/connectors/{name}/config", Scope::admin, [ctx](const ApiRequest &req) {
        connector_or_404(ctx.connectors, req.params.at("name"));
        const auto settings = parse_body_object(req.body, "the settings");
        const auto outcome = ctx.connectors.reconfigure(req.params.at("name"), settings);
        if (outcome.status != RELAIS_OK) {
            Object::Ptr details = new Object;
            details->set("problems", string_array(outcome.problems));
            throw ApiError(400, std::string(status_name(outcome.status)),
                           "settings of " + req.params.at("name") + " refused: " +
                               (outcome.problems.empty() ? std::string() : outcome.problems.front()),
                           details);
        }
        const auto c = ctx.connectors.find(req.params.at("name"));
        return ApiResponse::json(200, connector_json(*c, ctx.connectors, true));
    });
    router.add("POST", "/api/v1/connectors/{name}/test", Scope::admin, [ctx](const ApiRequest &req) {
        const auto c = connector_or_404(ctx.connectors, req.params.at("name"));
        if (c->state == Connector::State::invalid_config) {
            Object::Ptr details = new Object;
            details->set("problems", string_array(c->problems));
            throw ApiError(409, "invalid_config", "connector " + c->name() + " cannot be tested: its settings are invalid",
                           details);
        }
        ctx.connectors.test(*c, ctx.jobs.sync_call(c->name()).get());
        return ApiResponse::json(200, test_json(*ctx.connectors.last_test(c->name())));
    });
    router.add("POST", "/api/v1/connectors/{name}/actions/{action}", Scope::client, BodyKind::connector_input,
               [ctx](const ApiRequest &req) mutable { return run_action(ctx, req); });
    add_job_routes(router, ctx);
    add_console_routes(router, ctx);
    add_log_routes(router, ctx);
    add_event_routes(router, ctx);
    add_hook_routes(router, ctx);
    router.add("POST", "/api/v1/plugins/reload", Scope::admin, [ctx](const ApiRequest &) {
        const auto report = ctx.connectors.reload();
        Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("loaded", string_array(report.loaded));
        o->set("unchanged", string_array(report.unchanged));
        Array::Ptr refused = new Array;
        for (const auto &r : report.refused) {
            Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            item->set("file", r.file);
            item->set("reason", r.reason);
            refused->add(item);
        }
        o->set("refused", refused);
        return ApiResponse::json(200, o);
    });
    return router;
}

}  // namespace relais::host::http
