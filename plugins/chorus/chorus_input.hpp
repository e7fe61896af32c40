// Reading an action's input. The host has already checked it against the action's schema;
// these only say clearly what is wrong when a plugin is called without that check (the CLI).
#pragma once

#include <relais/plugin.hpp>

#include <string>

namespace relais::chorus {

// The string member `key`, "" when absent or null; invalid_input when it is not a string.
inline std::string text_field(const Json &input, const char *key) {
    if (!input->has(key) || input->isNull(key)) return {};
    const auto v = input->get(key);
    if (!v.isString()) throw invalid_input(std::string(key) + " must be a string");
    return v.extract<std::string>();
}

}  // namespace relais::chorus
