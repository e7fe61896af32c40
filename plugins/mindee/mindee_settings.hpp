// The mindee connector's settings: what the Akuiteo console guide (section 2.1) names, plus what
// Mindee's two API generations need (a model for v2, a product for v1), their limits and
// quotas (uncertain in the reference, so settings), and how receipts are polled, reviewed and
// remembered.
#pragma once

#include <relais/plugin.hpp>
#include <relais/support/connection.hpp>
#include <relais/support/settings.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace relais::mindee {

enum class ApiVersion { v1, v2 };

// What one API generation accepts in one request.
struct FileLimits {
    int64_t max_bytes = 0;
    int64_t max_pages = 0;
};

struct Settings {
    bool enabled;
    std::string api_version_text;  // "v1" or "v2"
    ApiVersion api_version;
    std::optional<std::string> url_setting;  // as set; absent: the version's default
    std::string url;                         // effective, without a trailing slash
    std::string api_key;
    std::string model_id;  // v2
    std::string product;   // v1, account/name/version
    std::string recorded_by;
    support::Connection connection;  // ca_file, timeouts, proxy (base_url = url)

    // Limits, in MB and pages, per API generation and mode (Mindee's documented figures).
    int64_t v1_sync_max_mb, v1_sync_max_pages, v1_async_max_mb, v1_async_max_pages;
    int64_t v2_max_mb, v2_max_pages;

    // Polling of an asynchronous read: first look after poll_initial_delay, each next one
    // 1.5 times later up to poll_max_delay; a read not done after poll_timeout fails.
    std::chrono::milliseconds poll_initial_delay;
    std::chrono::milliseconds poll_max_delay;
    std::chrono::seconds poll_timeout;

    // Quotas (uncertain in the reference: settings). v1 counts every request; v2 counts
    // enqueues and polls apart.
    int64_t v1_requests_per_second, v1_requests_per_minute;
    int64_t v2_enqueues_per_minute, v2_polls_per_minute;
    std::chrono::seconds quota_minute;  // the window the per-minute quotas count (60 s)
    std::chrono::seconds rate_limit_wait;

    double review_below;
    int64_t dedupe_ttl_hours;
    std::string file_directory;
    bool v2_confidence;       // ask v2 for per-field confidence
    std::string webhook_ids;  // v2: Mindee webhook ids sent with each enqueue, comma-separated
    std::string webhook_secret;

    FileLimits sync_limits() const;
    FileLimits job_limits() const;
};

const support::SettingsMap<Settings> &settings_map();
const support::ConnectionBlock &connection_block();

// Throws relais::invalid_config naming the setting.
Settings read_settings(const Json &settings);

constexpr const char *kV1DefaultUrl = "https://api.mindee.net/v1";
constexpr const char *kV2DefaultUrl = "https://api-v2.mindee.net";

}  // namespace relais::mindee
