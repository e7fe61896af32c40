// The connector's quota as `relais serve` enforces it, for connector tests run in-process: the
// host's QuotaLimiter configured from the plugin's descriptor and configure's answer (as the
// runtime's policy does, quota_settings_for), a per-call context that takes from it, and a
// backend that hands the plugin's quota reports to it. Without this, a plugin that relies on
// the host for pacing would be unpaced in its tests and hit its emulator's 429s.
#pragma once

#include "jobs/clock.hpp"
#include "jobs/quota.hpp"
#include "jobs/sqlite_job_store.hpp"
#include "plugins/plugin_backend.hpp"
#include "plugins/plugin_descriptor.hpp"

#include <filesystem>
#include <string>

namespace relais::test {

class HarnessQuota {
public:
    // The job store (for the daily cap) lives in `dir`.
    explicit HarnessQuota(const std::filesystem::path &dir);

    // The connector's limits from its descriptor and configure's answer (`configure_body`, the
    // plugin's JSON, may be empty). Throws std::invalid_argument for a bad answer, naming it.
    void configure(const host::PluginDescriptor &descriptor, const std::string &configure_body);

    host::QuotaLimiter &limiter() { return limiter_; }

private:
    host::SystemClock clock_;
    host::SqliteJobStore store_;
    host::QuotaLimiter limiter_;
};

// A synchronous call's services, as the API gives them: the quota waited for as long as the
// plugin asks, ahead of jobs; slots back when the call ends; no deadline, never cancelled.
class HarnessCall final : public relais_call_ctx {
public:
    HarnessCall(host::QuotaLimiter &limiter, const std::string &connector);

    relais_status acquire_quota(uint32_t count, uint64_t max_wait_ms, uint64_t *retry_after_ms) override;
    relais_status take_quota(const std::string &scope, const std::string &key, uint32_t count, uint64_t max_wait_ms,
                             uint64_t *retry_after_ms) override;
    void release_quota(const std::string &scope, const std::string &key) override;
    bool cancelled() const override { return false; }
    uint64_t remaining_ms() const override { return UINT64_MAX; }

private:
    host::SystemClock clock_;
    host::QuotaHolds holds_;
};

// Serves everything from `inner`, and gives the plugin's quota reports to the limiter, as the
// runtime does.
class QuotaReportingBackend final : public host::PluginBackend {
public:
    QuotaReportingBackend(host::PluginBackend &inner, host::QuotaLimiter &limiter) : inner_(inner), limiter_(limiter) {}

    Enqueued enqueue(const std::string &connector, const std::string &action, const std::string &input_json,
                     const std::string &idempotency_key, uint64_t delay_ms, uint32_t max_attempts) override;
    std::optional<std::string> state_get(const std::string &plugin, const std::string &key) override;
    void state_put(const std::string &plugin, const std::string &key, const std::string &value) override;
    void state_delete(const std::string &plugin, const std::string &key) override;
    uint64_t capabilities() const override;
    bool wake(const std::string &connector, const std::string &idempotency_key, std::optional<int64_t> job_id) override;
    std::optional<StateEntry> state_read(const std::string &plugin, const std::string &key) override;
    StateWrite state_write(const std::string &plugin, const std::string &key, const std::string &value,
                           uint64_t expected_version, uint64_t ttl_ms) override;
    StatePage state_list(const std::string &plugin, const std::string &prefix, const std::optional<std::string> &cursor,
                         uint32_t limit) override;
    void quota_report(const std::string &connector, const std::string &scope, const std::string &key,
                      uint64_t retry_after_ms, int64_t remaining, uint64_t reset_after_ms) override;
    bool emit_event(const std::string &connector, const std::string &type, const std::string &subject,
                    const std::string &data_json, const std::optional<std::string> &dedupe_key) override;

private:
    host::PluginBackend &inner_;
    host::QuotaLimiter &limiter_;
};

}  // namespace relais::test
