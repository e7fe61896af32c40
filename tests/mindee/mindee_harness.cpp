#include "mindee_harness.hpp"

#include <catch2/catch.hpp>

#include <sstream>

namespace relais::test {

namespace {

ConnectorHarnessOptions harness_options(const MindeeHarnessOptions &o, host::PluginBackend *backend) {
    ConnectorHarnessOptions h;
    h.configure = o.configure;
    h.backend = backend;
    return h;
}

}  // namespace

MindeeHostHolder::MindeeHostHolder(bool manual_clock)
    : clock_(manual_clock ? std::make_shared<emulator::EmulatorClock>(std::chrono::system_clock::now())
                          : std::make_shared<emulator::EmulatorClock>()),
      host_backend([c = clock_] {
          return std::chrono::duration_cast<std::chrono::milliseconds>(c->now().time_since_epoch()).count();
      }) {}

MindeeHarness::MindeeHarness(MindeeHarnessOptions options)
    : MindeeHostHolder(options.manual_clock), ConnectorHarness("mindee", harness_options(options, &host_backend)) {
    mindee_emulator::MindeeEmulatorOptions e;
    e.server.tls = server_tls();
    e.server.clock = clock_;
    e.processing_time = options.processing_time;
    e.v1_per_second = options.v1_per_second;
    e.v1_per_minute = options.v1_per_minute;
    e.v2_enqueues_per_minute = options.v2_enqueues_per_minute;
    e.v2_polls_per_minute = options.v2_polls_per_minute;
    e.v1_async_enqueue_status = options.v1_async_enqueue_status;
    e.v2_registrations_plural = options.v2_registrations_plural;
    emulator_ = std::make_unique<mindee_emulator::MindeeEmulator>(e);
    emulator_->start();

    const bool v1 = options.api_version == "v1";
    auto base = parse(R"({"enabled":true,"recorded_by":"jdupont","poll_initial_delay_ms":1000,"poll_max_delay_ms":8000,
                          "v1_requests_per_second":1000,"v1_requests_per_minute":100000,
                          "v2_enqueues_per_minute":100000,"v2_polls_per_minute":1000000})");
    base->set("api_version", options.api_version);
    base->set("api_key", v1 ? *e.v1_keys.begin() : *e.v2_keys.begin());
    base->set("url", v1 ? emulator_->v1_url() : emulator_->v2_url());
    if (!v1) base->set("model_id", std::string(mindee_emulator::kReceiptModelId));
    std::ostringstream text;
    base->stringify(text);
    load(text.str(), options.settings);
}

JobRun MindeeHarness::run_job(const std::string &input, int max_steps) {
    JobRun run;
    run.steps.push_back(step("read_receipt", input, 1, std::nullopt));
    for (int i = 1; i < max_steps && run.waiting(); ++i) {
        const auto later = *run.last().later;
        clock_->advance(std::chrono::milliseconds(later.delay_ms));
        emulator_->finish_due_jobs();
        run.steps.push_back(step("read_receipt", input, static_cast<uint32_t>(run.steps.size() + 1), later.checkpoint));
    }
    return run;
}

std::size_t MindeeHarness::upstream_requests() const { return emulator_->v1_requests() + emulator_->v2_requests(); }

std::string receipt_input(const std::string &bytes, const std::string &name, const std::string &extra) {
    return R"({"file_base64":")" + base64(bytes) + R"(","file_name":)" + json_string(name) + extra + "}";
}

}  // namespace relais::test
