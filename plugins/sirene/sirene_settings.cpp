#include "sirene_settings.hpp"

namespace relais::sirene {

// The settings follow the Akuiteo console guide, section 2.2. Left out: section 2.2.1 (adding
// the Certigna root to the ERP's Java keystore), which is about the ERP's own TLS setup; the
// host uses the system's CA store, and ca_file covers a private CA (a TLS-inspecting proxy).
// The guide's token came from the old api.insee.fr portal (closed in September 2025); the
// current gateway takes an API key from portail-api.insee.fr instead, hence api_key.

const support::ConnectionBlock &connection_block() {
    static const support::ConnectionBlock block = [] {
        support::ConnectionBlock b;
        b.base_url_default = "https://api.insee.fr/api-sirene/3.11";
        b.base_url_description = "Base URL of API Sirene 3.11 (no seed field: the ERP had it built in)";
        b.timeout_unit = support::ConnectionBlock::Unit::milliseconds;
        b.connect_timeout = 5000;
        b.connect_timeout_range = {100, 120000};
        b.read_timeout = 20000;
        b.read_timeout_range = {100, 300000};
        b.read_timeout_description = "Longest wait for each read of an answer (no seed field)";
        return b;
    }();
    return block;
}

namespace {

// The old gateway (/entreprises/sirene/V3...) takes OAuth tokens, not API keys, and its portal
// closed in September 2025: an API key sent there can only be refused.
void refuse_old_gateway(const Settings &s) {
    if (s.connection.base_url.find("/entreprises/sirene/") != std::string::npos)
        throw invalid_config("base_url " + s.connection.base_url + " is the old INSEE gateway, which takes no API key; " +
                             "remove base_url to use https://api.insee.fr/api-sirene/3.11");
}

support::SettingsMap<Settings> build_map() {
    using support::Range;
    using support::TextRules;
    support::SettingsMap<Settings> map;
    map.enabled(&Settings::enabled,
                "Turns the connector on; the API key is required only then (seed: 'Utilisation de l'API SIRENE')");
    map.text("api_key", &Settings::api_key, "",
             "API key of the application subscribed to API Sirene on portail-api.insee.fr, sent as "
             "X-INSEE-Api-Key-Integration (seed: 'Jeton pour l'API SIRENE')",
             TextRules().secret().required());
    support::add_connection_settings(map, &Settings::connection, connection_block());
    map.integer("quota_per_minute", &Settings::quota_per_minute, 30, {1, {}},
                "Requests per quota window the subscription allows; INSEE's public plan allows 30 per minute. The "
                "host paces every call of the connector to it, and to what INSEE's 429 and X-Rate-Limit-* say (no seed field)");
    map.seconds("quota_window_seconds", &Settings::quota_window, 60, {1, 3600},
                "Length of the quota window; INSEE counts per minute. Change it only for another plan, or against an "
                "emulator whose clock runs faster (no seed field)");
    map.seconds("rate_limit_wait_seconds", &Settings::rate_limit_wait, 60, {0, 600},
                "Longest a call waits for the quota to free up before failing with rate_limited and a retry delay; "
                "lookup_many may wait this long for each window (no seed field)");
    map.seconds("cache_ttl_seconds", &Settings::cache_ttl, 86400, {0, {}},
                "How long a company looked up is kept before asking INSEE again, 0 to turn the cache off; INSEE "
                "updates the register daily (no seed field)");
    map.integer("cache_max_entries", &Settings::cache_max_entries, 50000, {0, {}},
                "Most companies kept in memory; the least recently used go first (no seed field)");
    map.flag("cache_in_state", &Settings::cache_in_state, false,
             "Also keep looked-up companies in the host's durable plugin state, so a restart spends no quota on them "
             "again; needs a host with a state store, as relais serve has (no seed field)");
    map.integer("batch_size", &Settings::batch_size, 100, {1, 1000},
                "Identifiers asked in one multi-criteria request by lookup_many (no seed field)");
    map.check(refuse_old_gateway);
    return map;
}

}  // namespace

const support::SettingsMap<Settings> &settings_map() {
    static const auto map = build_map();
    return map;
}

Settings read_settings(const Json &settings) {
    Settings s = settings_map().read(settings);
    // Paths are joined with one slash.
    while (!s.connection.base_url.empty() && s.connection.base_url.back() == '/') s.connection.base_url.pop_back();
    return s;
}

}  // namespace relais::sirene
