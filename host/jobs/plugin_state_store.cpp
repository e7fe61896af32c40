#include "jobs/plugin_state_store.hpp"

#include <stdexcept>

namespace relais::host {
namespace {

// The length of the UTF-8 sequence starting at s[i], or 0 when it is not a valid one
// (overlong forms, surrogates and code points past U+10FFFF included).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
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

bool is_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto n = utf8_sequence(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

// The key as a message shows it: quoted, control and invalid bytes as \xNN, and cut with
// "..." after 64 bytes (a key refused for its length may be very long).
std::string shown(std::string_view key) {
    static constexpr char kHex[] = "0123456789abcdef";
    constexpr std::size_t kShown = 64;
    std::string out = "\"";
    std::size_t i = 0;
    while (i < key.size() && i < kShown) {
        const auto b = static_cast<unsigned char>(key[i]);
        const auto n = utf8_sequence(key, i);
        if (n == 0 || b < 0x20 || b == 0x7f || b == '"' || b == '\\') {
            if (b == '"' || b == '\\') out += '\\', out += static_cast<char>(b);
            else out += "\\x", out += kHex[b >> 4], out += kHex[b & 0xf];
            ++i;
        } else {
            out.append(key.substr(i, n));
            i += n;
        }
    }
    if (i < key.size()) out += "...";
    out += '"';
    return out;
}

}  // namespace

void check_state_key(std::string_view key) {
    if (key.empty()) throw std::invalid_argument("a state key may not be empty");
    if (key.size() > PluginStateStore::kMaxKeyBytes)
        throw std::invalid_argument("state key " + shown(key) + " is " + std::to_string(key.size()) +
                                    " bytes long; keys are at most " +
                                    std::to_string(PluginStateStore::kMaxKeyBytes) + " bytes");
    if (!is_utf8(key)) throw std::invalid_argument("state key " + shown(key) + " is not UTF-8 text");
}

void check_state_value(std::string_view key, std::size_t value_bytes) {
    if (value_bytes > PluginStateStore::kMaxValueBytes)
        throw std::invalid_argument("the value of state key " + shown(key) + " is " + std::to_string(value_bytes) +
                                    " bytes; values are at most " +
                                    std::to_string(PluginStateStore::kMaxValueBytes) + " bytes (1 MiB)");
}

void check_state_prefix(std::string_view prefix) {
    if (prefix.size() > PluginStateStore::kMaxKeyBytes)
        throw std::invalid_argument("state prefix " + shown(prefix) + " is " + std::to_string(prefix.size()) +
                                    " bytes long; keys are at most " +
                                    std::to_string(PluginStateStore::kMaxKeyBytes) + " bytes");
    if (!is_utf8(prefix)) throw std::invalid_argument("state prefix " + shown(prefix) + " is not UTF-8 text");
}

void check_state_list(std::string_view prefix, const std::optional<std::string> &cursor, uint32_t limit) {
    check_state_prefix(prefix);
    if (limit < 1 || limit > PluginStateStore::kMaxListLimit)
        throw std::invalid_argument("a state list takes 1 to " + std::to_string(PluginStateStore::kMaxListLimit) +
                                    " keys at a time, not " + std::to_string(limit));
    // The cursor is the last key of the previous page: one from another prefix (or none at
    // all) would silently start the walk somewhere else.
    if (cursor && (cursor->size() > PluginStateStore::kMaxKeyBytes || cursor->compare(0, prefix.size(), prefix) != 0))
        throw std::invalid_argument("state list cursor " + shown(*cursor) + " does not come from a list of prefix " +
                                    shown(prefix));
}

int64_t state_expiry(int64_t now, uint64_t ttl_ms) {
    constexpr auto kMax = std::numeric_limits<int64_t>::max();
    if (ttl_ms >= static_cast<uint64_t>(kMax)) return kMax;
    const auto ttl = static_cast<int64_t>(ttl_ms);
    return now > kMax - ttl ? kMax : now + ttl;
}

}  // namespace relais::host
