// The host's services a Chorus test needs beyond the shared memory backend: plugin state with
// versions and expiry (read, conditional write, list by prefix), and business events kept once
// per dedupe key, as relais serve offers them. Time is the test's clock, so expiries follow
// the emulator's time.
#pragma once

#include "memory_backend.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace relais::test {

class ChorusBackend : public MemoryBackend {
public:
    struct Event {
        std::string type, subject, data_json;
        std::optional<std::string> dedupe_key;
    };

    // `now_ms`: the time expiries are measured against.
    explicit ChorusBackend(std::function<int64_t()> now_ms) : now_ms_(std::move(now_ms)) {}

    uint64_t capabilities() const override;
    std::optional<std::string> state_get(const std::string &plugin, const std::string &key) override;
    void state_put(const std::string &plugin, const std::string &key, const std::string &value) override;
    void state_delete(const std::string &plugin, const std::string &key) override;
    std::optional<StateEntry> state_read(const std::string &plugin, const std::string &key) override;
    StateWrite state_write(const std::string &plugin, const std::string &key, const std::string &value,
                           uint64_t expected_version, uint64_t ttl_ms) override;
    StatePage state_list(const std::string &plugin, const std::string &prefix, const std::optional<std::string> &cursor,
                         uint32_t limit) override;
    bool emit_event(const std::string &connector, const std::string &type, const std::string &subject,
                    const std::string &data_json, const std::optional<std::string> &dedupe_key) override;

    // Events kept (duplicates dropped), in order.
    std::vector<Event> events() const;
    // How many emit_event calls the host dropped as already seen.
    std::size_t duplicate_events() const;
    // Live keys under `prefix`, and their expiry (ms since the epoch) when they have one.
    std::map<std::string, std::optional<int64_t>> keys(const std::string &prefix) const;
    // False: a host older than versioned state and events (only state_get/put/delete).
    void offer_v2(bool offered) { v2_ = offered; }

private:
    struct Entry {
        std::string value;
        uint64_t version = 0;
        std::optional<int64_t> expires_at;
    };
    // The live entry of `key` (an expired one is gone), under the lock.
    Entry *live(const std::string &key);

    std::function<int64_t()> now_ms_;
    mutable std::mutex mutex_;
    std::map<std::string, Entry> entries_;
    uint64_t next_version_ = 1;
    std::vector<Event> events_;
    std::set<std::string> dedupe_keys_;
    std::size_t duplicates_ = 0;
    bool v2_ = true;
};

}  // namespace relais::test
