// sirene: INSEE's API Sirene 3.11, which finds a French company by its SIREN or SIRET number.
//
// Settings only for now: the actions come in later work, and without a connection test the
// helper reports the "Test" button as unsupported rather than pretending.
//
// The settings follow the Akuiteo console guide, section 2.2. Left out: section 2.2.1 (adding
// the Certigna root to the ERP's Java keystore), which is about the ERP's own TLS setup.
// The guide's token came from the old api.insee.fr portal (closed in September 2025); the
// current gateway takes an API key from portail-api.insee.fr instead, hence api_key.
#include <relais/plugin.hpp>

#include <Poco/URI.h>

#include <string>

namespace {

struct Settings {
    bool enabled = false;
    std::string api_key;
    std::string base_url;
    int64_t quota_per_minute = 30;
    int64_t cache_ttl_seconds = 0;
};

class Sirene {
public:
    static relais::Definition<Sirene> definition() {
        return relais::Definition<Sirene>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION,
                                          "INSEE API Sirene: French company data by SIREN or SIRET")
            .settings_schema(R"json({
  "type": "object",
  "properties": {
    "enabled": {"type": "boolean", "default": false,
      "description": "Turns the connector on; the API key is required only then (seed: 'Utilisation de l'API SIRENE')"},
    "api_key": {"type": "string", "secret": true,
      "description": "API key of the application subscribed to API Sirene on portail-api.insee.fr, sent as X-INSEE-Api-Key-Integration (seed: 'Jeton pour l'API SIRENE')"},
    "base_url": {"type": "string", "format": "uri", "default": "https://api.insee.fr/api-sirene/3.11",
      "description": "Base URL of API Sirene 3.11 (no seed field: the ERP had it built in)"},
    "quota_per_minute": {"type": "integer", "minimum": 1, "default": 30,
      "description": "Requests per minute the subscription allows; INSEE's public plan allows 30 (no seed field)"},
    "cache_ttl_seconds": {"type": "integer", "minimum": 0, "default": 0,
      "description": "How long a company looked up is kept before asking INSEE again, 0 for never (no seed field)"}
  },
  "additionalProperties": false
})json");
    }

    explicit Sirene(relais::Host host) : host_(host) {}

    void configure(const relais::Json &settings) {
        Settings s;
        s.enabled = settings->optValue<bool>("enabled", false);
        s.api_key = settings->optValue<std::string>("api_key", "");
        s.base_url = settings->optValue<std::string>("base_url", "https://api.insee.fr/api-sirene/3.11");
        s.quota_per_minute = settings->optValue<int64_t>("quota_per_minute", 30);
        s.cache_ttl_seconds = settings->optValue<int64_t>("cache_ttl_seconds", 0);

        // A disabled connector may be saved half-filled, as the ERP console allows.
        if (s.enabled && s.api_key.empty()) throw relais::invalid_config("api_key is required when enabled is true");

        // The old gateway (/entreprises/sirene/V3...) takes OAuth tokens, not API keys, and its
        // portal closed in September 2025: an API key sent there can only be refused.
        if (s.base_url.find("/entreprises/sirene/") != std::string::npos)
            throw relais::invalid_config("base_url " + s.base_url + " is the old INSEE gateway, which takes no API key; " +
                                         "remove base_url to use https://api.insee.fr/api-sirene/3.11");
        try {
            const Poco::URI uri(s.base_url);
            if (uri.getScheme() != "https" && uri.getScheme() != "http")
                throw relais::invalid_config("base_url must be an http or https URL");
        } catch (const Poco::Exception &e) {
            throw relais::invalid_config("base_url is not a valid URL: " + e.message());
        }

        host_.debug(std::string("configured") + (s.enabled ? "" : " (disabled)"));
        settings_.set(std::move(s));
    }

private:
    relais::Host host_;
    relais::Snapshot<Settings> settings_;
};

}  // namespace

RELAIS_PLUGIN(Sirene)
