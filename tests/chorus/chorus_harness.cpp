#include "chorus_harness.hpp"

#include "plugin_files.hpp"

#include "connector_settings.hpp"

#include <catch2/catch.hpp>

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <sstream>

#ifndef CHORUS_SAMPLES_DIR
#error "CHORUS_SAMPLES_DIR must point to plugins/chorus/samples"
#endif

namespace relais::test {

// --- MemoryBackend ----------------------------------------------------------------------------

host::PluginBackend::Enqueued MemoryBackend::enqueue(const std::string &, const std::string &action,
                                                     const std::string &input_json, const std::string &idempotency_key,
                                                     uint64_t delay_ms, uint32_t) {
    std::lock_guard lock(mutex_);
    if (!idempotency_key.empty()) {
        const auto it = keys_.find(idempotency_key);
        if (it != keys_.end()) return {it->second, false};
    }
    const auto id = next_id_++;
    if (!idempotency_key.empty()) keys_[idempotency_key] = id;
    queue_.push_back({id, action, input_json, idempotency_key, delay_ms});
    return {id, true};
}

std::optional<std::string> MemoryBackend::state_get(const std::string &, const std::string &key) {
    std::lock_guard lock(mutex_);
    const auto it = state_.find(key);
    return it == state_.end() ? std::nullopt : std::optional(it->second);
}

void MemoryBackend::state_put(const std::string &, const std::string &key, const std::string &value) {
    std::lock_guard lock(mutex_);
    state_[key] = value;
}

void MemoryBackend::state_delete(const std::string &, const std::string &key) {
    std::lock_guard lock(mutex_);
    state_.erase(key);
}

std::optional<MemoryBackend::QueuedJob> MemoryBackend::pop() {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return std::nullopt;
    auto job = queue_.front();
    queue_.pop_front();
    return job;
}

std::size_t MemoryBackend::queued() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

std::size_t MemoryBackend::enqueued_total() const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(next_id_ - 1);
}

std::size_t MemoryBackend::state_size() const {
    std::lock_guard lock(mutex_);
    return state_.size();
}

std::optional<std::string> MemoryBackend::state(const std::string &key) const {
    std::lock_guard lock(mutex_);
    const auto it = state_.find(key);
    return it == state_.end() ? std::nullopt : std::optional(it->second);
}

// --- helpers ----------------------------------------------------------------------------------

Poco::JSON::Object::Ptr parse(const std::string &json) {
    return Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
}

std::string json_string(const std::string &text) {
    std::ostringstream out;
    Poco::JSON::Stringifier::formatString(text, out);
    return out.str();
}

std::string base64(const std::string &bytes) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

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

ChorusHarness::ChorusHarness(ChorusHarnessOptions options) : options_(std::move(options)) {
    ca_ = std::make_unique<emulator::TestCertificateAuthority>(dir_.path());
    chorus_emulator::ChorusEmulatorOptions e;
    e.server.tls = ca_->server_files();
    // Manual time: states move when the test moves the clock.
    e.server.clock = std::make_shared<emulator::EmulatorClock>(std::chrono::system_clock::now());
    e.per_second = options_.per_second;
    e.per_day = options_.per_day;
    e.processing_delay = options_.processing_delay;
    emulator_ = std::make_unique<chorus_emulator::ChorusEmulator>(e);
    emulator_->start();
    copy_plugin(built_plugin_dir(), "chorus", dir_ / "plugins");
    restart(options_.settings);
}

void ChorusHarness::restart(const std::string &overrides) {
    instance_.reset();
    host::ScanOptions scan;
    scan.backend = options_.with_backend ? &backend_ : nullptr;
    registry_ = std::make_unique<host::PluginRegistry>(host::PluginRegistry::scan(dir_ / "plugins", scan));
    const auto *plugin = registry_->find("chorus");
    REQUIRE(plugin);
    instance_ = plugin->instance;
    const auto r = configure(overrides);
    INFO(r.message);
    REQUIRE(r.ok());
}

std::string ChorusHarness::settings(const std::string &overrides) const {
    auto s = parse(R"({"enabled":true,"client_id":"relais-piste-client","client_secret":"relais-piste-secret",
                      "technical_login":"TECH_1_relais@cpro.fr","technical_password":"Relais-Tech-2026",
                      "retry_delay_seconds":0})");
    s->set("structure_id", std::string(chorus_emulator::kSupplierSiret));
    s->set("oauth_url", emulator_->oauth_url());
    s->set("api_url", emulator_->api_url());
    s->set("ca_file", ca_->ca_file().string());
    const auto extra = parse(overrides);
    for (const auto &name : extra->getNames()) s->set(name, extra->get(name));
    const auto resolved = host::resolve_settings(instance_->descriptor(), s);
    std::ostringstream text;
    resolved->stringify(text);
    return text.str();
}

host::CallResult ChorusHarness::configure(const std::string &overrides) { return instance_->configure(settings(overrides)); }

host::CallResult ChorusHarness::call(const std::string &action, const std::string &input) {
    return instance_->execute(action, input, "test-call");
}

Poco::JSON::Object::Ptr ChorusHarness::ok(const std::string &action, const std::string &input) {
    const auto r = call(action, input);
    INFO(action << " " << input.substr(0, 300) << " -> " << r.message);
    REQUIRE(r.ok());
    return parse(r.body);
}

host::CallResult ChorusHarness::test() { return instance_->test(); }

std::vector<host::CallResult> ChorusHarness::run_jobs(int max_jobs) {
    std::vector<host::CallResult> results;
    for (int i = 0; i < max_jobs; ++i) {
        const auto job = backend_.pop();
        if (!job) break;
        clock().advance(std::chrono::milliseconds(job->delay_ms));
        results.push_back(instance_->execute(job->action, job->input, "job-" + std::to_string(job->id)));
    }
    return results;
}

}  // namespace relais::test
