// The plugins' state in memory, with the same contract as SqlitePluginState (versions,
// compare-and-set, expiry, byte-ordered lists, the same limits and messages): for connector
// tests without a database, and to hold both implementations to one set of tests.
#pragma once

#include "jobs/plugin_state_store.hpp"

#include <map>
#include <mutex>
#include <utility>

namespace relais::test {

class MemoryPluginState final : public host::PluginStateStore {
public:
    std::optional<host::PluginStateValue> read(const std::string &plugin, const std::string &key,
                                               int64_t now) override;
    host::PluginStateWrite write(const std::string &plugin, const std::string &key, const std::string &value,
                                 uint64_t expected_version, uint64_t ttl_ms, int64_t now) override;
    bool remove(const std::string &plugin, const std::string &key, int64_t now) override;
    host::PluginStatePage list(const std::string &plugin, const std::string &prefix,
                               const std::optional<std::string> &cursor, uint32_t limit, int64_t now) override;
    int purge_expired(int64_t now, int limit) override;

    // Keys held, expired ones not yet purged included.
    std::size_t stored() const;

private:
    using Id = std::pair<std::string, std::string>;  // plugin, key: ordered as the SQL table is
    static bool live(const host::PluginStateValue &v, int64_t now) { return !v.expires_at || *v.expires_at > now; }

    mutable std::mutex mutex_;
    std::map<Id, host::PluginStateValue> entries_;
};

}  // namespace relais::test
