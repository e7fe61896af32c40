// What a running host offers plugins beyond logging (relais_host_services): enqueueing jobs
// and a durable key-value state, and per call, quota, cancellation and a deadline. The
// standalone CLI has no backend, and those services then answer RELAIS_UNSUPPORTED.
#pragma once

#include <relais/plugin.h>

#include <cstdint>
#include <optional>
#include <string>

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
};

}  // namespace relais::host

// One execute or test call, as the host's per-call services see it. Opaque to plugins.
struct relais_call_ctx {
    virtual ~relais_call_ctx() = default;
    virtual relais_status acquire_quota(uint32_t count, uint64_t max_wait_ms, uint64_t *retry_after_ms) = 0;
    virtual bool cancelled() const = 0;
    virtual uint64_t remaining_ms() const = 0;
};
