// Webhooks in: /api/v1/hooks/{connector}/{hook}[/{token}], GET and POST, served without the
// API's bearer token. The host only routes: the plugin authenticates each request (a secret
// in the path or query taken from its settings, an HMAC header) and answers quickly, having
// recorded what it needs and woken the job it concerns.
//
// Floods: at most kMaxInFlight webhook requests run at once across all hooks; more are
// answered 503 with Retry-After at once, before their body is read, so a flooded hook holds
// neither the API's threads (the rest of the pool stays free for the API) nor memory beyond
// kMaxInFlight bodies of the hook's limit.
#include "http/api_routes.hpp"

#include "http/api_error.hpp"
#include "observability/metrics.hpp"
#include "plugins/error_class.hpp"
#include "runtime/connector_manager.hpp"

#include <Poco/Logger.h>

#include <atomic>

namespace relais::host::http {
namespace {

constexpr int kMaxInFlight = 8;
constexpr std::uint64_t kDefaultHookBodyBytes = 1024 * 1024;

Poco::Logger &logger() { return Poco::Logger::get("relais.hooks"); }

// Counts a webhook request as in flight for its scope.
class InFlight {
public:
    explicit InFlight(std::atomic<int> &count) : count_(count), admitted_(++count_ <= kMaxInFlight) {}
    ~InFlight() { --count_; }
    InFlight(const InFlight &) = delete;
    InFlight &operator=(const InFlight &) = delete;
    bool admitted() const { return admitted_; }

private:
    std::atomic<int> &count_;
    bool admitted_;
};

int http_status_of(relais_status status) {
    switch (status) {
    case RELAIS_OK: return 200;
    case RELAIS_UNAUTHORIZED:
    case RELAIS_FORBIDDEN: return 401;
    case RELAIS_INVALID_INPUT: return 400;
    case RELAIS_NOT_FOUND: return 404;
    case RELAIS_RATE_LIMITED: return 429;
    default: return 503;
    }
}

ApiResponse handle(const ApiContext &ctx, std::atomic<int> &in_flight, const ApiRequest &req) {
    const auto &connector_name = req.params.at("connector");
    const auto &hook_name = req.params.at("hook");
    const auto record = [&](ApiResponse r) {
        ctx.metrics.record_webhook(connector_name, hook_name, r.status);
        return r;
    };
    const auto c = ctx.connectors.find(connector_name);
    const WebhookInfo *hook = c ? c->plugin.lib->descriptor().find_webhook(hook_name) : nullptr;
    // Series only for declared hooks: names taken from any URL would grow /metrics at will.
    const auto unknown = [&](int status) { ctx.metrics.record_webhook("", "", status); };
    InFlight slot(in_flight);
    if (!slot.admitted()) {
        ApiError busy(503, "busy", "too many webhook requests at once; try again shortly");
        busy.headers["Retry-After"] = "1";
        if (hook) ctx.metrics.record_webhook(connector_name, hook_name, 503);
        else unknown(503);
        throw busy;
    }
    if (!hook) {
        unknown(404);
        throw ApiError(404, "not_found", "no webhook " + connector_name + "/" + hook_name);
    }
    if ((req.method == "GET" && !hook->get) || (req.method == "POST" && !hook->post)) {
        ApiError e(405, "method_not_allowed", "webhook " + connector_name + "/" + hook_name + " does not take " + req.method);
        e.headers["Allow"] = hook->get && hook->post ? "GET, POST" : hook->get ? "GET" : "POST";
        ctx.metrics.record_webhook(connector_name, hook_name, 405);
        throw e;
    }
    if (c->state != Connector::State::configured) {
        ctx.metrics.record_webhook(connector_name, hook_name, 503);
        throw ApiError(503, "unavailable", "connector " + connector_name + " is not ready (" +
                                               std::string(state_name(c->state)) + ")");
    }

    PluginInstance::WebhookCall call;
    call.hook = hook_name;
    call.method = req.method;
    if (const auto token = req.params.find("token"); token != req.params.end()) call.path_suffix = token->second;
    call.query = req.raw_query;
    call.headers = req.headers;
    call.remote_address = req.remote_address;
    try {
        call.body = req.read_body(hook->max_body_bytes ? hook->max_body_bytes : kDefaultHookBodyBytes);
    } catch (const ApiError &e) {
        ctx.metrics.record_webhook(connector_name, hook_name, e.status());
        throw;
    }

    const auto result = c->plugin.instance->handle_webhook(call);
    const int status = http_status_of(result.status);
    if (result.ok()) {
        ApiResponse r;
        r.status = 200;
        r.body = result.body.empty() ? "{}" : result.body;
        return record(r);
    }
    // Neither the body nor the query is logged: either may carry the secret being checked.
    const auto line = "webhook " + connector_name + "/" + hook_name + " from " + req.remote_address + ": " +
                      std::string(status_name(result.status)) + ": " + result.message;
    if (status == 401) logger().warning("refused " + line);
    else logger().information(line);
    ctx.metrics.record_webhook(connector_name, hook_name, status);
    ApiError e(status, std::string(status_name(result.status)),
               status == 401 ? "the request could not be authenticated" : result.message);
    if (status == 429 || status == 503)
        e.headers["Retry-After"] = std::to_string(std::max<uint64_t>(1, (result.retry_after_ms + 999) / 1000));
    throw e;
}

}  // namespace

void add_hook_routes(ApiRouter &router, ApiContext ctx) {
    auto in_flight = std::make_shared<std::atomic<int>>(0);
    for (const char *method : {"GET", "POST"})
        for (const char *path : {"/api/v1/hooks/{connector}/{hook}", "/api/v1/hooks/{connector}/{hook}/{token}"})
            router.add(method, path, Scope::none, BodyKind::webhook,
                       [ctx, in_flight](const ApiRequest &req) { return handle(ctx, *in_flight, req); });
}

}  // namespace relais::host::http
