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

}  // namespace

const support::ConnectionBlock &connection_block() {
    static const support::ConnectionBlock block = [] {
        support::ConnectionBlock b;
        b.base_url_key.clear();  // api_url and oauth_url depend on the environment: declared below
        b.connect_timeout = 10;
        b.read_timeout = 60;
        b.read_timeout_description =
            "Longest wait for an answer; a deposit whose answer does not come is then checked before any new deposit";
        return b;
    }();
    return block;
}

namespace {

void derive(Settings &s) {
    s.production = s.environment == "production";
    const Environment &env = s.production ? kProduction : kQualification;
    s.oauth_url = s.oauth_url_setting.value_or(env.oauth_url);
    s.api_url = support::without_trailing_slashes(s.api_url_setting.value_or(env.api_url));
    check_piste_url("oauth_url", s.oauth_url, s.production, "oauth");
    check_piste_url("api_url", s.api_url, s.production, "api");
    s.connection.base_url = s.api_url;
    s.quota_per_second = s.quota_per_second_setting.value_or(env.per_second);
    s.quota_per_day = static_cast<uint64_t>(s.quota_per_day_setting.value_or(static_cast<int64_t>(env.per_day)));
    if (s.poll_max_delay < s.poll_initial_delay)
        throw invalid_config("poll_max_delay_seconds (" + std::to_string(s.poll_max_delay.count()) +
                             ") must not be below poll_initial_delay_seconds (" +
                             std::to_string(s.poll_initial_delay.count()) + ")");
}

support::SettingsMap<Settings> build_map() {
    using support::ListRules;
    using support::Range;
    using support::TextRules;
    support::SettingsMap<Settings> m;
    m.enabled(&Settings::enabled, "Turns the connector on; the credentials are required only then (seed: 'Chorus Actif')");
    m.text("environment", &Settings::environment, "qualification",
           "Chorus Pro space: qualification (PISTE sandbox) or production; selects the default URLs and quotas "
           "(seed: 'Mode qualification')",
           TextRules().one_of({"qualification", "production"}));
    m.optional_text("oauth_url", &Settings::oauth_url_setting,
                    std::string("Override of the PISTE OAuth2 token URL; absent: ") + kQualification.oauth_url +
                        " (qualification) or " + kProduction.oauth_url + " (production) (seed: 'URL Authentification Chorus')",
                    TextRules().format("uri"));
    m.optional_text("api_url", &Settings::api_url_setting,
                    std::string("Override of the PISTE API base URL; absent: ") + kQualification.api_url +
                        " (qualification) or " + kProduction.api_url + " (production) (seed: 'Url')",
                    TextRules().format("uri"));
    m.text("client_id", &Settings::client_id, "",
           "OAuth2 client id of the application declared on PISTE (seed: 'Identifiant Client')", TextRules().required());
    m.text("client_secret", &Settings::client_secret, "", "OAuth2 client secret of that PISTE application (seed: 'Secret')",
           TextRules().secret().required());
    m.text("technical_login", &Settings::technical_login, "",
           "Login of the Chorus Pro technical account, not the PISTE account (seed: 'Login Chorus')", TextRules().required());
    m.text("technical_password", &Settings::technical_password, "",
           "Password of the Chorus Pro technical account (seed: 'Mot de passe Chorus')", TextRules().secret().required());
    m.text("structure_id", &Settings::structure_id, "",
           "SIRET of the Chorus Pro structure attached to the technical account: the supplier the invoices are sent as "
           "(seed: 'Identifiant')",
           TextRules().required());
    m.text_list("dematerialisation_codes", &Settings::dematerialisation_codes, {"CHORUS_DEMATERIALIZED"},
                "Customers' dematerialisation codes that mean 'send through Chorus Pro'; submit_invoice refuses another "
                "code (seed: 'Liste de CODE de dématérialisations valides')",
                ListRules().item_min_length(1).required());
    m.integer("retry_attempts", &Settings::retry_attempts, 3, {0, 100},
              "How many times a failed transmission is tried again (seed: 'Nombre d'essais successifs en cas d'erreur')");
    m.integer("retry_delay_seconds", &Settings::retry_delay_seconds, 10, {0, 86400},
              "Seconds to wait before trying a failed transmission again (seed: 'Délai en seconde entre chaque essai "
              "successif')");
    m.optional_number("quota_per_second", &Settings::quota_per_second_setting, {0, {}},
                      "Override of the request quota per second, 0 for none; absent: 5 (qualification) or 20 "
                      "(production) (seed note: 'requêtes par seconde')");
    m.optional_integer("quota_per_day", &Settings::quota_per_day_setting, {0, {}},
                       "Override of the request quota per day, 0 for none; absent: 50000 (qualification) or 1000000 "
                       "(production) (seed note: 'requêtes par jour maximum')");
    m.integer("max_concurrency", &Settings::max_concurrency, 4, {1, 64}, "Jobs of this connector running at once");
    support::add_connection_settings(m, &Settings::connection, connection_block());
    m.text("file_directory", &Settings::file_directory, "",
           "Directory the ERP drops invoice files in: submit_invoice's file_path is read from there only; empty: files "
           "must be sent inline as file_base64");
    m.seconds("poll_initial_delay_seconds", &Settings::poll_initial_delay, 60, {1, 86400},
              "After a deposit, when its processing report is first read; each later look waits twice as long");
    m.seconds("poll_max_delay_seconds", &Settings::poll_max_delay, 3600, {1, 86400},
              "Longest wait between two looks at a deposit's processing report");
    m.duration<std::chrono::hours>("tracking_max_hours", &Settings::tracking_max, 72, {1, 2160},
                                   "A deposit still not processed after this long is dead-lettered for a person to "
                                   "check on the portal");
    m.seconds("uncertain_deposit_wait_seconds", &Settings::uncertain_deposit_wait, 1800, {0, 604800},
              "After a deposit whose answer was lost, how long its invoice is looked for before the file is deposited "
              "again");
    m.integer("max_redeposits", &Settings::max_redeposits, 2, {0, 10},
              "New deposits of a flux that Chorus Pro reports IN_INCIDENTE (not processed, to be sent again)");
    m.duration<std::chrono::days, std::chrono::hours>("submission_retention_days", &Settings::submission_retention, 400, {1, 3650},
                                  "Days a final submission is remembered, so the same invoice file sent again is "
                                  "recognised instead of deposited again");
    m.duration<std::chrono::minutes, std::chrono::minutes>("status_follow_interval_minutes", &Settings::status_follow_interval,
                                     static_cast<int64_t>(kFollowDefaultMinutes), {1, 10080},
                                     "How often the statuses of integrated invoices are fetched from Chorus Pro (one "
                                     "search for all of them, page by page)");
    m.integer("status_follow_max_days", &Settings::status_follow_max_days, 120, {1, 3650},
              "Days an integrated invoice is followed until paid or rejected; past them it stops being followed");
    m.check([](const Settings &s) {
        auto copy = s;
        derive(copy);  // the URL and polling rules, so configure fails naming the key
    });
    return m;
}

}  // namespace

const support::SettingsMap<Settings> &settings_map() {
    static const auto map = build_map();
    return map;
}

Settings read_settings(const Json &settings) {
    Settings s = settings_map().read(settings);
    derive(s);
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
    Json follow = new Poco::JSON::Object;
    follow->set("name", kFollowTask);
    follow->set("interval_seconds", static_cast<int64_t>(std::chrono::seconds(s.status_follow_interval).count()));
    Poco::JSON::Array::Ptr tasks = new Poco::JSON::Array;
    tasks->add(follow);
    policy->set("periodic_tasks", tasks);
    return policy;
}

}  // namespace relais::chorus
