// mindee: Mindee OCR, which reads expense receipts photographed for expense reports.
//
// Settings only for now: the actions come in later work, and without a connection test the
// helper reports the "Test" button as unsupported rather than pretending.
//
// The settings follow the Akuiteo console guide, section 2.1, plus what Mindee's current API
// needs: the guide predates API v2, whose calls name a model (model_id), while the older v1
// API names a product in its path. Left out because they belong to the ERP: "OCR Actif" and
// "provider" (the ERP's global OCR switch and its choice of OCR vendor; enabled stands for
// "Mindee Actif"), and "Utilisateur Akuiteo" / "Mot de passe Akuiteo" (the ERP's own login).
#include <relais/plugin.hpp>

#include <Poco/String.h>
#include <Poco/URI.h>

#include <string>

namespace {

constexpr const char *kV1Url = "https://api.mindee.net/v1";
constexpr const char *kV2Url = "https://api-v2.mindee.net";

struct Settings {
    bool enabled = false;
    bool v2 = true;
    std::string url;  // effective: the override or the API version's default
    std::string api_key;
    std::string model_id;
    std::string product;
};

void require(const std::string &value, const std::string &key, const std::string &rule) {
    if (value.empty()) throw relais::invalid_config(key + " is required when " + rule);
}

class Mindee {
public:
    static relais::Definition<Mindee> definition() {
        return relais::Definition<Mindee>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION,
                                          "Mindee OCR: reads the fields of photographed expense receipts")
            .settings_schema(R"json({
  "type": "object",
  "properties": {
    "enabled": {"type": "boolean", "default": false,
      "description": "Turns the connector on; the API key is required only then (seed: 'Mindee Actif')"},
    "api_version": {"type": "string", "enum": ["v1", "v2"], "default": "v2",
      "description": "Mindee API generation: v2 (current platform, model_id) or v1 (legacy products API, product); selects the default url (no seed field)"},
    "url": {"type": "string", "format": "uri",
      "description": "Override of the API base URL; absent: https://api-v2.mindee.net (v2) or https://api.mindee.net/v1 (v1) (seed: 'Url de connexion')"},
    "api_key": {"type": "string", "secret": true,
      "description": "Mindee API key of the account (seed: 'Token Mindee')"},
    "model_id": {"type": "string",
      "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
      "description": "UUID of the extraction model, required with api_version v2 (no seed field)"},
    "product": {"type": "string", "pattern": "^[a-z0-9_-]+/[a-z0-9_-]+/v[0-9]+$",
      "default": "mindee/expense_receipts/v5",
      "description": "Product path of the v1 API, account/name/version (no seed field)"}
  },
  "additionalProperties": false
})json");
    }

    explicit Mindee(relais::Host host) : host_(host) {}

    void configure(const relais::Json &settings) {
        Settings s;
        s.enabled = settings->optValue<bool>("enabled", false);
        const auto version = settings->optValue<std::string>("api_version", "v2");
        if (version != "v1" && version != "v2")
            throw relais::invalid_config("api_version must be v1 or v2, not '" + version + "'");
        s.v2 = version == "v2";
        s.url = settings->optValue<std::string>("url", s.v2 ? kV2Url : kV1Url);
        s.api_key = settings->optValue<std::string>("api_key", "");
        s.model_id = settings->optValue<std::string>("model_id", "");
        s.product = settings->optValue<std::string>("product", "mindee/expense_receipts/v5");

        std::string host;
        try {
            const Poco::URI uri(s.url);
            if (uri.getScheme() != "https" && uri.getScheme() != "http")
                throw relais::invalid_config("url must be an http or https URL");
            host = Poco::toLower(uri.getHost());
        } catch (const Poco::Exception &e) {
            throw relais::invalid_config("url is not a valid URL: " + e.message());
        }
        // The two generations live on different hosts with different paths and auth headers.
        if ((s.v2 && host == "api.mindee.net") || (!s.v2 && host == "api-v2.mindee.net"))
            throw relais::invalid_config("url points to " + host + ", which does not serve api_version " + version);

        // A disabled connector may be saved half-filled, as the ERP console allows.
        if (s.enabled) {
            require(s.api_key, "api_key", "enabled is true");
            if (s.v2) require(s.model_id, "model_id", "enabled is true and api_version is v2");
        }

        host_.debug("configured for API " + version + (s.enabled ? "" : " (disabled)"));
        settings_.set(std::move(s));
    }

private:
    relais::Host host_;
    relais::Snapshot<Settings> settings_;
};

}  // namespace

RELAIS_PLUGIN(Mindee)
