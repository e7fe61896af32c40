// The chorus connector's settings: what the customer documents name (Akuiteo console guide
// 2.4, WaveSoft note FCT025), plus what running it against the real service needs (a CA file
// for a private CA, timeouts, how long and how often a deposit is followed).
#pragma once

#include <relais/plugin.hpp>
#include <relais/support/connection.hpp>
#include <relais/support/settings.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace relais::chorus {

struct Settings {
    bool enabled;
    std::string environment;  // qualification or production
    bool production;
    std::optional<std::string> oauth_url_setting, api_url_setting;  // as set, absent for the default
    std::string oauth_url, api_url;  // effective: the setting or the environment's default
    std::string client_id, client_secret;
    std::string technical_login, technical_password;
    std::string structure_id;  // the supplier structure's SIRET (or other identifier)
    std::vector<std::string> dematerialisation_codes;
    int64_t retry_attempts;
    int64_t retry_delay_seconds;
    std::optional<double> quota_per_second_setting;
    std::optional<int64_t> quota_per_day_setting;
    double quota_per_second;  // effective
    uint64_t quota_per_day;
    int64_t max_concurrency;
    support::Connection connection;  // ca_file, timeouts, proxy (the URLs are above)
    std::string file_directory;      // where submit_invoice's file_path may point; "" for nowhere
    // Following a deposit: first look after poll_initial_delay, then twice as long each time
    // up to poll_max_delay, giving up after tracking_max.
    std::chrono::seconds poll_initial_delay;
    std::chrono::seconds poll_max_delay;
    std::chrono::hours tracking_max;
    // After a deposit whose answer was lost, how long to keep looking for its invoice before
    // depositing the file again.
    std::chrono::seconds uncertain_deposit_wait;
    // New deposits after IN_INCIDENTE before giving up.
    int64_t max_redeposits;
    // How long a final submission is remembered (the same file sent again is recognised).
    std::chrono::hours submission_retention;
    // The status follow-up of integrated invoices: how often it runs, and after how many days
    // an invoice neither paid nor rejected stops being followed.
    std::chrono::minutes status_follow_interval;
    int64_t status_follow_max_days;
};

// The settings, declared once: the JSON Schema the host validates and defaults them with, and
// their reading.
const support::SettingsMap<Settings> &settings_map();
const support::ConnectionBlock &connection_block();

// Reads settings the host already validated against the schema, and derives the effective
// URLs and quotas; throws relais::invalid_config naming the key for what the schema cannot
// express.
Settings read_settings(const Json &settings);

// The periodic task that follows integrated invoices (chorus_follow_up.hpp), its default period.
inline constexpr const char *kFollowTask = "follow_invoice_statuses";
inline constexpr uint64_t kFollowDefaultMinutes = 60;

// What configure returns to the host: quotas, retry policy and concurrency for the jobs, and
// the follow-up's period.
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
