// The chorus connector as the host runs it, against the Chorus Pro emulator over HTTPS with a
// test CA (the shared connector harness, tests/harness), the emulator's clock driven by the
// test: a test runs jobs itself, step by step as the host's scheduler does (the checkpoint of
// a step that continues later handed to the next one), moving the emulator's clock by each
// wait instead of waiting. The host's services are ChorusBackend's: versioned state with
// expiry on the emulator's clock, and business events.
#pragma once

#include "chorus_backend.hpp"
#include "connector_harness.hpp"

#include "chorus_emulator.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace relais::test {

struct ChorusHarnessOptions {
    // Settings merged over the defaults (enabled, emulator URLs and credentials, CA file).
    std::string settings = "{}";
    int per_second = 0;  // the emulator's quota; 0: none (the test clock stands still)
    int per_day = 0;
    std::chrono::milliseconds processing_delay{std::chrono::minutes(10)};
    bool with_backend = true;  // false: as the standalone CLI, no jobs, no state
};

// Built before the harness it is given to.
struct ChorusBackendHolder {
    std::shared_ptr<emulator::EmulatorClock> clock;
    ChorusBackend chorus_backend;
    ChorusBackendHolder();
};

class ChorusHarness : private ChorusBackendHolder, public ConnectorHarness {
public:
    explicit ChorusHarness(ChorusHarnessOptions options = {});

    chorus_emulator::ChorusEmulator &emulator() { return *emulator_; }
    emulator::EmulatorClock &clock() { return *ChorusBackendHolder::clock; }
    ChorusBackend &host_state() { return chorus_backend; }

    // One step of a job of `action`: step 1 without checkpoint, later steps with the one the
    // previous step left.
    host::CallResult step(const std::string &action, const std::string &input, uint32_t step,
                          const std::optional<std::string> &checkpoint, const std::string &job = "job-1");
    // Runs a job from its first step, each later step after moving the emulator's clock by
    // the wait the previous one asked for, until it ends or `max_steps` ran.
    JobRun run_job(const std::string &action, const std::string &input, int max_steps = 200);
    // Continues `run` (its next step after its wait), until it ends or `max_steps` more ran.
    void resume(JobRun &run, const std::string &action, const std::string &input, int max_steps = 200);
    // Runs the jobs the connector enqueued, each as a whole job, in order; their last results.
    std::vector<host::CallResult> run_jobs(int max_jobs = 100);

private:
    std::unique_ptr<chorus_emulator::ChorusEmulator> emulator_;
};

// The sample invoices (plugins/chorus/samples), with the number and buyer replaced.
std::string sample_ubl(const std::string &invoice_number = "FA-2026-0001",
                       const std::string &buyer_siret = chorus_emulator::kBuyerSiret);
std::string sample_cii(const std::string &invoice_number = "FA-2026-0001",
                       const std::string &buyer_siret = chorus_emulator::kBuyerSiret);
// submit_invoice's input for a UBL invoice; `track` false: the job ends once deposited.
std::string submit_input(const std::string &invoice_number, const std::string &file, const std::string &syntax = "ubl",
                         bool track = true);

}  // namespace relais::test
