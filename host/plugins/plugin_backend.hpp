// What a running host offers plugins beyond logging (relais_host_services): enqueueing jobs
// and a durable key-value state, and per call, quota, cancellation and a deadline. The
// standalone CLI has no backend, and those services then answer RELAIS_UNSUPPORTED.
#pragma once

#include <relais/plugin.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace Poco {
class Logger;
}

namespace relais::host {

class PluginBackend {
public:
    virtual ~PluginBackend() = default;

    struct Enqueued {
        int64_t job_id = 0;
        bool created = false;
    };
    // Throws std::invalid_argument (unknown action, input not JSON) with a message for the plugin.
    virtual Enqueued enqueue(const std::string &connector, const std::string &action, const std::string &input_json,
                             const std::string &idempotency_key, uint64_t delay_ms, uint32_t max_attempts) = 0;

    virtual std::optional<std::string> state_get(const std::string &plugin, const std::string &key) = 0;
    virtual void state_put(const std::string &plugin, const std::string &key, const std::string &value) = 0;
    virtual void state_delete(const std::string &plugin, const std::string &key) = 0;

    // ---- ABI revision 2. A backend that does not offer one of these leaves its default,
    // which throws Unsupported (the plugin gets RELAIS_UNSUPPORTED), and clears its bit in
    // capabilities(). ----

    class Unsupported : public std::runtime_error {
    public:
        using std::runtime_error::runtime_error;
    };

    // RELAIS_CAP_* bits this backend serves.
    virtual uint64_t capabilities() const { return RELAIS_CAP_JOBS | RELAIS_CAP_STATE | RELAIS_CAP_QUOTA; }

    // Wakes an unfinished job of `connector` by its idempotency key or, when that is empty,
    // by its job id. True when a job matched (it runs now, or is already due or running).
    virtual bool wake(const std::string &connector, const std::string &idempotency_key, std::optional<int64_t> job_id) {
        (void)connector, (void)idempotency_key, (void)job_id;
        throw Unsupported("this host cannot wake jobs");
    }

    // Plugin state with versions and expiry (see relais_host_services.state_read/write/list).
    // Size limits are the backend's to check: std::invalid_argument names the key and the limit.
    struct StateEntry {
        std::string value;
        uint64_t version = 0;
        std::optional<int64_t> expires_at_ms;
    };
    struct StateWrite {
        bool written = false;
        uint64_t version = 0;  // the new version, or the current one when not written (0: absent)
    };
    struct StateKey {
        std::string key;
        uint64_t version = 0;
        uint64_t size = 0;
        std::optional<int64_t> expires_at_ms;
    };
    struct StatePage {
        std::vector<StateKey> keys;
        std::optional<std::string> next_cursor;
    };
    virtual std::optional<StateEntry> state_read(const std::string &plugin, const std::string &key) {
        (void)plugin, (void)key;
        throw Unsupported("this host offers no versioned plugin state");
    }
    virtual StateWrite state_write(const std::string &plugin, const std::string &key, const std::string &value,
                                   uint64_t expected_version, uint64_t ttl_ms) {
        (void)plugin, (void)key, (void)value, (void)expected_version, (void)ttl_ms;
        throw Unsupported("this host offers no versioned plugin state");
    }
    virtual StatePage state_list(const std::string &plugin, const std::string &prefix,
                                 const std::optional<std::string> &cursor, uint32_t limit) {
        (void)plugin, (void)prefix, (void)cursor, (void)limit;
        throw Unsupported("this host offers no versioned plugin state");
    }

    // What the upstream said about its quota (relais_host_services.quota_report).
    virtual void quota_report(const std::string &connector, const std::string &scope, const std::string &key,
                              uint64_t retry_after_ms, int64_t remaining, uint64_t reset_after_ms) {
        (void)connector, (void)scope, (void)key, (void)retry_after_ms, (void)remaining, (void)reset_after_ms;
    }

    // A business event; false when its dedupe key was seen before (dropped). Throws
    // std::invalid_argument for a bad type or data.
    virtual bool emit_event(const std::string &connector, const std::string &type, const std::string &subject,
                            const std::string &data_json, const std::optional<std::string> &dedupe_key) {
        (void)connector, (void)type, (void)subject, (void)data_json, (void)dedupe_key;
        throw Unsupported("this host keeps no business events");
    }
};

}  // namespace relais::host

// One execute or test call, as the host's per-call services see it. Opaque to plugins.
struct relais_call_ctx {
    virtual ~relais_call_ctx() = default;
    virtual relais_status acquire_quota(uint32_t count, uint64_t max_wait_ms, uint64_t *retry_after_ms) = 0;
    virtual bool cancelled() const = 0;
    virtual uint64_t remaining_ms() const = 0;

    // Quota by scope and key (relais_host_services.quota_take). The default serves only the
    // "requests" scope without key, as acquire_quota does.
    virtual relais_status take_quota(const std::string &scope, const std::string &key, uint32_t count,
                                     uint64_t max_wait_ms, uint64_t *retry_after_ms) {
        if ((scope.empty() || scope == "requests") && key.empty())
            return acquire_quota(count, max_wait_ms, retry_after_ms);
        return RELAIS_UNSUPPORTED;
    }
    virtual void release_quota(const std::string &scope, const std::string &key) { (void)scope, (void)key; }

    // Set by the host around each plugin call (PluginInstance), for call_log: the plugin's
    // logger and the id the lines are tagged with.
    Poco::Logger *logger = nullptr;
    std::string call_id;
};
