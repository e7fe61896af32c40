// exchange: Microsoft Exchange calendars through Exchange Web Services (EWS), on premises or
// in Exchange Online (Office 365), to keep the ERP's schedules and appointments in sync.
//
// Settings only for now: the actions come in later work, and without a connection test the
// helper reports the "Test" button as unsupported rather than pretending.
//
// The settings are every field of the Akuiteo console guide, section 2.3. Left out: nothing
// from the form; the PowerShell steps that remove delegations and grant the impersonation
// role are done by the tenant's administrator, not by the connector.
#include <relais/plugin.hpp>

#include <Poco/String.h>
#include <Poco/URI.h>

#include <string>

namespace {

struct Settings {
    bool enabled = false;
    std::string delegated_user, delegated_password;
    std::string ews_url;
    std::string server_version;
    int64_t max_sync_threads = 4;
    bool office365_optimised_library = false;
    bool use_impersonation = false;
    std::string test_mailbox;
    bool use_oauth = false;
    std::string tenant_id, client_id, client_secret;
};

void require(const std::string &value, const std::string &key, const char *rule) {
    if (value.empty()) throw relais::invalid_config(key + " is required when " + rule);
}

class Exchange {
public:
    static relais::Definition<Exchange> definition() {
        return relais::Definition<Exchange>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION,
                                            "Microsoft Exchange and Office 365 calendars through EWS")
            .settings_schema(R"json({
  "type": "object",
  "properties": {
    "enabled": {"type": "boolean", "default": false,
      "description": "Turns the connector on; the EWS URL and credentials are required only then"},
    "delegated_user": {"type": "string",
      "description": "Exchange login used without OAuth; on Office 365 without impersonation it needs full access to the staff mailboxes (seed: 'Utilisateur délégué')"},
    "delegated_password": {"type": "string", "secret": true,
      "description": "Password of delegated_user (seed: 'Mot de passe associé')"},
    "ews_url": {"type": "string", "format": "uri",
      "description": "EWS endpoint, e.g. https://outlook.office365.com/EWS/Exchange.asmx (seed: 'URL du service EWS')"},
    "server_version": {"type": "string", "default": "Exchange2016",
      "enum": ["Exchange2007", "Exchange2007_SP1", "Exchange2010", "Exchange2010_SP1", "Exchange2010_SP2",
               "Exchange2013", "Exchange2013_SP1", "Exchange2016"],
      "description": "EWS schema version requested; Exchange2016 also covers Exchange 2019 and Office 365 (seed: 'Version du serveur Exchange')"},
    "max_sync_threads": {"type": "integer", "minimum": 1, "default": 4,
      "description": "Most synchronisations run at once; the default stays under Exchange Online's concurrency budget (seed: 'Nombre de threads maximum pour les synchronisations')"},
    "office365_optimised_library": {"type": "boolean", "default": false,
      "description": "Use the code path tuned for Office 365 (seed: 'Utiliser la librairie optimisée pour Office 365')"},
    "use_impersonation": {"type": "boolean", "default": false,
      "description": "Act as each mailbox through the ApplicationImpersonation role instead of delegation, which lifts Office 365's per-user call limits (seed: 'Utiliser l'impersonation')"},
    "test_mailbox": {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+$",
      "description": "Existing mailbox the connection test opens to prove access (seed: 'Utilisateur à tester')"},
    "use_oauth": {"type": "boolean", "default": false,
      "description": "Authenticate with OAuth2 client credentials, required by Exchange Online (seed: 'Utiliser une authentification OAUTH (Exchange 365 seulement)')"},
    "tenant_id": {"type": "string",
      "description": "Microsoft Entra tenant id, required with use_oauth (seed: 'Tenant ID')"},
    "client_id": {"type": "string",
      "description": "Application (client) id registered in the tenant, required with use_oauth (seed: 'Client ID')"},
    "client_secret": {"type": "string", "secret": true,
      "description": "Client secret of that application, required with use_oauth (seed: 'Client Secret')"}
  },
  "additionalProperties": false
})json");
    }

    explicit Exchange(relais::Host host) : host_(host) {}

    void configure(const relais::Json &settings) {
        Settings s;
        s.enabled = settings->optValue<bool>("enabled", false);
        s.delegated_user = settings->optValue<std::string>("delegated_user", "");
        s.delegated_password = settings->optValue<std::string>("delegated_password", "");
        s.ews_url = settings->optValue<std::string>("ews_url", "");
        s.server_version = settings->optValue<std::string>("server_version", "Exchange2016");
        s.max_sync_threads = settings->optValue<int64_t>("max_sync_threads", 4);
        s.office365_optimised_library = settings->optValue<bool>("office365_optimised_library", false);
        s.use_impersonation = settings->optValue<bool>("use_impersonation", false);
        s.test_mailbox = settings->optValue<std::string>("test_mailbox", "");
        s.use_oauth = settings->optValue<bool>("use_oauth", false);
        s.tenant_id = settings->optValue<std::string>("tenant_id", "");
        s.client_id = settings->optValue<std::string>("client_id", "");
        s.client_secret = settings->optValue<std::string>("client_secret", "");

        // A connector nobody enabled needs no settings, and must not fill the log with
        // complaints about them at every start.
        if (!s.enabled) {
            host_.debug("configured (disabled)");
            settings_.set(std::move(s));
            return;
        }
        if (s.ews_url.empty()) throw relais::invalid_config("ews_url is required when enabled is true");
        std::string host;
        try {
            const Poco::URI uri(s.ews_url);
            if (uri.getScheme() != "https" && uri.getScheme() != "http")
                throw relais::invalid_config("ews_url must be an http or https URL");
            host = Poco::toLower(uri.getHost());
        } catch (const Poco::Exception &e) {
            throw relais::invalid_config("ews_url is not a valid URL: " + e.message());
        }

        if (s.use_oauth) {
            require(s.tenant_id, "tenant_id", "use_oauth is true");
            require(s.client_id, "client_id", "use_oauth is true");
            require(s.client_secret, "client_secret", "use_oauth is true");
            // An app-only token has no mailbox of its own: EWS refuses every call that does
            // not name one through the impersonation header.
            if (!s.use_impersonation)
                throw relais::invalid_config("use_impersonation must be true when use_oauth is true: "
                                             "an application token reaches a mailbox only by impersonating it");
        } else {
            // Exchange Online stopped accepting passwords on EWS in October 2022.
            if (host == "outlook.office365.com")
                throw relais::invalid_config("use_oauth must be true for " + host +
                                             ": Exchange Online no longer accepts a password on EWS");
            require(s.delegated_user, "delegated_user", "use_oauth is false");
            require(s.delegated_password, "delegated_password", "use_oauth is false");
        }
        if (host == "outlook.office365.com")
            host_.warn("Exchange Online blocks EWS for third-party applications from October 2026 and retires it "
                       "in April 2027; calendars there will need Microsoft Graph");

        host_.debug("configured for " + host + (s.use_oauth ? " with OAuth" : " with a password"));
        settings_.set(std::move(s));
    }

private:
    relais::Host host_;
    relais::Snapshot<Settings> settings_;
};

}  // namespace

RELAIS_PLUGIN(Exchange)
