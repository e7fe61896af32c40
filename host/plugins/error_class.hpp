// The stable error classes of the plugin ABI, as names and as what they mean to the host.
#pragma once

#include <relais/plugin.h>

#include <optional>
#include <string>
#include <string_view>

namespace relais::host {

// "invalid_config", "rate_limited", ... ("ok" for RELAIS_OK). Unknown values give "internal".
std::string_view status_name(relais_status status);

// The inverse of status_name; nullopt for a name that is not a class.
std::optional<relais_status> status_from_name(std::string_view name);

// A status returned by a plugin, clamped to the known range (an unknown number is internal).
relais_status sanitize_status(int raw);

// The relais CLI's exit code for a status: 0 for ok, 3 + class for errors (2 is usage).
int exit_code_for(relais_status status);

}  // namespace relais::host
