#include "events/event_rules.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <sstream>
#include <stdexcept>

namespace relais::host::events {
namespace {

bool type_character(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'; }

[[noreturn]] void refuse(const std::string &where, const std::string &what) {
    throw std::invalid_argument(where + ": " + what);
}

// Cursors are "evc_" and the sequence in hexadecimal: short, and not mistaken for a count.
constexpr std::string_view kCursorPrefix = "evc_";

}  // namespace

void check_type(std::string_view type, const std::string &where) {
    if (type.empty()) refuse(where, "the event type is empty");
    if (type.size() > kMaxTypeLength)
        refuse(where, "the event type is " + std::to_string(type.size()) + " characters long, more than " +
                          std::to_string(kMaxTypeLength));
    for (char c : type)
        if (!type_character(c))
            refuse(where, "the event type \"" + std::string(type) +
                              "\" may hold only lowercase letters, digits, '_' and '.' (e.g. invoice.paid)");
    if (type.front() == '.' || type.back() == '.' || type.find("..") != std::string_view::npos)
        refuse(where, "the event type \"" + std::string(type) + "\" has an empty segment between dots");
}

void check_subject(std::string_view subject, const std::string &where) {
    if (subject.size() > kMaxSubjectLength)
        refuse(where, "the event subject is " + std::to_string(subject.size()) + " bytes long, more than " +
                          std::to_string(kMaxSubjectLength));
}

void check_dedupe_key(std::string_view key, const std::string &where) {
    if (key.empty()) refuse(where, "the dedupe key is empty (give none instead)");
    if (key.size() > kMaxDedupeKeyLength)
        refuse(where, "the dedupe key is " + std::to_string(key.size()) + " bytes long, more than " +
                          std::to_string(kMaxDedupeKeyLength));
}

std::string checked_data(std::string_view data, const std::string &where) {
    if (data.size() > kMaxDataBytes)
        refuse(where, "the event data is " + std::to_string(data.size()) + " bytes, more than the " +
                          std::to_string(kMaxDataBytes) + " an event may carry");
    Poco::Dynamic::Var parsed;
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        parsed = parser.parse(std::string(data.empty() ? std::string_view("{}") : data));
    } catch (const Poco::Exception &e) {
        refuse(where, "the event data is not valid JSON: " + e.displayText());
    }
    if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) refuse(where, "the event data must be a JSON object");
    std::ostringstream compact;
    parsed.extract<Poco::JSON::Object::Ptr>()->stringify(compact);
    return compact.str();
}

TypePattern::TypePattern(std::string_view text, const std::string &where) {
    if (text == "*") {
        prefix_ = true;
        return;
    }
    if (text.size() > 2 && text.substr(text.size() - 2) == ".*") {
        prefix_ = true;
        text.remove_suffix(1);  // keeps the dot: "invoice." does not match "invoices.x"
        check_type(text.substr(0, text.size() - 1), where);
    } else {
        check_type(text, where);
    }
    stem_ = std::string(text);
}

bool TypePattern::matches(std::string_view type) const {
    return prefix_ ? type.substr(0, stem_.size()) == stem_ : type == stem_;
}

std::string TypePattern::text() const { return prefix_ ? stem_ + "*" : stem_; }

bool matches_any(const std::vector<TypePattern> &patterns, std::string_view type) {
    if (patterns.empty()) return true;
    for (const auto &p : patterns)
        if (p.matches(type)) return true;
    return false;
}

std::string cursor_of(int64_t sequence) {
    std::ostringstream out;
    out << kCursorPrefix << std::hex << sequence;
    return out.str();
}

std::optional<int64_t> parse_cursor(std::string_view cursor) {
    if (cursor.substr(0, kCursorPrefix.size()) != kCursorPrefix) return std::nullopt;
    const auto digits = cursor.substr(kCursorPrefix.size());
    if (digits.empty() || digits.size() > 15) return std::nullopt;
    int64_t value = 0;
    for (char c : digits) {
        int digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else
            return std::nullopt;
        value = value * 16 + digit;
    }
    return value;
}

}  // namespace relais::host::events
