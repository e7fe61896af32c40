#include "memory_backend.hpp"

namespace relais::test {

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

std::optional<std::string> MemoryBackend::state_get(const std::string &, const std::string &key) {
    return state(key);
}

void MemoryBackend::state_put(const std::string &, const std::string &key, const std::string &value) {
    std::lock_guard lock(mutex_);
    state_[key] = value;
    ++writes_;
}

void MemoryBackend::state_delete(const std::string &, const std::string &key) {
    std::lock_guard lock(mutex_);
    state_.erase(key);
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
    std::lock_guard lock(mutex_);
    return state_.size();
}

std::optional<std::string> MemoryBackend::state(const std::string &key) const {
    std::lock_guard lock(mutex_);
    const auto it = state_.find(key);
    return it == state_.end() ? std::nullopt : std::optional<std::string>(it->second);
}

std::size_t MemoryBackend::state_writes() const {
    std::lock_guard lock(mutex_);
    return writes_;
}

}  // namespace relais::test
