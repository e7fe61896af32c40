#include <relais/support/settings.hpp>

#include <Poco/JSON/Stringifier.h>
#include <Poco/URI.h>

#include <cmath>
#include <limits>
#include <sstream>

namespace relais::support::settings_detail {

namespace {

// What a value looks like, for "expected X, found Y" messages. Secrets are never quoted.
std::string shown(const Poco::Dynamic::Var &v, bool secret) {
    if (v.isEmpty()) return "null";
    if (v.isBoolean()) return v.extract<bool>() ? "true" : "false";
    if (v.isString()) return secret ? "a string" : "string \"" + v.toString() + "\"";
    if (v.isNumeric()) return "number " + v.toString();
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) return "an object";
    if (v.type() == typeid(Poco::JSON::Array::Ptr)) return "an array";
    return "a " + std::string(v.type().name());
}

std::string number_text(double d) {
    if (std::floor(d) == d && std::abs(d) < 9e15) return std::to_string(static_cast<int64_t>(d));
    std::ostringstream out;
    out << d;
    return out.str();
}

std::string bounds(const Range &r) {
    if (r.minimum && r.maximum) return " between " + number_text(*r.minimum) + " and " + number_text(*r.maximum);
    if (r.minimum) return " >= " + number_text(*r.minimum);
    if (r.maximum) return " <= " + number_text(*r.maximum);
    return "";
}

bool absent(const Json &settings, const std::string &key) { return !settings->has(key) || settings->isNull(key); }

void check_range(const std::string &key, double value, const Range &r, const char *kind, const Poco::Dynamic::Var &v) {
    if ((r.minimum && value < *r.minimum) || (r.maximum && value > *r.maximum))
        throw invalid_config(key + ": expected " + kind + bounds(r) + ", found " + shown(v, false));
}

void check_text(const std::string &key, const std::string &value, const TextRules &rules) {
    const auto quoted = rules.is_secret() ? std::string("the value") : "\"" + value + "\"";
    if (!rules.allowed().empty()) {
        bool listed = false;
        std::string list;
        for (const auto &o : rules.allowed()) {
            listed = listed || o == value;
            list += (list.empty() ? "" : ", ") + o;
        }
        if (!listed) throw invalid_config(key + ": expected one of " + list + ", found " + quoted);
    }
    const auto length = static_cast<int64_t>(value.size());
    if (rules.shortest() && length < *rules.shortest())
        throw invalid_config(key + ": expected at least " + std::to_string(*rules.shortest()) + " characters, found " +
                             std::to_string(length));
    if (rules.longest() && length > *rules.longest())
        throw invalid_config(key + ": expected at most " + std::to_string(*rules.longest()) + " characters, found " +
                             std::to_string(length));
}

}  // namespace

Json property(const char *type, const std::string &description) {
    Json p = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    p->set("type", std::string(type));
    if (!description.empty()) p->set("description", description);
    return p;
}

void apply(Json p, const TextRules &rules) {
    if (rules.is_secret()) p->set("secret", true);
    if (!rules.format_name().empty()) p->set("format", rules.format_name());
    if (!rules.allowed().empty()) {
        Poco::JSON::Array::Ptr values = new Poco::JSON::Array;
        for (const auto &v : rules.allowed()) values->add(v);
        p->set("enum", values);
    }
    if (!rules.regex().empty()) p->set("pattern", rules.regex());
    if (rules.shortest()) p->set("minLength", *rules.shortest());
    if (rules.longest()) p->set("maxLength", *rules.longest());
}

void apply(Json p, const Range &range) {
    const bool integer = p->getValue<std::string>("type") == "integer";
    const auto put = [&](const char *name, double v) {
        if (integer)
            p->set(name, static_cast<int64_t>(v));
        else
            p->set(name, v);
    };
    if (range.minimum) put("minimum", *range.minimum);
    if (range.maximum) put("maximum", *range.maximum);
}

bool read_bool(const Json &settings, const std::string &key, bool fallback) {
    if (absent(settings, key)) return fallback;
    const auto v = settings->get(key);
    if (!v.isBoolean()) throw invalid_config(key + ": expected true or false, found " + shown(v, false));
    return v.extract<bool>();
}

std::optional<std::string> read_optional_text(const Json &settings, const std::string &key, const TextRules &rules) {
    if (absent(settings, key)) return std::nullopt;
    const auto v = settings->get(key);
    if (!v.isString()) throw invalid_config(key + ": expected a string, found " + shown(v, rules.is_secret()));
    auto text = v.extract<std::string>();
    check_text(key, text, rules);
    return text;
}

std::string read_text(const Json &settings, const std::string &key, const std::string &fallback, const TextRules &rules) {
    auto text = read_optional_text(settings, key, rules);
    return text ? *text : fallback;
}

std::optional<int64_t> read_optional_integer(const Json &settings, const std::string &key, const Range &range) {
    if (absent(settings, key)) return std::nullopt;
    const auto v = settings->get(key);
    int64_t value = 0;
    if (v.isInteger() && !v.isBoolean()) {
        value = v.convert<int64_t>();
    } else if (v.isNumeric() && !v.isBoolean() && std::floor(v.convert<double>()) == v.convert<double>() &&
               std::abs(v.convert<double>()) < 9e15) {
        value = static_cast<int64_t>(v.convert<double>());  // 30.0 from a JSON writer that only has doubles
    } else {
        throw invalid_config(key + ": expected an integer" + bounds(range) + ", found " + shown(v, false));
    }
    check_range(key, static_cast<double>(value), range, "an integer", v);
    return value;
}

int64_t read_integer(const Json &settings, const std::string &key, int64_t fallback, const Range &range) {
    return read_optional_integer(settings, key, range).value_or(fallback);
}

std::optional<double> read_optional_number(const Json &settings, const std::string &key, const Range &range) {
    if (absent(settings, key)) return std::nullopt;
    const auto v = settings->get(key);
    if (!v.isNumeric() || v.isBoolean())
        throw invalid_config(key + ": expected a number" + bounds(range) + ", found " + shown(v, false));
    const auto value = v.convert<double>();
    check_range(key, value, range, "a number", v);
    return value;
}

double read_number(const Json &settings, const std::string &key, double fallback, const Range &range) {
    return read_optional_number(settings, key, range).value_or(fallback);
}

std::vector<std::string> read_text_list(const Json &settings, const std::string &key,
                                        const std::vector<std::string> &fallback, const ListRules &rules) {
    if (absent(settings, key)) return fallback;
    const auto v = settings->get(key);
    if (v.type() != typeid(Poco::JSON::Array::Ptr))
        throw invalid_config(key + ": expected an array of strings, found " + shown(v, false));
    const auto array = v.extract<Poco::JSON::Array::Ptr>();
    std::vector<std::string> out;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto item = array->get(static_cast<unsigned>(i));
        const auto where = key + "[" + std::to_string(i) + "]";
        if (!item.isString()) throw invalid_config(where + ": expected a string, found " + shown(item, false));
        auto text = item.extract<std::string>();
        if (rules.shortest_item() && static_cast<int64_t>(text.size()) < *rules.shortest_item())
            throw invalid_config(where + ": expected at least " + std::to_string(*rules.shortest_item()) +
                                 " characters");
        out.push_back(std::move(text));
    }
    const auto count = static_cast<int64_t>(out.size());
    if (rules.fewest() && count < *rules.fewest())
        throw invalid_config(key + ": expected at least " + std::to_string(*rules.fewest()) + " items, found " +
                             std::to_string(count));
    if (rules.most() && count > *rules.most())
        throw invalid_config(key + ": expected at most " + std::to_string(*rules.most()) + " items, found " +
                             std::to_string(count));
    return out;
}

std::string schema_text(const std::vector<std::pair<std::string, Json>> &properties) {
    Json props = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto &[key, p] : properties) props->set(key, p);
    Json root = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    root->set("type", "object");
    root->set("properties", props);
    root->set("additionalProperties", false);
    std::ostringstream out;
    Poco::JSON::Stringifier::stringify(root, out, 2);
    return out.str();
}

}  // namespace relais::support::settings_detail

namespace relais::support {

void check_http_url(const std::string &url, const std::string &key) {
    try {
        const Poco::URI uri(url);
        if (uri.getScheme() != "https" && uri.getScheme() != "http")
            throw invalid_config(key + ": expected an http or https URL, found " + url);
        if (uri.getHost().empty()) throw invalid_config(key + ": no host in " + url);
    } catch (const Poco::Exception &e) {
        throw invalid_config(key + ": not a valid URL (" + e.message() + ")");
    }
}

std::string without_trailing_slashes(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

}  // namespace relais::support
