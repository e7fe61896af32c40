#include "sirene_harness.hpp"

#include "plugin_files.hpp"

#include "connector_settings.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Parser.h>

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

SireneHarness::SireneHarness(HarnessOptions options) : options_(std::move(options)) {
    ca_ = std::make_unique<emulator::TestCertificateAuthority>(dir_.path());
    sirene_emulator::SireneEmulatorOptions e;
    e.server.tls = ca_->server_files();
    e.requests_per_window = options_.requests_per_window;
    e.window = options_.window;
    e.non_diffusible_as_403 = options_.non_diffusible_as_403;
    emulator_ = std::make_unique<sirene_emulator::SireneEmulator>(e);
    emulator_->start();
    copy_plugin(built_plugin_dir(), "sirene", dir_ / "plugins");
    restart(options_.settings);
}

void SireneHarness::restart(const std::string &overrides) {
    instance_.reset();
    host::ScanOptions scan;
    scan.backend = options_.backend;
    registry_ = std::make_unique<host::PluginRegistry>(host::PluginRegistry::scan(dir_ / "plugins", scan));
    const auto *plugin = registry_->find("sirene");
    REQUIRE(plugin);
    instance_ = plugin->instance;
    if (options_.configure) {
        const auto r = configure(overrides);
        INFO(r.message);
        REQUIRE(r.ok());
    }
}

std::string SireneHarness::settings(const std::string &overrides) const {
    auto s = parse(R"({"enabled":true,"api_key":"relais-test-key"})");
    s->set("base_url", emulator_->base_url());
    s->set("ca_file", ca_->ca_file().string());
    const auto extra = parse(overrides);
    for (const auto &name : extra->getNames()) s->set(name, extra->get(name));
    const auto resolved = host::resolve_settings(instance_->descriptor(), s);
    std::ostringstream text;
    resolved->stringify(text);
    return text.str();
}

host::CallResult SireneHarness::configure(const std::string &overrides) { return instance_->configure(settings(overrides)); }

host::CallResult SireneHarness::call(const std::string &action, const std::string &input) {
    return instance_->execute(action, input, "test-call");
}

Poco::JSON::Object::Ptr SireneHarness::ok(const std::string &action, const std::string &input) {
    const auto r = call(action, input);
    INFO(action << " " << input.substr(0, 300) << " -> " << r.message);
    REQUIRE(r.ok());
    return parse(r.body);
}

}  // namespace relais::test
