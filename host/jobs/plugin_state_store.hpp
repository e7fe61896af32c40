// The plugins' durable key-value state: per plugin, keys of UTF-8 text, values of bytes, each
// with a version and an optional expiry. What relais_host_services.state_* offers a plugin,
// and nothing about how it is stored. SqlitePluginState keeps it in relais.db beside the jobs.
//
// Contract for every implementation:
// - A key's version is 1 when it is created and goes up by one at every write. An expired key
//   is absent: reads and lists do not see it, a write that expects it absent (version 0)
//   creates it again at version 1, and the housekeeper deletes it (purge_expired).
// - write() with an expected version is a compare-and-set that holds across every thread and
//   process sharing the storage: of several writers expecting the same version, one wins and
//   the others are told the version it left, and nothing they sent is stored.
// - Times are milliseconds since the epoch from the caller's clock; the store never reads one.
// - Keys longer than kMaxKeyBytes, values longer than kMaxValueBytes, keys that are empty or
//   not UTF-8, and list limits outside 1..kMaxListLimit throw std::invalid_argument with a
//   message naming the key and the limit (the plugin sees it). Storage failures throw
//   std::runtime_error or a subclass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relais::host {

struct PluginStateValue {
    std::string value;
    uint64_t version = 0;
    std::optional<int64_t> expires_at;  // ms since the epoch; nullopt: kept until deleted
};

struct PluginStateWrite {
    bool written = false;
    // The new version when written; otherwise the current one (0: the key is absent).
    uint64_t version = 0;
};

struct PluginStateKey {
    std::string key;
    uint64_t version = 0;
    uint64_t size = 0;  // of the value, in bytes
    std::optional<int64_t> expires_at;
};

struct PluginStatePage {
    std::vector<PluginStateKey> keys;
    // Pass it back to read the next page; nullopt on the last one.
    std::optional<std::string> next_cursor;
};

class PluginStateStore {
public:
    static constexpr std::size_t kMaxKeyBytes = 512;
    static constexpr std::size_t kMaxValueBytes = 1024 * 1024;
    static constexpr uint32_t kMaxListLimit = 1000;
    // write()'s expected_version meaning "whatever it is, or absent" (RELAIS_STATE_ANY_VERSION).
    static constexpr uint64_t kAnyVersion = std::numeric_limits<uint64_t>::max();

    virtual ~PluginStateStore() = default;
    PluginStateStore() = default;
    PluginStateStore(const PluginStateStore &) = delete;
    PluginStateStore &operator=(const PluginStateStore &) = delete;

    // The live value of `key`, with its version and expiry.
    virtual std::optional<PluginStateValue> read(const std::string &plugin, const std::string &key, int64_t now) = 0;

    // Stores `value` when the key's current version is expected_version (0: absent;
    // kAnyVersion: any). ttl_ms > 0 makes it expire at now + ttl_ms; 0 keeps it until
    // deleted (a write without ttl also lifts an earlier expiry).
    virtual PluginStateWrite write(const std::string &plugin, const std::string &key, const std::string &value,
                                   uint64_t expected_version, uint64_t ttl_ms, int64_t now) = 0;

    // False when there was no live key (an expired one is deleted all the same).
    virtual bool remove(const std::string &plugin, const std::string &key, int64_t now) = 0;

    // The live keys of `plugin` that start with `prefix`, in byte order, the first `limit`
    // after `cursor` (nullopt: from the start). Keys written while a walk goes on are seen
    // when they sort after the page being read, and no key is seen twice. Throws
    // std::invalid_argument for a cursor that is not a key under `prefix`.
    virtual PluginStatePage list(const std::string &plugin, const std::string &prefix,
                                 const std::optional<std::string> &cursor, uint32_t limit, int64_t now) = 0;

    // Deletes up to `limit` keys (of any plugin) that expired at or before `now`; returns how
    // many. The housekeeper calls it in batches, so no call holds the storage long.
    virtual int purge_expired(int64_t now, int limit) = 0;
};

// The checks every implementation makes, with the messages the plugin sees. Each throws
// std::invalid_argument.
void check_state_key(std::string_view key);
void check_state_value(std::string_view key, std::size_t value_bytes);
void check_state_prefix(std::string_view prefix);
void check_state_list(std::string_view prefix, const std::optional<std::string> &cursor, uint32_t limit);

// Saturating now + ttl_ms, for an expiry that cannot overflow.
int64_t state_expiry(int64_t now, uint64_t ttl_ms);

}  // namespace relais::host
