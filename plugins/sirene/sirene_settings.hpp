// The connector's settings, declared once (sirene_settings.cpp): their JSON Schema (what
// `relais plugins show sirene` lists) and their reading come from the same declarations.
#pragma once

#include <relais/plugin.hpp>
#include <relais/support/connection.hpp>
#include <relais/support/settings.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace relais::sirene {

struct Settings {
    bool enabled;
    std::string api_key;
    support::Connection connection;  // base_url, ca_file, timeouts, proxy
    int64_t quota_per_minute;
    std::chrono::seconds quota_window;
    std::chrono::seconds rate_limit_wait;
    std::chrono::seconds cache_ttl;
    int64_t cache_max_entries;
    bool cache_in_state;
    int64_t batch_size;
};

const support::SettingsMap<Settings> &settings_map();

// The connection block's keys and defaults, for building the HTTP client.
const support::ConnectionBlock &connection_block();

// Throws relais::invalid_config naming the setting.
Settings read_settings(const Json &settings);

}  // namespace relais::sirene
