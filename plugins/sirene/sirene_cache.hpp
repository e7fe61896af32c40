// Companies already looked up, so that a repeated lookup spends no quota (30 requests a minute
// go fast when a user tabs back and forth in a form, or a batch is run twice).
//
// - In memory, least recently used first out, each entry for `ttl` (INSEE updates the register
//   daily; a day is the default). "Not found" is remembered too, for at most an hour: a
//   company created this morning may appear tomorrow.
// - Optionally also in a durable store (the host's plugin state), so a restart does not start
//   cold. Entries there carry their wall-clock expiry.
// Thread-safe.
#pragma once

#include <relais/support/state_store.hpp>

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace relais::sirene {

struct CachedLookup {
    bool found = false;
    std::string record_json;  // the normalised record, raw included, when found
    std::string message;      // why not, when not found
};

class LookupCache {
public:
    using Clock = std::chrono::system_clock;

    // `store`: where entries also go when the cache is durable. It may throw; the cache then
    // carries on in memory only.
    LookupCache(std::size_t max_entries, std::chrono::seconds ttl, std::shared_ptr<support::StateStore> store = nullptr);

    bool enabled() const { return ttl_.count() > 0 && max_entries_ > 0; }
    std::optional<CachedLookup> get(const std::string &key);
    void put(const std::string &key, const CachedLookup &value);

    uint64_t hits() const;
    uint64_t misses() const;
    std::size_t size() const;
    // Why the durable store stopped being used, if it did ("" otherwise).
    std::string store_failure() const;

    static constexpr std::chrono::seconds kMaxNegativeTtl{3600};

private:
    struct Entry {
        CachedLookup value;
        Clock::time_point expires;
        std::list<std::string>::iterator position;
    };
    void remember(const std::string &key, const CachedLookup &value, Clock::time_point expires);
    std::optional<CachedLookup> load_durable(const std::string &key);
    void save_durable(const std::string &key, const CachedLookup &value, Clock::time_point expires);

    const std::size_t max_entries_;
    const std::chrono::seconds ttl_;
    std::shared_ptr<support::StateStore> store_;
    mutable std::mutex mutex_;
    std::list<std::string> recency_;  // most recent first
    std::unordered_map<std::string, Entry> entries_;
    uint64_t hits_ = 0, misses_ = 0;
    std::string store_failure_;
};

}  // namespace relais::sirene
