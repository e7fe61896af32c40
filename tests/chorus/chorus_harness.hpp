// The chorus connector as the host runs it, against the Chorus Pro emulator over HTTPS with a
// test CA: each test gets its own directory, certificate authority, emulator (own port, its
// clock driven by the test) and plugin instance. The host's job queue and plugin state are
// played by a small in-memory backend, so a test runs the tracking jobs itself, in order,
// moving the emulator's clock to each job's time instead of waiting.
#pragma once

#include "temp_dir.hpp"

#include "certificate_authority.hpp"
#include "chorus_emulator.hpp"

#include "call_result.hpp"
#include "plugin_backend.hpp"
#include "plugin_registry.hpp"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace relais::test {

// Jobs and state kept in memory.
class MemoryBackend : public host::PluginBackend {
public:
    struct QueuedJob {
        int64_t id;
        std::string action, input, key;
        uint64_t delay_ms;
    };
    Enqueued enqueue(const std::string &connector, const std::string &action, const std::string &input_json,
                     const std::string &idempotency_key, uint64_t delay_ms, uint32_t max_attempts) override;
    std::optional<std::string> state_get(const std::string &plugin, const std::string &key) override;
    void state_put(const std::string &plugin, const std::string &key, const std::string &value) override;
    void state_delete(const std::string &plugin, const std::string &key) override;

    std::optional<QueuedJob> pop();
    std::size_t queued() const;
    std::size_t enqueued_total() const;
    std::size_t state_size() const;
    std::optional<std::string> state(const std::string &key) const;

private:
    mutable std::mutex mutex_;
    int64_t next_id_ = 1;
    std::map<std::string, int64_t> keys_;
    std::deque<QueuedJob> queue_;
    std::map<std::string, std::string> state_;
};

struct ChorusHarnessOptions {
    // Settings merged over the defaults (enabled, emulator URLs and credentials, CA file).
    std::string settings = "{}";
    int per_second = 0;  // the emulator's quota; 0: none (the test clock stands still)
    int per_day = 0;
    std::chrono::milliseconds processing_delay{std::chrono::minutes(10)};
    bool with_backend = true;  // false: as the standalone CLI, no jobs, no state
};

class ChorusHarness {
public:
    explicit ChorusHarness(ChorusHarnessOptions options = {});

    chorus_emulator::ChorusEmulator &emulator() { return *emulator_; }
    emulator::EmulatorClock &clock() { return emulator_->server().clock(); }
    MemoryBackend &backend() { return backend_; }
    host::PluginInstance &instance() { return *instance_; }
    const std::filesystem::path &ca_file() const { return ca_->ca_file(); }
    const std::filesystem::path &dir() const { return dir_.path(); }

    std::string settings(const std::string &overrides = "{}") const;
    host::CallResult configure(const std::string &overrides = "{}");
    host::CallResult call(const std::string &action, const std::string &input);
    Poco::JSON::Object::Ptr ok(const std::string &action, const std::string &input);
    host::CallResult test();
    // A fresh plugin instance (a host restart) on the same state, configured like this one.
    void restart(const std::string &overrides = "{}");

    // Runs queued jobs in order, moving the emulator's clock forward by each one's delay,
    // until none is left or `max_jobs` ran; the results of the jobs, in order.
    std::vector<host::CallResult> run_jobs(int max_jobs = 100);

private:
    TempDir dir_{"relais-chorus"};
    std::unique_ptr<emulator::TestCertificateAuthority> ca_;
    std::unique_ptr<chorus_emulator::ChorusEmulator> emulator_;
    ChorusHarnessOptions options_;
    MemoryBackend backend_;
    std::unique_ptr<host::PluginRegistry> registry_;
    std::shared_ptr<host::PluginInstance> instance_;
};

Poco::JSON::Object::Ptr parse(const std::string &json);
std::string json_string(const std::string &text);
std::string base64(const std::string &bytes);

// The sample invoices (plugins/chorus/samples), with the number and buyer replaced.
std::string sample_ubl(const std::string &invoice_number = "FA-2026-0001",
                       const std::string &buyer_siret = chorus_emulator::kBuyerSiret);
std::string sample_cii(const std::string &invoice_number = "FA-2026-0001",
                       const std::string &buyer_siret = chorus_emulator::kBuyerSiret);
// submit_invoice's input for a UBL invoice.
std::string submit_input(const std::string &invoice_number, const std::string &file, const std::string &syntax = "ubl");

}  // namespace relais::test
