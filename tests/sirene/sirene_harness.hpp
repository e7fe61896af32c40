// The Sirene connector as the host runs it, against its emulator over HTTPS with a test CA
// (the shared connector harness, tests/harness), with the emulator's quota and switches.
#pragma once

#include "connector_harness.hpp"

#include "sirene_emulator.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace relais::test {

struct HarnessOptions {
    int requests_per_window = 30;
    std::chrono::milliseconds window{std::chrono::minutes(1)};
    bool non_diffusible_as_403 = false;
    // Settings merged over the defaults (enabled, key, base_url of the emulator).
    std::string settings = "{}";
    bool configure = true;
    // The host's jobs and state: the harness's memory backend by default, as relais serve has.
    host::PluginBackend *backend = nullptr;
    // No backend at all, as the standalone CLI: no state, and no quota reports reach the host.
    bool standalone = false;
};

class SireneHarness : public ConnectorHarness {
public:
    explicit SireneHarness(HarnessOptions options = {});

    sirene_emulator::SireneEmulator &emulator() { return *emulator_; }
    const sirene_emulator::Dataset &data() const { return emulator_->data(); }

private:
    std::unique_ptr<sirene_emulator::SireneEmulator> emulator_;
};

}  // namespace relais::test
