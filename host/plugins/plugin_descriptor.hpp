// What a plugin says about itself, copied out of the library into host-owned memory and
// checked, so the rest of the host never reads plugin memory directly.
#pragma once

#include <relais/plugin.h>

#include <cstdint>
#include <string>
#include <vector>

namespace relais::host {

struct ActionInfo {
    std::string name;
    std::string description;
    std::string input_schema;   // JSON Schema text
    std::string output_schema;  // empty when the plugin gives none
};

struct QuotaInfo {
    std::string scope;
    double per_second = 0;  // 0: no limit
    uint64_t per_day = 0;   // 0: no limit
};

struct PeriodicTaskInfo {
    std::string name;
    std::string action;
    std::string input;
    uint64_t interval_seconds = 0;
    uint64_t start_delay_seconds = 0;
};

struct PluginDescriptor {
    std::string name;
    std::string version;
    std::string description;
    std::string settings_schema;
    std::vector<ActionInfo> actions;
    std::vector<QuotaInfo> quotas;
    std::vector<PeriodicTaskInfo> periodic_tasks;
    bool has_test = false;
    bool quota_per_request = false;  // RELAIS_PLUGIN_QUOTA_PER_REQUEST

    const ActionInfo *find_action(const std::string &action) const;
};

// Copies and checks a descriptor: names, semantic version, every schema a JSON Schema the
// host understands, periodic tasks naming declared actions. Throws std::invalid_argument
// with a message naming the offending field.
PluginDescriptor read_descriptor(const relais_plugin_api &api);

}  // namespace relais::host
