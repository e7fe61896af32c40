#include "memory_plugin_state.hpp"

#include <stdexcept>

namespace relais::test {

using host::PluginStatePage;
using host::PluginStateValue;
using host::PluginStateWrite;

std::optional<PluginStateValue> MemoryPluginState::read(const std::string &plugin, const std::string &key,
                                                        int64_t now) {
    host::check_state_key(key);
    std::lock_guard lock(mutex_);
    const auto it = entries_.find({plugin, key});
    if (it == entries_.end() || !live(it->second, now)) return std::nullopt;
    return it->second;
}

PluginStateWrite MemoryPluginState::write(const std::string &plugin, const std::string &key,
                                          const std::string &value, uint64_t expected_version, uint64_t ttl_ms,
                                          int64_t now) {
    host::check_state_key(key);
    host::check_state_value(key, value.size());
    std::lock_guard lock(mutex_);
    auto &entry = entries_[{plugin, key}];  // a new entry is at version 0: absent
    const auto current = live(entry, now) ? entry.version : 0;
    if (expected_version != kAnyVersion && expected_version != current) {
        if (entry.version == 0) entries_.erase({plugin, key});
        return {false, current};
    }
    entry.value = value;
    entry.version = current + 1;
    entry.expires_at = ttl_ms ? std::optional<int64_t>(host::state_expiry(now, ttl_ms)) : std::nullopt;
    return {true, entry.version};
}

bool MemoryPluginState::remove(const std::string &plugin, const std::string &key, int64_t now) {
    host::check_state_key(key);
    std::lock_guard lock(mutex_);
    const auto it = entries_.find({plugin, key});
    if (it == entries_.end()) return false;
    const bool was_live = live(it->second, now);
    entries_.erase(it);
    return was_live;
}

PluginStatePage MemoryPluginState::list(const std::string &plugin, const std::string &prefix,
                                        const std::optional<std::string> &cursor, uint32_t limit, int64_t now) {
    host::check_state_list(prefix, cursor, limit);
    std::lock_guard lock(mutex_);
    PluginStatePage page;
    auto it = cursor ? entries_.upper_bound({plugin, *cursor}) : entries_.lower_bound({plugin, prefix});
    for (; it != entries_.end() && it->first.first == plugin && it->first.second.compare(0, prefix.size(), prefix) == 0;
         ++it) {
        if (!live(it->second, now)) continue;
        if (page.keys.size() == limit) {
            page.next_cursor = page.keys.back().key;
            break;
        }
        host::PluginStateKey k;
        k.key = it->first.second;
        k.version = it->second.version;
        k.size = it->second.value.size();
        k.expires_at = it->second.expires_at;
        page.keys.push_back(std::move(k));
    }
    return page;
}

int MemoryPluginState::purge_expired(int64_t now, int limit) {
    if (limit < 1) throw std::invalid_argument("a purge of expired state takes at least 1 key at a time");
    std::lock_guard lock(mutex_);
    int purged = 0;
    for (auto it = entries_.begin(); it != entries_.end() && purged < limit;) {
        if (it->second.expires_at && *it->second.expires_at <= now) {
            it = entries_.erase(it);
            ++purged;
        } else {
            ++it;
        }
    }
    return purged;
}

std::size_t MemoryPluginState::stored() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace relais::test
