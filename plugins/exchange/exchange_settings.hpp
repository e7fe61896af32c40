// The exchange connector's settings: the Akuiteo console guide's (section 2.3: delegated user
// and password, EWS URL, server version, threads, "library optimised for Office 365",
// impersonation, a mailbox to test, OAuth with tenant, client id and secret), plus the choice
// of backend, the mailboxes the periodic sync covers, its interval and window, Graph's limits,
// and the kit's connection settings.
#pragma once

#include <relais/plugin.hpp>
#include <relais/support/connection.hpp>
#include <relais/support/settings.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace relais::exchange {

enum class Backend { graph, ews };

struct Settings {
    bool enabled;
    std::string backend_text;  // auto, graph, ews
    Backend backend;           // auto: graph when oauth is on (Office 365), else ews
    std::optional<std::string> ews_url_setting;
    std::string ews_url;
    std::string server_version;
    bool impersonation;
    bool oauth;
    std::string tenant_id, client_id, client_secret;
    std::string login_url;  // https://login.microsoftonline.com
    std::string graph_url;  // https://graph.microsoft.com/v1.0
    std::string token_url;  // <login_url>/<tenant_id>/oauth2/v2.0/token
    std::string scope;      // per backend
    std::string test_mailbox;
    int64_t max_threads;
    std::vector<std::string> mailboxes;
    int64_t sync_interval_seconds;
    int64_t sync_window_days;
    int64_t requests_per_10_minutes;  // Graph: per mailbox
    int64_t concurrent_per_mailbox;   // Graph: 4
    support::Connection connection;   // auth none|basic|ntlm, username, password (EWS on premises)
};

const support::SettingsMap<Settings> &settings_map();
const support::ConnectionBlock &connection_block();

// Throws relais::invalid_config naming the setting.
Settings read_settings(const Json &settings);

constexpr const char *kGraphScope = "https://graph.microsoft.com/.default";
constexpr const char *kEwsScope = "https://outlook.office365.com/.default";

}  // namespace relais::exchange
