// Environment variables by name. The configuration is read against a map given as a parameter,
// never against the process's environment directly, so that tests never touch the process's.
#pragma once

#include <map>
#include <string>

namespace relais::host {

using Environment = std::map<std::string, std::string>;

// The process's environment (environ).
Environment process_environment();

}  // namespace relais::host
