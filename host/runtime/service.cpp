#include "runtime/service.hpp"

#include "console/console_assets.hpp"
#include "http/api_routes.hpp"
#include "observability/logging.hpp"

#include <Poco/Logger.h>

#include <cstdlib>

namespace relais::host {
namespace {

Poco::Logger &logger() { return Poco::Logger::get("relais.service"); }

// The largest input any action of `c` declares (JsonSchema::largest_max_length), if one does.
std::optional<http::DeclaredInput> largest_declared_input(const Connector &c) {
    std::optional<http::DeclaredInput> largest;
    for (const auto &[action, schema] : c.action_schemas)
        if (const auto length = schema->largest_max_length(); length && (!largest || *length > largest->bytes))
            largest = http::DeclaredInput{c.name(), action, *length};
    return largest;
}

// Tells the body limits what `c` accepts now; warns when a configured limit leaves it out.
void declare_inputs(http::BodyLimits &limits, const ApiConfig &api, const Connector &c) {
    const auto declared = largest_declared_input(c);
    if (!limits.declare(c.name(), declared) || !declared) return;
    const std::uint64_t needed = http::BodyLimits::needed_for(*declared);
    if (api.max_body_bytes && *api.max_body_bytes < needed)
        logger().warning("connector " + c.name() + " action " + declared->action + " declares inputs of up to " +
                         std::to_string(declared->bytes) + " bytes, which with the JSON around them do not fit " +
                         http::BodyLimits::kSetting + " (" + std::to_string(*api.max_body_bytes) +
                         " bytes): such requests will be refused with 413. Raise it to at least " +
                         std::to_string(needed) + ", or remove it to let the host size the limit");
    else if (!api.max_body_bytes && needed > http::BodyLimits::kDefaultBytes)
        logger().information("connector " + c.name() + " action " + declared->action + " declares inputs of up to " +
                             std::to_string(declared->bytes) + " bytes: the body limit of actions and jobs is " +
                             std::to_string(limits.limit(http::BodyKind::connector_input)) + " bytes");
}

http::ServerSettings server_settings(const HostConfig &host) {
    http::ServerSettings s;
    s.address = host.listen.address;
    s.port = host.listen.port;
    if (host.tls) {
        s.tls_certificate = host.tls->certificate.string();
        s.tls_private_key = host.tls->private_key.string();
    }
    s.request_timeout_seconds = static_cast<int>(host.api.request_timeout_seconds);
    s.max_threads = static_cast<int>(host.api.max_threads);
    s.max_queued = static_cast<int>(host.api.max_queued);
    return s;
}

// The console's files: those built in, or, for working on the page, those of the directory
// RELAIS_CONSOLE_DIR names.
std::shared_ptr<const console::ConsoleAssets> console_assets() {
    const char *directory = std::getenv("RELAIS_CONSOLE_DIR");
    if (directory && *directory) {
        logger().warning(std::string("serving the console from ") + directory + " (RELAIS_CONSOLE_DIR), not the built-in one");
        return std::make_shared<const console::ConsoleAssets>(directory);
    }
    return std::make_shared<const console::ConsoleAssets>();
}

}  // namespace

static JobRuntime::Options jobs_options(const JobsConfig &c) {
    JobRuntime::Options o;
    o.workers = static_cast<int>(c.workers);
    o.lease_ms = static_cast<int64_t>(c.lease_seconds) * 1000;
    o.retention_ms = static_cast<int64_t>(c.retention_days) * 86'400'000;
    o.synchronous = c.durability == "full"     ? SqliteJobStoreOptions::Sync::full
                    : c.durability == "normal" ? SqliteJobStoreOptions::Sync::normal
                                               : SqliteJobStoreOptions::Sync::accepted;
    return o;
}

static events::EventHubOptions events_options(const HostConfig &host) {
    const auto &c = host.events;
    events::EventHubOptions o;
    o.db.full_sync = host.jobs.durability != "normal";
    o.retention_ms = static_cast<int64_t>(c.retention_days) * 86'400'000;
    o.delivery.max_attempts = static_cast<int>(c.max_attempts);
    o.delivery.first_delay = std::chrono::milliseconds(static_cast<int64_t>(c.first_retry_seconds * 1000 + 0.5));
    o.delivery.max_delay = std::chrono::milliseconds(static_cast<int64_t>(c.max_retry_seconds * 1000 + 0.5));
    o.delivery.timeout = std::chrono::seconds(c.timeout_seconds);
    for (const auto &e : c.endpoints) {
        events::EventEndpoint endpoint;
        endpoint.name = e.name;
        endpoint.url = e.url;
        endpoint.secret = e.secret;
        endpoint.ca_file = e.ca_file;
        for (const auto &t : e.types) endpoint.types.emplace_back(t, "host.events.endpoints " + e.name + ": types");
        o.endpoints.push_back(std::move(endpoint));
    }
    return o;
}

Service::Service(LoadedConfig config, std::filesystem::path plugin_dir)
    : Service(config, std::move(plugin_dir), jobs_options(config.host.jobs)) {}

Service::Service(LoadedConfig config, std::filesystem::path plugin_dir, JobRuntime::Options jobs)
    : config_(std::move(config)), redactor_(std::make_shared<Redactor>()), metrics_(RELAIS_VERSION),
      body_limits_(std::make_shared<http::BodyLimits>(config_.host.api.max_body_bytes)), auth_(config_.host.tokens) {
    redactor_->add_all(config_.secret_values);
    store_ = std::make_unique<SettingsStore>(config_.host.data_dir);
    if (jobs.sync_call_timeout_ms == 0)
        jobs.sync_call_timeout_ms = static_cast<int64_t>(config_.host.api.request_timeout_seconds) * 1000;
    jobs.metrics = &metrics_;
    jobs_ = std::make_unique<JobRuntime>(config_.host.data_dir, jobs);
    events_ = std::make_unique<events::EventHub>(config_.host.data_dir, events_clock_, events_options(config_.host),
                                                 &metrics_);
    jobs_->attach_events(events_->log());

    ConnectorManager::Options options;
    options.plugin_dir = config_.host.plugin_dir.empty() ? plugin_dir : config_.host.plugin_dir;
    options.shadow_dir = config_.host.data_dir / "plugin-cache";
    options.configured = config_.connectors;
    options.references = config_.connector_references;
    options.resolve_saved = [this](const std::string &name, const Poco::JSON::Object::Ptr &saved) {
        return resolve_section(saved, (store_->directory() / (name + ".json")).string(), config_.environment, config_.base);
    };
    options.redactor = redactor_;
    options.store = store_.get();
    options.metrics = &metrics_;
    options.backend = jobs_.get();
    options.on_published = [this](const Connector &c) {
        jobs_->apply_policy(c);
        declare_inputs(*body_limits_, config_.host.api, c);
    };
    connectors_ = std::make_unique<ConnectorManager>(std::move(options));
    jobs_->attach(*connectors_);
    router_ = http::make_api_router(http::ApiContext{*connectors_, metrics_, ready_, *jobs_, events_.get()});
}

Service::~Service() { stop(); }

void Service::start() {
    if (config_.host.tokens.empty())
        logger().warning("no API token is configured: every endpoint but /healthz and /readyz will answer 401");
    events_->start();  // first: a new endpoint gets every event from the first plugin's on
    connectors_->start();
    jobs_->start();
    for (const auto &name : connectors_->unknown_sections())
        logger().warning("configuration section connectors." + name + " names no loaded plugin");
    auto settings = server_settings(config_.host);
    settings.body_limits = body_limits_;
    settings.console = console_assets();
    server_ = std::make_unique<http::ApiServer>(std::move(settings), router_, auth_, redactor_, &metrics_);
    server_->start();
    ready_ = true;
    logger().information("listening on " + url());
}

std::string Service::url() const { return server_ ? server_->url() : std::string(); }
uint16_t Service::port() const { return server_ ? server_->port() : 0; }

ReloadReport Service::reload() { return connectors_->reload(); }

bool Service::stop() {
    if (!server_) return true;
    ready_ = false;
    logger().information("stopping");
    const auto grace = std::chrono::seconds(config_.host.api.shutdown_grace_seconds);
    const auto started = std::chrono::steady_clock::now();
    const bool drained = server_->stop(grace);
    if (!drained) return false;
    server_.reset();
    // Jobs share the grace period; those still running after it go back to the queue.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(grace - (std::chrono::steady_clock::now() - started));
    jobs_->stop(std::max<int64_t>(0, left.count()));
    events_->stop();  // after the jobs, which may emit until they stop
    return true;
}

}  // namespace relais::host
