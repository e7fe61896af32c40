#include "config/json_locator.hpp"

#include "config/key_path.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace relais::host::config {
namespace {

// Deeper nesting is refused while locating a syntax error, so the recursion is bounded (Poco's
// parser has its own, lower limit).
constexpr int kMaxDepth = 512;

}  // namespace

JsonLocator::JsonLocator(std::string_view text) : text_(text) {
    try {
        skip_space();
        value("", 0);
        skip_space();
        if (pos_ < text_.size()) fail("", "the end of the document");
    } catch (const Stop &) {
        // error_ is set
    }
}

JsonLocator::Place JsonLocator::place(std::size_t offset, std::string path, std::string what) const {
    Place p;
    p.line = 1 + static_cast<std::size_t>(std::count(text_.begin(), text_.begin() + offset, '\n'));
    const std::size_t line_start = text_.rfind('\n', offset == 0 ? 0 : offset - 1);
    const std::size_t from = (line_start == std::string_view::npos || offset == 0) ? 0 : line_start + 1;
    p.column = 1 + static_cast<std::size_t>(std::count_if(text_.begin() + from, text_.begin() + offset, [](char c) {
                   return (static_cast<unsigned char>(c) & 0xC0u) != 0x80u;
               }));
    p.path = std::move(path);
    p.what = std::move(what);
    return p;
}

std::string JsonLocator::found() const {
    if (at_end()) return "the end of the text";
    const auto byte = static_cast<unsigned char>(peek());
    if (byte >= 0x20 && byte < 0x7f) return std::string("'") + peek() + "'";
    static constexpr std::string_view hex = "0123456789abcdef";
    return std::string("byte 0x") + hex[byte >> 4] + hex[byte & 0xF];
}

void JsonLocator::fail(const std::string &path, const std::string &expected) {
    error_ = place(pos_, path, "invalid JSON: expected " + expected + ", found " + found());
    throw Stop{};
}

void JsonLocator::skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
}

void JsonLocator::value(const std::string &path, int depth) {
    if (depth > kMaxDepth) fail(path, "at most " + std::to_string(kMaxDepth) + " levels of nesting");
    switch (peek()) {
    case '{': return object(path, depth);
    case '[': return array(path, depth);
    case '"': string(path); return;
    case 't': return literal(path, "true");
    case 'f': return literal(path, "false");
    case 'n': return literal(path, "null");
    default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return number(path);
        fail(path, "a value");
    }
}

void JsonLocator::object(const std::string &path, int depth) {
    ++pos_;
    skip_space();
    if (peek() == '}') {
        ++pos_;
        return;
    }
    std::set<std::string> keys;
    for (;;) {
        skip_space();
        if (peek() != '"') fail(path, "a key in double quotes");
        const std::size_t key_start = pos_;
        const std::string key = string(path);
        const std::string member = child_path(path, key);
        if (!keys.insert(key).second)
            repeated_.push_back(
                place(key_start, member, "expected each key once in an object, found this one again"));
        skip_space();
        if (peek() != ':') fail(member, "':' after the key");
        ++pos_;
        skip_space();
        value(member, depth + 1);
        skip_space();
        if (peek() == ',') {
            ++pos_;
            continue;
        }
        if (peek() == '}') {
            ++pos_;
            return;
        }
        fail(path, "',' or '}' after a member");
    }
}

void JsonLocator::array(const std::string &path, int depth) {
    ++pos_;
    skip_space();
    if (peek() == ']') {
        ++pos_;
        return;
    }
    for (std::size_t index = 0;; ++index) {
        skip_space();
        value(child_path(path, index), depth + 1);
        skip_space();
        if (peek() == ',') {
            ++pos_;
            continue;
        }
        if (peek() == ']') {
            ++pos_;
            return;
        }
        fail(path, "',' or ']' after an item");
    }
}

// Returns the text between the quotes, escapes left as written.
std::string JsonLocator::string(const std::string &path) {
    const std::size_t start = ++pos_;
    for (;;) {
        if (at_end()) fail(path, "a closing '\"'");
        const auto byte = static_cast<unsigned char>(peek());
        if (byte == '"') break;
        if (byte < 0x20) fail(path, "no control character in a string (write \\n, \\t...)");
        if (byte == '\\') {
            ++pos_;
            if (peek() == 'u') {
                for (int i = 0; i < 4; ++i) {
                    ++pos_;
                    if (!std::isxdigit(static_cast<unsigned char>(peek())))
                        fail(path, "4 hexadecimal digits after \\u");
                }
            } else if (std::string_view("\"\\/bfnrt").find(peek()) == std::string_view::npos || at_end()) {
                fail(path, "an escape: \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\u");
            }
            ++pos_;
        } else if (byte >= 0x80) {
            utf8_sequence(path);
        } else {
            ++pos_;
        }
    }
    return std::string(text_.substr(start, pos_++ - start));
}

void JsonLocator::utf8_sequence(const std::string &path) {
    const auto lead = static_cast<unsigned char>(peek());
    const int continuation = lead >= 0xC2 && lead <= 0xDF   ? 1
                             : lead >= 0xE0 && lead <= 0xEF ? 2
                             : lead >= 0xF0 && lead <= 0xF4 ? 3
                                                            : -1;
    if (continuation < 0) fail(path, "UTF-8 text");
    ++pos_;
    for (int i = 0; i < continuation; ++i, ++pos_)
        if ((static_cast<unsigned char>(peek()) & 0xC0u) != 0x80u) fail(path, "UTF-8 text");
}

void JsonLocator::digits(const std::string &path) {
    if (!std::isdigit(static_cast<unsigned char>(peek()))) fail(path, "a digit");
    while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
}

void JsonLocator::number(const std::string &path) {
    if (peek() == '-') ++pos_;
    if (peek() == '0')
        ++pos_;
    else
        digits(path);
    if (peek() == '.') {
        ++pos_;
        digits(path);
    }
    if (peek() == 'e' || peek() == 'E') {
        ++pos_;
        if (peek() == '+' || peek() == '-') ++pos_;
        digits(path);
    }
}

void JsonLocator::literal(const std::string &path, std::string_view word) {
    for (const char c : word) {
        if (peek() != c) fail(path, std::string(word));
        ++pos_;
    }
}

}  // namespace relais::host::config
