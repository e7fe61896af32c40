// The host's job queue and plugin state, kept in memory, for connector tests: a test runs the
// follow-up jobs a connector enqueues itself, in order, instead of starting a scheduler.
//
// Built with a clock, it also offers the versioned state of ABI revision 2 (read, write with a
// version or an expiry, list by prefix: RELAIS_CAP_STATE_V2), with expiries on that clock;
// built without one, it is a host older than that, with state_get/put/delete only.
#pragma once

#include "memory_plugin_state.hpp"
#include "plugins/plugin_backend.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace relais::test {

class MemoryBackend : public host::PluginBackend {
public:
    struct QueuedJob {
        int64_t id;
        std::string action, input, key;
        uint64_t delay_ms;
    };
    MemoryBackend() = default;
    // `now_ms`: the time expiries are measured against (ms since the epoch).
    explicit MemoryBackend(std::function<int64_t()> now_ms) : now_ms_(std::move(now_ms)), v2_(true) {}

    Enqueued enqueue(const std::string &connector, const std::string &action, const std::string &input_json,
                     const std::string &idempotency_key, uint64_t delay_ms, uint32_t max_attempts) override;
    std::optional<std::string> state_get(const std::string &plugin, const std::string &key) override;
    void state_put(const std::string &plugin, const std::string &key, const std::string &value) override;
    void state_delete(const std::string &plugin, const std::string &key) override;
    uint64_t capabilities() const override;
    std::optional<StateEntry> state_read(const std::string &plugin, const std::string &key) override;
    StateWrite state_write(const std::string &plugin, const std::string &key, const std::string &value,
                           uint64_t expected_version, uint64_t ttl_ms) override;
    StatePage state_list(const std::string &plugin, const std::string &prefix, const std::optional<std::string> &cursor,
                         uint32_t limit) override;
    // What the host's housekeeper does: deletes the expired keys; returns how many.
    int purge_expired_state();

    std::optional<QueuedJob> pop();
    std::size_t queued() const;
    std::size_t enqueued_total() const;
    std::size_t state_size() const;
    // The live value of `key`, whatever plugin wrote it (a harness runs one plugin).
    std::optional<std::string> state(const std::string &key) const;
    std::size_t state_writes() const;

private:
    int64_t now() const;
    void require_v2() const;

    mutable std::mutex mutex_;
    int64_t next_id_ = 1;
    std::map<std::string, int64_t> keys_;
    std::deque<QueuedJob> queue_;
    std::function<int64_t()> now_ms_;
    bool v2_ = false;
    // Under one plugin name: a harness runs one plugin, and its tests name keys only.
    mutable MemoryPluginState state_;
    std::size_t writes_ = 0;
};

}  // namespace relais::test
