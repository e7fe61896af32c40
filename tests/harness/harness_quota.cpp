#include "harness_quota.hpp"

#include "jobs/quota_config.hpp"

#include <Poco/JSON/Parser.h>

#include <algorithm>

namespace relais::test {
namespace {

// A plugin's max_wait_ms as a deadline (a huge one is no limit).
int64_t deadline_after(int64_t now, uint64_t max_wait_ms) {
    return max_wait_ms >= static_cast<uint64_t>(host::kNever / 2) ? host::kNever : now + static_cast<int64_t>(max_wait_ms);
}

relais_status status_of(int64_t wait, uint64_t *retry_after_ms) {
    if (wait == 0) return RELAIS_OK;
    if (retry_after_ms) *retry_after_ms = static_cast<uint64_t>(wait);
    return RELAIS_RATE_LIMITED;
}

int64_t clamped(uint64_t ms) { return static_cast<int64_t>(std::min<uint64_t>(ms, static_cast<uint64_t>(host::kNever / 2))); }

}  // namespace

HarnessQuota::HarnessQuota(const std::filesystem::path &dir) : store_(dir), limiter_(store_, clock_) {}

void HarnessQuota::configure(const host::PluginDescriptor &descriptor, const std::string &configure_body) {
    Poco::JSON::Object::Ptr adjustments;
    if (!configure_body.empty()) {
        try {
            adjustments = Poco::JSON::Parser().parse(configure_body).extract<Poco::JSON::Object::Ptr>();
        } catch (const std::exception &) {
            throw std::invalid_argument("configure of " + descriptor.name + " answered a document that is not a JSON object");
        }
    }
    limiter_.configure(descriptor.name, host::quota_settings_for(descriptor.quotas, descriptor.quota_windows, adjustments));
}

HarnessCall::HarnessCall(host::QuotaLimiter &limiter, const std::string &connector) : holds_(limiter, connector) {}

relais_status HarnessCall::acquire_quota(uint32_t count, uint64_t max_wait_ms, uint64_t *retry_after_ms) {
    return take_quota(host::kRequestsScope, "", count, max_wait_ms, retry_after_ms);
}

relais_status HarnessCall::take_quota(const std::string &scope, const std::string &key, uint32_t count,
                                      uint64_t max_wait_ms, uint64_t *retry_after_ms) {
    try {
        const auto deadline = deadline_after(clock_.now_ms(), max_wait_ms);
        return status_of(holds_.take(scope, key, count, deadline, {}, host::QuotaLimiter::Priority::interactive),
                         retry_after_ms);
    } catch (const std::exception &) {
        return RELAIS_INTERNAL;
    }
}

void HarnessCall::release_quota(const std::string &scope, const std::string &key) { holds_.release(scope, key); }

host::PluginBackend::Enqueued QuotaReportingBackend::enqueue(const std::string &connector, const std::string &action,
                                                             const std::string &input_json,
                                                             const std::string &idempotency_key, uint64_t delay_ms,
                                                             uint32_t max_attempts) {
    return inner_.enqueue(connector, action, input_json, idempotency_key, delay_ms, max_attempts);
}

std::optional<std::string> QuotaReportingBackend::state_get(const std::string &plugin, const std::string &key) {
    return inner_.state_get(plugin, key);
}

void QuotaReportingBackend::state_put(const std::string &plugin, const std::string &key, const std::string &value) {
    inner_.state_put(plugin, key, value);
}

void QuotaReportingBackend::state_delete(const std::string &plugin, const std::string &key) {
    inner_.state_delete(plugin, key);
}

uint64_t QuotaReportingBackend::capabilities() const { return inner_.capabilities(); }

bool QuotaReportingBackend::wake(const std::string &connector, const std::string &idempotency_key,
                                 std::optional<int64_t> job_id) {
    return inner_.wake(connector, idempotency_key, job_id);
}

std::optional<host::PluginBackend::StateEntry> QuotaReportingBackend::state_read(const std::string &plugin,
                                                                                const std::string &key) {
    return inner_.state_read(plugin, key);
}

host::PluginBackend::StateWrite QuotaReportingBackend::state_write(const std::string &plugin, const std::string &key,
                                                                  const std::string &value, uint64_t expected_version,
                                                                  uint64_t ttl_ms) {
    return inner_.state_write(plugin, key, value, expected_version, ttl_ms);
}

host::PluginBackend::StatePage QuotaReportingBackend::state_list(const std::string &plugin, const std::string &prefix,
                                                                const std::optional<std::string> &cursor,
                                                                uint32_t limit) {
    return inner_.state_list(plugin, prefix, cursor, limit);
}

void QuotaReportingBackend::quota_report(const std::string &connector, const std::string &scope,
                                         const std::string &key, uint64_t retry_after_ms, int64_t remaining,
                                         uint64_t reset_after_ms) {
    inner_.quota_report(connector, scope, key, retry_after_ms, remaining, reset_after_ms);
    limiter_.report(connector, scope, key, clamped(retry_after_ms), remaining, clamped(reset_after_ms));
}

bool QuotaReportingBackend::emit_event(const std::string &connector, const std::string &type,
                                       const std::string &subject, const std::string &data_json,
                                       const std::optional<std::string> &dedupe_key) {
    return inner_.emit_event(connector, type, subject, data_json, dedupe_key);
}

}  // namespace relais::test
