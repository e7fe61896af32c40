// json_schema.cpp: see json_schema.hpp for the supported subset.
//
// The file has four parts: helpers on JSON values (kinds, numbers, brief rendering, equality),
// the Validator that walks a schema and an instance together, the checks run once when a
// schema is parsed, and the JsonSchema members built on them.
#include "config/json_schema.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/JSONString.h>
#include <Poco/URI.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace relais::host {

std::string SchemaError::message() const {
    return (path.empty() ? std::string("(root)") : path) + ": expected " + expected + ", found " + found;
}

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using Patterns = std::map<std::string, std::regex>;
using Errors = std::vector<SchemaError>;

// Longest piece of a value (in code points) that an error message quotes.
constexpr std::size_t kBriefLength = 40;
// Most enum values listed in an error message.
constexpr std::size_t kBriefListLength = 10;

constexpr std::array<std::string_view, 7> kTypeNames = {"object", "array",   "string", "integer",
                                                        "number", "boolean", "null"};

// ---------------------------------------------------------------------------------------------
// JSON values as Poco::JSON produces them
// ---------------------------------------------------------------------------------------------

// Objects and arrays normally arrive as Object::Ptr / Array::Ptr (what Poco's parser makes);
// a by-value Object or Array is accepted too, as a copy.
Object::Ptr as_object(const Var &value) {
    if (value.type() == typeid(Object::Ptr)) return value.extract<Object::Ptr>();
    if (value.type() == typeid(Object)) return new Object(value.extract<Object>());
    return nullptr;
}

Array::Ptr as_array(const Var &value) {
    if (value.type() == typeid(Array::Ptr)) return value.extract<Array::Ptr>();
    if (value.type() == typeid(Array)) return new Array(value.extract<Array>());
    return nullptr;
}

enum class Kind { null, boolean, number, string, array, object, other };

Kind kind_of(const Var &value) {
    if (value.isEmpty()) return Kind::null;
    // Before isNumeric(): Poco reports bool as numeric.
    if (value.isBoolean()) return Kind::boolean;
    if (value.isString()) return Kind::string;
    if (value.isNumeric()) return Kind::number;
    if (value.type() == typeid(Object::Ptr) || value.type() == typeid(Object)) return Kind::object;
    if (value.type() == typeid(Array::Ptr) || value.type() == typeid(Array)) return Kind::array;
    return Kind::other;
}

std::string kind_name(Kind kind) {
    switch (kind) {
    case Kind::null: return "null";
    case Kind::boolean: return "boolean";
    case Kind::number: return "number";
    case Kind::string: return "string";
    case Kind::array: return "array";
    case Kind::object: return "object";
    case Kind::other: break;
    }
    return "unsupported value";
}

bool is_number(const Var &value) { return kind_of(value) == Kind::number; }

// long double holds every Int64 and UInt64 exactly (x86-64), so comparing a large integer with
// a bound does not lose precision as it would through double.
long double number_of(const Var &value) {
    if (value.isInteger()) {
        return value.isSigned() ? static_cast<long double>(value.convert<Poco::Int64>())
                                : static_cast<long double>(value.convert<Poco::UInt64>());
    }
    return value.convert<double>();
}

// JSON Schema's "integer" is a number without a fractional part, whatever its storage: 3.0 is one.
bool is_integral(const Var &value) {
    if (value.isInteger()) return true;
    const double number = value.convert<double>();
    return std::isfinite(number) && std::floor(number) == number;
}

std::string number_text(const Var &value) {
    if (value.isInteger()) return value.convert<std::string>();
    // Shortest text that reads back as the same double: 3.5, not 3.500000.
    std::array<char, 64> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value.convert<double>());
    return std::string(buffer.data(), result.ptr);
}

std::string string_of(const Var &value) {
    if (value.type() == typeid(std::string)) return value.extract<std::string>();
    return value.convert<std::string>();
}

// Lengths are in code points as JSON Schema says, not bytes: "é" is one character.
std::size_t code_points(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0u) != 0x80u; // not a continuation byte
    }));
}

// The byte length of the first `count` code points of `text`.
std::size_t prefix_bytes(std::string_view text, std::size_t count) {
    std::size_t seen = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((static_cast<unsigned char>(text[i]) & 0xC0u) != 0x80u && seen++ == count) return i;
    }
    return text.size();
}

std::string plural(std::size_t count, const std::string &noun) {
    return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

// Double-quoted, with quotes, backslashes and control characters escaped, so that a value
// cannot break the line of a log message it ends up in.
std::string quoted(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (byte < 0x20 || byte == 0x7f) {
            constexpr std::string_view hex = "0123456789abcdef";
            out += "\\u00";
            out += hex[byte >> 4];
            out += hex[byte & 0xF];
        } else {
            out += c;
        }
    }
    return out + "\"";
}

// A quoted string cut to kBriefLength code points, "..." marking the cut.
std::string quoted_brief(std::string_view text) {
    const std::size_t cut = prefix_bytes(text, kBriefLength);
    return quoted(text.substr(0, cut)) + (cut < text.size() ? "..." : "");
}

// How an error's `found` shows an instance value. A secret value is never shown: only its kind
// and, for a string, its length.
std::string brief(const Var &value, bool secret) {
    const Kind kind = kind_of(value);
    if (secret) {
        if (kind == Kind::string) return "(secret, " + plural(code_points(string_of(value)), "character") + ")";
        return "(secret, " + kind_name(kind) + ")";
    }
    switch (kind) {
    case Kind::null: return "null";
    case Kind::boolean: return value.convert<bool>() ? "true" : "false";
    case Kind::number: return number_text(value);
    case Kind::string: return "string " + quoted_brief(string_of(value));
    case Kind::array: return "array of " + plural(as_array(value)->size(), "item");
    case Kind::object: return "object";
    case Kind::other: break;
    }
    return kind_name(kind);
}

// How `expected` shows a value taken from the schema (enum, const): as JSON, cut short.
std::string json_brief(const Var &value) {
    switch (kind_of(value)) {
    case Kind::string: return quoted_brief(string_of(value));
    case Kind::number: return number_text(value);
    case Kind::array:
    case Kind::object: {
        std::ostringstream out;
        Poco::JSON::Stringifier::condense(value, out);
        const std::string text = out.str();
        const std::size_t cut = prefix_bytes(text, kBriefLength);
        return text.substr(0, cut) + (cut < text.size() ? "..." : "");
    }
    default: return brief(value, false);
    }
}

// JSON equality: numbers by value (1 == 1.0), objects regardless of key order.
bool json_equal(const Var &a, const Var &b) {
    const Kind kind = kind_of(a);
    if (kind != kind_of(b)) return false;
    switch (kind) {
    case Kind::null: return true;
    case Kind::boolean: return a.convert<bool>() == b.convert<bool>();
    case Kind::number: return number_of(a) == number_of(b);
    case Kind::string: return string_of(a) == string_of(b);
    case Kind::array: {
        const Array::Ptr x = as_array(a), y = as_array(b);
        if (x->size() != y->size()) return false;
        for (unsigned i = 0; i < x->size(); ++i)
            if (!json_equal(x->get(i), y->get(i))) return false;
        return true;
    }
    case Kind::object: {
        const Object::Ptr x = as_object(a), y = as_object(b);
        if (x->size() != y->size()) return false;
        for (const std::string &name : x->getNames())
            if (!y->has(name) || !json_equal(x->get(name), y->get(name))) return false;
        return true;
    }
    case Kind::other: break;
    }
    return false;
}

// A deep copy, so that filling defaults never touches the caller's objects or the schema.
// Copies keep the source's key order.
Var deep_copy(const Var &value) {
    if (const Object::Ptr object = as_object(value)) {
        Object::Ptr copy = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        for (const std::string &name : object->getNames()) copy->set(name, deep_copy(object->get(name)));
        return copy;
    }
    if (const Array::Ptr array = as_array(value)) {
        Array::Ptr copy = new Array();
        for (unsigned i = 0; i < array->size(); ++i) copy->add(deep_copy(array->get(i)));
        return copy;
    }
    return value;
}

// ---------------------------------------------------------------------------------------------
// JSON Pointers (RFC 6901)
// ---------------------------------------------------------------------------------------------

std::string child(const std::string &pointer, std::string_view key) {
    std::string out = pointer + "/";
    for (const char c : key) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

std::string child(const std::string &pointer, std::size_t index) { return pointer + "/" + std::to_string(index); }

std::string join(const std::vector<std::string> &parts, const std::string &separator) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? separator : "") + parts[i];
    return out;
}

// ---------------------------------------------------------------------------------------------
// Reading a (well-formed) schema
// ---------------------------------------------------------------------------------------------

// The keywords whose value is one subschema, and those whose value is an array of them.
constexpr std::array<const char *, 6> kSchemaKeywords = {"additionalProperties", "items", "not", "if", "then", "else"};
constexpr std::array<const char *, 3> kSchemaListKeywords = {"allOf", "anyOf", "oneOf"};

// Calls fn(subschema, pointer) for each direct subschema. Parsing, default checking and
// validation all descend through the same keywords, so every pattern the validator can reach
// has been compiled at parse.
template <typename Fn> void for_each_subschema(const Object &schema, const std::string &pointer, Fn &&fn) {
    if (const Object::Ptr properties = schema.getObject("properties")) {
        const std::string base = child(pointer, "properties");
        for (const std::string &name : properties->getNames()) fn(properties->get(name), child(base, name));
    }
    for (const char *keyword : kSchemaKeywords)
        if (schema.has(keyword)) fn(schema.get(keyword), child(pointer, keyword));
    for (const char *keyword : kSchemaListKeywords) {
        if (const Array::Ptr list = schema.getArray(keyword))
            for (unsigned i = 0; i < list->size(); ++i) fn(list->get(i), child(child(pointer, keyword), i));
    }
}

bool is_true(const Object &schema, const std::string &keyword) {
    const Var value = schema.get(keyword);
    return value.isBoolean() && value.convert<bool>();
}

// Whether values at this place are secret: "secret": true on the schema itself or on a branch
// that applies to the same value (allOf/anyOf/oneOf/then/else). A conditional branch counts
// even when it does not apply, so that a secret is hidden whenever it might be one.
bool declares_secret(const Var &schema) {
    const Object::Ptr object = as_object(schema);
    if (!object) return false;
    if (is_true(*object, "secret")) return true;
    for (const char *keyword : kSchemaListKeywords) {
        if (const Array::Ptr list = object->getArray(keyword))
            for (unsigned i = 0; i < list->size(); ++i)
                if (declares_secret(list->get(i))) return true;
    }
    return declares_secret(object->get("then")) || declares_secret(object->get("else"));
}

std::vector<std::string> type_names(const Object &schema) {
    const Var type = schema.get("type");
    if (type.isString()) return {string_of(type)};
    std::vector<std::string> names;
    if (const Array::Ptr list = as_array(type))
        for (unsigned i = 0; i < list->size(); ++i) names.push_back(string_of(list->get(i)));
    return names;
}

bool matches_type(const std::string &name, const Var &value) {
    const Kind kind = kind_of(value);
    if (name == "integer") return kind == Kind::number && is_integral(value);
    return name == kind_name(kind);
}

// minLength, maxItems...: checked at parse to be non-negative integers. Clamped, because
// converting a number beyond size_t (say 1e30) would be undefined.
std::size_t count_value(const Var &value) {
    const long double number = number_of(value);
    constexpr auto largest = std::numeric_limits<std::size_t>::max();
    return number >= static_cast<long double>(largest) ? largest : static_cast<std::size_t>(number);
}

// ---------------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------------

enum class UriCheck { ok, not_absolute, no_host };

UriCheck check_uri(const std::string &text) {
    // RFC 3986 has no room for spaces or control characters; Poco::URI would accept some.
    if (text.empty() || std::any_of(text.begin(), text.end(),
                                    [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
        return UriCheck::not_absolute;
    Poco::URI uri;
    try {
        uri = Poco::URI(text);
    } catch (const Poco::Exception &) {
        return UriCheck::not_absolute;
    }
    if (uri.getScheme().empty()) return UriCheck::not_absolute;
    // "http://" parses, but nothing can be fetched from it.
    if ((uri.getScheme() == "http" || uri.getScheme() == "https") && uri.getHost().empty()) return UriCheck::no_host;
    return UriCheck::ok;
}

// Deliberately simple (the spec allows it): a local part, one "@", a domain of non-empty
// dot-separated labels, no spaces.
bool is_email(const std::string &text) {
    static const std::regex email(R"(^[^\s@]+@[^\s@.]+(\.[^\s@.]+)*$)");
    return std::regex_match(text, email);
}

bool is_leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
    static constexpr std::array<int, 12> days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : days[static_cast<std::size_t>(month - 1)];
}

// RFC 3339 date-time: the grammar by regex, then the ranges (month, day of that month, leap
// second allowed) by hand, which a regex would make unreadable.
bool is_date_time(const std::string &text) {
    static const std::regex grammar(
        R"(^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$)");
    std::smatch m;
    if (!std::regex_match(text, m, grammar)) return false;
    const auto field = [&m](int i) { return std::stoi(m[i].str()); };
    const int year = field(1), month = field(2), day = field(3);
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return false;
    if (field(4) > 23 || field(5) > 59 || field(6) > 60) return false;
    if (m[9].matched && (field(9) > 23 || field(10) > 59)) return false;
    return true;
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

// The value being checked, where it is, and where its errors go.
struct Site {
    const Var &value;
    const std::string &path;
    bool secret; // declared secret here or above: never render the value
    Errors &errors;

    std::string found() const { return brief(value, secret); }
    void fail(std::string expected) const { fail(std::move(expected), found()); }
    void fail(std::string expected, std::string found_text) const {
        errors.push_back({path, std::move(expected), std::move(found_text)});
    }
};

class Validator {
public:
    explicit Validator(const Patterns &patterns) : patterns_(patterns) {}

    void check(const Var &schema, const Var &value, const std::string &path, bool secret, Errors &errors) const {
        if (schema.isBoolean()) {
            if (!schema.convert<bool>()) Site{value, path, secret, errors}.fail("nothing (the schema is false)");
            return;
        }
        const Object &s = *schema.extract<Object::Ptr>();
        const Site site{value, path, secret || declares_secret(schema), errors};
        // Keywords for another type would only add noise to a type error.
        if (!check_type(s, site)) return;
        check_enum_and_const(s, site);
        switch (kind_of(value)) {
        case Kind::string: check_string(s, site); break;
        case Kind::number: check_number(s, site); break;
        case Kind::object: check_object(s, site); break;
        case Kind::array: check_array(s, site); break;
        default: break;
        }
        check_combinators(s, site);
    }

    Errors collect(const Var &schema, const Site &site) const {
        Errors errors;
        check(schema, site.value, site.path, site.secret, errors);
        return errors;
    }

private:
    static bool check_type(const Object &s, const Site &site) {
        if (!s.has("type")) return true;
        const std::vector<std::string> names = type_names(s);
        if (std::any_of(names.begin(), names.end(), [&](const std::string &n) { return matches_type(n, site.value); }))
            return true;
        site.fail(join(names, " or "));
        return false;
    }

    static void check_enum_and_const(const Object &s, const Site &site) {
        if (const Array::Ptr values = s.getArray("enum")) {
            bool listed = false;
            std::vector<std::string> shown;
            for (unsigned i = 0; i < values->size(); ++i) {
                listed = listed || json_equal(values->get(i), site.value);
                if (i < kBriefListLength) shown.push_back(json_brief(values->get(i)));
            }
            if (values->size() > kBriefListLength) shown.push_back("...");
            if (!listed) site.fail("one of " + join(shown, ", "));
        }
        if (s.has("const") && !json_equal(s.get("const"), site.value))
            site.fail("exactly " + json_brief(s.get("const")));
    }

    void check_string(const Object &s, const Site &site) const {
        const std::string text = string_of(site.value);
        const std::size_t length = code_points(text);
        // A secret's brief form already gives its length.
        const auto found_with_length = [&] {
            return site.secret ? site.found() : site.found() + " (" + plural(length, "character") + ")";
        };
        if (s.has("minLength") && length < count_value(s.get("minLength")))
            site.fail("string of at least " + plural(count_value(s.get("minLength")), "character"),
                      found_with_length());
        if (s.has("maxLength") && length > count_value(s.get("maxLength")))
            site.fail("string of at most " + plural(count_value(s.get("maxLength")), "character"), found_with_length());
        if (s.has("pattern")) check_pattern(string_of(s.get("pattern")), text, site);
        if (s.has("format")) check_format(string_of(s.get("format")), text, site);
    }

    void check_pattern(const std::string &source, const std::string &text, const Site &site) const {
        const std::string expected = "string matching the pattern " + quoted(source);
        try {
            // Unanchored, as JSON Schema says: "^...$" in the pattern anchors it.
            if (!std::regex_search(text, patterns_.at(source))) site.fail(expected);
        } catch (const std::regex_error &) {
            // error_complexity / error_stack on a pathological value: refuse rather than throw.
            site.fail(expected + " (the pattern could not be evaluated on this value)");
        }
    }

    static void check_format(const std::string &format, const std::string &text, const Site &site) {
        if (format == "uri") {
            const UriCheck result = check_uri(text);
            if (result == UriCheck::not_absolute) site.fail("absolute URI with a scheme (format \"uri\")");
            if (result == UriCheck::no_host) site.fail("URI with a host (format \"uri\")");
        } else if (format == "email") {
            if (!is_email(text)) site.fail("email address (format \"email\")");
        } else if (format == "date-time") {
            if (!is_date_time(text))
                site.fail("RFC 3339 date-time such as 2024-05-01T12:00:00Z (format \"date-time\")");
        }
        // Other formats are annotations only, as JSON Schema allows.
    }

    static void check_number(const Object &s, const Site &site) {
        const long double number = number_of(site.value);
        // "integer >= 1" reads better than "number >= 1" when only integers are allowed.
        const std::vector<std::string> types = type_names(s);
        const bool integers = std::find(types.begin(), types.end(), "integer") != types.end() &&
                              std::find(types.begin(), types.end(), "number") == types.end();
        const std::string noun = integers ? "integer" : "number";
        const auto bound = [&](const char *keyword, const char *op, auto violated) {
            if (!s.has(keyword)) return;
            const Var limit = s.get(keyword);
            if (violated(number, number_of(limit))) site.fail(noun + " " + op + " " + number_text(limit));
        };
        bound("minimum", ">=", [](long double x, long double b) { return x < b; });
        bound("exclusiveMinimum", ">", [](long double x, long double b) { return x <= b; });
        bound("maximum", "<=", [](long double x, long double b) { return x > b; });
        bound("exclusiveMaximum", "<", [](long double x, long double b) { return x >= b; });
    }

    void check_object(const Object &s, const Site &site) const {
        const Object::Ptr object = as_object(site.value);
        const Object::Ptr properties = s.getObject("properties");
        // Members in the instance's order, so errors come in document order.
        for (const std::string &name : object->getNames()) {
            const std::string path = child(site.path, name);
            const Var member = object->get(name);
            if (properties && properties->has(name)) {
                check(properties->get(name), member, path, site.secret, site.errors);
            } else if (s.has("additionalProperties")) {
                check_additional(s, properties, name, member, path, site);
            }
        }
        if (const Array::Ptr required = s.getArray("required")) {
            for (unsigned i = 0; i < required->size(); ++i) {
                const std::string name = string_of(required->get(i));
                if (!object->has(name)) site.errors.push_back({child(site.path, name), "required property", "missing"});
            }
        }
    }

    void check_additional(const Object &s, const Object::Ptr &properties, const std::string &name, const Var &member,
                          const std::string &path, const Site &site) const {
        const Var additional = s.get("additionalProperties");
        if (!additional.isBoolean()) {
            check(additional, member, path, site.secret, site.errors);
            return;
        }
        if (additional.convert<bool>()) return;
        const std::vector<std::string> allowed = properties ? properties->getNames() : std::vector<std::string>{};
        // Only the kind of the value is shown: an unknown key is often a misspelt secret one.
        site.errors.push_back(
            {path, "no property '" + name + "' (allowed: " + (allowed.empty() ? "none" : join(allowed, ", ")) + ")",
             kind_name(kind_of(member))});
    }

    void check_array(const Object &s, const Site &site) const {
        const Array::Ptr array = as_array(site.value);
        const std::size_t size = array->size();
        if (s.has("minItems") && size < count_value(s.get("minItems")))
            site.fail("at least " + plural(count_value(s.get("minItems")), "item"));
        if (s.has("maxItems") && size > count_value(s.get("maxItems")))
            site.fail("at most " + plural(count_value(s.get("maxItems")), "item"));
        const bool unique = is_true(s, "uniqueItems");
        // The items may be secret even when the array is not.
        const bool secret_items = site.secret || declares_secret(s.get("items"));
        // One pass, item by item, so errors come in document order.
        for (unsigned i = 0; i < size; ++i) {
            const Var item = array->get(i);
            const std::string path = child(site.path, i);
            if (s.has("items")) check(s.get("items"), item, path, site.secret, site.errors);
            if (!unique) continue;
            for (unsigned j = 0; j < i; ++j) {
                if (json_equal(array->get(j), item)) {
                    site.errors.push_back(
                        {path, "unique items (same as " + child(site.path, j) + ")", brief(item, secret_items)});
                    break;
                }
            }
        }
    }

    void check_combinators(const Object &s, const Site &site) const {
        if (const Array::Ptr all = s.getArray("allOf"))
            for (unsigned i = 0; i < all->size(); ++i)
                check(all->get(i), site.value, site.path, site.secret, site.errors);
        if (const Array::Ptr any = s.getArray("anyOf")) check_any_of(*any, site);
        if (const Array::Ptr one = s.getArray("oneOf")) check_one_of(*one, site);
        if (s.has("not") && collect(s.get("not"), site).empty()) site.fail("a value not matching the \"not\" schema");
        if (s.has("if")) {
            // The "if" schema only selects a branch; its own errors are never reported.
            const char *branch = collect(s.get("if"), site).empty() ? "then" : "else";
            if (s.has(branch)) check(s.get(branch), site.value, site.path, site.secret, site.errors);
        }
    }

    void check_any_of(const Array &alternatives, const Site &site) const {
        std::vector<std::string> reasons;
        for (unsigned i = 0; i < alternatives.size(); ++i) {
            const Errors errors = collect(alternatives.get(i), site);
            if (errors.empty()) return;
            reasons.push_back(reason(i, errors, site.path));
        }
        site.fail("a match for any of " + plural(alternatives.size(), "alternative") + " (" + join(reasons, "; ") +
                  ")");
    }

    void check_one_of(const Array &alternatives, const Site &site) const {
        std::vector<std::string> reasons, matching;
        for (unsigned i = 0; i < alternatives.size(); ++i) {
            const Errors errors = collect(alternatives.get(i), site);
            if (errors.empty())
                matching.push_back("[" + std::to_string(i) + "]");
            else
                reasons.push_back(reason(i, errors, site.path));
        }
        const std::string expected = "a match for exactly one of " + plural(alternatives.size(), "alternative");
        if (matching.empty())
            site.fail(expected + " (" + join(reasons, "; ") + ")");
        else if (matching.size() > 1)
            site.fail(expected + " (but " + join(matching, ", ") + " all match)");
    }

    // Why alternative `index` failed, in a few words: its first error, relative to `path`.
    static std::string reason(unsigned index, const Errors &errors, const std::string &path) {
        const SchemaError &first = errors.front();
        std::string text = "[" + std::to_string(index) + "] " + (first.path == path ? first.expected : first.message());
        if (errors.size() > 1) text += " (and " + std::to_string(errors.size() - 1) + " more)";
        return text;
    }

    const Patterns &patterns_;
};

// ---------------------------------------------------------------------------------------------
// Checking a schema at parse
// ---------------------------------------------------------------------------------------------

[[noreturn]] void refuse(const std::string &pointer, const std::string &why) {
    throw std::invalid_argument("invalid JSON Schema at " + (pointer.empty() ? std::string("(root)") : pointer) + ": " +
                                why);
}

void check_type_name(const Var &name, const std::string &pointer) {
    if (!name.isString()) refuse(pointer, "a type name must be a string, found " + brief(name, false));
    const std::string text = string_of(name);
    if (std::find(kTypeNames.begin(), kTypeNames.end(), text) == kTypeNames.end())
        refuse(pointer,
               "unknown type " + quoted(text) + " (known: object, array, string, integer, number, boolean, null)");
}

void check_type_keyword(const Object &schema, const std::string &pointer) {
    if (!schema.has("type")) return;
    const Var type = schema.get("type");
    const std::string at = child(pointer, "type");
    if (type.isString()) return check_type_name(type, at);
    const Array::Ptr list = as_array(type);
    if (!list || list->size() == 0) refuse(at, "must be a type name or a non-empty array of type names");
    for (unsigned i = 0; i < list->size(); ++i) check_type_name(list->get(i), child(at, i));
}

void check_numeric_keywords(const Object &schema, const std::string &pointer) {
    for (const char *keyword : {"minLength", "maxLength", "minItems", "maxItems"}) {
        if (!schema.has(keyword)) continue;
        const Var value = schema.get(keyword);
        if (!is_number(value) || !is_integral(value) || number_of(value) < 0)
            refuse(child(pointer, keyword), "must be a non-negative integer, found " + brief(value, false));
    }
    for (const char *keyword : {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}) {
        if (!schema.has(keyword)) continue;
        const Var value = schema.get(keyword);
        if (value.isBoolean())
            refuse(child(pointer, keyword), "must be a number (the boolean form of draft 4 is not supported)");
        if (!is_number(value)) refuse(child(pointer, keyword), "must be a number, found " + brief(value, false));
    }
}

void check_shapes(const Object &schema, const std::string &pointer) {
    const auto has_kind = [&](const char *keyword, Kind kind) {
        return !schema.has(keyword) || kind_of(schema.get(keyword)) == kind;
    };
    for (const char *keyword : {"uniqueItems", "secret"})
        if (!has_kind(keyword, Kind::boolean)) refuse(child(pointer, keyword), "must be true or false");
    for (const char *keyword : {"title", "description", "format"})
        if (!has_kind(keyword, Kind::string)) refuse(child(pointer, keyword), "must be a string");
    if (!has_kind("examples", Kind::array)) refuse(child(pointer, "examples"), "must be an array");
    if (!has_kind("properties", Kind::object))
        refuse(child(pointer, "properties"), "must be an object mapping property names to schemas");
    if (schema.has("enum")) {
        const Array::Ptr values = as_array(schema.get("enum"));
        if (!values || values->size() == 0) refuse(child(pointer, "enum"), "must be a non-empty array of values");
    }
    if (schema.has("required")) {
        const Array::Ptr names = as_array(schema.get("required"));
        if (!names) refuse(child(pointer, "required"), "must be an array of property names");
        for (unsigned i = 0; i < names->size(); ++i)
            if (!names->get(i).isString())
                refuse(child(child(pointer, "required"), i), "must be a property name (a string)");
    }
    if (schema.has("items") && as_array(schema.get("items")))
        refuse(child(pointer, "items"), "must be one schema for every item (the array form is not supported)");
    for (const char *keyword : kSchemaListKeywords) {
        if (!schema.has(keyword)) continue;
        const Array::Ptr list = as_array(schema.get(keyword));
        if (!list || list->size() == 0) refuse(child(pointer, keyword), "must be a non-empty array of schemas");
    }
}

void compile_pattern(const Object &schema, const std::string &pointer, Patterns &patterns) {
    if (!schema.has("pattern")) return;
    const Var pattern = schema.get("pattern");
    if (!pattern.isString()) refuse(child(pointer, "pattern"), "must be a string (an ECMAScript regular expression)");
    const std::string source = string_of(pattern);
    try {
        patterns.try_emplace(source, source, std::regex::ECMAScript);
    } catch (const std::regex_error &e) {
        refuse(child(pointer, "pattern"),
               "not a valid ECMAScript regular expression " + quoted(source) + ": " + e.what());
    }
}

// First pass: the shape of every keyword we support, recursively. Unknown keywords are left
// alone (they may be annotations of other tools), except "$ref": silently ignoring it would
// leave part of what the plugin meant unchecked.
// Every keyword this validator applies or knows to be an annotation (see json_schema.hpp).
bool known_keyword(const std::string &name) {
    static const std::array<std::string_view, 37> known{
        "type",      "properties", "required",  "additionalProperties", "items",    "minItems",
        "maxItems",  "uniqueItems", "enum",     "const",                "pattern",  "minLength",
        "maxLength", "minimum",     "maximum",  "exclusiveMinimum",     "exclusiveMaximum", "format",
        "allOf",     "anyOf",       "oneOf",    "not",                  "if",       "then",
        "else",      "title",       "description", "default",           "examples", "secret",
        "$schema",   "$id",         "$comment", "readOnly",             "writeOnly", "deprecated",
        "$ref"};
    return std::find(known.begin(), known.end(), name) != known.end();
}

void check_schema(const Var &node, const std::string &pointer, Patterns &patterns) {
    if (node.isBoolean()) return;
    const Object::Ptr schema = as_object(node);
    if (!schema) refuse(pointer, "a schema must be an object or a boolean, found " + brief(node, false));
    if (schema->has("$ref"))
        refuse(child(pointer, "$ref"), "\"$ref\" is not supported: write the referenced schema inline");
    for (const auto &name : schema->getNames())
        if (!known_keyword(name) && !name.starts_with("x-"))
            refuse(child(pointer, name), "the keyword \"" + name +
                                             "\" is not supported by this host (it would be ignored, and accept "
                                             "what it is meant to refuse)");
    check_type_keyword(*schema, pointer);
    check_numeric_keywords(*schema, pointer);
    check_shapes(*schema, pointer);
    compile_pattern(*schema, pointer, patterns);
    for_each_subschema(*schema, pointer,
                       [&patterns](const Var &sub, const std::string &at) { check_schema(sub, at, patterns); });
}

// Second pass, once the whole schema is known to be well formed: every "default" must be valid
// for its own subschema, or the host would hand a plugin settings its schema refuses.
void check_defaults(const Var &node, const std::string &pointer, const Validator &validator) {
    const Object::Ptr schema = as_object(node);
    if (!schema) return;
    if (schema->has("default")) {
        Errors errors;
        validator.check(node, schema->get("default"), "", false, errors);
        if (!errors.empty()) {
            const SchemaError &first = errors.front();
            const std::string where = first.path.empty() ? "" : first.path + ": ";
            refuse(child(pointer, "default"), "the default does not match its own schema: " + where + "expected " +
                                                  first.expected + ", found " + first.found);
        }
    }
    for_each_subschema(*schema, pointer,
                       [&validator](const Var &sub, const std::string &at) { check_defaults(sub, at, validator); });
}

// ---------------------------------------------------------------------------------------------
// Defaults and secrets
// ---------------------------------------------------------------------------------------------

void fill_defaults(const Object &schema, Object &target) {
    const Object::Ptr properties = schema.getObject("properties");
    if (!properties) return;
    for (const std::string &name : properties->getNames()) {
        const Object::Ptr property = properties->getObject(name);
        if (!property) continue; // a boolean schema has no default
        if (!target.has(name) && property->has("default")) target.set(name, deep_copy(property->get("default")));
        // `target` is our deep copy, so its nested objects are ours to fill in place.
        if (Object::Ptr nested = target.has(name) ? as_object(target.get(name)) : nullptr)
            fill_defaults(*property, *nested);
    }
}

void collect_secrets(const Object &schema, const std::string &pointer, std::vector<std::string> &out) {
    if (const Object::Ptr properties = schema.getObject("properties")) {
        for (const std::string &name : properties->getNames()) {
            const Var property = properties->get(name);
            const std::string at = child(pointer, name);
            if (declares_secret(property)) {
                if (std::find(out.begin(), out.end(), at) == out.end()) out.push_back(at);
            } else if (const Object::Ptr nested = as_object(property)) {
                collect_secrets(*nested, at, out);
            }
        }
    }
    // Branches describe the same value, so their properties live at the same pointer.
    for (const char *keyword : kSchemaListKeywords) {
        if (const Array::Ptr list = schema.getArray(keyword))
            for (unsigned i = 0; i < list->size(); ++i)
                if (const Object::Ptr branch = as_object(list->get(i))) collect_secrets(*branch, pointer, out);
    }
    for (const char *keyword : {"then", "else"})
        if (const Object::Ptr branch = schema.getObject(keyword)) collect_secrets(*branch, pointer, out);
}

void collect_largest_max_length(const Var &node, std::optional<std::size_t> &largest) {
    const Object::Ptr schema = as_object(node);
    if (!schema) return;
    if (schema->has("maxLength")) {
        const std::size_t length = count_value(schema->get("maxLength"));
        if (!largest || length > *largest) largest = length;
    }
    if (const Object::Ptr properties = schema->getObject("properties"))
        for (const std::string &name : properties->getNames()) collect_largest_max_length(properties->get(name), largest);
    for (const char *keyword : {"additionalProperties", "items", "then", "else"})
        if (schema->has(keyword)) collect_largest_max_length(schema->get(keyword), largest);
    for (const char *keyword : kSchemaListKeywords)
        if (const Array::Ptr list = schema->getArray(keyword))
            for (unsigned i = 0; i < list->size(); ++i) collect_largest_max_length(list->get(i), largest);
}

} // namespace

// -------------------------------------------------------------------------------------------------
// JsonSchema
// -------------------------------------------------------------------------------------------------

JsonSchema::JsonSchema(Poco::JSON::Object::Ptr root, std::shared_ptr<const Patterns> patterns)
    : root_(std::move(root)), patterns_(std::move(patterns)) {}

JsonSchema JsonSchema::parse(const std::string &schema_json) {
    Var document;
    try {
        // Keep the schema's key order: "allowed: a, b, c" and secret_paths() follow it.
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        document = parser.parse(schema_json);
    } catch (const Poco::Exception &e) {
        throw std::invalid_argument("invalid JSON Schema: not valid JSON: " + e.displayText());
    }
    Object::Ptr root = as_object(document);
    if (!root) refuse("", "the schema must be a JSON object, found " + brief(document, false));
    auto patterns = std::make_shared<Patterns>();
    check_schema(document, "", *patterns);
    check_defaults(document, "", Validator(*patterns));
    return JsonSchema(std::move(root), std::move(patterns));
}

std::vector<SchemaError> JsonSchema::validate(const Poco::Dynamic::Var &instance) const {
    Errors errors;
    Validator(*patterns_).check(Var(root_), instance, "", false, errors);
    return errors;
}

Poco::JSON::Object::Ptr JsonSchema::with_defaults(const Poco::JSON::Object::Ptr &instance) const {
    Object::Ptr copy =
        instance ? as_object(deep_copy(Var(instance))) : Object::Ptr(new Object(Poco::JSON_PRESERVE_KEY_ORDER));
    fill_defaults(*root_, *copy);
    return copy;
}

std::vector<std::string> JsonSchema::secret_paths() const {
    if (declares_secret(Var(root_))) return {""};
    std::vector<std::string> paths;
    collect_secrets(*root_, "", paths);
    return paths;
}

std::optional<std::size_t> JsonSchema::largest_max_length() const {
    std::optional<std::size_t> largest;
    collect_largest_max_length(Var(root_), largest);
    return largest;
}

} // namespace relais::host
