// universign: electronic signature of quotes and delivery notes with Universign.
//
// Settings only for now: the actions come in later work, and without a connection test the
// helper reports the "Test" button as unsupported rather than pretending. The background
// task that collects signatures needs an action to run, so poll_interval_seconds and
// start_delay_seconds are kept here and become a periodic task together with that action.
//
// The settings follow the Akuiteo console guide, section 2.5. A login and password is how
// Universign's XML-RPC signature service authenticates (its REST API takes an API key), so the
// default URL is that service's production endpoint.
// Left out because they are the ERP's own login: "Utilisateur Akuiteo", "Mot de passe Akuiteo".
#include <relais/plugin.hpp>

#include <Poco/URI.h>

#include <string>

namespace {

struct Settings {
    bool enabled = false;
    std::string url;
    std::string username, password;
    int64_t poll_interval_seconds = 21600;
    int64_t start_delay_seconds = 20;
};

void require(const std::string &value, const std::string &key) {
    if (value.empty()) throw relais::invalid_config(key + " is required when enabled is true");
}

class Universign {
public:
    static relais::Definition<Universign> definition() {
        return relais::Definition<Universign>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION,
                                              "Universign electronic signature of quotes and delivery notes")
            .settings_schema(R"json({
  "type": "object",
  "properties": {
    "enabled": {"type": "boolean", "default": false,
      "description": "Turns the connector on; the credentials are required only then (seed: 'Activer la signature électronique')"},
    "url": {"type": "string", "format": "uri", "default": "https://ws.universign.eu/sign/rpc/",
      "description": "Universign signature service endpoint; the test service is https://sign.test.cryptolog.com/sign/rpc/ (seed: 'URL Universign')"},
    "username": {"type": "string",
      "description": "Universign account login, an e-mail address (seed: 'Utilisateur universign')"},
    "password": {"type": "string", "secret": true,
      "description": "Password of the Universign account (seed: 'Mot de passe universign')"},
    "poll_interval_seconds": {"type": "integer", "minimum": 1, "default": 21600,
      "description": "Seconds between two runs of the task that fetches signer status and signed documents; a low value overloads the API (seed: 'Intervalle de récupération des signatures')"},
    "start_delay_seconds": {"type": "integer", "minimum": 0, "default": 20,
      "description": "Seconds from start-up to the first run of that task (seed: 'Délai de démarrage')"}
  },
  "additionalProperties": false
})json");
    }

    explicit Universign(relais::Host host) : host_(host) {}

    void configure(const relais::Json &settings) {
        Settings s;
        s.enabled = settings->optValue<bool>("enabled", false);
        s.url = settings->optValue<std::string>("url", "https://ws.universign.eu/sign/rpc/");
        s.username = settings->optValue<std::string>("username", "");
        s.password = settings->optValue<std::string>("password", "");
        s.poll_interval_seconds = settings->optValue<int64_t>("poll_interval_seconds", 21600);
        s.start_delay_seconds = settings->optValue<int64_t>("start_delay_seconds", 20);

        try {
            const Poco::URI uri(s.url);
            if (uri.getScheme() != "https" && uri.getScheme() != "http")
                throw relais::invalid_config("url must be an http or https URL");
        } catch (const Poco::Exception &e) {
            throw relais::invalid_config("url is not a valid URL: " + e.message());
        }
        // A disabled connector may be saved half-filled, as the ERP console allows.
        if (s.enabled) {
            require(s.username, "username");
            require(s.password, "password");
        }

        host_.debug(std::string("configured") + (s.enabled ? "" : " (disabled)"));
        settings_.set(std::move(s));
    }

private:
    relais::Host host_;
    relais::Snapshot<Settings> settings_;
};

}  // namespace

RELAIS_PLUGIN(Universign)
