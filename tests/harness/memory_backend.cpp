#include "memory_backend.hpp"

#include <chrono>

namespace relais::test {
namespace {

// Every plugin's keys under one name: see state_.
constexpr const char *kPlugin = "";

}  // namespace

host::PluginBackend::Enqueued MemoryBackend::enqueue(const std::string &, const std::string &action,
                                                     const std::string &input_json, const std::string &idempotency_key,
                                                     uint64_t delay_ms, uint32_t) {
    std::lock_guard lock(mutex_);
    if (!idempotency_key.empty()) {
        const auto it = keys_.find(idempotency_key);
        if (it != keys_.end()) return {it->second, false};
    }
    const auto id = next_id_++;
    if (!idempotency_key.empty()) keys_[idempotency_key] = id;
    queue_.push_back({id, action, input_json, idempotency_key, delay_ms});
    return {id, true};
}

int64_t MemoryBackend::now() const {
    if (now_ms_) return now_ms_();
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void MemoryBackend::require_v2() const {
    if (!v2_) throw Unsupported("this host offers no versioned plugin state");
}

std::optional<std::string> MemoryBackend::state_get(const std::string &, const std::string &key) {
    return state(key);
}

void MemoryBackend::state_put(const std::string &, const std::string &key, const std::string &value) {
    state_.write(kPlugin, key, value, host::PluginStateStore::kAnyVersion, 0, now());
    std::lock_guard lock(mutex_);
    ++writes_;
}

void MemoryBackend::state_delete(const std::string &, const std::string &key) { state_.remove(kPlugin, key, now()); }

uint64_t MemoryBackend::capabilities() const {
    return v2_ ? PluginBackend::capabilities() | RELAIS_CAP_STATE_V2 : PluginBackend::capabilities();
}

std::optional<host::PluginBackend::StateEntry> MemoryBackend::state_read(const std::string &, const std::string &key) {
    require_v2();
    auto v = state_.read(kPlugin, key, now());
    if (!v) return std::nullopt;
    StateEntry e;
    e.value = std::move(v->value);
    e.version = v->version;
    e.expires_at_ms = v->expires_at;
    return e;
}

host::PluginBackend::StateWrite MemoryBackend::state_write(const std::string &, const std::string &key,
                                                           const std::string &value, uint64_t expected_version,
                                                           uint64_t ttl_ms) {
    require_v2();
    const auto r = state_.write(kPlugin, key, value, expected_version, ttl_ms, now());
    if (r.written) {
        std::lock_guard lock(mutex_);
        ++writes_;
    }
    StateWrite w;
    w.written = r.written;
    w.version = r.version;
    return w;
}

host::PluginBackend::StatePage MemoryBackend::state_list(const std::string &, const std::string &prefix,
                                                         const std::optional<std::string> &cursor, uint32_t limit) {
    require_v2();
    auto listed = state_.list(kPlugin, prefix, cursor, limit, now());
    StatePage page;
    for (auto &k : listed.keys) {
        StateKey key;
        key.key = std::move(k.key);
        key.version = k.version;
        key.size = k.size;
        key.expires_at_ms = k.expires_at;
        page.keys.push_back(std::move(key));
    }
    page.next_cursor = std::move(listed.next_cursor);
    return page;
}

int MemoryBackend::purge_expired_state() {
    int purged = 0;
    for (int batch = 1000; batch == 1000;) purged += batch = state_.purge_expired(now(), 1000);
    return purged;
}

std::optional<MemoryBackend::QueuedJob> MemoryBackend::pop() {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return std::nullopt;
    auto job = queue_.front();
    queue_.pop_front();
    return job;
}

std::size_t MemoryBackend::queued() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

std::size_t MemoryBackend::enqueued_total() const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(next_id_ - 1);
}

std::size_t MemoryBackend::state_size() const {
    std::size_t live = 0;
    std::optional<std::string> cursor;
    do {
        const auto page = state_.list(kPlugin, "", cursor, host::PluginStateStore::kMaxListLimit, now());
        live += page.keys.size();
        cursor = page.next_cursor;
    } while (cursor);
    return live;
}

std::optional<std::string> MemoryBackend::state(const std::string &key) const {
    auto v = state_.read(kPlugin, key, now());
    if (!v) return std::nullopt;
    return std::move(v->value);
}

std::size_t MemoryBackend::state_writes() const {
    std::lock_guard lock(mutex_);
    return writes_;
}

}  // namespace relais::test
