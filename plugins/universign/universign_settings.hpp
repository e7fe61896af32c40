// The universign connector's settings: the Akuiteo console guide's (section 2.5: URL, user,
// password, retrieval interval, start delay), plus the choice between Universign's two APIs,
// the environment, default signature options, where signed PDFs go, the token that
// authenticates Universign's status pushes, and the kit's connection settings.
#pragma once

#include <relais/plugin.hpp>
#include <relais/support/connection.hpp>
#include <relais/support/settings.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace relais::universign {

// The XML-RPC "Signature Service" (login and password, the seed's) or the REST API v1 (an API key).
enum class Api { xmlrpc, rest };

struct Settings {
    bool enabled;
    std::string api_text;     // "xmlrpc" or "rest"
    Api api;
    std::string environment;  // "production" or "test"
    std::optional<std::string> url_setting;       // XML-RPC endpoint override
    std::optional<std::string> rest_url_setting;  // REST base override
    std::string url;  // effective endpoint of the chosen API (XML-RPC: .../sign/rpc/; REST: the base, no slash)
    std::string username, password;  // XML-RPC
    std::string api_key;             // REST

    // Default signature options, each overridable per request.
    std::string profile, certificate_type, language, chaining_mode;

    std::string output_directory;  // signed PDFs are written there too ("": only returned)
    std::string file_directory;    // where documents[].file_path may point ("": base64 only)
    std::string callback_token;    // authenticates status pushes ("": pushes refused)

    int64_t poll_interval_seconds, start_delay_seconds;
    // A waiting job looks at its transaction by itself this often when nothing woke it (the
    // periodic task and pushes wake it sooner).
    std::chrono::seconds job_recheck;
    // How long a job waits for documents being restored from the archive (fault 73070).
    std::chrono::seconds restore_retry;
    int64_t max_document_mb;  // 0: the API's own limit (XML-RPC 10 MB, REST 25 MB)
    int64_t requests_per_second;
    support::Connection connection;

    // The largest document the chosen API takes, in bytes.
    std::size_t document_limit() const;
};

const support::SettingsMap<Settings> &settings_map();
const support::ConnectionBlock &connection_block();

// Throws relais::invalid_config naming the setting.
Settings read_settings(const Json &settings);

constexpr const char *kXmlRpcProductionUrl = "https://ws.universign.eu/sign/rpc/";
constexpr const char *kXmlRpcTestUrl = "https://sign.test.cryptolog.com/sign/rpc/";
constexpr const char *kRestProductionUrl = "https://api.universign.com";
constexpr const char *kRestTestUrl = "https://api.alpha.universign.com";
constexpr int kMaxDocuments = 20;

}  // namespace relais::universign
