#include "plugins/plugin_instance.hpp"

#include "plugins/error_class.hpp"
#include "plugins/host_services.hpp"
#include "plugins/load_error.hpp"
#include "plugins/plugin_backend.hpp"

#include <algorithm>

namespace relais::host {
namespace {

// A step may ask for any delay up to a year; longer is read as a year (a job's deadline is
// what bounds how long it may wait in total).
constexpr uint64_t kMaxContinueDelayMs = 365ULL * 86'400'000;

// Collects what a plugin writes through relais_output during one call.
struct OutputCollector {
    CallResult result;
    bool failed = false;
    relais_output output{};

    OutputCollector() {
        output.struct_size = sizeof output;
        output.host_data = this;
        output.append = [](void *self, const char *bytes, size_t length) {
            if (bytes && length) static_cast<OutputCollector *>(self)->result.body.append(bytes, length);
        };
        output.fail = [](void *self, const char *message, const char *detail, uint64_t retry_after_ms) {
            auto &c = *static_cast<OutputCollector *>(self);
            if (c.failed) return;  // the first description wins
            c.failed = true;
            c.result.message = message ? message : "";
            c.result.detail_json = detail ? detail : "";
            c.result.retry_after_ms = retry_after_ms;
        };
    }

    // Offers continue_later to a job step only: a synchronous call must finish or fail.
    void allow_continue() {
        output.continue_later = [](void *self, uint64_t delay_ms, const char *checkpoint, size_t length) {
            auto &c = *static_cast<OutputCollector *>(self);
            ContinueLater later;
            later.delay_ms = static_cast<int64_t>(std::min<uint64_t>(delay_ms, kMaxContinueDelayMs));
            later.checkpoint = checkpoint && length ? std::string(checkpoint, length) : std::string("null");
            c.result.later = std::move(later);
        };
    }

    template <class F>
    CallResult run(F &&call) {
        const auto start = std::chrono::steady_clock::now();
        result.status = sanitize_status(static_cast<int>(call(&output)));
        result.duration = std::chrono::steady_clock::now() - start;
        if (!result.ok()) result.later.reset();  // a failed step keeps the previous checkpoint
        if (result.later) result.body.clear();
        if (!result.ok() && result.message.empty())
            result.message = "the plugin reported " + std::string(status_name(result.status)) + " without a message";
        return std::move(result);
    }
};

// The per-call services of a call made without any (the standalone CLI, unit tests): no quota,
// never cancelled, no deadline; but its log lines are still tagged with its id.
struct UnboundCall final : relais_call_ctx {
    relais_status acquire_quota(uint32_t, uint64_t, uint64_t *retry_after_ms) override {
        if (retry_after_ms) *retry_after_ms = 0;
        return RELAIS_OK;
    }
    relais_status take_quota(const std::string &, const std::string &, uint32_t, uint64_t,
                             uint64_t *retry_after_ms) override {
        if (retry_after_ms) *retry_after_ms = 0;
        return RELAIS_OK;
    }
    bool cancelled() const override { return false; }
    uint64_t remaining_ms() const override { return UINT64_MAX; }
};

}  // namespace

PluginInstance::PluginInstance(std::shared_ptr<const PluginLibrary> library, PluginBackend *backend, Metrics *metrics)
    : library_(std::move(library)), host_ctx_(make_host_ctx(library_->descriptor().name, backend)) {
    host_ctx_->metrics = metrics;
}

std::shared_ptr<PluginInstance> PluginInstance::create(std::shared_ptr<const PluginLibrary> library,
                                                       PluginBackend *backend, Metrics *metrics) {
    std::shared_ptr<PluginInstance> self(new PluginInstance(std::move(library), backend, metrics));
    OutputCollector out;
    const auto &api = self->library_->api();
    auto result = out.run([&](const relais_output *o) {
        return api.init(host_services(backend), self->host_ctx_.get(), &self->instance_, o);
    });
    if (!result.ok()) {
        self->instance_ = nullptr;  // a failed init owns nothing we may shut down
        throw LoadError(self->library_->path().filename().string(),
                        "init failed (" + std::string(status_name(result.status)) + "): " + result.message);
    }
    if (!self->instance_)
        throw LoadError(self->library_->path().filename().string(), "init succeeded but returned no instance");
    return self;
}

PluginInstance::~PluginInstance() {
    if (instance_) library_->api().shutdown(instance_);
}

CallResult PluginInstance::configure(const std::string &settings_json) {
    OutputCollector out;
    return out.run([&](const relais_output *o) {
        return library_->api().configure(instance_, settings_json.data(), settings_json.size(), o);
    });
}

CallResult PluginInstance::test(relais_call_ctx *call) {
    const auto &api = library_->api();
    if (!api.test) {
        CallResult r;
        r.status = RELAIS_UNSUPPORTED;
        r.message = "plugin " + descriptor().name + " has no connection test";
        return r;
    }
    UnboundCall unbound;
    if (!call) call = &unbound;
    call->logger = host_ctx_->logger;
    call->call_id = "test";
    OutputCollector out;
    return out.run([&](const relais_output *o) { return api.test(instance_, call, o); });
}

CallResult PluginInstance::execute(const std::string &action, const std::string &input_json,
                                   const std::string &call_id, relais_call_ctx *call_ctx, const StepInput &step) {
    UnboundCall unbound;
    if (!call_ctx) call_ctx = &unbound;
    call_ctx->logger = host_ctx_->logger;
    call_ctx->call_id = call_id;
    relais_call call{};
    call.struct_size = sizeof call;
    call.action = action.c_str();
    call.input_json = input_json.c_str();
    call.input_length = input_json.size();
    call.call = call_ctx;
    call.call_id = call_id.c_str();
    call.checkpoint_json = step.checkpoint ? step.checkpoint->c_str() : nullptr;
    call.checkpoint_length = step.checkpoint ? step.checkpoint->size() : 0;
    call.step = step.step;
    call.idempotency_key = step.idempotency_key ? step.idempotency_key->c_str() : nullptr;
    OutputCollector out;
    if (step.step > 0) out.allow_continue();
    return out.run([&](const relais_output *o) { return library_->api().execute(instance_, &call, o); });
}

CallResult PluginInstance::handle_webhook(const WebhookCall &request) {
    const auto &api = library_->api();
    const bool has_handler =
        api.struct_size >= offsetof(relais_plugin_api, handle_webhook) + sizeof(api.handle_webhook) && api.handle_webhook;
    if (!has_handler) {
        CallResult r;
        r.status = RELAIS_UNSUPPORTED;
        r.message = "plugin " + descriptor().name + " handles no webhook";
        return r;
    }
    std::vector<const char *> headers;
    headers.reserve(request.headers.size() * 2);
    for (const auto &[name, value] : request.headers) {
        headers.push_back(name.c_str());
        headers.push_back(value.c_str());
    }
    relais_webhook_request r{};
    r.struct_size = sizeof r;
    r.hook = request.hook.c_str();
    r.method = request.method.c_str();
    r.path_suffix = request.path_suffix.c_str();
    r.query = request.query.c_str();
    r.headers = headers.data();
    r.header_count = request.headers.size();
    r.body = request.body.data();
    r.body_length = request.body.size();
    r.remote_address = request.remote_address.c_str();
    OutputCollector out;
    return out.run([&](const relais_output *o) { return api.handle_webhook(instance_, &r, o); });
}

}  // namespace relais::host
