#include "sirene_cache.hpp"

#include <relais/support/json.hpp>

namespace relais::sirene {

using namespace std::chrono;

LookupCache::LookupCache(std::size_t max_entries, seconds ttl, std::shared_ptr<support::StateStore> store)
    : max_entries_(max_entries), ttl_(ttl), store_(std::move(store)) {}

std::optional<CachedLookup> LookupCache::get(const std::string &key) {
    if (!enabled()) return std::nullopt;
    {
        std::lock_guard lock(mutex_);
        const auto it = entries_.find(key);
        if (it != entries_.end()) {
            if (it->second.expires > Clock::now()) {
                recency_.splice(recency_.begin(), recency_, it->second.position);
                ++hits_;
                return it->second.value;
            }
            recency_.erase(it->second.position);
            entries_.erase(it);
        }
    }
    if (auto durable = load_durable(key)) {
        std::lock_guard lock(mutex_);
        ++hits_;
        return durable;
    }
    std::lock_guard lock(mutex_);
    ++misses_;
    return std::nullopt;
}

void LookupCache::put(const std::string &key, const CachedLookup &value) {
    if (!enabled()) return;
    const auto expires = Clock::now() + (value.found ? ttl_ : std::min(ttl_, kMaxNegativeTtl));
    {
        std::lock_guard lock(mutex_);
        remember(key, value, expires);
    }
    save_durable(key, value, expires);
}

void LookupCache::remember(const std::string &key, const CachedLookup &value, Clock::time_point expires) {
    const auto it = entries_.find(key);
    if (it != entries_.end()) {
        recency_.erase(it->second.position);
        entries_.erase(it);
    }
    while (!recency_.empty() && entries_.size() >= max_entries_) {
        entries_.erase(recency_.back());
        recency_.pop_back();
    }
    recency_.push_front(key);
    entries_.emplace(key, Entry{value, expires, recency_.begin()});
}

std::optional<CachedLookup> LookupCache::load_durable(const std::string &key) {
    {
        std::lock_guard lock(mutex_);
        if (!store_ || !store_failure_.empty()) return std::nullopt;
    }
    try {
        const auto text = store_->get("lookup/" + key);
        if (!text) return std::nullopt;
        const auto o = support::parse_json_object(*text, RELAIS_INTERNAL, "a cached lookup");
        const auto expires = Clock::time_point(milliseconds(support::integer_at(o, "expires_ms").value_or(0)));
        if (expires <= Clock::now()) return std::nullopt;
        CachedLookup value;
        value.found = support::bool_at(o, "found").value_or(false);
        if (value.found) {
            const auto record = support::object_at(o, "record");
            if (!record) return std::nullopt;
            value.record_json = relais::to_string(record);
        } else {
            value.message = support::string_at(o, "message").value_or("");
        }
        std::lock_guard lock(mutex_);
        remember(key, value, expires);
        return value;
    } catch (const std::exception &e) {
        std::lock_guard lock(mutex_);
        store_failure_ = e.what();
        return std::nullopt;
    }
}

void LookupCache::save_durable(const std::string &key, const CachedLookup &value, Clock::time_point expires) {
    {
        std::lock_guard lock(mutex_);
        if (!store_ || !store_failure_.empty()) return;
    }
    try {
        // The record is already JSON text: spliced in, not parsed again.
        std::string text = "{\"found\":" + std::string(value.found ? "true" : "false") + ",\"expires_ms\":" +
                           std::to_string(duration_cast<milliseconds>(expires.time_since_epoch()).count());
        if (value.found) {
            text += ",\"record\":" + value.record_json;
        } else {
            Json o = new Poco::JSON::Object;
            o->set("message", value.message);
            const auto m = relais::to_string(o);
            text += "," + m.substr(1, m.size() - 2);
        }
        text += "}";
        store_->put("lookup/" + key, text);
    } catch (const std::exception &e) {
        std::lock_guard lock(mutex_);
        store_failure_ = e.what();
    }
}

uint64_t LookupCache::hits() const {
    std::lock_guard lock(mutex_);
    return hits_;
}

uint64_t LookupCache::misses() const {
    std::lock_guard lock(mutex_);
    return misses_;
}

std::size_t LookupCache::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

std::string LookupCache::store_failure() const {
    std::lock_guard lock(mutex_);
    return store_failure_;
}

}  // namespace relais::sirene
