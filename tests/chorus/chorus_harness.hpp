// The chorus connector as the host runs it, against the Chorus Pro emulator over HTTPS with a
// test CA (the shared connector harness, tests/harness), the emulator's clock driven by the
// test: a test runs the tracking jobs itself, in order, moving the emulator's clock to each
// job's time instead of waiting.
#pragma once

#include "connector_harness.hpp"

#include "chorus_emulator.hpp"

#include <chrono>
#include <memory>
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

class ChorusHarness : public ConnectorHarness {
public:
    explicit ChorusHarness(ChorusHarnessOptions options = {});

    chorus_emulator::ChorusEmulator &emulator() { return *emulator_; }
    emulator::EmulatorClock &clock() { return emulator_->server().clock(); }

    // Runs queued jobs in order, moving the emulator's clock forward by each one's delay,
    // until none is left or `max_jobs` ran; the results of the jobs, in order.
    std::vector<host::CallResult> run_jobs(int max_jobs = 100);

private:
    std::unique_ptr<chorus_emulator::ChorusEmulator> emulator_;
};

// The sample invoices (plugins/chorus/samples), with the number and buyer replaced.
std::string sample_ubl(const std::string &invoice_number = "FA-2026-0001",
                       const std::string &buyer_siret = chorus_emulator::kBuyerSiret);
std::string sample_cii(const std::string &invoice_number = "FA-2026-0001",
                       const std::string &buyer_siret = chorus_emulator::kBuyerSiret);
// submit_invoice's input for a UBL invoice.
std::string submit_input(const std::string &invoice_number, const std::string &file, const std::string &syntax = "ubl");

}  // namespace relais::test
