#include "config/connector_settings.hpp"

#include "config/json_schema.hpp"

#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace relais::host {
namespace {

std::string join(const std::vector<std::string> &lines) {
    std::string out;
    for (const auto &l : lines) out += (out.empty() ? "" : "; ") + l;
    return out;
}

std::string key_of(const SchemaError &e) { return e.path.empty() ? "(settings)" : e.path.substr(1); }

using Poco::JSON::Object;

Object::Ptr deep_copy(const Object::Ptr &o) {
    if (!o) return new Object;
    std::ostringstream text;
    o->stringify(text);
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse(text.str()).extract<Object::Ptr>();
}

// JSON Pointer ("/a/b") segments, unescaped (~1 is '/', ~0 is '~').
std::vector<std::string> pointer_segments(const std::string &pointer) {
    std::vector<std::string> out;
    size_t start = 1;
    while (start <= pointer.size()) {
        auto end = pointer.find('/', start);
        if (end == std::string::npos) end = pointer.size();
        std::string seg = pointer.substr(start, end - start);
        for (size_t p; (p = seg.find("~1")) != std::string::npos;) seg.replace(p, 2, "/");
        for (size_t p; (p = seg.find("~0")) != std::string::npos;) seg.replace(p, 2, "~");
        out.push_back(seg);
        start = end + 1;
    }
    return out;
}

// The object holding the last segment of `pointer`, and that segment; null when absent.
std::pair<Object::Ptr, std::string> parent_of(const Object::Ptr &root, const std::string &pointer) {
    const auto segments = pointer_segments(pointer);
    if (segments.empty() || !root) return {nullptr, {}};
    Object::Ptr node = root;
    for (size_t i = 0; i + 1 < segments.size() && node; ++i) node = node->getObject(segments[i]);
    return {node, segments.back()};
}

}  // namespace

std::vector<std::string> secret_values(const JsonSchema &schema, const Object::Ptr &settings) {
    std::vector<std::string> out;
    for (const auto &pointer : schema.secret_paths()) {
        auto [parent, key] = parent_of(settings, pointer);
        if (parent && parent->has(key) && parent->get(key).isString()) out.push_back(parent->get(key).toString());
    }
    return out;
}

Object::Ptr redact_secrets(const JsonSchema &schema, const Object::Ptr &settings) {
    auto copy = deep_copy(settings);
    for (const auto &pointer : schema.secret_paths()) {
        auto [parent, key] = parent_of(copy, pointer);
        if (parent && parent->has(key)) parent->set(key, std::string(kRedactedValue));
    }
    return copy;
}

Object::Ptr restore_redacted_secrets(const JsonSchema &schema, const Object::Ptr &incoming, const Object::Ptr &previous) {
    auto copy = deep_copy(incoming);
    for (const auto &pointer : schema.secret_paths()) {
        auto [parent, key] = parent_of(copy, pointer);
        if (!parent || !parent->has(key) || parent->get(key) != std::string(kRedactedValue)) continue;
        auto [old_parent, old_key] = parent_of(previous, pointer);
        if (old_parent && old_parent->has(old_key))
            parent->set(key, old_parent->get(old_key));
        else
            parent->remove(key);
    }
    return copy;
}

SettingsError::SettingsError(const std::string &connector, std::vector<std::string> problems)
    : std::runtime_error("connector " + connector + ": invalid settings: " + join(problems)),
      problems_(std::move(problems)) {}

Poco::JSON::Object::Ptr resolve_settings(const PluginDescriptor &plugin, const Poco::JSON::Object::Ptr &section) {
    const auto schema = JsonSchema::parse(plugin.settings_schema);
    Poco::JSON::Object::Ptr settings = section ? section : Poco::JSON::Object::Ptr(new Poco::JSON::Object);
    settings = schema.with_defaults(settings);
    std::vector<std::string> problems;
    for (const auto &e : schema.validate(settings))
        problems.push_back("key " + key_of(e) + ": expected " + e.expected + ", found " + e.found);
    if (!problems.empty()) throw SettingsError(plugin.name, std::move(problems));
    return settings;
}

void check_action_input(const ActionInfo &action, const std::string &input_json) {
    Poco::Dynamic::Var input;
    try {
        Poco::JSON::Parser parser;
        input = parser.parse(input_json);
    } catch (const Poco::Exception &e) {
        throw std::invalid_argument("input of action " + action.name + " is not valid JSON: " + e.displayText());
    }
    const auto errors = JsonSchema::parse(action.input_schema).validate(input);
    if (errors.empty()) return;
    std::vector<std::string> problems;
    for (const auto &e : errors) problems.push_back(e.message());
    throw std::invalid_argument("input of action " + action.name + " is invalid: " + join(problems));
}

}  // namespace relais::host
