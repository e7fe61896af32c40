// The chorus connector's settings: what the customer documents name (Akuiteo console guide
// 2.4, WaveSoft note FCT025), plus what running it against the real service needs (a CA file
// for a private CA, timeouts, how long and how often a deposit is followed).
#pragma once

#include <relais/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace relais::chorus {

struct Settings {
    bool enabled = false;
    bool production = false;
    std::string environment = "qualification";
    std::string oauth_url, api_url;  // effective: the override or the environment's default
    std::string client_id, client_secret;
    std::string technical_login, technical_password;
    std::string structure_id;  // the supplier structure's SIRET (or other identifier)
    std::vector<std::string> dematerialisation_codes;
    int64_t retry_attempts = 3;
    int64_t retry_delay_seconds = 10;
    double quota_per_second = 0;
    uint64_t quota_per_day = 0;
    int64_t max_concurrency = 4;
    std::string ca_file;
    std::string file_directory;  // where submit_invoice's file_path may point; "" for nowhere
    std::chrono::seconds connect_timeout{10};
    std::chrono::seconds read_timeout{60};
    // Following a deposit: first look after poll_initial_delay, then twice as long each time
    // up to poll_max_delay, giving up after tracking_max.
    std::chrono::seconds poll_initial_delay{60};
    std::chrono::seconds poll_max_delay{3600};
    std::chrono::hours tracking_max{72};
    // After a deposit whose answer was lost, how long to keep looking for its invoice before
    // depositing the file again.
    std::chrono::seconds uncertain_deposit_wait{1800};
    // New deposits after IN_INCIDENTE before giving up.
    int64_t max_redeposits = 2;
};

// The JSON Schema the host validates and defaults the settings with.
const char *settings_schema();

// Reads settings the host already validated against settings_schema(); throws
// relais::invalid_config naming the key for what the schema cannot express.
Settings read_settings(const Json &settings);

// What configure returns to the host: quotas, retry policy and concurrency for the jobs.
Json job_policy(const Settings &settings);

// The default URLs and quotas of each environment.
struct Environment {
    const char *oauth_url;
    const char *api_url;
    double per_second;
    uint64_t per_day;
};
inline constexpr Environment kQualification{"https://sandbox-oauth.piste.gouv.fr/api/oauth/token",
                                            "https://sandbox-api.piste.gouv.fr", 5, 50000};
inline constexpr Environment kProduction{"https://oauth.piste.gouv.fr/api/oauth/token", "https://api.piste.gouv.fr",
                                         20, 1000000};

}  // namespace relais::chorus
