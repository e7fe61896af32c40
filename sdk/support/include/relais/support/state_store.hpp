// relais/support/state_store.hpp: a connector's durable key-value state, with a memory
// fallback.
//
// The host keeps a small durable state per plugin (tokens, submission records, caches). A host
// that offers none (an older host, a test harness without a backend) still runs the
// connector: its state then lives in memory, and the connector says once, in a warning, what a
// restart will forget.
//
// Versioned state (hosts with RELAIS_CAP_STATE_V2): every key has a version, 1 when created and
// one more at every write, so that a read + write(expected_version) is a compare-and-set that
// holds across every worker and host sharing the store; a key written with a ttl expires (reads
// and lists no longer see it, and the host purges it); list() walks the keys of a prefix in
// byte order, a page at a time. Keys are at most 512 bytes of UTF-8, values at most 1 MiB:
// larger ones are refused with relais::Error(RELAIS_INVALID_INPUT) naming the key and the limit.
#pragma once

#include <relais/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace relais::support {

class StateStore {
public:
    static constexpr uint64_t kAnyVersion = RELAIS_STATE_ANY_VERSION;
    static constexpr std::size_t kMaxKeyBytes = 512;
    static constexpr std::size_t kMaxValueBytes = 1024 * 1024;
    static constexpr uint32_t kMaxListLimit = 1000;

    using Versioned = Host::Versioned;  // value and version
    using Written = Host::Written;      // written, and the new version or the current one (0: absent)
    struct Key {
        std::string key;
        uint64_t version = 0;
        uint64_t size = 0;                     // of the value, in bytes
        std::optional<int64_t> expires_at_ms;  // ms since the epoch; nullopt: kept until deleted
    };
    struct Page {
        std::vector<Key> keys;
        std::optional<std::string> next_cursor;  // pass it back for the next page; nullopt on the last
    };

    virtual ~StateStore() = default;
    virtual std::optional<std::string> get(const std::string &key) = 0;
    // An unconditional write without expiry (as write(key, value)).
    virtual void put(const std::string &key, const std::string &value) = 0;
    virtual void erase(const std::string &key) = 0;
    // False for the memory fallback: what is put there is gone after a restart.
    virtual bool durable() const = 0;

    // The live value of `key` and its version.
    virtual std::optional<Versioned> read(const std::string &key) = 0;
    // Stores `value` when the key's version is `expected_version` (0: it must be absent;
    // kAnyVersion: whatever it is); otherwise changes nothing and tells the current version.
    // A ttl > 0 makes the key expire that long from now; 0 keeps it until deleted.
    virtual Written write(const std::string &key, const std::string &value, uint64_t expected_version = kAnyVersion,
                          std::chrono::milliseconds ttl = std::chrono::milliseconds(0)) = 0;
    // The live keys starting with `prefix`, in byte order, at most `limit` (1..1000) after
    // `cursor` (nullopt: from the start). Keys written during a walk are seen when they sort
    // after the page being read; none is seen twice.
    virtual Page list(const std::string &prefix, const std::optional<std::string> &cursor = std::nullopt,
                      uint32_t limit = 100) = 0;
};

// Milliseconds since the Unix epoch; what memory_state measures expiries against.
using StateClock = std::function<int64_t()>;

// State kept in this process only, with the host's semantics (versions, expiry, limits and
// their messages). Thread-safe. `now_ms` is the clock for expiries (empty: the system's), so a
// test can move time.
std::shared_ptr<StateStore> memory_state(StateClock now_ms = {});
// The host's durable plugin state. On a host without versioned state (no RELAIS_CAP_STATE_V2),
// read, write and list throw relais::Error(RELAIS_UNSUPPORTED); get, put and erase still work.
std::shared_ptr<StateStore> host_state(Host host);
// Whether the host keeps plugin state (it may have the service and still answer unsupported).
bool host_offers_state(const Host &host);
// Whether it keeps versioned state with expiry (read, write with a version or a ttl, list).
bool host_offers_versioned_state(const Host &host);
// The host's state when it offers one; otherwise memory, after warning that `forgotten` (what
// a restart loses, e.g. "which invoices were deposited") is kept in memory only.
std::shared_ptr<StateStore> plugin_state(const Host &host, const std::string &forgotten);
// The same for a connector that needs versions, expiry and lists (compare-and-set records,
// spooled files): the host's versioned state, or memory after the same warning.
std::shared_ptr<StateStore> versioned_plugin_state(const Host &host, const std::string &forgotten);

}  // namespace relais::support
