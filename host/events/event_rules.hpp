// What a business event may look like, and the small languages around it: type names, the
// type filters of the API and of endpoints ("invoice.*"), and the opaque cursor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relais::host::events {

// Larger values are refused: an event announces a change, the ERP fetches the details.
inline constexpr std::size_t kMaxTypeLength = 100;
inline constexpr std::size_t kMaxSubjectLength = 500;
inline constexpr std::size_t kMaxDedupeKeyLength = 200;
inline constexpr std::size_t kMaxDataBytes = 64 * 1024;

// Throws std::invalid_argument naming the field and the rule broken; `where` says whose event
// it is ("event of connector chorus").
void check_type(std::string_view type, const std::string &where);
void check_subject(std::string_view subject, const std::string &where);
void check_dedupe_key(std::string_view key, const std::string &where);
// `data` must be a JSON object of at most kMaxDataBytes; returns it as compact JSON text.
std::string checked_data(std::string_view data, const std::string &where);

// A filter on event types: "invoice.paid" (that type), "invoice.*" (every type under
// "invoice."), or "*" (all).
class TypePattern {
public:
    // Throws std::invalid_argument naming `where` for anything else.
    TypePattern(std::string_view text, const std::string &where);
    bool matches(std::string_view type) const;
    bool is_prefix() const { return prefix_; }
    const std::string &stem() const { return stem_; }  // the type, or the prefix with its dot
    std::string text() const;

private:
    std::string stem_;
    bool prefix_ = false;
};

// True when `patterns` is empty (no filter) or one of them matches.
bool matches_any(const std::vector<TypePattern> &patterns, std::string_view type);

// The cursor of GET /api/v1/events: opaque to clients, the event's sequence number inside.
std::string cursor_of(int64_t sequence);
// nullopt when `cursor` is not one this host made.
std::optional<int64_t> parse_cursor(std::string_view cursor);

}  // namespace relais::host::events
