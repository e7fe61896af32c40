#include "chorus_harness.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#ifndef CHORUS_SAMPLES_DIR
#error "CHORUS_SAMPLES_DIR must point to plugins/chorus/samples"
#endif

namespace relais::test {

namespace {

std::string read_sample(const std::string &name) {
    std::ifstream in(std::string(CHORUS_SAMPLES_DIR) + "/" + name, std::ios::binary);
    REQUIRE(in);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void replace_once(std::string &text, const std::string &from, const std::string &to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    REQUIRE(text.find(from, at + 1) == std::string::npos);
    text.replace(at, from.size(), to);
}

std::string personalise(std::string file, const std::string &number, const std::string &buyer) {
    replace_once(file, "FA-2026-0001", number);
    replace_once(file, chorus_emulator::kBuyerSiret, buyer);
    return file;
}

}  // namespace

std::string sample_ubl(const std::string &invoice_number, const std::string &buyer_siret) {
    static const std::string sample = read_sample("ubl-invoice.xml");
    return personalise(sample, invoice_number, buyer_siret);
}

std::string sample_cii(const std::string &invoice_number, const std::string &buyer_siret) {
    static const std::string sample = read_sample("cii-invoice.xml");
    return personalise(sample, invoice_number, buyer_siret);
}

std::string submit_input(const std::string &invoice_number, const std::string &file, const std::string &syntax,
                         bool track) {
    return R"({"invoice_number":)" + json_string(invoice_number) + R"(,"syntax":")" + syntax +
           R"(","file_base64":")" + base64(file) + "\"" + (track ? "" : R"(,"track":false)") + "}";
}

// --- ChorusHarness ----------------------------------------------------------------------------

namespace {

ConnectorHarnessOptions harness_options(const ChorusHarnessOptions &o, host::PluginBackend *backend) {
    ConnectorHarnessOptions h;
    h.with_backend = o.with_backend;
    if (o.with_backend) h.backend = backend;
    return h;
}

}  // namespace

// Manual time: states move, and state expires, when the test moves the clock.
ChorusBackendHolder::ChorusBackendHolder()
    : clock(std::make_shared<emulator::EmulatorClock>(std::chrono::system_clock::now())),
      chorus_backend([c = clock] {
          return std::chrono::duration_cast<std::chrono::milliseconds>(c->now().time_since_epoch()).count();
      }) {}

ChorusHarness::ChorusHarness(ChorusHarnessOptions options)
    : ConnectorHarness("chorus", harness_options(options, &chorus_backend)) {
    chorus_emulator::ChorusEmulatorOptions e;
    e.server.tls = server_tls();
    e.server.clock = ChorusBackendHolder::clock;
    e.per_second = options.per_second;
    e.per_day = options.per_day;
    e.processing_delay = options.processing_delay;
    emulator_ = std::make_unique<chorus_emulator::ChorusEmulator>(e);
    emulator_->start();
    auto s = parse(R"({"enabled":true,"client_id":"relais-piste-client","client_secret":"relais-piste-secret",
                      "technical_login":"TECH_1_relais@cpro.fr","technical_password":"Relais-Tech-2026",
                      "retry_delay_seconds":0})");
    s->set("structure_id", std::string(chorus_emulator::kSupplierSiret));
    s->set("oauth_url", emulator_->oauth_url());
    s->set("api_url", emulator_->api_url());
    std::ostringstream text;
    s->stringify(text);
    load(text.str(), options.settings);
}

host::CallResult ChorusHarness::step(const std::string &action, const std::string &input, uint32_t step,
                                     const std::optional<std::string> &checkpoint, const std::string &job) {
    host::StepInput in;
    in.step = step;
    in.checkpoint = checkpoint;
    return instance().execute(action, input, job, nullptr, in);
}

JobRun ChorusHarness::run_job(const std::string &action, const std::string &input, int max_steps) {
    JobRun run;
    run.steps.push_back(step(action, input, 1, std::nullopt));
    resume(run, action, input, max_steps - 1);
    return run;
}

void ChorusHarness::resume(JobRun &run, const std::string &action, const std::string &input, int max_steps) {
    for (int i = 0; i < max_steps && run.waiting(); ++i) {
        const auto later = *run.last().later;
        clock().advance(std::chrono::milliseconds(later.delay_ms));
        run.steps.push_back(step(action, input, static_cast<uint32_t>(run.steps.size() + 1), later.checkpoint));
    }
}

std::vector<host::CallResult> ChorusHarness::run_jobs(int max_jobs) {
    std::vector<host::CallResult> results;
    for (int i = 0; i < max_jobs; ++i) {
        const auto job = chorus_backend.pop();
        if (!job) break;
        clock().advance(std::chrono::milliseconds(job->delay_ms));
        results.push_back(run_job(job->action, job->input).last());
    }
    return results;
}

}  // namespace relais::test
