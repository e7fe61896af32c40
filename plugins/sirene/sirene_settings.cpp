#include "sirene_settings.hpp"

#include <Poco/URI.h>

namespace relais::sirene {

// The settings follow the Akuiteo console guide, section 2.2. Left out: section 2.2.1 (adding
// the Certigna root to the ERP's Java keystore), which is about the ERP's own TLS setup; the
// host uses the system's CA store, and ca_file covers a private CA (a TLS-inspecting proxy).
// The guide's token came from the old api.insee.fr portal (closed in September 2025); the
// current gateway takes an API key from portail-api.insee.fr instead, hence api_key.
const char *settings_schema() {
    return R"json({
  "type": "object",
  "properties": {
    "enabled": {"type": "boolean", "default": false,
      "description": "Turns the connector on; the API key is required only then (seed: 'Utilisation de l'API SIRENE')"},
    "api_key": {"type": "string", "secret": true,
      "description": "API key of the application subscribed to API Sirene on portail-api.insee.fr, sent as X-INSEE-Api-Key-Integration (seed: 'Jeton pour l'API SIRENE')"},
    "base_url": {"type": "string", "format": "uri", "default": "https://api.insee.fr/api-sirene/3.11",
      "description": "Base URL of API Sirene 3.11 (no seed field: the ERP had it built in)"},
    "ca_file": {"type": "string", "default": "",
      "description": "PEM file of CA certificates trusted in addition to the system's, for a private CA such as a TLS-inspecting proxy's; certificates are always verified (no seed field: the guide's section 2.2.1 adds a root to Java's keystore instead)"},
    "connect_timeout_ms": {"type": "integer", "minimum": 100, "maximum": 120000, "default": 5000,
      "description": "Longest wait to connect to INSEE (no seed field)"},
    "read_timeout_ms": {"type": "integer", "minimum": 100, "maximum": 300000, "default": 20000,
      "description": "Longest wait for each read of an answer (no seed field)"},
    "quota_per_minute": {"type": "integer", "minimum": 1, "default": 30,
      "description": "Requests per quota window the subscription allows; INSEE's public plan allows 30 per minute. The connector paces itself to it and honours INSEE's 429 and X-Rate-Limit-Reset (no seed field)"},
    "quota_window_seconds": {"type": "integer", "minimum": 1, "maximum": 3600, "default": 60,
      "description": "Length of the quota window; INSEE counts per minute. Change it only for another plan, or against an emulator whose clock runs faster (no seed field)"},
    "rate_limit_wait_seconds": {"type": "integer", "minimum": 0, "maximum": 600, "default": 60,
      "description": "Longest a call waits for the quota to free up before failing with rate_limited and a retry delay; lookup_many may wait this long for each window (no seed field)"},
    "cache_ttl_seconds": {"type": "integer", "minimum": 0, "default": 86400,
      "description": "How long a company looked up is kept before asking INSEE again, 0 to turn the cache off; INSEE updates the register daily (no seed field)"},
    "cache_max_entries": {"type": "integer", "minimum": 0, "default": 50000,
      "description": "Most companies kept in memory; the least recently used go first (no seed field)"},
    "cache_in_state": {"type": "boolean", "default": false,
      "description": "Also keep looked-up companies in the host's durable plugin state, so a restart spends no quota on them again; needs a host with a state store, as relais serve has (no seed field)"},
    "batch_size": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100,
      "description": "Identifiers asked in one multi-criteria request by lookup_many (no seed field)"}
  },
  "additionalProperties": false
})json";
}

Settings read_settings(const Json &settings) {
    Settings s;
    s.enabled = settings->optValue<bool>("enabled", false);
    s.api_key = settings->optValue<std::string>("api_key", "");
    s.base_url = settings->optValue<std::string>("base_url", kDefaultBaseUrl);
    s.ca_file = settings->optValue<std::string>("ca_file", "");
    s.connect_timeout = std::chrono::milliseconds(settings->optValue<int64_t>("connect_timeout_ms", 5000));
    s.read_timeout = std::chrono::milliseconds(settings->optValue<int64_t>("read_timeout_ms", 20000));
    s.quota_per_minute = settings->optValue<int64_t>("quota_per_minute", 30);
    s.quota_window = std::chrono::seconds(settings->optValue<int64_t>("quota_window_seconds", 60));
    s.rate_limit_wait = std::chrono::seconds(settings->optValue<int64_t>("rate_limit_wait_seconds", 60));
    s.cache_ttl = std::chrono::seconds(settings->optValue<int64_t>("cache_ttl_seconds", 86400));
    s.cache_max_entries = settings->optValue<int64_t>("cache_max_entries", 50000);
    s.cache_in_state = settings->optValue<bool>("cache_in_state", false);
    s.batch_size = settings->optValue<int64_t>("batch_size", 100);

    // A disabled connector may be saved half-filled, as the ERP console allows.
    if (s.enabled && s.api_key.empty()) throw invalid_config("api_key is required when enabled is true");

    // The old gateway (/entreprises/sirene/V3...) takes OAuth tokens, not API keys, and its
    // portal closed in September 2025: an API key sent there can only be refused.
    if (s.base_url.find("/entreprises/sirene/") != std::string::npos)
        throw invalid_config("base_url " + s.base_url + " is the old INSEE gateway, which takes no API key; " +
                             "remove base_url to use https://api.insee.fr/api-sirene/3.11");
    try {
        const Poco::URI uri(s.base_url);
        if (uri.getScheme() != "https" && uri.getScheme() != "http")
            throw invalid_config("base_url must be an http or https URL");
        if (uri.getHost().empty()) throw invalid_config("base_url has no host: " + s.base_url);
    } catch (const Poco::Exception &e) {
        throw invalid_config("base_url is not a valid URL: " + e.message());
    }
    while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();

    // The schema bounds these; a host that skipped validation must not make the connector spin.
    if (s.quota_per_minute < 1) throw invalid_config("quota_per_minute must be at least 1");
    if (s.quota_window.count() < 1) throw invalid_config("quota_window_seconds must be at least 1");
    if (s.batch_size < 1 || s.batch_size > 1000) throw invalid_config("batch_size must be between 1 and 1000");
    if (s.connect_timeout.count() < 1 || s.read_timeout.count() < 1)
        throw invalid_config("connect_timeout_ms and read_timeout_ms must be positive");
    return s;
}

}  // namespace relais::sirene
