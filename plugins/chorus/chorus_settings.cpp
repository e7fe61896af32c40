#include "chorus_settings.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/String.h>
#include <Poco/URI.h>

namespace relais::chorus {

namespace {

// Pointing one URL at the other environment (test credentials sent to production) or at the
// other service (the API base set to the OAuth host) is the mistake real users make; the old
// *.aife.economie.gouv.fr hosts no longer answer. Other hosts (an emulator, a proxy) pass.
void check_piste_url(const std::string &key, const std::string &url, bool production, const std::string &service) {
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception &e) {
        throw invalid_config(key + " is not a valid URL: " + e.message());
    }
    if (uri.getScheme() != "https" && uri.getScheme() != "http")
        throw invalid_config(key + " must be an http or https URL");
    const std::string host = Poco::toLower(uri.getHost());
    if (host.ends_with(".aife.economie.gouv.fr"))
        throw invalid_config(key + " uses " + host + ", retired in September 2023: PISTE is now " +
                             "*.piste.gouv.fr (remove " + key + " to use the default)");
    if (!host.ends_with(".piste.gouv.fr")) return;
    const bool sandbox = host.starts_with("sandbox-");
    if (sandbox == production)
        throw invalid_config(key + " points to the " + (sandbox ? "qualification" : "production") + " host " + host +
                             " but environment is " + (production ? "production" : "qualification"));
    if (!host.substr(sandbox ? 8 : 0).starts_with(service + "."))
        throw invalid_config(key + " points to " + host + ", which is not the PISTE " + service + " host");
}

void require(const std::string &value, const std::string &key) {
    if (value.empty()) throw invalid_config(key + " is required when enabled is true");
}

// The API base without a trailing slash, so paths join with one.
std::string trim_slash(std::string url) {
    while (url.size() > 1 && url.back() == '/') url.pop_back();
    return url;
}

}  // namespace

const char *settings_schema() {
    return R"json({
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
      "description": "SIRET of the Chorus Pro structure attached to the technical account: the supplier the invoices are sent as (seed: 'Identifiant')"},
    "dematerialisation_codes": {"type": "array", "items": {"type": "string", "minLength": 1},
      "default": ["CHORUS_DEMATERIALIZED"],
      "description": "Customers' dematerialisation codes that mean 'send through Chorus Pro'; submit_invoice refuses another code (seed: 'Liste de CODE de dématérialisations valides')"},
    "retry_attempts": {"type": "integer", "minimum": 0, "maximum": 100, "default": 3,
      "description": "How many times a failed transmission is tried again (seed: 'Nombre d'essais successifs en cas d'erreur')"},
    "retry_delay_seconds": {"type": "integer", "minimum": 0, "maximum": 86400, "default": 10,
      "description": "Seconds to wait before trying a failed transmission again (seed: 'Délai en seconde entre chaque essai successif')"},
    "quota_per_second": {"type": "number", "minimum": 0,
      "description": "Override of the request quota per second, 0 for none; absent: 5 (qualification) or 20 (production) (seed note: 'requêtes par seconde')"},
    "quota_per_day": {"type": "integer", "minimum": 0,
      "description": "Override of the request quota per day, 0 for none; absent: 50000 (qualification) or 1000000 (production) (seed note: 'requêtes par jour maximum')"},
    "max_concurrency": {"type": "integer", "minimum": 1, "maximum": 64, "default": 4,
      "description": "Jobs of this connector running at once"},
    "ca_file": {"type": "string",
      "description": "PEM file of CA certificates trusted besides the system's (a TLS-inspecting proxy, a test CA); certificates are always verified"},
    "file_directory": {"type": "string",
      "description": "Directory the ERP drops invoice files in: submit_invoice's file_path is read from there only; absent: files must be sent inline as file_base64"},
    "connect_timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 300, "default": 10},
    "read_timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 600, "default": 60,
      "description": "Longest wait for an answer; a deposit whose answer does not come is then checked before any new deposit"},
    "poll_initial_delay_seconds": {"type": "integer", "minimum": 1, "maximum": 86400, "default": 60,
      "description": "After a deposit, when its processing report is first read; each later look waits twice as long"},
    "poll_max_delay_seconds": {"type": "integer", "minimum": 1, "maximum": 86400, "default": 3600,
      "description": "Longest wait between two looks at a deposit's processing report"},
    "tracking_max_hours": {"type": "integer", "minimum": 1, "maximum": 2160, "default": 72,
      "description": "A deposit still not processed after this long is dead-lettered for a person to check on the portal"},
    "uncertain_deposit_wait_seconds": {"type": "integer", "minimum": 0, "maximum": 604800, "default": 1800,
      "description": "After a deposit whose answer was lost, how long its invoice is looked for before the file is deposited again"},
    "max_redeposits": {"type": "integer", "minimum": 0, "maximum": 10, "default": 2,
      "description": "New deposits of a flux that Chorus Pro reports IN_INCIDENTE (not processed, to be sent again)"}
  },
  "additionalProperties": false
})json";
}

Settings read_settings(const Json &settings) {
    Settings s;
    s.enabled = settings->optValue<bool>("enabled", false);
    s.environment = settings->optValue<std::string>("environment", "qualification");
    if (s.environment != "qualification" && s.environment != "production")
        throw invalid_config("environment must be qualification or production, not '" + s.environment + "'");
    s.production = s.environment == "production";
    const Environment &env = s.production ? kProduction : kQualification;

    s.oauth_url = settings->optValue<std::string>("oauth_url", env.oauth_url);
    s.api_url = trim_slash(settings->optValue<std::string>("api_url", env.api_url));
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
    s.max_concurrency = settings->optValue<int64_t>("max_concurrency", 4);
    s.ca_file = settings->optValue<std::string>("ca_file", "");
    s.file_directory = settings->optValue<std::string>("file_directory", "");
    s.connect_timeout = std::chrono::seconds(settings->optValue<int64_t>("connect_timeout_seconds", 10));
    s.read_timeout = std::chrono::seconds(settings->optValue<int64_t>("read_timeout_seconds", 60));
    s.poll_initial_delay = std::chrono::seconds(settings->optValue<int64_t>("poll_initial_delay_seconds", 60));
    s.poll_max_delay = std::chrono::seconds(settings->optValue<int64_t>("poll_max_delay_seconds", 3600));
    s.tracking_max = std::chrono::hours(settings->optValue<int64_t>("tracking_max_hours", 72));
    s.uncertain_deposit_wait = std::chrono::seconds(settings->optValue<int64_t>("uncertain_deposit_wait_seconds", 1800));
    s.max_redeposits = settings->optValue<int64_t>("max_redeposits", 2);
    if (s.poll_max_delay < s.poll_initial_delay)
        throw invalid_config("poll_max_delay_seconds (" + std::to_string(s.poll_max_delay.count()) +
                             ") must not be below poll_initial_delay_seconds (" +
                             std::to_string(s.poll_initial_delay.count()) + ")");

    // A disabled connector may be saved half-filled, as the ERP console allows.
    if (s.enabled) {
        require(s.client_id, "client_id");
        require(s.client_secret, "client_secret");
        require(s.technical_login, "technical_login");
        require(s.technical_password, "technical_password");
        require(s.structure_id, "structure_id");
        if (s.dematerialisation_codes.empty())
            throw invalid_config("dematerialisation_codes must hold at least one code when enabled is true");
    }
    return s;
}

Json job_policy(const Settings &s) {
    Json quota = new Poco::JSON::Object;
    quota->set("scope", "requests");
    quota->set("per_second", s.quota_per_second);
    quota->set("per_day", s.quota_per_day);
    Poco::JSON::Array::Ptr quotas = new Poco::JSON::Array;
    quotas->add(quota);
    // The console's "successive tries on error" come after the first try: 3 means four
    // attempts at most.
    Json retry = new Poco::JSON::Object;
    retry->set("max_attempts", s.retry_attempts + 1);
    retry->set("delay_seconds", s.retry_delay_seconds);
    retry->set("exponential", false);
    Json policy = new Poco::JSON::Object;
    policy->set("quotas", quotas);
    policy->set("retry", retry);
    policy->set("max_concurrency", s.max_concurrency);
    return policy;
}

}  // namespace relais::chorus
