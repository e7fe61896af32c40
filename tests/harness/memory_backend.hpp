// The host's job queue and plugin state, kept in memory, for connector tests: a test runs the
// follow-up jobs a connector enqueues itself, in order, instead of starting a scheduler.
#pragma once

#include "plugins/plugin_backend.hpp"

#include <cstdint>
#include <deque>
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
    Enqueued enqueue(const std::string &connector, const std::string &action, const std::string &input_json,
                     const std::string &idempotency_key, uint64_t delay_ms, uint32_t max_attempts) override;
    std::optional<std::string> state_get(const std::string &plugin, const std::string &key) override;
    void state_put(const std::string &plugin, const std::string &key, const std::string &value) override;
    void state_delete(const std::string &plugin, const std::string &key) override;

    std::optional<QueuedJob> pop();
    std::size_t queued() const;
    std::size_t enqueued_total() const;
    std::size_t state_size() const;
    std::optional<std::string> state(const std::string &key) const;
    std::size_t state_writes() const;

private:
    mutable std::mutex mutex_;
    int64_t next_id_ = 1;
    std::map<std::string, int64_t> keys_;
    std::deque<QueuedJob> queue_;
    std::map<std::string, std::string> state_;
    std::size_t writes_ = 0;
};

}  // namespace relais::test
