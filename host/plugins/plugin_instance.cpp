#include "plugins/plugin_instance.hpp"

#include "plugins/error_class.hpp"
#include "plugins/host_services.hpp"
#include "plugins/load_error.hpp"

namespace relais::host {
namespace {

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

    template <class F>
    CallResult run(F &&call) {
        const auto start = std::chrono::steady_clock::now();
        result.status = sanitize_status(static_cast<int>(call(&output)));
        result.duration = std::chrono::steady_clock::now() - start;
        if (!result.ok() && result.message.empty())
            result.message = "the plugin reported " + std::string(status_name(result.status)) + " without a message";
        return std::move(result);
    }
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
        return api.init(host_services(), self->host_ctx_.get(), &self->instance_, o);
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
    OutputCollector out;
    return out.run([&](const relais_output *o) { return api.test(instance_, call, o); });
}

CallResult PluginInstance::execute(const std::string &action, const std::string &input_json,
                                   const std::string &call_id, relais_call_ctx *call_ctx) {
    relais_call call{};
    call.struct_size = sizeof call;
    call.action = action.c_str();
    call.input_json = input_json.c_str();
    call.input_length = input_json.size();
    call.call = call_ctx;
    call.call_id = call_id.c_str();
    OutputCollector out;
    return out.run([&](const relais_output *o) { return library_->api().execute(instance_, &call, o); });
}

}  // namespace relais::host
