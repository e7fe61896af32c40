#include "mindee_settings.hpp"

#include <Poco/String.h>
#include <Poco/URI.h>

namespace relais::mindee {

// Left out of the seed's fields, because they belong to the ERP: "OCR Actif" and the choice of
// OCR vendor (the ERP's global switch; `enabled` stands for "Mindee Actif"), and the ERP user's
// password: the ERP authenticates to Relais with its own token, and the user's name alone is
// what the expense's history records (`recorded_by`).

const support::ConnectionBlock &connection_block() {
    static const support::ConnectionBlock block = [] {
        support::ConnectionBlock b;
        b.base_url_key.clear();  // url depends on api_version: declared below
        b.connect_timeout = 10;
        b.read_timeout = 60;
        b.read_timeout_description =
            "Longest wait for each read of an answer; a synchronous v1 prediction of a long PDF takes seconds";
        return b;
    }();
    return block;
}

FileLimits Settings::sync_limits() const {
    if (api_version == ApiVersion::v1) return {v1_sync_max_mb << 20, v1_sync_max_pages};
    return {v2_max_mb << 20, v2_max_pages};
}

FileLimits Settings::job_limits() const {
    if (api_version == ApiVersion::v1) return {v1_async_max_mb << 20, v1_async_max_pages};
    return {v2_max_mb << 20, v2_max_pages};
}

namespace {

// The two generations live on different hosts, with different paths and auth headers: a key
// of one sent to the other is refused with a message that does not say why.
void check_url(const Settings &s) {
    std::string host;
    try {
        const Poco::URI uri(s.url);
        if (uri.getScheme() != "https" && uri.getScheme() != "http")
            throw invalid_config("url: expected an http or https URL, found " + s.url);
        host = Poco::toLower(uri.getHost());
        if (host.empty()) throw invalid_config("url: no host in " + s.url);
    } catch (const Poco::Exception &e) {
        throw invalid_config("url: not a valid URL (" + e.message() + ")");
    }
    if (s.api_version == ApiVersion::v2 && host == "api.mindee.net")
        throw invalid_config("url points to api.mindee.net, the v1 API, but api_version is v2: remove url or set "
                             "api_version to v1");
    if (s.api_version == ApiVersion::v1 && host == "api-v2.mindee.net")
        throw invalid_config("url points to api-v2.mindee.net, the v2 API, but api_version is v1: remove url or set "
                             "api_version to v2");
}

void check_required(const Settings &s) {
    if (!s.enabled) return;  // a disabled connector may be saved half-filled, as the ERP console allows
    // Runs inside the map's read, before api_version is derived from its text.
    const bool v2 = s.api_version_text != "v1";
    if (v2 && s.model_id.empty())
        throw invalid_config("model_id is required when enabled is true and api_version is v2: the UUID of the "
                             "extraction model, from Mindee's platform");
    if (!v2 && s.product.empty())
        throw invalid_config("product is required when api_version is v1, e.g. mindee/expense_receipts/v5");
}

void check_polling(const Settings &s) {
    if (s.poll_max_delay < s.poll_initial_delay)
        throw invalid_config("poll_max_delay_ms (" + std::to_string(s.poll_max_delay.count()) +
                             ") must not be below poll_initial_delay_ms (" + std::to_string(s.poll_initial_delay.count()) + ")");
    if (s.v1_sync_max_mb > s.v1_async_max_mb || s.v1_sync_max_pages > s.v1_async_max_pages)
        throw invalid_config("v1_sync_max_mb and v1_sync_max_pages must not exceed v1_async_max_mb and v1_async_max_pages: "
                             "Mindee's asynchronous route takes larger files than its synchronous one");
}

support::SettingsMap<Settings> build_map() {
    using support::Range;
    using support::TextRules;
    support::SettingsMap<Settings> m;
    m.enabled(&Settings::enabled, "Turns the connector on; the API key is required only then (seed: 'Mindee Actif')");
    m.text("api_version", &Settings::api_version_text, "v2",
           "Mindee API generation: v2, the current platform (a model_id), or v1, the legacy products API kept for "
           "accounts that have it (a product); selects the default url (no seed field)",
           TextRules().one_of({"v1", "v2"}));
    m.optional_text("url", &Settings::url_setting,
                    std::string("Override of the API base URL; absent: ") + kV2DefaultUrl + " (v2) or " + kV1DefaultUrl +
                        " (v1) (seed: 'Url de connexion')",
                    TextRules().format("uri"));
    m.text("api_key", &Settings::api_key, "",
           "Mindee API key of the account: sent as 'Authorization: Token <key>' to v1 and as 'Authorization: <key>' "
           "to v2 (seed: 'Token Mindee')",
           TextRules().secret().required());
    m.text("model_id", &Settings::model_id, "",
           "UUID of the extraction model, required with api_version v2 (no seed field)",
           TextRules().pattern("^$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"));
    m.text("product", &Settings::product, "mindee/expense_receipts/v5",
           "Product path of the v1 API, account/name/version (no seed field)",
           TextRules().pattern("^[A-Za-z0-9_-]+/[A-Za-z0-9_-]+/v[0-9]+$"));
    m.text("recorded_by", &Settings::recorded_by, "",
           "ERP user the expense's history records as having entered it through OCR; copied into every result "
           "(seed: 'Utilisateur Akuiteo'; its password is not needed: the ERP authenticates to Relais with its token)");
    support::add_connection_settings(m, &Settings::connection, connection_block());

    m.integer("v1_sync_max_mb", &Settings::v1_sync_max_mb, 10, {1, 100},
              "Largest file, in MB, v1 reads synchronously (Mindee: 10 MB)");
    m.integer("v1_sync_max_pages", &Settings::v1_sync_max_pages, 10, {1, 1000},
              "Most pages v1 reads synchronously (Mindee: 10); a longer PDF must be read as a job");
    m.integer("v1_async_max_mb", &Settings::v1_async_max_mb, 20, {1, 200},
              "Largest file, in MB, v1 reads asynchronously, as a job (Mindee: 20 MB)");
    m.integer("v1_async_max_pages", &Settings::v1_async_max_pages, 20, {1, 1000},
              "Most pages v1 reads asynchronously (Mindee: 20)");
    m.integer("v2_max_mb", &Settings::v2_max_mb, 100, {1, 500}, "Largest file, in MB, v2 reads (Mindee: 100 MB)");
    m.integer("v2_max_pages", &Settings::v2_max_pages, 200, {1, 5000}, "Most pages v2 reads (Mindee: 200)");

    m.milliseconds("poll_initial_delay_ms", &Settings::poll_initial_delay, 1000, {10, 600000},
                   "First look at an asynchronous read after it was sent; each next look comes 1.5 times later");
    m.milliseconds("poll_max_delay_ms", &Settings::poll_max_delay, 15000, {10, 3600000},
                   "Longest wait between two looks at an asynchronous read");
    m.seconds("poll_timeout_seconds", &Settings::poll_timeout, 900, {10, 86400},
              "An asynchronous read not done this long after it was sent fails (Mindee gives up on an inference "
              "after 590 s)");

    m.integer("v1_requests_per_second", &Settings::v1_requests_per_second, 4, {1, 1000},
              "v1 requests allowed per second (Mindee's documentation: 4)");
    m.integer("v1_requests_per_minute", &Settings::v1_requests_per_minute, 75, {1, 100000},
              "v1 requests allowed per minute (Mindee's documentation: 75)");
    m.integer("v2_enqueues_per_minute", &Settings::v2_enqueues_per_minute, 200, {1, 100000},
              "v2 enqueues allowed per minute for the organisation (Mindee's documentation: 200; another page says 120)");
    m.integer("v2_polls_per_minute", &Settings::v2_polls_per_minute, 1200, {1, 1000000},
              "v2 polls (job and result reads) allowed per minute (Mindee's documentation: 1,200)");
    m.seconds("quota_window_seconds", &Settings::quota_minute, 60, {1, 3600},
              "Length of the window the per-minute quotas count; Mindee counts per minute. Change it only for another "
              "plan, or against an emulator whose windows are shorter");
    m.seconds("rate_limit_wait_seconds", &Settings::rate_limit_wait, 30, {0, 600},
              "Longest a synchronous read waits for the quota before failing with rate_limited (jobs wait as long as "
              "needed)");

    m.number("review_below", &Settings::review_below, 0.7, {0, 1},
             "A field read with a confidence under this (0 to 1) is listed in needs_review for a person to check");
    m.integer("dedupe_ttl_hours", &Settings::dedupe_ttl_hours, 720, {0, 87600},
              "The same file (SHA-256) read again within this many hours returns the stored result without "
              "spending a page; 0 turns it off");
    m.text("file_directory", &Settings::file_directory, "",
           "Directory read_receipt's file_path may point into; empty: only file_base64 is accepted");
    m.flag("v2_confidence", &Settings::v2_confidence, true,
           "Ask v2 for a confidence per field (Certain, High, Medium, Low); without it v2 fields carry no "
           "confidence, and only missing fields and inconsistencies are flagged for review");
    m.text("webhook_ids", &Settings::webhook_ids, "",
           "v2: ids of the model's webhooks (from Mindee's platform) sent with each enqueue, comma-separated; point "
           "the webhook at /api/v1/hooks/mindee/result so a finished read wakes its job at once");
    m.text("webhook_secret", &Settings::webhook_secret, "",
           "Secret of that webhook: deliveries must carry X-Mindee-Hmac-Signature, the HMAC-SHA256 of the body under "
           "it; required for the webhook to be accepted",
           TextRules().secret());
    m.check(check_required);
    m.check(check_polling);
    return m;
}

}  // namespace

const support::SettingsMap<Settings> &settings_map() {
    static const auto map = build_map();
    return map;
}

Settings read_settings(const Json &settings) {
    Settings s = settings_map().read(settings);
    s.api_version = s.api_version_text == "v1" ? ApiVersion::v1 : ApiVersion::v2;
    s.url = support::without_trailing_slashes(
        s.url_setting.value_or(s.api_version == ApiVersion::v1 ? kV1DefaultUrl : kV2DefaultUrl));
    check_url(s);
    s.connection.base_url = s.url;
    return s;
}

}  // namespace relais::mindee
