#include "universign_settings.hpp"

#include <filesystem>

namespace relais::universign {

// Left out of the seed's fields: "Utilisateur Akuiteo" and "Mot de passe Akuiteo", the ERP's
// own login, which Relais does not need: the ERP authenticates to Relais with its token.

const support::ConnectionBlock &connection_block() {
    static const support::ConnectionBlock block = [] {
        support::ConnectionBlock b;
        b.base_url_key.clear();  // url and rest_url depend on api and environment: declared below
        b.connect_timeout = 10;
        b.read_timeout = 120;
        b.read_timeout_description =
            "Longest wait for each read of an answer; a transaction with many documents takes Universign seconds";
        return b;
    }();
    return block;
}

std::size_t Settings::document_limit() const {
    if (max_document_mb > 0) return static_cast<std::size_t>(max_document_mb) << 20;
    return api == Api::xmlrpc ? (10u << 20) : (25u << 20);
}

namespace {

void check_required(const Settings &s) {
    if (!s.enabled) return;  // a disabled connector may be saved half-filled, as the ERP console allows
    if (s.api_text == "xmlrpc") {
        if (s.username.empty()) throw invalid_config("username is required when enabled is true and api is xmlrpc");
        if (s.password.empty()) throw invalid_config("password is required when enabled is true and api is xmlrpc");
    } else if (s.api_key.empty()) {
        throw invalid_config("api_key is required when enabled is true and api is rest");
    }
    if (!s.output_directory.empty() && !std::filesystem::is_directory(s.output_directory))
        throw invalid_config("output_directory: " + s.output_directory + " is not a directory");
}

support::SettingsMap<Settings> build_map() {
    using support::Range;
    using support::TextRules;
    support::SettingsMap<Settings> m;
    m.enabled(&Settings::enabled,
              "Turns the connector on; the credentials are required only then (seed: 'Activer la signature électronique')");
    m.text("api", &Settings::api_text, "xmlrpc",
           "Universign API: xmlrpc, the signature service a login and password open (the seed's), or rest, the REST "
           "API v1 an API key opens. They share no transactions (no seed field)",
           TextRules().one_of({"xmlrpc", "rest"}));
    m.text("environment", &Settings::environment, "production",
           std::string("Which Universign: production (XML-RPC ") + kXmlRpcProductionUrl + ", REST " + kRestProductionUrl +
               ") or test (XML-RPC " + kXmlRpcTestUrl + ", REST " + kRestTestUrl + "); url and rest_url override it",
           TextRules().one_of({"production", "test"}));
    m.optional_text("url", &Settings::url_setting,
                    "XML-RPC endpoint, overriding the environment's (seed: 'URL Universign')", TextRules().format("uri"));
    m.text("username", &Settings::username, "",
           "Universign account login, an e-mail address, for XML-RPC (seed: 'Utilisateur universign')");
    m.text("password", &Settings::password, "", "Password of that account (seed: 'Mot de passe universign')",
           TextRules().secret());
    m.optional_text("rest_url", &Settings::rest_url_setting,
                    "REST API base URL, overriding the environment's (no seed field)", TextRules().format("uri"));
    m.text("api_key", &Settings::api_key, "",
           "REST API key, from Universign's web application (sent as a Bearer token; no seed field)",
           TextRules().secret());
    m.text("profile", &Settings::profile, "default",
           "Universign signature profile of new transactions (XML-RPC; Universign's staff set the status push URL "
           "on it)");
    m.text("certificate_type", &Settings::certificate_type, "simple",
           "Default signature level: simple, advanced (identity checked by SMS) or certified",
           TextRules().one_of({"simple", "advanced", "certified"}));
    m.text("language", &Settings::language, "fr", "Default language of the signers' pages and e-mails",
           TextRules().one_of({"bg", "ca", "de", "en", "es", "fr", "it", "nl", "pl", "pt", "ro"}));
    m.text("chaining_mode", &Settings::chaining_mode, "email",
           "How signers are invited (XML-RPC): email (Universign mails each in turn), web (the next signs on the same "
           "page) or none (the ERP hands out the signing URLs)",
           TextRules().one_of({"email", "web", "none"}));
    m.text("output_directory", &Settings::output_directory, "",
           "Directory where signed PDFs are also written, named after the custom_id; empty: only returned");
    m.text("file_directory", &Settings::file_directory, "",
           "Directory documents[].file_path may point into; empty: only file_base64 is accepted");
    m.text("callback_token", &Settings::callback_token, "",
           "Secret that authenticates Universign's status pushes: the push URL given to Universign ends with "
           "?token=<it>; empty: pushes are refused and signatures are collected by the periodic task only",
           TextRules().secret());
    m.integer("poll_interval_seconds", &Settings::poll_interval_seconds, 21600, {60, 604800},
              "Seconds between two runs of the task that checks the signers' states and fetches signed documents; "
              "a low value overloads the API (seed: 'Intervalle de récupération des signatures')");
    m.integer("start_delay_seconds", &Settings::start_delay_seconds, 20, {0, 86400},
              "Seconds from start-up to the first run of that task (seed: 'Délai de démarrage')");
    m.seconds("job_recheck_seconds", &Settings::job_recheck, 86400, {60, 1209600},
              "A request_signature job nothing woke looks at its transaction by itself after this long");
    m.seconds("restore_retry_seconds", &Settings::restore_retry, 900, {10, 86400},
              "Wait before fetching again documents Universign is restoring from its archive (fault 73070)");
    m.integer("max_document_mb", &Settings::max_document_mb, 0, {0, 50},
              "Largest document in MB; 0: the API's limit (XML-RPC 10 MB, REST 25 MB; 50 with Universign's Big Files)");
    m.integer("requests_per_second", &Settings::requests_per_second, 5, {1, 1000},
              "Requests sent to Universign per second at most, all callers together (Universign publishes no figure)");
    support::add_connection_settings(m, &Settings::connection, connection_block());
    m.check(check_required);
    return m;
}

}  // namespace

const support::SettingsMap<Settings> &settings_map() {
    static const auto map = build_map();
    return map;
}

Settings read_settings(const Json &settings) {
    Settings s = settings_map().read(settings);
    s.api = s.api_text == "rest" ? Api::rest : Api::xmlrpc;
    const bool test = s.environment == "test";
    if (s.api == Api::xmlrpc) {
        s.url = s.url_setting.value_or(test ? kXmlRpcTestUrl : kXmlRpcProductionUrl);
        support::check_http_url(s.url, "url");
    } else {
        s.url = support::without_trailing_slashes(
            s.rest_url_setting.value_or(test ? kRestTestUrl : kRestProductionUrl));
        support::check_http_url(s.url, "rest_url");
    }
    s.connection.base_url = s.url;
    return s;
}

}  // namespace relais::universign
