// The connector's settings: their JSON Schema (what `relais plugins show sirene` lists) and
// their reading, with the checks the schema cannot express.
#pragma once

#include <relais/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace relais::sirene {

constexpr const char *kDefaultBaseUrl = "https://api.insee.fr/api-sirene/3.11";

struct Settings {
    bool enabled = false;
    std::string api_key;
    std::string base_url = kDefaultBaseUrl;
    std::string ca_file;
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds read_timeout{20000};
    int64_t quota_per_minute = 30;
    std::chrono::seconds quota_window{60};
    std::chrono::seconds rate_limit_wait{60};
    std::chrono::seconds cache_ttl{86400};
    int64_t cache_max_entries = 50000;
    bool cache_in_state = false;
    int64_t batch_size = 100;
};

const char *settings_schema();

// Throws relais::invalid_config naming the setting.
Settings read_settings(const Json &settings);

}  // namespace relais::sirene
