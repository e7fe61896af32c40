#include "config/redactor.hpp"

#include <Poco/UTF8Encoding.h>

#include <algorithm>
#include <optional>
#include <utility>

namespace relais::host {
namespace {

// Characters, not bytes: a continuation byte (10xxxxxx) does not start one.
std::size_t character_count(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

// Length of the UTF-8 sequence starting at text[pos], or 0 when it is not valid UTF-8.
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    const std::size_t length = lead < 0x80             ? 1
                               : (lead & 0xE0) == 0xC0 ? 2
                               : (lead & 0xF0) == 0xE0 ? 3
                               : (lead & 0xF8) == 0xF0 ? 4
                                                       : 0;
    if (length == 0 || length > text.size() - pos) return 0;
    // Refuses overlong forms and surrogates too.
    const auto *bytes = reinterpret_cast<const unsigned char *>(text.data() + pos);
    return Poco::UTF8Encoding::isLegal(bytes, static_cast<int>(length)) ? length : 0;
}

char32_t code_point(std::string_view sequence) {
    const auto byte = [&](std::size_t i) { return static_cast<char32_t>(static_cast<unsigned char>(sequence[i])); };
    switch (sequence.size()) {
    case 1: return byte(0);
    case 2: return (byte(0) & 0x1F) << 6 | (byte(1) & 0x3F);
    case 3: return (byte(0) & 0x0F) << 12 | (byte(1) & 0x3F) << 6 | (byte(2) & 0x3F);
    default: return (byte(0) & 0x07) << 18 | (byte(1) & 0x3F) << 12 | (byte(2) & 0x3F) << 6 | (byte(3) & 0x3F);
    }
}

// JSON leaves serializers some freedom, and the bodies the host sees come from several:
// Poco writes \u001F, most others \u001f; PHP's json_encode writes "/" as "\/" and non-ASCII
// characters as \u00e9 by default. Each choice gives the secret another spelling to look for.
struct JsonSpelling {
    bool upper_hex;
    bool escape_slash;
    bool escape_non_ascii;
};

void append_unit(std::string &out, unsigned unit, bool upper_hex) {
    const char *digits = upper_hex ? "0123456789ABCDEF" : "0123456789abcdef";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += digits[(unit >> shift) & 0xF];
}

// The secret as it appears between the quotes of a JSON string; nullopt when non-ASCII
// characters are to be escaped but the secret is not valid UTF-8 (no serializer would).
std::optional<std::string> json_escaped(std::string_view secret, JsonSpelling spelling) {
    std::string out;
    for (std::size_t i = 0; i < secret.size();) {
        const auto c = static_cast<unsigned char>(secret[i]);
        if (c >= 0x80 && spelling.escape_non_ascii) {
            const auto length = utf8_sequence_length(secret, i);
            if (length == 0) return std::nullopt;
            auto cp = static_cast<unsigned>(code_point(secret.substr(i, length)));
            if (cp >= 0x10000) {  // a surrogate pair
                cp -= 0x10000;
                append_unit(out, 0xD800 + (cp >> 10), spelling.upper_hex);
                append_unit(out, 0xDC00 + (cp & 0x3FF), spelling.upper_hex);
            } else {
                append_unit(out, cp, spelling.upper_hex);
            }
            i += length;
            continue;
        }
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '/': out += spelling.escape_slash ? "\\/" : "/"; break;
        default:
            if (c < 0x20)
                append_unit(out, c, spelling.upper_hex);
            else
                out += static_cast<char>(c);
        }
        ++i;
    }
    return out;
}

// Every spelling of one secret; for most secrets (letters, digits, + = - _) just itself.
void add_forms(std::string_view secret, std::set<std::string> &forms) {
    forms.emplace(secret);
    for (bool upper_hex : {false, true})
        for (bool escape_slash : {false, true})
            for (bool escape_non_ascii : {false, true})
                if (auto form = json_escaped(secret, {upper_hex, escape_slash, escape_non_ascii})) forms.insert(std::move(*form));
}

}  // namespace

bool Redactor::add(std::string_view value) {
    if (character_count(value) < kMinimumLength) return false;
    std::lock_guard lock(write_mutex_);
    if (secrets_.emplace(value).second) publish_locked();
    return true;
}

std::size_t Redactor::add_all(const std::vector<std::string> &values) {
    std::size_t refused = 0;
    bool added = false;
    std::lock_guard lock(write_mutex_);
    for (const auto &value : values) {
        if (character_count(value) < kMinimumLength)
            ++refused;
        else
            added |= secrets_.emplace(value).second;
    }
    if (added) publish_locked();
    return refused;
}

// Writes are rare: each builds the whole pattern list anew, so that reads have no work to do.
// Called with write_mutex_ held.
void Redactor::publish_locked() {
    std::set<std::string> forms;
    for (const auto &secret : secrets_) add_forms(secret, forms);
    auto patterns = std::make_shared<Patterns>(forms.begin(), forms.end());
    // Longest first, then in byte order: the order does not change the result (overlapping
    // spans are merged), but a stable one keeps apply() easy to reason about.
    std::stable_sort(patterns->begin(), patterns->end(),
                     [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
    const bool empty = patterns->empty();
    {
        std::unique_lock lock(mutex_);
        patterns_ = std::move(patterns);
    }
    empty_.store(empty, std::memory_order_release);
}

// Never null: an empty list until the first secret is added.
std::shared_ptr<const Redactor::Patterns> Redactor::patterns() const {
    std::shared_lock lock(mutex_);
    return patterns_;
}

std::string Redactor::apply(std::string_view text) const {
    if (empty()) return std::string(text);

    // Every occurrence of every pattern, overlapping ones included ("aaaa" in "aaaaaa").
    // Nothing is allocated until one is found: the usual case is a line without secrets.
    const auto current = patterns();  // held for the scan: a writer may publish a new list meanwhile
    std::vector<std::pair<std::size_t, std::size_t>> spans;  // [begin, end)
    for (const auto &pattern : *current)
        for (auto pos = text.find(pattern); pos != std::string_view::npos; pos = text.find(pattern, pos + 1))
            spans.emplace_back(pos, pos + pattern.size());
    if (spans.empty()) return std::string(text);

    // Merging overlapping spans hides a secret that contains another (had the shorter one
    // been replaced first, the rest of the longer one would show) and two that overlap.
    std::sort(spans.begin(), spans.end());
    std::string out;
    out.reserve(text.size());
    std::size_t copied = 0;
    for (std::size_t i = 0; i < spans.size();) {
        auto [begin, end] = spans[i];
        for (++i; i < spans.size() && spans[i].first < end; ++i) end = std::max(end, spans[i].second);
        out.append(text.substr(copied, begin - copied));
        out.append(kReplacement);
        copied = end;
    }
    out.append(text.substr(copied));
    return out;
}

bool Redactor::contains_secret(std::string_view text) const {
    if (empty()) return false;
    const auto current = patterns();
    return std::any_of(current->begin(), current->end(),
                       [&](const std::string &pattern) { return text.find(pattern) != std::string_view::npos; });
}

}  // namespace relais::host
