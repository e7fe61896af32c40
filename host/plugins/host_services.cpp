#include "plugins/host_services.hpp"

#include "plugins/plugin_backend.hpp"

#include <Poco/Logger.h>

#include <cstddef>
#include <stdexcept>
#include <Poco/Message.h>

namespace relais::host {
namespace {

Poco::Message::Priority priority_of(relais_log_level level) {
    switch (level) {
    case RELAIS_LOG_TRACE: return Poco::Message::PRIO_TRACE;
    case RELAIS_LOG_DEBUG: return Poco::Message::PRIO_DEBUG;
    case RELAIS_LOG_INFO: return Poco::Message::PRIO_INFORMATION;
    case RELAIS_LOG_WARN: return Poco::Message::PRIO_WARNING;
    case RELAIS_LOG_ERROR: return Poco::Message::PRIO_ERROR;
    }
    return Poco::Message::PRIO_ERROR;  // an out-of-range level is treated as important
}

// These run on plugin threads and must never throw back into plugin code.
void log(relais_host_ctx *ctx, relais_log_level level, const char *message) noexcept {
    if (!ctx || !ctx->logger || !message) return;
    try {
        const auto prio = priority_of(level);
        if (ctx->logger->is(prio)) ctx->logger->log(Poco::Message(ctx->logger->name(), message, prio));
    } catch (...) {
    }
}

int log_enabled(relais_host_ctx *ctx, relais_log_level level) noexcept {
    if (!ctx || !ctx->logger) return 0;
    return ctx->logger->is(priority_of(level)) ? 1 : 0;
}

void fail(const relais_output *out, const std::string &message) noexcept {
    if (out && out->fail) out->fail(out->host_data, message.c_str(), nullptr, 0);
}

void append(const relais_output *out, const std::string &text) {
    if (out && out->append) out->append(out->host_data, text.data(), text.size());
}

relais_status enqueue(relais_host_ctx *ctx, const relais_job_request *request, const relais_output *out) noexcept {
    if (!ctx || !ctx->backend) return RELAIS_UNSUPPORTED;
    if (!request || request->struct_size < offsetof(relais_job_request, max_attempts) + sizeof(uint32_t) ||
        !request->action) {
        fail(out, "enqueue: the job request is missing or incomplete");
        return RELAIS_INVALID_INPUT;
    }
    try {
        const auto r = ctx->backend->enqueue(ctx->plugin_name, request->action,
                                             request->input_json ? request->input_json : "{}",
                                             request->idempotency_key ? request->idempotency_key : "",
                                             request->delay_ms, request->max_attempts);
        append(out, "{\"job_id\":" + std::to_string(r.job_id) + ",\"created\":" + (r.created ? "true" : "false") + "}");
        return RELAIS_OK;
    } catch (const std::invalid_argument &e) {
        fail(out, e.what());
        return RELAIS_INVALID_INPUT;
    } catch (const std::exception &e) {
        fail(out, e.what());
        return RELAIS_TRANSIENT;
    }
}

relais_status state_get(relais_host_ctx *ctx, const char *key, const relais_output *out) noexcept {
    if (!ctx || !ctx->backend) return RELAIS_UNSUPPORTED;
    if (!key) return RELAIS_INVALID_INPUT;
    try {
        const auto value = ctx->backend->state_get(ctx->plugin_name, key);
        if (!value) return RELAIS_NOT_FOUND;
        append(out, *value);
        return RELAIS_OK;
    } catch (const std::invalid_argument &e) {  // a key the state refuses (too long, not UTF-8)
        fail(out, e.what());
        return RELAIS_INVALID_INPUT;
    } catch (const std::exception &e) {
        fail(out, e.what());
        return RELAIS_TRANSIENT;
    }
}

relais_status state_put(relais_host_ctx *ctx, const char *key, const char *value, size_t length) noexcept {
    if (!ctx || !ctx->backend) return RELAIS_UNSUPPORTED;
    if (!key || (!value && length)) return RELAIS_INVALID_INPUT;
    try {
        ctx->backend->state_put(ctx->plugin_name, key, std::string(value ? value : "", length));
        return RELAIS_OK;
    } catch (const std::invalid_argument &e) {
        // A key or value over the state's limits. This service has no output for the reason:
        // the plugin's log gets it.
        log(ctx, RELAIS_LOG_WARN, (std::string("state_put refused: ") + e.what()).c_str());
        return RELAIS_INVALID_INPUT;
    } catch (const std::exception &) {
        return RELAIS_TRANSIENT;
    }
}

relais_status state_delete(relais_host_ctx *ctx, const char *key) noexcept {
    if (!ctx || !ctx->backend) return RELAIS_UNSUPPORTED;
    if (!key) return RELAIS_INVALID_INPUT;
    try {
        ctx->backend->state_delete(ctx->plugin_name, key);
        return RELAIS_OK;
    } catch (const std::invalid_argument &e) {
        log(ctx, RELAIS_LOG_WARN, (std::string("state_delete refused: ") + e.what()).c_str());
        return RELAIS_INVALID_INPUT;
    } catch (const std::exception &) {
        return RELAIS_TRANSIENT;
    }
}

relais_status quota_acquire(relais_call_ctx *call, uint32_t count, uint64_t max_wait_ms, uint64_t *retry_after_ms) noexcept {
    if (retry_after_ms) *retry_after_ms = 0;
    if (!call) return RELAIS_OK;
    try {
        return call->acquire_quota(count, max_wait_ms, retry_after_ms);
    } catch (...) {
        return RELAIS_INTERNAL;
    }
}

int cancelled(relais_call_ctx *call) noexcept {
    try {
        return call && call->cancelled() ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

uint64_t remaining_ms(relais_call_ctx *call) noexcept {
    try {
        return call ? call->remaining_ms() : UINT64_MAX;
    } catch (...) {
        return UINT64_MAX;
    }
}

const relais_host_services kServices = {
    sizeof(relais_host_services),
    RELAIS_ABI_VERSION,
    &log,
    &log_enabled,
    &enqueue,
    &state_get,
    &state_put,
    &state_delete,
    &quota_acquire,
    &cancelled,
    &remaining_ms,
};

}  // namespace

const relais_host_services *host_services() { return &kServices; }

std::unique_ptr<relais_host_ctx> make_host_ctx(const std::string &plugin_name, PluginBackend *backend) {
    auto ctx = std::make_unique<relais_host_ctx>();
    ctx->plugin_name = plugin_name;
    ctx->backend = backend;
    ctx->logger = &Poco::Logger::get("relais.plugin." + plugin_name);
    return ctx;
}

}  // namespace relais::host
