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
    bool job_only = false;                // RELAIS_ACTION_JOB_ONLY: refused as a synchronous call
    uint64_t job_deadline_seconds = 0;    // a job of it ends dead this long after acceptance; 0: none
};

struct QuotaInfo {
    std::string scope;
    double per_second = 0;  // 0: no limit
    uint64_t per_day = 0;   // 0: no limit
};

// A quota of any window (relais_quota_window_desc): `count` per `window_ms`, or `count` held
// at once when window_ms is 0.
struct QuotaWindowInfo {
    std::string scope;
    uint64_t count = 0;
    uint64_t window_ms = 0;
    bool per_key = false;
};

struct WebhookInfo {
    std::string name;
    std::string description;
    bool get = false;
    bool post = false;
    uint64_t max_body_bytes = 0;
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
    std::vector<QuotaWindowInfo> quota_windows;  // when not empty, they replace `quotas`
    std::vector<WebhookInfo> webhooks;
    std::vector<PeriodicTaskInfo> periodic_tasks;
    uint64_t step_timeout_seconds = 0;  // 0: the host's default
    bool has_test = false;
    bool has_webhook_handler = false;
    bool quota_per_request = false;  // RELAIS_PLUGIN_QUOTA_PER_REQUEST

    const ActionInfo *find_action(const std::string &action) const;
    const WebhookInfo *find_webhook(const std::string &hook) const;
};

// Copies and checks a descriptor: names, semantic version, every schema a JSON Schema the
// host understands, periodic tasks naming declared actions, quota windows and webhooks
// well-formed (webhooks need handle_webhook). Fields of ABI revision 2 are read only when the
// plugin's structs are large enough to hold them. Throws std::invalid_argument
// with a message naming the offending field.
PluginDescriptor read_descriptor(const relais_plugin_api &api);

}  // namespace relais::host
