// A connector's settings, checked against its plugin's schema before they reach configure:
// every error names the connector and the key, and defaults are filled in.
#pragma once

#include "config/json_schema.hpp"
#include "plugins/plugin_descriptor.hpp"

#include <Poco/JSON/Object.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace relais::host {

class SettingsError : public std::runtime_error {
public:
    SettingsError(const std::string &connector, std::vector<std::string> problems);
    const std::vector<std::string> &problems() const { return problems_; }

private:
    std::vector<std::string> problems_;
};

// Validates `section` (may be null: no settings given) against the descriptor's settings
// schema and returns it with defaults applied. Throws SettingsError listing every problem.
Poco::JSON::Object::Ptr resolve_settings(const PluginDescriptor &plugin, const Poco::JSON::Object::Ptr &section);

// What the value of a secret setting is replaced with when settings are shown.
inline constexpr const char *kRedactedValue = "[redacted]";

// The string values of `settings` at the schema's secret properties.
std::vector<std::string> secret_values(const JsonSchema &schema, const Poco::JSON::Object::Ptr &settings);

// A deep copy of `settings` with every secret value replaced by kRedactedValue.
Poco::JSON::Object::Ptr redact_secrets(const JsonSchema &schema, const Poco::JSON::Object::Ptr &settings);

// A deep copy of `incoming` in which each secret given as kRedactedValue takes its value from
// `previous` (or is removed when `previous` has none): a document shown with its secrets
// redacted can be edited and sent back without retyping them.
Poco::JSON::Object::Ptr restore_redacted_secrets(const JsonSchema &schema, const Poco::JSON::Object::Ptr &incoming,
                                                 const Poco::JSON::Object::Ptr &previous);

// Validates an action's input against its schema. Throws std::invalid_argument listing
// every problem, each naming the offending path.
void check_action_input(const ActionInfo &action, const std::string &input_json);

}  // namespace relais::host
