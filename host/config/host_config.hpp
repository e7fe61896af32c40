// The host's configuration file: the host's own settings (listen address, TLS, directories,
// logging, API limits and tokens) and each connector's section, with secrets given by
// reference and overrides taken from the environment.
//
// The file is JSON, and only JSON. Connector settings hold arrays (dematerialisation codes,
// scopes) and nested objects, which INI or properties files can only express through naming
// conventions every reader must know; JSON also lets one JSON Schema describe a section
// whatever its depth, and it is what the API will accept and return.
//
//   {
//     "host": {
//       "listen": {"address": "127.0.0.1", "port": 8080},
//       "tls": {"certificate": "/etc/relais/cert.pem", "private_key": "/etc/relais/key.pem"},
//       "data_dir": "/var/lib/relais",
//       "plugin_dir": "/usr/lib/relais/plugins",
//       "log": {"format": "text", "level": "information", "levels": {"relais.plugin.chorus": "debug"}},
//       "api": {"max_body_bytes": 16777216, "request_timeout_seconds": 30, "max_threads": 16,
//               "max_queued": 64, "shutdown_grace_seconds": 20},
//       "jobs": {"workers": 8, "lease_seconds": 60, "durability": "full", "retention_days": 30},
//       "events": {"retention_days": 30, "delivery": {"max_attempts": 12},
//                  "endpoints": [{"url": "https://erp.example/relais", "secret": "${env:EVENTS_SECRET}",
//                                 "types": ["invoice.*"]}]},
//       "tokens": [{"name": "erp", "token": "${env:RELAIS_ERP_TOKEN}", "scopes": ["client"]}]
//     },
//     "connectors": {"chorus": {"enabled": true, "client_secret": "${env:CHORUS_SECRET}"}}
//   }
//
// Every key is optional; unknown keys are errors. Relative paths (data_dir, plugin_dir, tls
// files, ${file:...} references) are relative to the directory of the configuration file.
//
// Loading happens in this order, each step on the result of the one before:
//   1. parse: syntax errors give line and column, a key given twice in one object is an error
//      (json_locator.hpp);
//   2. environment overrides: RELAIS__HOST__LISTEN__PORT=9000 sets host.listen.port
//      (env_overrides.hpp says how names map to keys and values to JSON);
//   3. secret references, in every string value of the document: a value that is exactly
//      ${env:NAME} or ${file:PATH} becomes the variable's value or the file's content, $${ is a
//      literal ${, any other ${ is an error (secret_references.hpp);
//   4. validation of the document against the JSON Schema in host_schema.json, then the checks
//      a schema cannot express: files readable, data_dir creatable, duplicate tokens
//      (host_checks.hpp). The connector sections are only checked for shape here: their
//      plugins validate them (see connector_settings.hpp and `relais config check`).
//
// No error message ever holds a secret: token values and values obtained through a reference
// are described ("string from ${env:X}, value hidden"), never quoted.
#pragma once

#include "config/environment.hpp"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace relais::host {

struct ListenConfig {
    std::string address = "127.0.0.1";  // an IP address or a host name
    std::uint16_t port = 8080;          // 0 lets the system pick a free port (tests)
};

struct TlsConfig {
    std::filesystem::path certificate;  // PEM, readable when the configuration was loaded
    std::filesystem::path private_key;
};

enum class LogFormat { text, json };

struct LogConfig {
    LogFormat format = LogFormat::text;
    std::string level = "information";          // a Poco level name: none, fatal, ... trace
    std::map<std::string, std::string> levels;  // logger name -> level, e.g. relais.plugin.chorus
};

struct ApiConfig {
    // Set: every request body is limited to it. Absent: the host sizes the limit itself, to fit
    // the largest input its connectors declare (see http/body_limits.hpp).
    std::optional<std::uint64_t> max_body_bytes;
    unsigned request_timeout_seconds = 30;
    unsigned max_threads = 16;
    unsigned max_queued = 64;
    unsigned shutdown_grace_seconds = 20;
};

// The durable jobs. durability: "accepted" (the default) syncs each enqueue to disk, so an
// accepted job survives a power cut, and leaves later transitions unsynced (a job may run
// again after a power cut); "full" syncs every commit; "normal" none (a kill of the host
// still loses nothing, a power cut may lose the last commits). See the README.
struct JobsConfig {
    unsigned workers = 8;
    unsigned lease_seconds = 60;
    std::string durability = "accepted";
    // Succeeded and cancelled jobs are deleted this many days after they ended (0: never);
    // dead jobs are kept until retried.
    unsigned retention_days = 30;
};

// An endpoint business events are pushed to (see events/event_deliverer.hpp).
struct EventEndpointConfig {
    std::string name;    // given, or the URL without its query: where its position is kept
    std::string url;     // http:// or https://
    std::string secret;  // the signing key: a secret, redacted everywhere
    std::vector<std::string> types;  // "invoice.paid", "invoice.*", "*"; empty: every event
    std::optional<std::filesystem::path> ca_file;  // absolute; trusted instead of the system's CAs
};

// host.events: how long events are kept, and where and how they are pushed.
struct EventsConfig {
    unsigned retention_days = 30;  // 0: kept until deleted by hand
    std::vector<EventEndpointConfig> endpoints;
    unsigned max_attempts = 12;
    double first_retry_seconds = 60;     // doubled after each failed attempt...
    double max_retry_seconds = 21600;    // ...up to this (12 attempts: about a day)
    unsigned timeout_seconds = 10;
};

// A bearer token accepted by the API. Names are unique, and so are values.
struct ApiToken {
    std::string name;              // shown in logs in place of the token
    std::string token;             // a secret: at least 16 visible ASCII characters
    std::set<std::string> scopes;  // among "admin" and "client"; at least one

    bool has_scope(const std::string &scope) const { return scopes.count(scope) != 0; }
};

// The host section, checked, with defaults for whatever was absent.
struct HostConfig {
    ListenConfig listen;
    std::optional<TlsConfig> tls;      // absent: plain HTTP
    std::filesystem::path data_dir;    // absolute; may not exist yet, but can be created
    std::filesystem::path plugin_dir;  // absolute, an existing directory; empty when not
                                       // configured: use --plugin-dir or default_plugin_directory()
    LogConfig log;
    ApiConfig api;
    JobsConfig jobs;
    EventsConfig events;
    std::vector<ApiToken> tokens;  // in file order
};

struct LoadedConfig {
    std::filesystem::path file;  // as given to load_config; empty for default_config
    HostConfig host;
    // Each connector's section, overrides applied and references resolved, not yet validated
    // against its plugin's schema. Key order is the file's.
    std::map<std::string, Poco::JSON::Object::Ptr> connectors;
    // Every value obtained through a ${...} reference and every token value, each once, none
    // empty: the logger and the API redact them wherever they appear (see redact()).
    std::vector<std::string> secret_values;
    // Per connector, the reference each top-level setting was resolved from
    // ({"chorus": {"client_secret": "${env:CHORUS_SECRET}"}}): settings saved through the API
    // keep the reference rather than the value it gave.
    std::map<std::string, std::map<std::string, std::string>> connector_references;
    // What references in saved settings are resolved against later: the environment the
    // configuration was read with, and the directory ${file:} paths are relative to.
    Environment environment;
    std::filesystem::path base;
};

// A connector's settings as saved through the API, with their ${env:...} / ${file:...}
// references resolved as in a configuration file, and what each top-level one came from.
struct ResolvedSection {
    Poco::JSON::Object::Ptr values;
    std::map<std::string, std::string> references;
    std::vector<std::string> secret_values;
};
// Throws ConfigError naming `label` (the saved file) and the key for a reference that cannot
// be resolved. `section` is not changed.
ResolvedSection resolve_section(const Poco::JSON::Object::Ptr &section, const std::string &label,
                                const Environment &environment, const std::filesystem::path &base);

// Everything wrong with a configuration: one line per problem, each naming the file and the key
// ("relais.json: host.listen.port: expected integer <= 65535, found 70000"). what() is the
// problems, one per line.
class ConfigError : public std::runtime_error {
public:
    ConfigError(std::vector<std::string> problems, bool file_unreadable = false);

    const std::vector<std::string> &problems() const { return problems_; }
    // The configuration file itself could not be read (as opposed to: it is wrong).
    bool file_unreadable() const { return file_unreadable_; }

private:
    std::vector<std::string> problems_;
    bool file_unreadable_;
};

// Reads, overrides, resolves and checks the configuration file. Throws ConfigError listing every
// problem found.
LoadedConfig load_config(const std::filesystem::path &file, const Environment &environment);

// The configuration when there is no file: defaults, data_dir ./data (made absolute), then the
// environment overrides as for a file. Throws ConfigError when an override is wrong.
LoadedConfig default_config(const Environment &environment);

// `text` with every occurrence of each secret value replaced as Redactor does ("[redacted]",
// also inside JSON strings; a secret containing another is hidden whole; values shorter than
// Redactor::kMinimumLength are not hidden, as everywhere else).
std::string redact(std::string text, const std::vector<std::string> &secret_values);

}  // namespace relais::host
