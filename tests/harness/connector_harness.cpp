#include "connector_harness.hpp"

#include "plugin_files.hpp"

#include "config/connector_settings.hpp"

#include <catch2/catch.hpp>

#include <relais/support/bytes.hpp>

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace relais::test {

Poco::JSON::Object::Ptr parse(const std::string &json) {
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

std::string json_string(const std::string &text) {
    std::ostringstream out;
    Poco::JSON::Stringifier::formatString(text, out);
    return out.str();
}

std::string base64(const std::string &bytes) { return support::base64_encode(bytes); }

ConnectorHarness::ConnectorHarness(std::string plugin, ConnectorHarnessOptions options)
    : plugin_(std::move(plugin)), options_(options), dir_("relais-" + plugin_), quota_(dir_.path()) {
    ca_ = std::make_unique<emulator::TestCertificateAuthority>(dir_.path());
    copy_plugin(built_plugin_dir(), plugin_, dir_ / "plugins");
}

ConnectorHarness::~ConnectorHarness() {
    // The instance goes before the registry that loaded its library.
    instance_.reset();
    registry_.reset();
}

void ConnectorHarness::load(const std::string &base_settings, const std::string &overrides) {
    base_settings_ = base_settings;
    restart(overrides);
}

void ConnectorHarness::restart(const std::string &overrides) {
    instance_.reset();
    host::ScanOptions scan;
    host::PluginBackend *backend = options_.backend ? options_.backend : (options_.with_backend ? &backend_ : nullptr);
    if (backend && !reporting_) reporting_ = std::make_unique<QuotaReportingBackend>(*backend, quota_.limiter());
    scan.backend = backend ? reporting_.get() : nullptr;
    registry_ = std::make_unique<host::PluginRegistry>(host::PluginRegistry::scan(dir_ / "plugins", scan));
    const auto *plugin = registry_->find(plugin_);
    REQUIRE(plugin);
    instance_ = plugin->instance;
    if (options_.configure) {
        const auto r = configure(overrides);
        INFO(r.message);
        REQUIRE(r.ok());
    }
}

std::string ConnectorHarness::settings(const std::string &overrides) const {
    auto s = parse(base_settings_);
    if (!s->has("ca_file")) s->set("ca_file", ca_->ca_file().string());
    const auto extra = parse(overrides);
    for (const auto &name : extra->getNames()) s->set(name, extra->get(name));
    const auto resolved = host::resolve_settings(instance_->descriptor(), s);
    std::ostringstream text;
    resolved->stringify(text);
    return text.str();
}

host::CallResult ConnectorHarness::configure(const std::string &overrides) {
    auto r = instance_->configure(settings(overrides));
    // As the runtime: the limits of a connector whose configure succeeded.
    if (r.ok()) quota_.configure(instance_->descriptor(), r.body);
    return r;
}

host::CallResult ConnectorHarness::execute(const std::string &action, const std::string &input,
                                           const std::string &call_id) {
    HarnessCall call(quota_.limiter(), instance_->descriptor().name);
    return instance_->execute(action, input, call_id, &call);
}

host::CallResult ConnectorHarness::step(const std::string &action, const std::string &input, uint32_t step,
                                        const std::optional<std::string> &checkpoint, const std::string &job) {
    HarnessCall call(quota_.limiter(), instance_->descriptor().name);
    host::StepInput in;
    in.step = step;
    in.checkpoint = checkpoint;
    return instance_->execute(action, input, job, &call, in);
}

Poco::JSON::Object::Ptr JobRun::result() const { return steps.empty() ? nullptr : parse(steps.back().body); }

Poco::JSON::Object::Ptr JobRun::progress() const {
    return waiting() ? parse(steps.back().later->checkpoint) : nullptr;
}

host::CallResult ConnectorHarness::call(const std::string &action, const std::string &input) {
    return execute(action, input, "test-call");
}

Poco::JSON::Object::Ptr ConnectorHarness::ok(const std::string &action, const std::string &input) {
    const auto r = call(action, input);
    INFO(action << " " << input.substr(0, 300) << " -> " << r.message);
    REQUIRE(r.ok());
    return parse(r.body);
}

host::CallResult ConnectorHarness::test() {
    HarnessCall call(quota_.limiter(), instance_->descriptor().name);
    return instance_->test(&call);
}

std::vector<host::CallResult> ConnectorHarness::run_jobs(
    int max_jobs, const std::function<void(std::chrono::milliseconds)> &before_each) {
    std::vector<host::CallResult> results;
    for (int i = 0; i < max_jobs; ++i) {
        const auto job = backend_.pop();
        if (!job) break;
        if (before_each) before_each(std::chrono::milliseconds(job->delay_ms));
        results.push_back(execute(job->action, job->input, "job-" + std::to_string(job->id)));
    }
    return results;
}

}  // namespace relais::test
