#include "plugins/host_services.hpp"

#include "observability/logging.hpp"
#include "observability/metrics.hpp"
#include "plugins/plugin_backend.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
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

// ---- ABI revision 2 ----

// The status a backend's exception maps to, with its message for the plugin.
relais_status failure(const relais_output *out, const std::exception &e) noexcept {
    fail(out, e.what());
    if (dynamic_cast<const PluginBackend::Unsupported *>(&e)) return RELAIS_UNSUPPORTED;
    if (dynamic_cast<const std::invalid_argument *>(&e)) return RELAIS_INVALID_INPUT;
    return RELAIS_TRANSIENT;
}

std::optional<std::string> text_or_none(const char *s) {
    if (!s) return std::nullopt;
    return std::string(s);
}

// Goes down the same channel as log(), so the same redaction applies; the id is in the text
// for text lines and grep, and in a field of its own for JSON lines (see logging.hpp).
void call_log(relais_call_ctx *call, relais_log_level level, const char *message) noexcept {
    if (!call || !call->logger || !message) return;
    try {
        const auto prio = priority_of(level);
        if (!call->logger->is(prio)) return;
        if (call->call_id.empty()) {
            call->logger->log(Poco::Message(call->logger->name(), message, prio));
            return;
        }
        Poco::Message m(call->logger->name(), "[" + call->call_id + "] " + message, prio);
        m.set(kCallField, call->call_id);
        call->logger->log(m);
    } catch (...) {
    }
}

relais_status wake(relais_host_ctx *ctx, const char *idempotency_key, const char *call_id) noexcept {
    if (!ctx || !ctx->backend) return RELAIS_UNSUPPORTED;
    try {
        std::optional<int64_t> job_id;
        if (!idempotency_key) {
            // Call ids of jobs are "job-<id>"; anything else names no job.
            const std::string id = call_id ? call_id : "";
            if (id.rfind("job-", 0) != 0 || id.size() == 4 || id.find_first_not_of("0123456789", 4) != std::string::npos)
                return RELAIS_NOT_FOUND;
            job_id = std::stoll(id.substr(4));
        }
        return ctx->backend->wake(ctx->plugin_name, idempotency_key ? idempotency_key : "", job_id) ? RELAIS_OK
                                                                                                     : RELAIS_NOT_FOUND;
    } catch (const PluginBackend::Unsupported &) {
        return RELAIS_UNSUPPORTED;
    } catch (...) {
        return RELAIS_TRANSIENT;
    }
}

relais_status state_read(relais_host_ctx *ctx, const char *key, const relais_output *out, uint64_t *version) noexcept {
    if (version) *version = 0;
    if (!ctx || !ctx->backend) return RELAIS_UNSUPPORTED;
    if (!key) return RELAIS_INVALID_INPUT;
    try {
        const auto entry = ctx->backend->state_read(ctx->plugin_name, key);
        if (!entry) return RELAIS_NOT_FOUND;
        append(out, entry->value);
        if (version) *version = entry->version;
        return RELAIS_OK;
    } catch (const std::exception &e) {
        return failure(out, e);
    }
}

relais_status state_write(relais_host_ctx *ctx, const char *key, const char *value, size_t length,
                          uint64_t expected_version, uint64_t ttl_ms, int *written, uint64_t *version,
                          const relais_output *out) noexcept {
    if (written) *written = 0;
    if (version) *version = 0;
    if (!ctx || !ctx->backend) return RELAIS_UNSUPPORTED;
    if (!key || (!value && length)) {
        fail(out, "state_write: the key, or the value's bytes, are missing");
        return RELAIS_INVALID_INPUT;
    }
    try {
        const auto r = ctx->backend->state_write(ctx->plugin_name, key, std::string(value ? value : "", length),
                                                 expected_version, ttl_ms);
        if (written) *written = r.written ? 1 : 0;
        if (version) *version = r.version;
        return RELAIS_OK;
    } catch (const std::exception &e) {
        return failure(out, e);
    }
}

relais_status state_list(relais_host_ctx *ctx, const char *prefix, const char *cursor, uint32_t limit,
                         const relais_output *out) noexcept {
    if (!ctx || !ctx->backend) return RELAIS_UNSUPPORTED;
    try {
        const auto page = ctx->backend->state_list(ctx->plugin_name, prefix ? prefix : "", text_or_none(cursor), limit);
        Poco::JSON::Object answer;
        Poco::JSON::Array keys;
        for (const auto &k : page.keys) {
            Poco::JSON::Object entry;
            entry.set("key", k.key);
            entry.set("version", k.version);
            entry.set("size", k.size);
            if (k.expires_at_ms) entry.set("expires_at_ms", *k.expires_at_ms);
            else entry.set("expires_at_ms", Poco::Dynamic::Var());
            keys.add(entry);
        }
        answer.set("keys", keys);
        if (page.next_cursor) answer.set("next_cursor", *page.next_cursor);
        else answer.set("next_cursor", Poco::Dynamic::Var());
        std::ostringstream text;
        answer.stringify(text);
        append(out, text.str());
        return RELAIS_OK;
    } catch (const std::exception &e) {
        return failure(out, e);
    }
}

relais_status quota_take(relais_call_ctx *call, const char *scope, const char *key, uint32_t count,
                         uint64_t max_wait_ms, uint64_t *retry_after_ms) noexcept {
    if (retry_after_ms) *retry_after_ms = 0;
    if (!call) return RELAIS_OK;
    try {
        return call->take_quota(scope ? scope : "requests", key ? key : "", count, max_wait_ms, retry_after_ms);
    } catch (const std::invalid_argument &) {
        return RELAIS_INVALID_INPUT;
    } catch (...) {
        return RELAIS_INTERNAL;
    }
}

void quota_release(relais_call_ctx *call, const char *scope, const char *key) noexcept {
    if (!call) return;
    try {
        call->release_quota(scope ? scope : "requests", key ? key : "");
    } catch (...) {
    }
}

void quota_report(relais_host_ctx *ctx, const char *scope, const char *key, uint64_t retry_after_ms,
                  int64_t remaining, uint64_t reset_after_ms) noexcept {
    if (!ctx || !ctx->backend) return;
    try {
        ctx->backend->quota_report(ctx->plugin_name, scope ? scope : "requests", key ? key : "", retry_after_ms,
                                   remaining, reset_after_ms);
    } catch (...) {
    }
}

relais_status emit_event(relais_host_ctx *ctx, const char *type, const char *subject, const char *data_json,
                         const char *dedupe_key, const relais_output *out) noexcept {
    if (!ctx || !ctx->backend) return RELAIS_UNSUPPORTED;
    if (!type) {
        fail(out, "emit_event: the event has no type");
        return RELAIS_INVALID_INPUT;
    }
    try {
        ctx->backend->emit_event(ctx->plugin_name, type, subject ? subject : "", data_json ? data_json : "{}",
                                 text_or_none(dedupe_key));
        return RELAIS_OK;
    } catch (const std::exception &e) {
        return failure(out, e);
    }
}

// Plugin metrics: see metric_add/metric_observe in relais/plugin.h and PluginMetrics. A
// refused sample is reported once per metric name, on the plugin's own logger.
void warn_refused(relais_host_ctx *ctx, const std::optional<std::string> &refusal) noexcept {
    if (!refusal || !ctx->logger) return;
    try {
        ctx->logger->warning(*refusal);
    } catch (...) {
    }
}

void metric_add(relais_host_ctx *ctx, const char *name, const char *labels_json, double value) noexcept {
    if (!ctx || !ctx->metrics) return;
    warn_refused(ctx, ctx->metrics->plugins().add(ctx->plugin_name, name, labels_json, value));
}

void metric_observe(relais_host_ctx *ctx, const char *name, const char *labels_json, double value) noexcept {
    if (!ctx || !ctx->metrics) return;
    warn_refused(ctx, ctx->metrics->plugins().observe(ctx->plugin_name, name, labels_json, value));
}

relais_host_services make_services(uint64_t capabilities) {
    return relais_host_services{
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
        capabilities,
        &call_log,
        &wake,
        &state_read,
        &state_write,
        &state_list,
        &quota_take,
        &quota_release,
        &quota_report,
        &emit_event,
        &metric_add,
        &metric_observe,
    };
}

// What every host offers, whatever its backend.
constexpr uint64_t kAlwaysOffered = RELAIS_CAP_METRICS | RELAIS_CAP_DEADLINES;



}  // namespace

const relais_host_services *host_services(const PluginBackend *backend) {
    // One table per capability set, made once: plugins may keep the pointer until shutdown.
    static const relais_host_services standalone = make_services(kAlwaysOffered);
    if (!backend) return &standalone;
    static std::mutex mutex;
    static std::map<uint64_t, std::unique_ptr<relais_host_services>> tables;
    const auto caps = backend->capabilities() | kAlwaysOffered;
    std::lock_guard<std::mutex> lock(mutex);
    auto &table = tables[caps];
    if (!table) table = std::make_unique<relais_host_services>(make_services(caps));
    return table.get();
}

std::unique_ptr<relais_host_ctx> make_host_ctx(const std::string &plugin_name, PluginBackend *backend) {
    auto ctx = std::make_unique<relais_host_ctx>();
    ctx->plugin_name = plugin_name;
    ctx->backend = backend;
    ctx->logger = &Poco::Logger::get("relais.plugin." + plugin_name);
    return ctx;
}

}  // namespace relais::host
