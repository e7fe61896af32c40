#include "sirene_harness.hpp"

#include <sstream>

namespace relais::test {

namespace {

ConnectorHarnessOptions harness_options(const HarnessOptions &o) {
    ConnectorHarnessOptions h;
    h.with_backend = !o.standalone;
    h.backend = o.backend;
    h.configure = o.configure;
    return h;
}

}  // namespace

SireneHarness::SireneHarness(HarnessOptions options) : ConnectorHarness("sirene", harness_options(options)) {
    sirene_emulator::SireneEmulatorOptions e;
    e.server.tls = server_tls();
    e.requests_per_window = options.requests_per_window;
    e.window = options.window;
    e.non_diffusible_as_403 = options.non_diffusible_as_403;
    emulator_ = std::make_unique<sirene_emulator::SireneEmulator>(e);
    emulator_->start();
    auto base = parse(R"({"enabled":true,"api_key":"relais-test-key"})");
    base->set("base_url", emulator_->base_url());
    std::ostringstream text;
    base->stringify(text);
    load(text.str(), options.settings);
}

}  // namespace relais::test
