// A connector's settings, checked against its plugin's schema before they reach configure:
// every error names the connector and the key, and defaults are filled in.
#pragma once

#include "plugin_descriptor.hpp"

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

// Validates an action's input against its schema. Throws std::invalid_argument listing
// every problem, each naming the offending path.
void check_action_input(const ActionInfo &action, const std::string &input_json);

}  // namespace relais::host
