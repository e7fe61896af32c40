// A connector as the host runs it, against its API's emulator over HTTPS with a test CA: each
// test gets its own directory, certificate authority, copy of the plugin and plugin instance,
// and the host's job queue and plugin state in memory (MemoryBackend). A connector's own
// harness derives from this one, starts its emulator with server_tls() and calls load() with
// the settings that point the connector at it.
//
// What every connector test needs is here once: settings merged over the defaults and
// validated by the host as `relais serve` does, calls, the Test button, restarts on the same
// state (a host restart), and follow-up jobs run in order. And the connector's quota as the
// host enforces it (harness_quota.hpp): every call and job takes from the host's QuotaLimiter,
// configured from the descriptor and configure's answer, and the plugin's quota reports reach
// it (except with_backend false: the standalone CLI, which has no quota).
#pragma once

#include "harness_quota.hpp"
#include "memory_backend.hpp"
#include "temp_dir.hpp"

#include "certificate_authority.hpp"

#include "plugins/call_result.hpp"
#include "plugins/plugin_registry.hpp"

#include <Poco/JSON/Object.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace relais::test {

struct ConnectorHarnessOptions {
    // The memory backend (jobs and state) is given to the plugin; false: as the standalone
    // CLI, no jobs and no state.
    bool with_backend = true;
    // Another backend instead of the memory one (a test that counts state writes its own way).
    host::PluginBackend *backend = nullptr;
    // load() configures the instance and requires success.
    bool configure = true;
};

// One job as the host runs it: its steps' results, in order.
struct JobRun {
    std::vector<host::CallResult> steps;
    const host::CallResult &last() const { return steps.back(); }
    bool waiting() const { return !steps.empty() && steps.back().ok() && steps.back().later; }
    // The last step's result document (the job's result once it ended well).
    Poco::JSON::Object::Ptr result() const;
    // The progress the last step left (null unless it continues later).
    Poco::JSON::Object::Ptr progress() const;
};

class ConnectorHarness {
public:
    ConnectorHarness(std::string plugin, ConnectorHarnessOptions options = {});
    virtual ~ConnectorHarness();

    // For the emulator: its certificate and key, signed by the test CA the connector trusts.
    const emulator::TlsFiles &server_tls() const { return ca_->server_files(); }
    const std::filesystem::path &ca_file() const { return ca_->ca_file(); }
    const std::filesystem::path &dir() const { return dir_.path(); }
    MemoryBackend &backend() { return backend_; }
    // The connector's quota as the host keeps it.
    host::QuotaLimiter &quota() { return quota_.limiter(); }
    host::PluginInstance &instance() { return *instance_; }

    // Loads the plugin; `base_settings` (a JSON object) is merged under every configure's
    // overrides. The CA file is added as ca_file unless base_settings sets it. Calls and jobs
    // then take the quota its descriptor declares, as configure's answer adjusts it.
    void load(const std::string &base_settings, const std::string &overrides = "{}");

    // The base settings with `overrides` merged in, validated and defaulted by the host.
    std::string settings(const std::string &overrides = "{}") const;
    host::CallResult configure(const std::string &overrides = "{}");
    host::CallResult call(const std::string &action, const std::string &input);
    // Calls and requires success; the result document.
    Poco::JSON::Object::Ptr ok(const std::string &action, const std::string &input);
    host::CallResult test();
    // A fresh plugin instance (a host restart) on the same state, configured with `overrides`.
    void restart(const std::string &overrides = "{}");

    // One step of a job of `action`, with the connector's quota as the scheduler gives it: step 1
    // without checkpoint, later steps with the one the previous step left.
    host::CallResult step(const std::string &action, const std::string &input, uint32_t step,
                          const std::optional<std::string> &checkpoint, const std::string &job = "job-1");

    // Runs queued jobs in order, each after `before_each` was told its delay (a test moves its
    // emulator's clock by it instead of waiting), until none is left or `max_jobs` ran.
    std::vector<host::CallResult> run_jobs(int max_jobs, const std::function<void(std::chrono::milliseconds)> &before_each);

private:
    host::CallResult execute(const std::string &action, const std::string &input, const std::string &call_id);

    std::string plugin_;
    ConnectorHarnessOptions options_;
    TempDir dir_;
    std::unique_ptr<emulator::TestCertificateAuthority> ca_;
    MemoryBackend backend_;
    HarnessQuota quota_;
    std::unique_ptr<QuotaReportingBackend> reporting_;  // the backend the plugin sees
    std::string base_settings_ = "{}";
    std::unique_ptr<host::PluginRegistry> registry_;
    std::shared_ptr<host::PluginInstance> instance_;
};

// Small JSON helpers for connector tests.
Poco::JSON::Object::Ptr parse(const std::string &json);
// A JSON string literal for `text`.
std::string json_string(const std::string &text);
std::string base64(const std::string &bytes);

}  // namespace relais::test
