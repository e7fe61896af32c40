// relais/support/settings.hpp: a connector's settings declared once.
//
// Each setting is declared with its key, type, default, bounds, secret flag, description and
// the member of the connector's settings struct it fills. From that one declaration come both
// the JSON Schema the host validates and defaults the settings with (what `relais plugins show`
// lists and the console draws), and the binding that fills the struct in configure(). A
// default is written in exactly one place, so the schema and the code cannot disagree.
//
//     struct Settings { bool enabled; std::string api_key; std::chrono::seconds timeout; };
//
//     const relais::support::SettingsMap<Settings> &settings_map() {
//         static const auto map = relais::support::SettingsMap<Settings>()
//             .enabled(&Settings::enabled, "Turns the connector on")
//             .text("api_key", &Settings::api_key, "", "The API key", {.secret = true, .required = true})
//             .seconds("timeout_seconds", &Settings::timeout, 10, {1, 300}, "Longest wait for an answer");
//         return map;
//     }
//     ...definition().settings_schema(settings_map().schema())
//     ...configure(json): Settings s = settings_map().read(json);
//
// `required` strings are required only when the `enabled` setting is true: a disabled
// connector may be saved half-filled, as the ERP consoles allow. read() checks every type and
// bound again (a host may skip validation, the CLI's exec does not), and every error names the
// key: "read_timeout_seconds: expected an integer between 1 and 600, found 0".
//
// Members are reached through accessors, so a block of settings shared by several connectors
// (relais/support/connection.hpp) can fill a struct nested in the connector's own.
#pragma once

#include <relais/plugin.hpp>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace relais::support {

// How a text setting is checked, chained: TextRules().secret().required().
class TextRules {
public:
    // Redacted by the host everywhere it could show.
    TextRules &secret() { secret_ = true; return *this; }
    // Must be non-empty when `enabled` is true.
    TextRules &required() { required_ = true; return *this; }
    // A JSON Schema format, e.g. "uri".
    TextRules &format(std::string name) { format_ = std::move(name); return *this; }
    // The allowed values (an enum).
    TextRules &one_of(std::vector<std::string> values) { one_of_ = std::move(values); return *this; }
    // An ECMA-262 regular expression the host checks.
    TextRules &pattern(std::string regex) { pattern_ = std::move(regex); return *this; }
    TextRules &min_length(int64_t n) { min_length_ = n; return *this; }
    TextRules &max_length(int64_t n) { max_length_ = n; return *this; }

    bool is_secret() const { return secret_; }
    bool is_required() const { return required_; }
    const std::string &format_name() const { return format_; }
    const std::vector<std::string> &allowed() const { return one_of_; }
    const std::string &regex() const { return pattern_; }
    std::optional<int64_t> shortest() const { return min_length_; }
    std::optional<int64_t> longest() const { return max_length_; }

private:
    bool secret_ = false, required_ = false;
    std::string format_, pattern_;
    std::vector<std::string> one_of_;
    std::optional<int64_t> min_length_, max_length_;
};

struct Range {
    std::optional<double> minimum, maximum;
};

// How a list setting is checked, chained: ListRules().min_items(1).item_min_length(1).
class ListRules {
public:
    ListRules &min_items(int64_t n) { min_items_ = n; return *this; }
    ListRules &max_items(int64_t n) { max_items_ = n; return *this; }
    ListRules &item_min_length(int64_t n) { item_min_length_ = n; return *this; }
    // At least one item when `enabled` is true.
    ListRules &required() { required_ = true; return *this; }

    std::optional<int64_t> fewest() const { return min_items_; }
    std::optional<int64_t> most() const { return max_items_; }
    std::optional<int64_t> shortest_item() const { return item_min_length_; }
    bool is_required() const { return required_; }

private:
    std::optional<int64_t> min_items_, max_items_, item_min_length_;
    bool required_ = false;
};

namespace settings_detail {

// The property schema of one setting, in insertion order (the console shows them in order).
Json property(const char *type, const std::string &description);
void apply(Json property, const TextRules &rules);
void apply(Json property, const Range &range);

// The value at `key`, or the default when absent or null. Checks the type and bounds the
// schema states; throws invalid_config naming the key.
bool read_bool(const Json &settings, const std::string &key, bool fallback);
std::string read_text(const Json &settings, const std::string &key, const std::string &fallback, const TextRules &rules);
std::optional<std::string> read_optional_text(const Json &settings, const std::string &key, const TextRules &rules);
int64_t read_integer(const Json &settings, const std::string &key, int64_t fallback, const Range &range);
std::optional<int64_t> read_optional_integer(const Json &settings, const std::string &key, const Range &range);
double read_number(const Json &settings, const std::string &key, double fallback, const Range &range);
std::optional<double> read_optional_number(const Json &settings, const std::string &key, const Range &range);
std::vector<std::string> read_text_list(const Json &settings, const std::string &key,
                                        const std::vector<std::string> &fallback, const ListRules &rules);

std::string schema_text(const std::vector<std::pair<std::string, Json>> &properties);

}  // namespace settings_detail

template <class S>
class SettingsMap {
public:
    // A way to reach a T inside S: a member pointer, or a callable S& -> T& (a nested member).
    template <class T>
    using Field = std::function<T &(S &)>;

    SettingsMap() = default;

    // The on/off switch every connector has; required settings are checked only when it is on.
    template <class M>
    SettingsMap &enabled(M member, std::string description, bool fallback = false) {
        enabled_ = field<bool>(member);
        return flag("enabled", std::move(member), fallback, std::move(description));
    }

    template <class M>
    SettingsMap &flag(std::string key, M member, bool fallback, std::string description) {
        auto p = settings_detail::property("boolean", description);
        p->set("default", fallback);
        return add(std::move(key), p, [f = field<bool>(member), fallback](S &s, const Json &j, const std::string &k) {
            f(s) = settings_detail::read_bool(j, k, fallback);
        });
    }

    template <class M>
    SettingsMap &text(std::string key, M member, std::string fallback, std::string description, TextRules rules = {}) {
        auto p = settings_detail::property("string", description);
        settings_detail::apply(p, rules);
        // A required setting has no default to show: an empty default would look like a value.
        if (!rules.is_required() || !fallback.empty()) p->set("default", fallback);
        if (rules.is_required()) required_.push_back({key, [f = field<std::string>(member)](S &s) { return f(s).empty(); }});
        return add(std::move(key), p, [f = field<std::string>(member), fallback, rules](S &s, const Json &j, const std::string &k) {
            f(s) = settings_detail::read_text(j, k, fallback, rules);
        });
    }

    // A string without a default: absent means "derived from other settings" (an environment's URL).
    template <class M>
    SettingsMap &optional_text(std::string key, M member, std::string description, TextRules rules = {}) {
        auto p = settings_detail::property("string", description);
        settings_detail::apply(p, rules);
        return add(std::move(key), p, [f = field<std::optional<std::string>>(member), rules](S &s, const Json &j, const std::string &k) {
            f(s) = settings_detail::read_optional_text(j, k, rules);
        });
    }

    template <class M>
    SettingsMap &integer(std::string key, M member, int64_t fallback, Range range, std::string description) {
        auto p = settings_detail::property("integer", description);
        settings_detail::apply(p, range);
        p->set("default", fallback);
        return add(std::move(key), p, [f = field<int64_t>(member), fallback, range](S &s, const Json &j, const std::string &k) {
            f(s) = settings_detail::read_integer(j, k, fallback, range);
        });
    }

    template <class M>
    SettingsMap &optional_integer(std::string key, M member, Range range, std::string description) {
        auto p = settings_detail::property("integer", description);
        settings_detail::apply(p, range);
        return add(std::move(key), p, [f = field<std::optional<int64_t>>(member), range](S &s, const Json &j, const std::string &k) {
            f(s) = settings_detail::read_optional_integer(j, k, range);
        });
    }

    template <class M>
    SettingsMap &number(std::string key, M member, double fallback, Range range, std::string description) {
        auto p = settings_detail::property("number", description);
        settings_detail::apply(p, range);
        p->set("default", fallback);
        return add(std::move(key), p, [f = field<double>(member), fallback, range](S &s, const Json &j, const std::string &k) {
            f(s) = settings_detail::read_number(j, k, fallback, range);
        });
    }

    template <class M>
    SettingsMap &optional_number(std::string key, M member, Range range, std::string description) {
        auto p = settings_detail::property("number", description);
        settings_detail::apply(p, range);
        return add(std::move(key), p, [f = field<std::optional<double>>(member), range](S &s, const Json &j, const std::string &k) {
            f(s) = settings_detail::read_optional_number(j, k, range);
        });
    }

    // A duration given in whole `Unit`s (the key says which: *_seconds, *_ms), kept in a
    // member of type `Stored`.
    template <class Unit, class Stored = Unit, class M>
    SettingsMap &duration(std::string key, M member, int64_t fallback, Range range, std::string description) {
        auto p = settings_detail::property("integer", description);
        settings_detail::apply(p, range);
        p->set("default", fallback);
        return add(std::move(key), p, [f = field<Stored>(member), fallback, range](S &s, const Json &j, const std::string &k) {
            f(s) = std::chrono::duration_cast<Stored>(Unit(settings_detail::read_integer(j, k, fallback, range)));
        });
    }
    template <class M>
    SettingsMap &seconds(std::string key, M member, int64_t fallback, Range range, std::string description) {
        return duration<std::chrono::seconds>(std::move(key), std::move(member), fallback, range, std::move(description));
    }
    template <class M>
    SettingsMap &milliseconds(std::string key, M member, int64_t fallback, Range range, std::string description) {
        return duration<std::chrono::milliseconds>(std::move(key), std::move(member), fallback, range,
                                                   std::move(description));
    }

    template <class M>
    SettingsMap &text_list(std::string key, M member, std::vector<std::string> fallback, std::string description,
                           ListRules rules = {}) {
        auto p = settings_detail::property("array", description);
        Json items = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        items->set("type", "string");
        if (rules.shortest_item()) items->set("minLength", *rules.shortest_item());
        p->set("items", items);
        if (rules.fewest()) p->set("minItems", *rules.fewest());
        if (rules.most()) p->set("maxItems", *rules.most());
        Poco::JSON::Array::Ptr def = new Poco::JSON::Array;
        for (const auto &v : fallback) def->add(v);
        p->set("default", def);
        if (rules.is_required())
            required_.push_back({key, [f = field<std::vector<std::string>>(member)](S &s) { return f(s).empty(); }});
        return add(std::move(key), p, [f = field<std::vector<std::string>>(member), fallback, rules](S &s, const Json &j, const std::string &k) {
            f(s) = settings_detail::read_text_list(j, k, fallback, rules);
        });
    }

    // A rule across settings that the schema cannot say (a maximum not below a minimum); it
    // throws invalid_config naming the keys. Runs after every setting is read.
    SettingsMap &check(std::function<void(const S &)> rule) {
        checks_.push_back(std::move(rule));
        return *this;
    }

    // The JSON Schema of the settings: an object with these properties and no others.
    std::string schema() const { return settings_detail::schema_text(properties_); }

    // Fills an S from settings (the host has usually validated and defaulted them already).
    S read(const Json &settings) const {
        S s{};
        const Json j = settings ? settings : Json(new Poco::JSON::Object);
        for (const auto &name : j->getNames()) {
            bool known = false;
            for (const auto &p : properties_) known = known || p.first == name;
            if (!known) throw invalid_config(name + ": unknown setting");
        }
        for (const auto &b : bindings_) b.second(s, j, b.first);
        if (enabled_ && enabled_(s)) {
            for (const auto &r : required_)
                if (r.second(s)) throw invalid_config(r.first + " is required when enabled is true");
        }
        for (const auto &c : checks_) c(s);
        return s;
    }

    bool has(const std::string &key) const {
        for (const auto &p : properties_)
            if (p.first == key) return true;
        return false;
    }

private:
    using Binding = std::function<void(S &, const Json &, const std::string &)>;

    template <class T, class M>
    static Field<T> field(M member) {
        if constexpr (std::is_member_object_pointer_v<M>) {
            return [member](S &s) -> T & { return s.*member; };
        } else {
            return Field<T>(std::move(member));
        }
    }

    SettingsMap &add(std::string key, Json property, Binding binding) {
        for (const auto &p : properties_)
            if (p.first == key) throw std::logic_error("setting " + key + " is declared twice");
        properties_.emplace_back(key, std::move(property));
        bindings_.emplace_back(std::move(key), std::move(binding));
        return *this;
    }

    std::vector<std::pair<std::string, Json>> properties_;
    std::vector<std::pair<std::string, Binding>> bindings_;
    std::vector<std::pair<std::string, std::function<bool(S &)>>> required_;
    std::vector<std::function<void(const S &)>> checks_;
    Field<bool> enabled_;
};

// Throws invalid_config naming `key` unless `url` is an absolute http or https URL with a host
// (for URLs a connector derives from several settings, which the schema's "uri" cannot check).
void check_http_url(const std::string &url, const std::string &key);

// `url` without its trailing slashes, so that paths join it with one.
std::string without_trailing_slashes(std::string url);

}  // namespace relais::support
