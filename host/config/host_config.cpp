// host_config.cpp: see host_config.hpp for the format and the order of the loading steps.
//
// The file has five parts: key paths and problem reports, locating JSON syntax errors and
// repeated keys, environment overrides, secret references, and the checks and typed reads of
// the host section.
#include "config/host_config.hpp"

#include "config/redactor.hpp"

#include "config/json_schema.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <regex>
#include <sstream>
#include <set>
#include <string_view>

extern char **environ;

namespace relais::host {
namespace fs = std::filesystem;

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// Environment variables that override a key start with this; "__" separates the segments.
constexpr std::string_view kOverridePrefix = "RELAIS__";
constexpr std::string_view kSegmentSeparator = "__";

// Larger files are refused: a configuration is a few kilobytes, a secret a few hundred bytes,
// and a reference to /dev/zero must not hang the host.
constexpr std::size_t kMaxConfigBytes = 16 * 1024 * 1024;
constexpr std::size_t kMaxSecretBytes = 64 * 1024;

// Deeper nesting is refused while locating a syntax error, so the locator's recursion is bounded
// (Poco's parser has its own, lower limit).
constexpr int kMaxLocatorDepth = 512;

// The schema of the whole document. Connector sections are only required to be objects: their
// plugins' schemas check them. What a schema cannot say (readable files, a creatable data_dir,
// duplicate tokens, the address and token character sets) is checked in check_host() below.
constexpr const char *kSchema = R"json({
  "type": "object",
  "properties": {
    "host": {
      "type": "object",
      "properties": {
        "listen": {
          "type": "object",
          "properties": {
            "address": {"type": "string", "minLength": 1},
            "port": {"type": "integer", "minimum": 0, "maximum": 65535}
          },
          "additionalProperties": false
        },
        "tls": {
          "type": "object",
          "properties": {
            "certificate": {"type": "string", "minLength": 1},
            "private_key": {"type": "string", "minLength": 1}
          },
          "required": ["certificate", "private_key"],
          "additionalProperties": false
        },
        "data_dir": {"type": "string", "minLength": 1},
        "plugin_dir": {"type": "string"},
        "log": {
          "type": "object",
          "properties": {
            "format": {"enum": ["text", "json"]},
            "level": {"enum": ["none", "fatal", "critical", "error", "warning", "notice", "information",
                               "debug", "trace"]},
            "levels": {
              "type": "object",
              "additionalProperties": {"enum": ["none", "fatal", "critical", "error", "warning", "notice",
                                                "information", "debug", "trace"]}
            }
          },
          "additionalProperties": false
        },
        "api": {
          "type": "object",
          "properties": {
            "max_body_bytes": {"type": "integer", "minimum": 1, "maximum": 1073741824},
            "request_timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 3600},
            "max_threads": {"type": "integer", "minimum": 1, "maximum": 1024},
            "max_queued": {"type": "integer", "minimum": 1, "maximum": 65536},
            "shutdown_grace_seconds": {"type": "integer", "minimum": 0, "maximum": 3600}
          },
          "additionalProperties": false
        },
        "jobs": {
          "type": "object",
          "properties": {
            "workers": {"type": "integer", "minimum": 1, "maximum": 256},
            "lease_seconds": {"type": "integer", "minimum": 5, "maximum": 86400},
            "durability": {"enum": ["full", "accepted", "normal"]},
            "retention_days": {"type": "integer", "minimum": 0, "maximum": 36500}
          },
          "additionalProperties": false
        },
        "tokens": {
          "type": "array",
          "items": {
            "type": "object",
            "properties": {
              "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"},
              "token": {"type": "string", "minLength": 16, "secret": true},
              "scopes": {"type": "array", "items": {"enum": ["admin", "client"]}, "minItems": 1, "uniqueItems": true}
            },
            "required": ["name", "token", "scopes"],
            "additionalProperties": false
          }
        }
      },
      "additionalProperties": false
    },
    "connectors": {"type": "object", "additionalProperties": {"type": "object"}}
  },
  "additionalProperties": false
})json";

const JsonSchema &document_schema() {
    static const JsonSchema schema = JsonSchema::parse(kSchema);
    return schema;
}

// -------------------------------------------------------------------------------------------------
// Key paths and problem reports
// -------------------------------------------------------------------------------------------------

// Key paths read as in the documentation: host.tokens[1].token. A key that is not a plain word
// is quoted, so that a logger name with dots stays one segment: host.log.levels["relais.http"].
std::string child_path(const std::string &parent, const std::string &key) {
    static const std::regex plain("[A-Za-z0-9_-]+");
    const std::string segment = std::regex_match(key, plain) ? key : "[\"" + key + "\"]";
    if (parent.empty()) return segment;
    return segment.front() == '[' ? parent + segment : parent + "." + segment;
}

std::string child_path(const std::string &parent, std::size_t index) {
    return parent + "[" + std::to_string(index) + "]";
}

Object::Ptr as_object(const Var &value) {
    return value.type() == typeid(Object::Ptr) ? value.extract<Object::Ptr>() : nullptr;
}

Array::Ptr as_array(const Var &value) {
    return value.type() == typeid(Array::Ptr) ? value.extract<Array::Ptr>() : nullptr;
}

// The key path of a JSON Pointer (as JsonSchema reports them) inside `root`: the document tells
// which segments are array indices.
std::string display_path(const Var &root, const std::string &pointer) {
    std::string path;
    Var at = root;
    std::size_t start = 1;
    while (start <= pointer.size() && !pointer.empty()) {
        const std::size_t end = std::min(pointer.find('/', start), pointer.size());
        std::string segment = pointer.substr(start, end - start);
        for (std::size_t i = 0; (i = segment.find('~', i)) != std::string::npos; ++i)
            segment.replace(i, 2, segment.compare(i, 2, "~1") == 0 ? "/" : "~");
        if (const Array::Ptr array = as_array(at)) {
            const std::size_t index = std::stoul(segment);
            path = child_path(path, index);
            at = index < array->size() ? array->get(static_cast<unsigned>(index)) : Var();
        } else {
            path = child_path(path, segment);
            const Object::Ptr object = as_object(at);
            at = object && object->has(segment) ? object->get(segment) : Var();
        }
        start = end + 1;
    }
    return path;
}

// A value's kind, for messages that must not show the value itself.
std::string kind_of(const Var &value) {
    if (value.isEmpty()) return "null";
    if (value.isBoolean()) return "a boolean";
    if (value.isString()) return "a string";
    if (value.isNumeric()) return "a number";
    if (as_object(value)) return "an object";
    if (as_array(value)) return "an array";
    return "a value";
}

std::string quoted(const std::string &text) { return "\"" + text + "\""; }

std::string join_lines(const std::vector<std::string> &lines) {
    std::string out;
    for (const auto &line : lines) out += (out.empty() ? "" : "\n") + line;
    return out;
}

std::string system_reason(int error) { return std::strerror(error); }

// Every problem found, each prefixed with the file and the key path, and with the environment
// variable that set that key (or a key above it) when there is one.
class Report {
public:
    explicit Report(std::string label) : label_(std::move(label)) {}

    void add(const std::string &path, const std::string &text) {
        std::string line = label_ + ": " + (path.empty() ? "" : path + ": ") + text;
        if (const std::string *variable = override_of(path)) line += " (set by " + *variable + ")";
        lines_.push_back(std::move(line));
    }

    // A problem placed by position in the text rather than by key.
    void add_at(std::size_t line, std::size_t column, const std::string &path, const std::string &text) {
        lines_.push_back(label_ + ": line " + std::to_string(line) + ", column " + std::to_string(column) + ": " +
                         (path.empty() ? "" : path + ": ") + text);
    }

    void set_by(const std::string &path, const std::string &variable) { overrides_[path] = variable; }

    bool empty() const { return lines_.empty(); }
    const std::string &label() const { return label_; }

    [[noreturn]] void fail(const std::vector<std::string> &secrets, bool file_unreadable = false) const {
        std::vector<std::string> lines;
        // Values from references are never rendered on purpose; this catches any that slip
        // through a message anyway (a reference used for a non-secret key, for example).
        for (const auto &line : lines_) lines.push_back(redact(line, secrets));
        throw ConfigError(std::move(lines), file_unreadable);
    }

private:
    // The variable that set `path` or the closest key above it.
    const std::string *override_of(const std::string &path) const {
        const std::string *closest = nullptr;
        std::size_t closest_length = 0;
        for (const auto &[set, variable] : overrides_) {
            const bool below = path.size() > set.size() && path.compare(0, set.size(), set) == 0 &&
                               (path[set.size()] == '.' || path[set.size()] == '[');
            if ((path == set || below) && (!closest || set.size() > closest_length)) {
                closest = &variable;
                closest_length = set.size();
            }
        }
        return closest;
    }

    std::string label_;
    std::vector<std::string> lines_;
    std::map<std::string, std::string> overrides_;  // key path -> variable
};

// -------------------------------------------------------------------------------------------------
// Locating syntax errors and repeated keys
// -------------------------------------------------------------------------------------------------

// Poco's parser builds the document but says neither where a syntax error is nor that a key
// appeared twice in one object (the last one silently wins). This walks the text with the JSON
// grammar to say both. It only ever adds detail: Poco decides whether the text is JSON.
class JsonLocator {
public:
    struct Place {
        std::size_t line = 0, column = 0;  // from 1; columns count characters, not bytes
        std::string path;                  // key path of the enclosing value
        std::string what;
    };

    explicit JsonLocator(std::string_view text) : text_(text) {
        try {
            skip_space();
            value("", 0);
            skip_space();
            if (pos_ < text_.size()) fail("", "the end of the document");
        } catch (const Stop &) {
            // error_ is set
        }
    }

    const std::optional<Place> &syntax_error() const { return error_; }
    // Keys seen a second time in the same object. Keys are compared as written, so "\u0061"
    // and "a" are not recognised as the same key.
    const std::vector<Place> &repeated_keys() const { return repeated_; }

private:
    struct Stop {};

    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    bool at_end() const { return pos_ >= text_.size(); }

    Place place(std::size_t offset, std::string path, std::string what) const {
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

    std::string found() const {
        if (at_end()) return "the end of the text";
        const auto byte = static_cast<unsigned char>(peek());
        if (byte >= 0x20 && byte < 0x7f) return std::string("'") + peek() + "'";
        static constexpr std::string_view hex = "0123456789abcdef";
        return std::string("byte 0x") + hex[byte >> 4] + hex[byte & 0xF];
    }

    [[noreturn]] void fail(const std::string &path, const std::string &expected) {
        error_ = place(pos_, path, "invalid JSON: expected " + expected + ", found " + found());
        throw Stop{};
    }

    void skip_space() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
    }

    void value(const std::string &path, int depth) {
        if (depth > kMaxLocatorDepth) fail(path, "at most " + std::to_string(kMaxLocatorDepth) + " levels of nesting");
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

    void object(const std::string &path, int depth) {
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

    void array(const std::string &path, int depth) {
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
    std::string string(const std::string &path) {
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

    void utf8_sequence(const std::string &path) {
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

    void digits(const std::string &path) {
        if (!std::isdigit(static_cast<unsigned char>(peek()))) fail(path, "a digit");
        while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
    }

    void number(const std::string &path) {
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

    void literal(const std::string &path, std::string_view word) {
        for (const char c : word) {
            if (peek() != c) fail(path, std::string(word));
            ++pos_;
        }
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::optional<Place> error_;
    std::vector<Place> repeated_;
};

Var parse_json(const std::string &text) {
    // Keep the file's key order: connector sections reach plugins, and errors come, in that order.
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse(text);
}

// -------------------------------------------------------------------------------------------------
// Reading files
// -------------------------------------------------------------------------------------------------

// The content of a regular file of at most `limit` bytes, or why it cannot be had.
struct FileContent {
    std::string text;
    std::string error;  // empty on success
};

FileContent read_small_file(const fs::path &path, std::size_t limit) {
    FileContent result;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        result.error = system_reason(errno);
        return result;
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        result.error = system_reason(errno);
    } else if (!S_ISREG(info.st_mode)) {
        result.error = "not a regular file";
    } else {
        char buffer[8192];
        for (;;) {
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                result.error = system_reason(errno);
                break;
            }
            if (n == 0) break;
            result.text.append(buffer, static_cast<std::size_t>(n));
            if (result.text.size() > limit) {
                result.error = "larger than " + std::to_string(limit) + " bytes";
                break;
            }
        }
    }
    ::close(fd);
    if (!result.error.empty()) result.text.clear();
    return result;
}

// -------------------------------------------------------------------------------------------------
// Environment overrides
// -------------------------------------------------------------------------------------------------

// The JSON value the text is, or the text itself as a string. Poco's parser refuses a bare
// scalar, so the text is parsed as the only item of an array ("1,2" makes two items: a string).
Var override_value(const std::string &text) {
    try {
        const Array::Ptr items = as_array(parse_json("[" + text + "]"));
        if (items && items->size() == 1) return items->get(0);
    } catch (const Poco::Exception &) {
        // not JSON: a plain string
    }
    return text;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

void apply_overrides(const Object::Ptr &root, const Environment &environment, Report &report) {
    // std::map: in name order, so a variable for a key wins over one for the object around it.
    for (const auto &[variable, text] : environment) {
        if (variable.compare(0, kOverridePrefix.size(), kOverridePrefix) != 0) continue;
        std::vector<std::string> segments;
        for (std::size_t start = kOverridePrefix.size();;) {
            const std::size_t end = variable.find(kSegmentSeparator, start);
            segments.push_back(lower(variable.substr(start, end == std::string::npos ? end : end - start)));
            if (end == std::string::npos) break;
            start = end + kSegmentSeparator.size();
        }
        if (std::any_of(segments.begin(), segments.end(), [](const std::string &s) { return s.empty(); })) {
            report.add("environment variable " + variable,
                       "expected key names separated by __ (RELAIS__HOST__LISTEN__PORT), found an empty one");
            continue;
        }
        Object::Ptr object = root;
        std::string path;
        bool placed = true;
        for (std::size_t i = 0; i + 1 < segments.size() && placed; ++i) {
            path = child_path(path, segments[i]);
            if (!object->has(segments[i])) {
                Object::Ptr created = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                object->set(segments[i], created);
                object = created;
                report.set_by(path, variable);  // RELAIS__HOSTS__X made "hosts": say so there
            } else if (const Object::Ptr existing = as_object(object->get(segments[i]))) {
                object = existing;
            } else {
                report.add(path, "environment variable " + variable +
                                     " sets a key inside it: expected an object, found " +
                                     kind_of(object->get(segments[i])));
                placed = false;
            }
        }
        if (!placed) continue;
        object->set(segments.back(), override_value(text));
        report.set_by(child_path(path, segments.back()), variable);
    }
}

// -------------------------------------------------------------------------------------------------
// Secret references
// -------------------------------------------------------------------------------------------------

const std::regex &env_reference() {
    static const std::regex pattern(R"(\$\{env:([A-Za-z_][A-Za-z0-9_]*)\})");
    return pattern;
}

const std::regex &file_reference() {
    static const std::regex pattern(R"(\$\{file:(.+)\})");
    return pattern;
}

bool is_reference(const std::string &text) {
    return std::regex_match(text, env_reference()) || std::regex_match(text, file_reference());
}

// Replaces ${env:NAME} and ${file:PATH} string values by what they refer to, and $${ by ${, in
// every string value of a document, remembering what each resolved value came from.
class ReferenceResolver {
public:
    ReferenceResolver(const Environment &environment, fs::path base, Report &report)
        : environment_(environment), base_(std::move(base)), report_(report) {}

    void resolve(const Var &value, const std::string &path) {
        // Non-const pointers: Poco's const SharedPtr only gives const access.
        if (Object::Ptr object = as_object(value)) {
            for (const std::string &name : object->getNames()) {
                const std::string at = child_path(path, name);
                const Var member = object->get(name);
                if (member.isString())
                    object->set(name, resolve_string(member.extract<std::string>(), at));
                else
                    resolve(member, at);
            }
        } else if (Array::Ptr array = as_array(value)) {
            for (unsigned i = 0; i < array->size(); ++i) {
                const std::string at = child_path(path, i);
                const Var item = array->get(i);
                if (item.isString())
                    array->set(i, resolve_string(item.extract<std::string>(), at));
                else
                    resolve(item, at);
            }
        }
    }

    // The reference each resolved key path came from.
    const std::map<std::string, std::string> &references() const { return references_; }
    // Key paths still holding a reference that could not be resolved, or a misplaced ${: they
    // are reported, and no other check is worth making on their value.
    const std::set<std::string> &unresolved() const { return unresolved_; }
    std::vector<std::string> &secrets() { return secrets_; }

private:
    std::string resolve_string(const std::string &text, const std::string &path) {
        std::smatch m;
        if (std::regex_match(text, m, env_reference())) {
            const auto it = environment_.find(m[1].str());
            if (it == environment_.end()) {
                report_.add(path,
                            text + ": expected environment variable " + m[1].str() + " to be set, found it unset");
                unresolved_.insert(path);
                return text;
            }
            return resolved(path, text, it->second);
        }
        if (std::regex_match(text, m, file_reference())) {
            const fs::path file = base_ / m[1].str();
            const FileContent content = read_small_file(file, kMaxSecretBytes);
            if (!content.error.empty()) {
                report_.add(path, text + ": expected a readable file, found " + file.string() + ": " + content.error);
                unresolved_.insert(path);
                return text;
            }
            std::string value = content.text;
            // Editors and `echo` end a file with a line break; a secret never does.
            while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
            return resolved(path, text, value);
        }
        return unescape(text, path);
    }

    std::string resolved(const std::string &path, const std::string &reference, const std::string &value) {
        references_[path] = reference;
        if (!value.empty() && std::find(secrets_.begin(), secrets_.end(), value) == secrets_.end())
            secrets_.push_back(value);
        return value;
    }

    // $${ is a literal ${. Any other ${ is a mistake: a reference must be the whole value, and
    // keeping "Bearer ${env:X}" as text would fail much later and much less clearly. The text is
    // not quoted in the message: it may be a secret written in place.
    std::string unescape(const std::string &text, const std::string &path) {
        if (text.find("${") == std::string::npos) return text;
        std::string out;
        for (std::size_t i = 0; i < text.size();) {
            if (text.compare(i, 3, "$${") == 0) {
                out += "${";
                i += 3;
            } else if (text.compare(i, 2, "${") == 0) {
                report_.add(path,
                            "expected a whole value ${env:NAME} or ${file:PATH}, or $${ for a literal ${, "
                            "found a string with another use of ${ (value hidden)");
                unresolved_.insert(path);
                return text;
            } else {
                out += text[i++];
            }
        }
        return out;
    }

    const Environment &environment_;
    fs::path base_;
    Report &report_;
    std::map<std::string, std::string> references_;
    std::set<std::string> unresolved_;
    std::vector<std::string> secrets_;
};

// -------------------------------------------------------------------------------------------------
// The host section: checks beyond the schema, typed reads
// -------------------------------------------------------------------------------------------------

fs::path resolve_path(const fs::path &base, const std::string &text) { return (base / text).lexically_normal(); }

std::string path_text(const fs::path &path) { return quoted(path.string()); }

// Why `dir` cannot serve as the data directory, or "" when it can (it exists and is writable,
// or its nearest existing ancestor is a writable directory). Nothing is created: checking a
// configuration must not change the machine.
std::string data_dir_problem(const fs::path &dir) {
    std::error_code ec;
    fs::path existing = dir;
    while (!fs::exists(fs::status(existing, ec)) && existing.has_relative_path()) existing = existing.parent_path();
    const auto status = fs::status(existing, ec);
    if (!fs::is_directory(status)) {
        const std::string what = existing == dir ? "it is not a directory" : existing.string() + " is not a directory";
        return "expected a directory that exists or can be created, found " + path_text(dir) + " (" + what + ")";
    }
    if (::access(existing.c_str(), W_OK | X_OK) != 0) {
        const std::string what = existing == dir ? "" : existing.string() + ": ";
        return "expected a directory this user can write or create, found " + path_text(dir) + " (" + what +
               system_reason(errno) + ")";
    }
    return "";
}

std::string string_at(const Object::Ptr &object, const std::string &key) {
    return object && object->has(key) && object->get(key).isString() ? object->getValue<std::string>(key) : "";
}

class HostChecks {
public:
    HostChecks(const fs::path &base, Report &report, const ReferenceResolver &resolver)
        : base_(base), report_(report), references_(resolver.references()), unresolved_(resolver.unresolved()) {}

    // Only values of the right type are checked: the schema has reported the others.
    void check(const Object::Ptr &root) {
        if (const Object::Ptr connectors = root->getObject("connectors")) check_connector_names(*connectors);
        const Object::Ptr host = root->getObject("host");
        if (!host) return;
        if (const Object::Ptr listen = host->getObject("listen")) check_address(listen);
        if (const Object::Ptr tls = host->getObject("tls")) {
            for (const char *key : {"certificate", "private_key"})
                if (const std::string file = string_at(tls, key); !file.empty())
                    check_readable(std::string("host.tls.") + key, file);
        }
        if (const std::string dir = string_at(host, "data_dir"); !dir.empty()) {
            if (const std::string problem = data_dir_problem(resolve_path(base_, dir)); !problem.empty())
                add("host.data_dir", problem);
        }
        if (const std::string dir = string_at(host, "plugin_dir"); !dir.empty()) {
            std::error_code ec;
            if (!fs::is_directory(resolve_path(base_, dir), ec))
                add("host.plugin_dir", "expected an existing directory, found " + path_text(resolve_path(base_, dir)));
        }
        if (const Array::Ptr tokens = host->getArray("tokens")) check_tokens(*tokens);
    }

private:
    // How a message shows a string value: never one obtained through a reference.
    std::string shown(const std::string &path, const std::string &value) const {
        const auto it = references_.find(path);
        return it == references_.end() ? "string " + quoted(value) : "a string from " + it->second + " (value hidden)";
    }

    void check_connector_names(const Object &connectors) {
        static const std::regex name("[a-z][a-z0-9_]{0,31}");
        for (const std::string &connector : connectors.getNames())
            if (!std::regex_match(connector, name))
                add(child_path("connectors", connector),
                    "expected a connector name: a lower-case letter, then up to 31 lower-case letters, "
                    "digits or _, found " +
                        quoted(connector));
    }

    void check_address(const Object::Ptr &listen) {
        const std::string address = string_at(listen, "address");
        // A host name or an IPv4 or IPv6 address; binding will tell whether it is one of ours.
        static const std::regex host_name(
            R"([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)");
        static const std::regex ipv6(R"([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)");
        if (address.empty() || std::regex_match(address, host_name) || std::regex_match(address, ipv6)) return;
        add("host.listen.address",
            "expected an IP address or a host name, found " + shown("host.listen.address", address));
    }

    void check_readable(const std::string &path, const std::string &value) {
        const fs::path file = resolve_path(base_, value);
        const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        std::string why;
        struct stat info {};
        if (fd < 0)
            why = system_reason(errno);
        else if (::fstat(fd, &info) != 0)
            why = system_reason(errno);
        else if (!S_ISREG(info.st_mode))
            why = "not a regular file";
        if (fd >= 0) ::close(fd);
        if (!why.empty()) add(path, "expected a readable file, found " + path_text(file) + " (" + why + ")");
    }

    void check_tokens(const Array &tokens) {
        std::map<std::string, std::string> names, values;  // -> key path of the first token with it
        for (unsigned i = 0; i < tokens.size(); ++i) {
            const Object::Ptr token = as_object(tokens.get(i));
            if (!token) continue;
            const std::string at = child_path("host.tokens", i);
            if (const std::string name = string_at(token, "name"); !name.empty()) {
                const auto [first, fresh] = names.emplace(name, at + ".name");
                if (!fresh)
                    add(at + ".name", "expected a name no other token has, found " + shown(at + ".name", name) +
                                          " as in " + first->second);
            }
            const std::string value = string_at(token, "token");
            if (value.empty()) continue;
            // It goes into an Authorization header: no spaces, line breaks or non-ASCII.
            if (!std::all_of(value.begin(), value.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
                add(at + ".token",
                    "expected visible ASCII characters only (no spaces or line breaks), "
                    "found other characters (value hidden)");
            const auto [first, fresh] = values.emplace(value, at + ".token");
            if (!fresh)
                add(at + ".token",
                    "expected a value no other token has, found the value of " + first->second + " (value hidden)");
        }
    }

    // A value whose reference could not be resolved has been reported already.
    void add(const std::string &path, const std::string &text) {
        if (!unresolved_.count(path)) report_.add(path, text);
    }

    const fs::path &base_;
    Report &report_;
    const std::map<std::string, std::string> &references_;
    const std::set<std::string> &unresolved_;
};

unsigned unsigned_at(const Object::Ptr &object, const std::string &key, unsigned fallback) {
    return object && object->has(key) ? static_cast<unsigned>(object->get(key).convert<Poco::Int64>()) : fallback;
}

// The typed host settings of a document that passed every check.
HostConfig read_host(const Object::Ptr &host, const fs::path &base) {
    HostConfig config;
    config.data_dir = resolve_path(base, "data");
    if (!host) return config;
    if (const Object::Ptr listen = host->getObject("listen")) {
        if (listen->has("address")) config.listen.address = listen->getValue<std::string>("address");
        config.listen.port = static_cast<std::uint16_t>(unsigned_at(listen, "port", config.listen.port));
    }
    if (const Object::Ptr tls = host->getObject("tls"))
        config.tls = TlsConfig{resolve_path(base, string_at(tls, "certificate")),
                               resolve_path(base, string_at(tls, "private_key"))};
    if (host->has("data_dir")) config.data_dir = resolve_path(base, string_at(host, "data_dir"));
    if (const std::string dir = string_at(host, "plugin_dir"); !dir.empty())
        config.plugin_dir = resolve_path(base, dir);
    if (const Object::Ptr log = host->getObject("log")) {
        if (string_at(log, "format") == "json") config.log.format = LogFormat::json;
        if (log->has("level")) config.log.level = string_at(log, "level");
        if (const Object::Ptr levels = log->getObject("levels"))
            for (const std::string &logger : levels->getNames()) config.log.levels[logger] = string_at(levels, logger);
    }
    if (const Object::Ptr api = host->getObject("api")) {
        auto &a = config.api;
        if (api->has("max_body_bytes")) a.max_body_bytes = api->get("max_body_bytes").convert<Poco::UInt64>();
        a.request_timeout_seconds = unsigned_at(api, "request_timeout_seconds", a.request_timeout_seconds);
        a.max_threads = unsigned_at(api, "max_threads", a.max_threads);
        a.max_queued = unsigned_at(api, "max_queued", a.max_queued);
        a.shutdown_grace_seconds = unsigned_at(api, "shutdown_grace_seconds", a.shutdown_grace_seconds);
    }
    if (const Object::Ptr jobs = host->getObject("jobs")) {
        auto &j = config.jobs;
        j.workers = unsigned_at(jobs, "workers", j.workers);
        j.lease_seconds = unsigned_at(jobs, "lease_seconds", j.lease_seconds);
        if (jobs->has("durability")) j.durability = string_at(jobs, "durability");
        j.retention_days = unsigned_at(jobs, "retention_days", j.retention_days);
    }
    if (const Array::Ptr tokens = host->getArray("tokens")) {
        for (unsigned i = 0; i < tokens->size(); ++i) {
            const Object::Ptr t = tokens->getObject(i);
            ApiToken token{string_at(t, "name"), string_at(t, "token"), {}};
            const Array::Ptr scopes = t->getArray("scopes");
            for (unsigned j = 0; j < scopes->size(); ++j) token.scopes.insert(scopes->getElement<std::string>(j));
            config.tokens.push_back(std::move(token));
        }
    }
    return config;
}

// Steps 2 to 4 of host_config.hpp on a parsed document, then the typed result.
LoadedConfig build(const Object::Ptr &root, Report &report, const fs::path &base, const Environment &environment) {
    apply_overrides(root, environment, report);

    ReferenceResolver resolver(environment, base, report);
    resolver.resolve(root, "");
    const auto &references = resolver.references();
    auto &secrets = resolver.secrets();

    // Token values are secrets even when written in place (but a reference left unresolved is
    // only the reference, which the messages name).
    if (const Object::Ptr host = root->getObject("host"))
        if (const Array::Ptr tokens = host->getArray("tokens"))
            for (unsigned i = 0; i < tokens->size(); ++i)
                if (const std::string value = string_at(as_object(tokens->get(i)), "token");
                    !value.empty() && !is_reference(value) &&
                    std::find(secrets.begin(), secrets.end(), value) == secrets.end())
                    secrets.push_back(value);

    for (const SchemaError &e : document_schema().validate(root)) {
        const std::string path = display_path(root, e.path);
        if (resolver.unresolved().count(path)) continue;  // reported, and its value is not the real one
        const auto reference = references.find(path);
        const std::string found =
            reference == references.end() ? e.found : "a string from " + reference->second + " (value hidden)";
        report.add(path.empty() ? "(root)" : path, "expected " + e.expected + ", found " + found);
    }
    HostChecks(base, report, resolver).check(root);
    if (!report.empty()) report.fail(secrets);

    LoadedConfig loaded;
    loaded.host = read_host(root->getObject("host"), base);
    if (const Object::Ptr connectors = root->getObject("connectors"))
        for (const std::string &name : connectors->getNames()) loaded.connectors[name] = connectors->getObject(name);
    loaded.secret_values = std::move(secrets);
    // "connectors.chorus.client_secret" -> chorus / client_secret (top-level settings only).
    static const std::regex connector_key(R"(connectors\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+))");
    for (const auto &[path, reference] : references) {
        std::smatch m;
        if (std::regex_match(path, m, connector_key)) loaded.connector_references[m[1].str()][m[2].str()] = reference;
    }
    loaded.environment = environment;
    loaded.base = base;
    return loaded;
}

}  // namespace

// -------------------------------------------------------------------------------------------------
// Public functions
// -------------------------------------------------------------------------------------------------

Environment process_environment() {
    Environment environment;
    for (char **entry = environ; entry && *entry; ++entry) {
        const std::string_view text(*entry);
        const std::size_t equals = text.find('=');
        if (equals == std::string_view::npos) continue;
        environment.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }
    return environment;
}

ConfigError::ConfigError(std::vector<std::string> problems, bool file_unreadable)
    : std::runtime_error(join_lines(problems)), problems_(std::move(problems)), file_unreadable_(file_unreadable) {}

LoadedConfig load_config(const fs::path &file, const Environment &environment) {
    Report report(file.string());
    const FileContent content = read_small_file(file, kMaxConfigBytes);
    if (!content.error.empty()) {
        report.add("", "cannot read the configuration file: " + content.error);
        report.fail({}, true);
    }

    Object::Ptr root;
    try {
        const Var document = parse_json(content.text);
        root = as_object(document);
        if (!root)
            report.add("(root)", "expected an object {\"host\": ..., \"connectors\": ...}, found " + kind_of(document));
        const JsonLocator locator(content.text);
        for (const auto &repeated : locator.repeated_keys())
            report.add_at(repeated.line, repeated.column, repeated.path, repeated.what);
    } catch (const Poco::Exception &e) {
        const JsonLocator locator(content.text);
        if (const auto &error = locator.syntax_error())
            report.add_at(error->line, error->column, error->path, error->what);
        else
            report.add("", "invalid JSON: " + e.message());
    }
    if (!report.empty()) report.fail({});

    const fs::path base = fs::absolute(file).parent_path();
    LoadedConfig loaded = build(root, report, base, environment);
    loaded.file = file;
    return loaded;
}

LoadedConfig default_config(const Environment &environment) {
    Report report("(no configuration file)");
    return build(new Object(Poco::JSON_PRESERVE_KEY_ORDER), report, fs::current_path(), environment);
}

ResolvedSection resolve_section(const Object::Ptr &section, const std::string &label, const Environment &environment,
                                const fs::path &base) {
    ResolvedSection out;
    if (!section) return out;
    // A copy: the caller's document keeps its references.
    std::ostringstream text;
    section->stringify(text);
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    out.values = parser.parse(text.str()).extract<Object::Ptr>();
    Report report(label);
    ReferenceResolver resolver(environment, base, report);
    resolver.resolve(out.values, "");
    if (!report.empty()) report.fail(resolver.secrets());
    static const std::regex top_level("[A-Za-z0-9_-]+");
    for (const auto &[path, reference] : resolver.references())
        if (std::regex_match(path, top_level)) out.references[path] = reference;
    out.secret_values = std::move(resolver.secrets());
    return out;
}

std::string redact(std::string text, const std::vector<std::string> &secret_values) {
    // The same rules as the logs and the API: one replacement text, JSON-escaped forms too.
    Redactor redactor;
    redactor.add_all(secret_values);
    return redactor.apply(text);
}

}  // namespace relais::host
