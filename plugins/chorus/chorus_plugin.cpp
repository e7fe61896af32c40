// chorus: Chorus Pro, the French public-sector e-invoicing portal, through the PISTE gateway.
//
// Settings only for now: the actions come in later work, and without a connection test the
// helper reports the "Test" button as unsupported rather than pretending.
//
// The settings follow the Akuiteo console guide, section 2.4, and the WaveSoft note FCT025.
// Left out because they are about the ERP, not about Chorus Pro:
//   - "Utilisateur Akuiteo", "Mot de passe de l'utilisateur Akuiteo" and "Code de la société
//     de connexion de l'utilisateur Akuiteo" (the ERP's own login);
//   - WaveSoft's "Mode de connexion" and the certificate's name and password: certificate
//     access ended in 2020, OAuth2 through PISTE is the only mode left;
//   - WaveSoft's "Compte utilisateur" (the ERP user the transmissions are attributed to).
#include <relais/plugin.hpp>

#include <Poco/String.h>
#include <Poco/URI.h>

#include <string>
#include <vector>

namespace {

// What the environment selects when the settings do not override it. The hosts are the
// *.piste.gouv.fr names in use since September 2023; the quotas are the customer guide's.
struct Environment {
    const char *oauth_url;
    const char *api_url;
    double per_second;
    uint64_t per_day;
};
constexpr Environment kQualification{"https://sandbox-oauth.piste.gouv.fr/api/oauth/token",
                                     "https://sandbox-api.piste.gouv.fr", 5, 50000};
constexpr Environment kProduction{"https://oauth.piste.gouv.fr/api/oauth/token", "https://api.piste.gouv.fr", 20,
                                  1000000};

struct Settings {
    bool enabled = false;
    bool production = false;
    std::string oauth_url, api_url;  // effective: the override or the environment's default
    std::string client_id, client_secret;
    std::string technical_login, technical_password;
    std::string structure_id;
    std::vector<std::string> dematerialisation_codes;
    int64_t retry_attempts = 3;
    int64_t retry_delay_seconds = 10;
    double quota_per_second = 0;
    uint64_t quota_per_day = 0;
};

// Pointing one URL at the other environment (test credentials sent to production) or at the
// other service (the API base set to the OAuth host) is the mistake real users make; the old
// *.aife.economie.gouv.fr hosts no longer answer. Other hosts (an emulator, a proxy) pass.
void check_piste_url(const std::string &key, const std::string &url, bool production, const std::string &service) {
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception &e) {
        throw relais::invalid_config(key + " is not a valid URL: " + e.message());
    }
    if (uri.getScheme() != "https" && uri.getScheme() != "http")
        throw relais::invalid_config(key + " must be an http or https URL");
    const std::string host = Poco::toLower(uri.getHost());
    if (host.ends_with(".aife.economie.gouv.fr"))
        throw relais::invalid_config(key + " uses " + host + ", retired in September 2023: PISTE is now " +
                                     "*.piste.gouv.fr (remove " + key + " to use the default)");
    if (!host.ends_with(".piste.gouv.fr")) return;
    const bool sandbox = host.starts_with("sandbox-");
    if (sandbox == production)
        throw relais::invalid_config(key + " points to the " + (sandbox ? "qualification" : "production") +
                                     " host " + host + " but environment is " +
                                     (production ? "production" : "qualification"));
    if (!host.substr(sandbox ? 8 : 0).starts_with(service + "."))
        throw relais::invalid_config(key + " points to " + host + ", which is not the PISTE " + service + " host");
}

void require(const std::string &value, const std::string &key) {
    if (value.empty()) throw relais::invalid_config(key + " is required when enabled is true");
}

class Chorus {
public:
    static relais::Definition<Chorus> definition() {
        return relais::Definition<Chorus>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION,
                                          "Chorus Pro e-invoicing for the French public sector, through PISTE")
            .settings_schema(R"json({
  "type": "object",
  "properties": {
    "enabled": {"type": "boolean", "default": false,
      "description": "Turns the connector on; the credentials are required only then (seed: 'Chorus Actif')"},
    "environment": {"type": "string", "enum": ["qualification", "production"], "default": "qualification",
      "description": "Chorus Pro space: qualification (PISTE sandbox) or production; selects the default URLs and quotas (seed: 'Mode qualification')"},
    "oauth_url": {"type": "string", "format": "uri",
      "description": "Override of the PISTE OAuth2 token URL; absent: https://sandbox-oauth.piste.gouv.fr/api/oauth/token (qualification) or https://oauth.piste.gouv.fr/api/oauth/token (production) (seed: 'URL Authentification Chorus')"},
    "api_url": {"type": "string", "format": "uri",
      "description": "Override of the PISTE API base URL; absent: https://sandbox-api.piste.gouv.fr (qualification) or https://api.piste.gouv.fr (production) (seed: 'Url')"},
    "client_id": {"type": "string",
      "description": "OAuth2 client id of the application declared on PISTE (seed: 'Identifiant Client')"},
    "client_secret": {"type": "string", "secret": true,
      "description": "OAuth2 client secret of that PISTE application (seed: 'Secret')"},
    "technical_login": {"type": "string",
      "description": "Login of the Chorus Pro technical account, not the PISTE account (seed: 'Login Chorus')"},
    "technical_password": {"type": "string", "secret": true,
      "description": "Password of the Chorus Pro technical account (seed: 'Mot de passe Chorus')"},
    "structure_id": {"type": "string",
      "description": "Identifier of the Chorus Pro structure attached to the technical account (seed: 'Identifiant')"},
    "dematerialisation_codes": {"type": "array", "items": {"type": "string", "minLength": 1},
      "default": ["CHORUS_DEMATERIALIZED"],
      "description": "Dematerialisation codes accepted by the Chorus Pro APIs (seed: 'Liste de CODE de dématérialisations valides')"},
    "retry_attempts": {"type": "integer", "minimum": 0, "default": 3,
      "description": "How many times a failed transmission is tried again (seed: 'Nombre d'essais successifs en cas d'erreur')"},
    "retry_delay_seconds": {"type": "integer", "minimum": 0, "default": 10,
      "description": "Seconds to wait before trying a failed transmission again (seed: 'Délai en seconde entre chaque essai successif')"},
    "quota_per_second": {"type": "number", "minimum": 0,
      "description": "Override of the request quota per second, 0 for none; absent: 5 (qualification) or 20 (production) (seed note: 'requêtes par seconde')"},
    "quota_per_day": {"type": "integer", "minimum": 0,
      "description": "Override of the request quota per day, 0 for none; absent: 50000 (qualification) or 1000000 (production) (seed note: 'requêtes par jour maximum')"}
  },
  "additionalProperties": false
})json")
            .quota("requests", kQualification.per_second, kQualification.per_day);
    }

    explicit Chorus(relais::Host host) : host_(host) {}

    relais::Json configure(const relais::Json &settings) {
        Settings s;
        s.enabled = settings->optValue<bool>("enabled", false);
        const auto environment = settings->optValue<std::string>("environment", "qualification");
        if (environment != "qualification" && environment != "production")
            throw relais::invalid_config("environment must be qualification or production, not '" + environment + "'");
        s.production = environment == "production";
        const Environment &env = s.production ? kProduction : kQualification;

        s.oauth_url = settings->optValue<std::string>("oauth_url", env.oauth_url);
        s.api_url = settings->optValue<std::string>("api_url", env.api_url);
        check_piste_url("oauth_url", s.oauth_url, s.production, "oauth");
        check_piste_url("api_url", s.api_url, s.production, "api");

        s.client_id = settings->optValue<std::string>("client_id", "");
        s.client_secret = settings->optValue<std::string>("client_secret", "");
        s.technical_login = settings->optValue<std::string>("technical_login", "");
        s.technical_password = settings->optValue<std::string>("technical_password", "");
        s.structure_id = settings->optValue<std::string>("structure_id", "");
        if (const auto codes = settings->getArray("dematerialisation_codes")) {
            for (std::size_t i = 0; i < codes->size(); ++i) s.dematerialisation_codes.push_back(codes->getElement<std::string>(i));
        } else {
            s.dematerialisation_codes = {"CHORUS_DEMATERIALIZED"};
        }
        s.retry_attempts = settings->optValue<int64_t>("retry_attempts", 3);
        s.retry_delay_seconds = settings->optValue<int64_t>("retry_delay_seconds", 10);
        s.quota_per_second = settings->optValue<double>("quota_per_second", env.per_second);
        s.quota_per_day = settings->optValue<uint64_t>("quota_per_day", env.per_day);

        // A disabled connector may be saved half-filled, as the ERP console allows.
        if (s.enabled) {
            require(s.client_id, "client_id");
            require(s.client_secret, "client_secret");
            require(s.technical_login, "technical_login");
            require(s.technical_password, "technical_password");
            require(s.structure_id, "structure_id");
            if (s.dematerialisation_codes.empty())
                throw relais::invalid_config("dematerialisation_codes must hold at least one code when enabled is true");
        }

        relais::Json quota = new Poco::JSON::Object;
        quota->set("scope", "requests");
        quota->set("per_second", s.quota_per_second);
        quota->set("per_day", s.quota_per_day);
        Poco::JSON::Array::Ptr quotas = new Poco::JSON::Array;
        quotas->add(quota);
        relais::Json adjustments = new Poco::JSON::Object;
        adjustments->set("quotas", quotas);

        host_.debug("configured for " + environment + (s.enabled ? "" : " (disabled)"));
        settings_.set(std::move(s));
        return adjustments;
    }

private:
    relais::Host host_;
    relais::Snapshot<Settings> settings_;
};

}  // namespace

RELAIS_PLUGIN(Chorus)
