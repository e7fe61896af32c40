// host_config.cpp: the loading steps of host_config.hpp put together, and the typed reads of a
// host section that passed every check. Each step lives in its own file: json_locator (syntax
// errors and repeated keys), env_overrides, secret_references, host_schema.json and host_checks.
#include "config/host_config.hpp"

#include "config/config_report.hpp"
#include "config/env_overrides.hpp"
#include "config/host_checks.hpp"
#include "config/host_schema.hpp"
#include "config/json_locator.hpp"
#include "config/json_schema.hpp"
#include "config/json_value.hpp"
#include "config/key_path.hpp"
#include "config/redactor.hpp"
#include "config/secret_references.hpp"
#include "config/small_file.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <regex>
#include <sstream>

namespace relais::host {
namespace fs = std::filesystem;
using namespace config;

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// Larger files are refused: a configuration is a few kilobytes.
constexpr std::size_t kMaxConfigBytes = 16 * 1024 * 1024;

unsigned unsigned_at(const Object::Ptr &object, const std::string &key, unsigned fallback) {
    return object && object->has(key) ? static_cast<unsigned>(object->get(key).convert<Poco::Int64>()) : fallback;
}

// The name an endpoint is known by when it is given none: its URL without the query.
std::string endpoint_name(const std::string &url) { return url.substr(0, url.find_first_of("?#")); }

double number_at(const Object::Ptr &object, const std::string &key, double fallback) {
    return object && object->has(key) ? object->get(key).convert<double>() : fallback;
}

void read_events(const Object::Ptr &events, const fs::path &base, EventsConfig &config) {
    config.retention_days = unsigned_at(events, "retention_days", config.retention_days);
    if (const Object::Ptr d = events->getObject("delivery")) {
        config.max_attempts = unsigned_at(d, "max_attempts", config.max_attempts);
        config.first_retry_seconds = number_at(d, "first_retry_seconds", config.first_retry_seconds);
        config.max_retry_seconds = number_at(d, "max_retry_seconds", config.max_retry_seconds);
        config.timeout_seconds = unsigned_at(d, "timeout_seconds", config.timeout_seconds);
    }
    if (const Array::Ptr endpoints = events->getArray("endpoints"))
        for (unsigned i = 0; i < endpoints->size(); ++i) {
            const Object::Ptr e = endpoints->getObject(i);
            EventEndpointConfig endpoint;
            endpoint.url = string_at(e, "url");
            endpoint.name = e->has("name") ? string_at(e, "name") : endpoint_name(endpoint.url);
            endpoint.secret = string_at(e, "secret");
            if (const Array::Ptr types = e->getArray("types"))
                for (unsigned j = 0; j < types->size(); ++j) endpoint.types.push_back(types->getElement<std::string>(j));
            if (e->has("ca_file")) endpoint.ca_file = resolve_path(base, string_at(e, "ca_file"));
            config.endpoints.push_back(std::move(endpoint));
        }
}

// The typed host settings of a document that passed every check.
HostConfig read_host(const Object::Ptr &host, const fs::path &base) {
    HostConfig config;
    config.data_dir = resolve_path(base, "data");
    if (!host) return config;
    if (const Object::Ptr listen = host->getObject("listen")) {
        if (listen->has("address")) config.listen.address = listen->getValue<std::string>("address");
        config.listen.port = static_cast<std::uint16_t>(unsigned_at(listen, "port", config.listen.port));
    }
    if (const Object::Ptr tls = host->getObject("tls"))
        config.tls = TlsConfig{resolve_path(base, string_at(tls, "certificate")),
                               resolve_path(base, string_at(tls, "private_key"))};
    if (host->has("data_dir")) config.data_dir = resolve_path(base, string_at(host, "data_dir"));
    if (const std::string dir = string_at(host, "plugin_dir"); !dir.empty())
        config.plugin_dir = resolve_path(base, dir);
    if (const Object::Ptr log = host->getObject("log")) {
        if (string_at(log, "format") == "json") config.log.format = LogFormat::json;
        if (log->has("level")) config.log.level = string_at(log, "level");
        if (const Object::Ptr levels = log->getObject("levels"))
            for (const std::string &logger : levels->getNames()) config.log.levels[logger] = string_at(levels, logger);
    }
    if (const Object::Ptr api = host->getObject("api")) {
        auto &a = config.api;
        if (api->has("max_body_bytes")) a.max_body_bytes = api->get("max_body_bytes").convert<Poco::UInt64>();
        a.request_timeout_seconds = unsigned_at(api, "request_timeout_seconds", a.request_timeout_seconds);
        a.max_threads = unsigned_at(api, "max_threads", a.max_threads);
        a.max_queued = unsigned_at(api, "max_queued", a.max_queued);
        a.shutdown_grace_seconds = unsigned_at(api, "shutdown_grace_seconds", a.shutdown_grace_seconds);
    }
    if (const Object::Ptr jobs = host->getObject("jobs")) {
        auto &j = config.jobs;
        j.workers = unsigned_at(jobs, "workers", j.workers);
        j.lease_seconds = unsigned_at(jobs, "lease_seconds", j.lease_seconds);
        if (jobs->has("durability")) j.durability = string_at(jobs, "durability");
        j.retention_days = unsigned_at(jobs, "retention_days", j.retention_days);
    }
    if (const Object::Ptr events = host->getObject("events")) read_events(events, base, config.events);
    if (const Array::Ptr tokens = host->getArray("tokens")) {
        for (unsigned i = 0; i < tokens->size(); ++i) {
            const Object::Ptr t = tokens->getObject(i);
            ApiToken token{string_at(t, "name"), string_at(t, "token"), {}};
            const Array::Ptr scopes = t->getArray("scopes");
            for (unsigned j = 0; j < scopes->size(); ++j) token.scopes.insert(scopes->getElement<std::string>(j));
            config.tokens.push_back(std::move(token));
        }
    }
    return config;
}

// Steps 2 to 4 of host_config.hpp on a parsed document, then the typed result.
LoadedConfig build(const Object::Ptr &root, Report &report, const fs::path &base, const Environment &environment) {
    apply_overrides(root, environment, report);

    ReferenceResolver resolver(environment, base, report);
    resolver.resolve(root, "");
    const auto &references = resolver.references();
    auto &secrets = resolver.secrets();

    // Token values are secrets even when written in place (but a reference left unresolved is
    // only the reference, which the messages name).
    if (const Object::Ptr host = root->getObject("host"))
        if (const Array::Ptr tokens = host->getArray("tokens"))
            for (unsigned i = 0; i < tokens->size(); ++i)
                if (const std::string value = string_at(as_object(tokens->get(i)), "token");
                    !value.empty() && !is_reference(value) &&
                    std::find(secrets.begin(), secrets.end(), value) == secrets.end())
                    secrets.push_back(value);
    // So are the endpoints' signing secrets.
    if (const Object::Ptr host = root->getObject("host"))
        if (const Object::Ptr events = host->getObject("events"))
            if (const Array::Ptr endpoints = events->getArray("endpoints"))
                for (unsigned i = 0; i < endpoints->size(); ++i)
                    if (const std::string value = string_at(as_object(endpoints->get(i)), "secret");
                        !value.empty() && !is_reference(value) &&
                        std::find(secrets.begin(), secrets.end(), value) == secrets.end())
                        secrets.push_back(value);

    for (const SchemaError &e : host_schema().validate(root)) {
        const std::string path = display_path(root, e.path);
        if (resolver.unresolved().count(path)) continue;  // reported, and its value is not the real one
        const auto reference = references.find(path);
        const std::string found =
            reference == references.end() ? e.found : "a string from " + reference->second + " (value hidden)";
        report.add(path.empty() ? "(root)" : path, "expected " + e.expected + ", found " + found);
    }
    HostChecks(base, report, resolver).check(root);
    if (!report.empty()) report.fail(secrets);

    LoadedConfig loaded;
    loaded.host = read_host(root->getObject("host"), base);
    if (const Object::Ptr connectors = root->getObject("connectors"))
        for (const std::string &name : connectors->getNames()) loaded.connectors[name] = connectors->getObject(name);
    loaded.secret_values = std::move(secrets);
    // "connectors.chorus.client_secret" -> chorus / client_secret (top-level settings only).
    static const std::regex connector_key(R"(connectors\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+))");
    for (const auto &[path, reference] : references) {
        std::smatch m;
        if (std::regex_match(path, m, connector_key)) loaded.connector_references[m[1].str()][m[2].str()] = reference;
    }
    loaded.environment = environment;
    loaded.base = base;
    return loaded;
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems, bool file_unreadable)
    : std::runtime_error(join_lines(problems)), problems_(std::move(problems)), file_unreadable_(file_unreadable) {}

LoadedConfig load_config(const fs::path &file, const Environment &environment) {
    Report report(file.string());
    const FileContent content = read_small_file(file, kMaxConfigBytes);
    if (!content.error.empty()) {
        report.add("", "cannot read the configuration file: " + content.error);
        report.fail({}, true);
    }

    Object::Ptr root;
    try {
        const Var document = parse_json(content.text);
        root = as_object(document);
        if (!root)
            report.add("(root)", "expected an object {\"host\": ..., \"connectors\": ...}, found " + kind_of(document));
        const JsonLocator locator(content.text);
        for (const auto &repeated : locator.repeated_keys())
            report.add_at(repeated.line, repeated.column, repeated.path, repeated.what);
    } catch (const Poco::Exception &e) {
        const JsonLocator locator(content.text);
        if (const auto &error = locator.syntax_error())
            report.add_at(error->line, error->column, error->path, error->what);
        else
            report.add("", "invalid JSON: " + e.message());
    }
    if (!report.empty()) report.fail({});

    const fs::path base = fs::absolute(file).parent_path();
    LoadedConfig loaded = build(root, report, base, environment);
    loaded.file = file;
    return loaded;
}

LoadedConfig default_config(const Environment &environment) {
    Report report("(no configuration file)");
    return build(new Object(Poco::JSON_PRESERVE_KEY_ORDER), report, fs::current_path(), environment);
}

ResolvedSection resolve_section(const Object::Ptr &section, const std::string &label, const Environment &environment,
                                const fs::path &base) {
    ResolvedSection out;
    if (!section) return out;
    // A copy: the caller's document keeps its references.
    std::ostringstream text;
    section->stringify(text);
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    out.values = parser.parse(text.str()).extract<Object::Ptr>();
    Report report(label);
    ReferenceResolver resolver(environment, base, report);
    resolver.resolve(out.values, "");
    if (!report.empty()) report.fail(resolver.secrets());
    static const std::regex top_level("[A-Za-z0-9_-]+");
    for (const auto &[path, reference] : resolver.references())
        if (std::regex_match(path, top_level)) out.references[path] = reference;
    out.secret_values = std::move(resolver.secrets());
    return out;
}

std::string redact(std::string text, const std::vector<std::string> &secret_values) {
    // The same rules as the logs and the API: one replacement text, JSON-escaped forms too.
    Redactor redactor;
    redactor.add_all(secret_values);
    return redactor.apply(text);
}

}  // namespace relais::host
