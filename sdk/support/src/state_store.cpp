#include <relais/support/state_store.hpp>

#include <Poco/JSON/Array.h>

#include <limits>

namespace relais::support {

namespace {

// --- what the host checks, checked the same way here -----------------------------------------

// The length of the UTF-8 sequence at s[i], or 0 when it is not a valid one (overlong forms,
// surrogates and code points past U+10FFFF included).
std::size_t utf8_sequence(const std::string &s, std::size_t i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) return 1;
    std::size_t n = 0;
    uint32_t cp = 0;
    if (b >= 0xc2 && b <= 0xdf) n = 2, cp = b & 0x1fu;
    else if (b >= 0xe0 && b <= 0xef) n = 3, cp = b & 0x0fu;
    else if (b >= 0xf0 && b <= 0xf4) n = 4, cp = b & 0x07u;
    else return 0;
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        const auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xc0u) != 0x80u) return 0;
        cp = (cp << 6) | (c & 0x3fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

bool is_utf8(const std::string &s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto n = utf8_sequence(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

// Quoted, control and invalid bytes as \xNN, cut with "..." after 64 bytes.
std::string shown(const std::string &key) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\"";
    std::size_t i = 0;
    while (i < key.size() && i < 64) {
        const auto b = static_cast<unsigned char>(key[i]);
        const auto n = utf8_sequence(key, i);
        if (n == 0 || b < 0x20 || b == 0x7f || b == '"' || b == '\\') {
            if (b == '"' || b == '\\') out += '\\', out += static_cast<char>(b);
            else out += "\\x", out += kHex[b >> 4], out += kHex[b & 0xf];
            ++i;
        } else {
            out.append(key, i, n);
            i += n;
        }
    }
    if (i < key.size()) out += "...";
    return out + '"';
}

[[noreturn]] void refuse(const std::string &message) { throw Error(RELAIS_INVALID_INPUT, message); }

// A key travels to the host as a C string: a NUL would cut it short, and name another key.
void check_passable(const std::string &text, const char *what) {
    if (text.find('\0') != std::string::npos)
        refuse(std::string("state ") + what + " " + shown(text) + " holds a NUL byte");
}

void check_key(const std::string &key) {
    if (key.empty()) refuse("a state key may not be empty");
    check_passable(key, "key");
    if (key.size() > StateStore::kMaxKeyBytes)
        refuse("state key " + shown(key) + " is " + std::to_string(key.size()) + " bytes long; keys are at most " +
               std::to_string(StateStore::kMaxKeyBytes) + " bytes");
    if (!is_utf8(key)) refuse("state key " + shown(key) + " is not UTF-8 text");
}

void check_value(const std::string &key, const std::string &value) {
    if (value.size() > StateStore::kMaxValueBytes)
        refuse("the value of state key " + shown(key) + " is " + std::to_string(value.size()) +
               " bytes; values are at most " + std::to_string(StateStore::kMaxValueBytes) + " bytes (1 MiB)");
}

void check_list(const std::string &prefix, const std::optional<std::string> &cursor, uint32_t limit) {
    check_passable(prefix, "prefix");
    if (prefix.size() > StateStore::kMaxKeyBytes)
        refuse("state prefix " + shown(prefix) + " is " + std::to_string(prefix.size()) +
               " bytes long; keys are at most " + std::to_string(StateStore::kMaxKeyBytes) + " bytes");
    if (!is_utf8(prefix)) refuse("state prefix " + shown(prefix) + " is not UTF-8 text");
    if (limit < 1 || limit > StateStore::kMaxListLimit)
        refuse("a state list takes 1 to " + std::to_string(StateStore::kMaxListLimit) + " keys at a time, not " +
               std::to_string(limit));
    if (cursor && (cursor->size() > StateStore::kMaxKeyBytes || cursor->compare(0, prefix.size(), prefix) != 0))
        refuse("state list cursor " + shown(*cursor) + " does not come from a list of prefix " + shown(prefix));
    if (cursor) check_passable(*cursor, "list cursor");
}

int64_t system_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// --- in memory -------------------------------------------------------------------------------

class MemoryState : public StateStore {
public:
    explicit MemoryState(StateClock now_ms) : now_ms_(now_ms ? std::move(now_ms) : StateClock(&system_now_ms)) {}

    std::optional<std::string> get(const std::string &key) override {
        auto v = read(key);
        if (!v) return std::nullopt;
        return std::move(v->value);
    }
    void put(const std::string &key, const std::string &value) override {
        write(key, value, kAnyVersion, std::chrono::milliseconds(0));
    }
    void erase(const std::string &key) override {
        check_key(key);
        std::lock_guard lock(mutex_);
        entries_.erase(key);
    }
    bool durable() const override { return false; }

    std::optional<Versioned> read(const std::string &key) override {
        check_key(key);
        const auto now = now_ms_();
        std::lock_guard lock(mutex_);
        const auto it = entries_.find(key);
        if (it == entries_.end() || !live(it->second, now)) return std::nullopt;
        return Versioned{it->second.value, it->second.version};
    }

    Written write(const std::string &key, const std::string &value, uint64_t expected_version,
                  std::chrono::milliseconds ttl) override {
        check_key(key);
        check_value(key, value);
        const auto now = now_ms_();
        std::lock_guard lock(mutex_);
        const auto it = entries_.find(key);
        // An expired key is absent, as on the host: it starts again at version 1.
        const uint64_t current = it != entries_.end() && live(it->second, now) ? it->second.version : 0;
        if (expected_version != kAnyVersion && expected_version != current) return {false, current};
        auto &entry = entries_[key];
        entry.value = value;
        entry.version = current + 1;
        entry.expires_at = ttl.count() > 0 ? std::optional<int64_t>(expiry(now, ttl.count())) : std::nullopt;
        return {true, entry.version};
    }

    Page list(const std::string &prefix, const std::optional<std::string> &cursor, uint32_t limit) override {
        check_list(prefix, cursor, limit);
        const auto now = now_ms_();
        std::lock_guard lock(mutex_);
        Page page;
        // std::string compares as unsigned bytes: the host's order.
        for (auto it = cursor ? entries_.upper_bound(*cursor) : entries_.lower_bound(prefix);
             it != entries_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
            if (!live(it->second, now)) continue;
            if (page.keys.size() == limit) {
                page.next_cursor = page.keys.back().key;
                break;
            }
            page.keys.push_back({it->first, it->second.version, it->second.value.size(), it->second.expires_at});
        }
        return page;
    }

private:
    struct Entry {
        std::string value;
        uint64_t version = 0;
        std::optional<int64_t> expires_at;
    };
    static bool live(const Entry &e, int64_t now) { return !e.expires_at || *e.expires_at > now; }
    static int64_t expiry(int64_t now, int64_t ttl) {
        return now > std::numeric_limits<int64_t>::max() - ttl ? std::numeric_limits<int64_t>::max() : now + ttl;
    }

    StateClock now_ms_;
    std::mutex mutex_;
    // Expired entries stay until written over or erased: a process's state is small, and
    // nothing reads them.
    std::map<std::string, Entry> entries_;
};

// --- on the host -----------------------------------------------------------------------------

class HostState : public StateStore {
public:
    explicit HostState(Host host) : host_(host) {}
    std::optional<std::string> get(const std::string &key) override {
        check_passable(key, "key");
        return host_.state_get(key);
    }
    void put(const std::string &key, const std::string &value) override {
        check_passable(key, "key");
        host_.state_put(key, value);
    }
    void erase(const std::string &key) override {
        check_passable(key, "key");
        host_.state_delete(key);
    }
    bool durable() const override { return true; }

    std::optional<Versioned> read(const std::string &key) override {
        check_passable(key, "key");
        return host_.state_read(key);
    }
    Written write(const std::string &key, const std::string &value, uint64_t expected_version,
                  std::chrono::milliseconds ttl) override {
        check_passable(key, "key");
        return host_.state_write(key, value, expected_version, ttl);
    }
    // Straight from the service (Host::state_list keeps only the keys): versions, sizes and
    // expiries are part of the page.
    Page list(const std::string &prefix, const std::optional<std::string> &cursor, uint32_t limit) override {
        check_passable(prefix, "prefix");
        if (cursor) check_passable(*cursor, "list cursor");
        const auto *services = host_.services();
        if (!detail::provides(services, &relais_host_services::state_list))
            throw Error(RELAIS_UNSUPPORTED, "this host offers no versioned plugin state");
        detail::Collected out;
        const auto status = services->state_list(host_.context(), prefix.c_str(), cursor ? cursor->c_str() : nullptr,
                                                 limit, &out.output);
        if (status != RELAIS_OK) throw Error(status, "cannot list state under " + prefix + ": " + out.message);
        return parse_page(out.body);
    }

private:
    static Page parse_page(const std::string &text) {
        const auto answer = parse_object(text, RELAIS_INTERNAL, "the host's state list");
        try {
            Page page;
            if (const auto keys = answer->getArray("keys")) {
                for (unsigned i = 0; i < keys->size(); ++i) {
                    const auto entry = keys->getObject(i);
                    if (!entry) throw Error(RELAIS_INTERNAL, "the host's state list has a key that is not an object");
                    Key k;
                    k.key = entry->getValue<std::string>("key");
                    k.version = entry->getValue<uint64_t>("version");
                    k.size = entry->getValue<uint64_t>("size");
                    if (entry->has("expires_at_ms") && !entry->isNull("expires_at_ms"))
                        k.expires_at_ms = entry->getValue<int64_t>("expires_at_ms");
                    page.keys.push_back(std::move(k));
                }
            }
            if (answer->has("next_cursor") && !answer->isNull("next_cursor"))
                page.next_cursor = answer->getValue<std::string>("next_cursor");
            return page;
        } catch (const Error &) {
            throw;
        } catch (const std::exception &e) {
            throw Error(RELAIS_INTERNAL, std::string("the host's state list is not as documented: ") + e.what());
        }
    }

    Host host_;
};

}  // namespace

std::shared_ptr<StateStore> memory_state(StateClock now_ms) { return std::make_shared<MemoryState>(std::move(now_ms)); }

std::shared_ptr<StateStore> host_state(Host host) { return std::make_shared<HostState>(host); }

bool host_offers_state(const Host &host) {
    // A host may fill the service in its table and still have no store behind it (the
    // standalone CLI): it then answers unsupported. One read tells.
    try {
        host.state_get("relais/state-probe");
        return true;
    } catch (const Error &e) {
        return e.status() != RELAIS_UNSUPPORTED;
    }
}

bool host_offers_versioned_state(const Host &host) { return host.offers(RELAIS_CAP_STATE_V2); }

std::shared_ptr<StateStore> plugin_state(const Host &host, const std::string &forgotten) {
    if (host_offers_state(host)) return host_state(host);
    host.warn("this host keeps no plugin state: " + forgotten + " is kept in memory only, and a restart forgets it");
    return memory_state();
}

std::shared_ptr<StateStore> versioned_plugin_state(const Host &host, const std::string &forgotten) {
    if (host_offers_versioned_state(host)) return host_state(host);
    host.warn("this host keeps no versioned plugin state: " + forgotten +
              " is kept in memory only, and a restart forgets it");
    return memory_state();
}

}  // namespace relais::support
