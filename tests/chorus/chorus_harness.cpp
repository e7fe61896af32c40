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

std::string submit_input(const std::string &invoice_number, const std::string &file, const std::string &syntax) {
    return R"({"invoice_number":)" + json_string(invoice_number) + R"(,"syntax":")" + syntax +
           R"(","file_base64":")" + base64(file) + "\"}";
}

// --- ChorusHarness ----------------------------------------------------------------------------

namespace {

ConnectorHarnessOptions harness_options(const ChorusHarnessOptions &o) {
    ConnectorHarnessOptions h;
    h.with_backend = o.with_backend;
    return h;
}

}  // namespace

ChorusHarness::ChorusHarness(ChorusHarnessOptions options) : ConnectorHarness("chorus", harness_options(options)) {
    chorus_emulator::ChorusEmulatorOptions e;
    e.server.tls = server_tls();
    // Manual time: states move when the test moves the clock.
    e.server.clock = std::make_shared<emulator::EmulatorClock>(std::chrono::system_clock::now());
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

std::vector<host::CallResult> ChorusHarness::run_jobs(int max_jobs) {
    return ConnectorHarness::run_jobs(max_jobs, [this](std::chrono::milliseconds delay) { clock().advance(delay); });
}

}  // namespace relais::test
