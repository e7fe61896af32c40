// The Sirene connector as the host runs it, against its emulator over HTTPS with a test CA:
// each test gets its own directory, certificate authority, emulator (own port) and plugin
// instance.
#pragma once

#include "temp_dir.hpp"

#include "certificate_authority.hpp"
#include "sirene_emulator.hpp"

#include "call_result.hpp"
#include "plugin_backend.hpp"
#include "plugin_registry.hpp"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <memory>
#include <string>

namespace relais::test {

struct HarnessOptions {
    int requests_per_window = 30;
    std::chrono::milliseconds window{std::chrono::minutes(1)};
    bool non_diffusible_as_403 = false;
    // Settings merged over the defaults (enabled, key, base_url, ca_file of the emulator).
    std::string settings = "{}";
    bool configure = true;
    host::PluginBackend *backend = nullptr;
};

class SireneHarness {
public:
    explicit SireneHarness(HarnessOptions options = {});

    sirene_emulator::SireneEmulator &emulator() { return *emulator_; }
    const sirene_emulator::Dataset &data() const { return emulator_->data(); }
    host::PluginInstance &instance() { return *instance_; }
    const std::filesystem::path &ca_file() const { return ca_->ca_file(); }

    // The default settings with `overrides` merged in, validated and defaulted by the host.
    std::string settings(const std::string &overrides = "{}") const;
    host::CallResult configure(const std::string &overrides = "{}");
    host::CallResult call(const std::string &action, const std::string &input);
    // Calls and requires success; the result document.
    Poco::JSON::Object::Ptr ok(const std::string &action, const std::string &input);
    // A fresh instance of the plugin (a host restart), configured like this one.
    void restart(const std::string &overrides = "{}");

private:
    TempDir dir_{"relais-sirene"};
    std::unique_ptr<emulator::TestCertificateAuthority> ca_;
    std::unique_ptr<sirene_emulator::SireneEmulator> emulator_;
    HarnessOptions options_;
    std::unique_ptr<host::PluginRegistry> registry_;
    std::shared_ptr<host::PluginInstance> instance_;
};

Poco::JSON::Object::Ptr parse(const std::string &json);
// A JSON string literal for `text`.
std::string json_string(const std::string &text);

}  // namespace relais::test
