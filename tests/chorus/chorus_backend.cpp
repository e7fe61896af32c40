#include "chorus_backend.hpp"

#include <stdexcept>

namespace relais::test {

uint64_t ChorusBackend::capabilities() const {
    const auto base = MemoryBackend::capabilities();
    return v2_ ? base | RELAIS_CAP_STATE_V2 | RELAIS_CAP_EVENTS : base;
}

ChorusBackend::Entry *ChorusBackend::live(const std::string &key) {
    const auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    if (it->second.expires_at && *it->second.expires_at <= now_ms_()) {
        entries_.erase(it);
        return nullptr;
    }
    return &it->second;
}

std::optional<std::string> ChorusBackend::state_get(const std::string &, const std::string &key) {
    std::lock_guard lock(mutex_);
    const auto *e = live(key);
    return e ? std::optional<std::string>(e->value) : std::nullopt;
}

void ChorusBackend::state_put(const std::string &, const std::string &key, const std::string &value) {
    std::lock_guard lock(mutex_);
    entries_[key] = {value, next_version_++, std::nullopt};
}

void ChorusBackend::state_delete(const std::string &, const std::string &key) {
    std::lock_guard lock(mutex_);
    entries_.erase(key);
}

std::optional<host::PluginBackend::StateEntry> ChorusBackend::state_read(const std::string &, const std::string &key) {
    if (!v2_) throw Unsupported("this host offers no versioned plugin state");
    std::lock_guard lock(mutex_);
    const auto *e = live(key);
    if (!e) return std::nullopt;
    StateEntry entry;
    entry.value = e->value;
    entry.version = e->version;
    entry.expires_at_ms = e->expires_at;
    return entry;
}

host::PluginBackend::StateWrite ChorusBackend::state_write(const std::string &, const std::string &key,
                                                           const std::string &value, uint64_t expected_version,
                                                           uint64_t ttl_ms) {
    if (!v2_) throw Unsupported("this host offers no versioned plugin state");
    std::lock_guard lock(mutex_);
    auto *e = live(key);
    const uint64_t current = e ? e->version : 0;
    if (expected_version != RELAIS_STATE_ANY_VERSION && expected_version != current) return {false, current};
    Entry next{value, next_version_++, std::nullopt};
    if (ttl_ms > 0) next.expires_at = now_ms_() + static_cast<int64_t>(ttl_ms);
    entries_[key] = next;
    return {true, next.version};
}

host::PluginBackend::StatePage ChorusBackend::state_list(const std::string &, const std::string &prefix,
                                                         const std::optional<std::string> &cursor, uint32_t limit) {
    if (!v2_) throw Unsupported("this host offers no versioned plugin state");
    std::lock_guard lock(mutex_);
    StatePage page;
    auto it = cursor ? entries_.upper_bound(*cursor) : entries_.lower_bound(prefix);
    while (it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0) {
        const auto &[key, entry] = *it;
        ++it;
        if (entry.expires_at && *entry.expires_at <= now_ms_()) continue;
        if (page.keys.size() == limit) {
            page.next_cursor = page.keys.back().key;
            break;
        }
        page.keys.push_back({key, entry.version, entry.value.size(), entry.expires_at});
    }
    return page;
}

bool ChorusBackend::emit_event(const std::string &, const std::string &type, const std::string &subject,
                               const std::string &data_json, const std::optional<std::string> &dedupe_key) {
    if (!v2_) throw Unsupported("this host keeps no business events");
    if (type.empty()) throw std::invalid_argument("an event needs a type");
    std::lock_guard lock(mutex_);
    if (dedupe_key && !dedupe_keys_.insert(*dedupe_key).second) {
        ++duplicates_;
        return false;
    }
    events_.push_back({type, subject, data_json, dedupe_key});
    return true;
}

std::vector<ChorusBackend::Event> ChorusBackend::events() const {
    std::lock_guard lock(mutex_);
    return events_;
}

std::size_t ChorusBackend::duplicate_events() const {
    std::lock_guard lock(mutex_);
    return duplicates_;
}

std::map<std::string, std::optional<int64_t>> ChorusBackend::keys(const std::string &prefix) const {
    std::lock_guard lock(mutex_);
    std::map<std::string, std::optional<int64_t>> found;
    for (const auto &[key, entry] : entries_)
        if (key.compare(0, prefix.size(), prefix) == 0 && !(entry.expires_at && *entry.expires_at <= now_ms_()))
            found[key] = entry.expires_at;
    return found;
}

}  // namespace relais::test
