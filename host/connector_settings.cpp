#include "connector_settings.hpp"

#include "json_schema.hpp"

#include <Poco/JSON/Parser.h>

namespace relais::host {
namespace {

std::string join(const std::vector<std::string> &lines) {
    std::string out;
    for (const auto &l : lines) out += (out.empty() ? "" : "; ") + l;
    return out;
}

std::string key_of(const SchemaError &e) { return e.path.empty() ? "(settings)" : e.path.substr(1); }

}  // namespace

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
