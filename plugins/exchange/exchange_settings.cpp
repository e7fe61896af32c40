#include "exchange_settings.hpp"

#include <Poco/String.h>
#include <Poco/URI.h>

namespace relais::exchange {

const support::ConnectionBlock &connection_block() {
    static const support::ConnectionBlock block = [] {
        support::ConnectionBlock b;
        b.base_url_key.clear();  // ews_url and graph_url, declared below
        b.auth_kinds = {"basic", "ntlm"};
        b.username_description =
            "EWS without OAuth: the delegated user, DOMAIN\\user or user@domain (seed: 'Utilisateur délégué')";
        b.password_description = "Its password (seed: 'Mot de passe associé')";
        b.read_timeout = 60;
        return b;
    }();
    return block;
}

namespace {

std::string host_of(const std::string &url) {
    try {
        return Poco::toLower(Poco::URI(url).getHost());
    } catch (const Poco::Exception &) {
        return {};
    }
}

void check_required(const Settings &s) {
    if (!s.enabled) return;  // a disabled connector may be saved half-filled
    const bool graph = s.backend_text == "graph" || (s.backend_text == "auto" && s.oauth);
    if (s.oauth) {
        if (s.tenant_id.empty()) throw invalid_config("tenant_id is required when oauth is true");
        if (s.client_id.empty()) throw invalid_config("client_id is required when oauth is true");
        if (s.client_secret.empty()) throw invalid_config("client_secret is required when oauth is true");
    } else if (graph) {
        throw invalid_config("backend graph needs oauth: true (tenant_id, client_id, client_secret): Microsoft Graph "
                             "takes only OAuth tokens");
    }
    if (graph) return;
    if (!s.ews_url_setting || s.ews_url_setting->empty())
        throw invalid_config("ews_url is required when the backend is ews");
    if (s.oauth) {
        // An application token has no mailbox of its own: EWS needs ExchangeImpersonation.
        if (!s.impersonation)
            throw invalid_config("impersonation must be true with oauth on EWS: an application token reaches a "
                                 "mailbox only by impersonating it");
        return;
    }
    if (host_of(*s.ews_url_setting) == "outlook.office365.com")
        throw invalid_config("oauth must be true for outlook.office365.com: Exchange Online no longer accepts a "
                             "password on EWS (and switches EWS off for good on 1 April 2027: prefer backend graph)");
    if (s.connection.auth == "none")
        throw invalid_config("auth must be basic or ntlm for EWS without oauth (the delegated user's credentials)");
}

support::SettingsMap<Settings> build_map() {
    using support::TextRules;
    support::SettingsMap<Settings> m;
    m.enabled(&Settings::enabled, "Turns the connector on; the credentials are required only then");
    m.text("backend", &Settings::backend_text, "auto",
           "graph (Microsoft Graph, Office 365), ews (Exchange Web Services: on premises, or Exchange Online until its "
           "end on 1 April 2027) or auto: graph when oauth is on, else ews (seed: 'Utiliser la librairie optimisée "
           "pour Office 365' means graph)",
           TextRules().one_of({"auto", "graph", "ews"}));
    m.optional_text("ews_url", &Settings::ews_url_setting,
                    "EWS endpoint, e.g. https://mail.example.com/EWS/Exchange.asmx (seed: 'URL du service EWS')",
                    TextRules().format("uri"));
    m.text("server_version", &Settings::server_version, "Exchange2016",
           "RequestServerVersion sent to EWS; Exchange2016 also serves Exchange 2019 and Subscription Edition "
           "(seed: 'Version du serveur Exchange')",
           TextRules().one_of({"Exchange2007_SP1", "Exchange2010", "Exchange2010_SP1", "Exchange2010_SP2",
                               "Exchange2013", "Exchange2013_SP1", "Exchange2016"}));
    m.flag("impersonation", &Settings::impersonation, false,
           "EWS: act as each mailbox with the ExchangeImpersonation header (required with oauth; on premises the "
           "ApplicationImpersonation role, on Exchange Online RBAC for Applications) (seed: 'Utiliser "
           "l'impersonation')");
    m.flag("oauth", &Settings::oauth, false,
           "OAuth2 client credentials of an application registered in Microsoft Entra ID (seed: 'Utiliser une "
           "authentification OAUTH (Exchange 365 seulement)')");
    m.text("tenant_id", &Settings::tenant_id, "", "Directory (tenant) id or domain (seed: 'Tenant ID')");
    m.text("client_id", &Settings::client_id, "", "Application (client) id (seed: 'Client ID')");
    m.text("client_secret", &Settings::client_secret, "", "Its client secret (seed: 'Client Secret')",
           TextRules().secret());
    m.text("login_url", &Settings::login_url, "https://login.microsoftonline.com",
           "Microsoft identity platform; the token endpoint is <login_url>/<tenant_id>/oauth2/v2.0/token",
           TextRules().format("uri"));
    m.text("graph_url", &Settings::graph_url, "https://graph.microsoft.com/v1.0", "Microsoft Graph's base URL",
           TextRules().format("uri"));
    m.text("test_mailbox", &Settings::test_mailbox, "",
           "A mailbox the Test button opens and whose calendar it reads (seed: 'Utilisateur à tester')");
    m.integer("max_threads", &Settings::max_threads, 4, {1, 32},
              "Mailboxes synchronised at once by sync_all (seed: 'Nombre de threads maximum pour les "
              "synchronisations')");
    m.text_list("mailboxes", &Settings::mailboxes, {},
                "Mailboxes the periodic sync_all covers; empty: none (the ERP drives sync_mailbox itself)");
    m.integer("sync_interval_seconds", &Settings::sync_interval_seconds, 900, {60, 86400},
              "Seconds between two runs of sync_all");
    m.integer("sync_window_days", &Settings::sync_window_days, 90, {1, 720},
              "Days ahead (and one day back) that syncs cover; recurring series are expanded within it");
    m.integer("requests_per_10_minutes", &Settings::requests_per_10_minutes, 10000, {1, 1000000},
              "Requests per mailbox in any 10 minutes (Graph's limit for an application and a mailbox)");
    m.integer("concurrent_per_mailbox", &Settings::concurrent_per_mailbox, 4, {1, 16},
              "Requests to one mailbox at once (Graph's Outlook limit is 4)");
    support::add_connection_settings(m, &Settings::connection, connection_block());
    m.check(check_required);
    return m;
}

}  // namespace

const support::SettingsMap<Settings> &settings_map() {
    static const auto map = build_map();
    return map;
}

Settings read_settings(const Json &json) {
    Settings s = settings_map().read(json);
    s.backend = s.backend_text == "graph" || (s.backend_text == "auto" && s.oauth) ? Backend::graph : Backend::ews;
    s.ews_url = s.ews_url_setting.value_or("");
    if (!s.ews_url.empty()) support::check_http_url(s.ews_url, "ews_url");
    s.login_url = support::without_trailing_slashes(s.login_url);
    s.graph_url = support::without_trailing_slashes(s.graph_url);
    support::check_http_url(s.login_url, "login_url");
    support::check_http_url(s.graph_url, "graph_url");
    s.token_url = s.login_url + "/" + s.tenant_id + "/oauth2/v2.0/token";
    s.scope = s.backend == Backend::graph ? kGraphScope : kEwsScope;
    s.connection.base_url = s.backend == Backend::graph ? s.graph_url : s.ews_url;
    return s;
}

}  // namespace relais::exchange
