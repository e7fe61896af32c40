// The mindee connector as the host runs it, against the Mindee emulator over HTTPS with a test
// CA (the shared connector harness, tests/harness). The emulator's clock is manual unless asked
// otherwise: a job's steps are run by the test, each after moving the clock by the wait the
// previous step asked for and letting the emulator finish the Mindee jobs then due.
#pragma once

#include "connector_harness.hpp"
#include "receipt_files.hpp"

#include "mindee_emulator.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace relais::test {

struct MindeeHarnessOptions {
    std::string api_version = "v2";
    // Settings merged over the defaults (enabled, key, model, url of the emulator, generous
    // quotas so that only the tests about quotas meet them).
    std::string settings = "{}";
    bool manual_clock = true;  // false: the emulator runs on real time (synchronous v2 reads poll for real)
    std::chrono::milliseconds processing_time{std::chrono::seconds(3)};
    // The emulator's own rate limits (0: none).
    int v1_per_second = 0, v1_per_minute = 0, v2_enqueues_per_minute = 0, v2_polls_per_minute = 0;
    int v1_async_enqueue_status = 202;
    bool v2_registrations_plural = false;
    bool configure = true;
};

// Built before the harness it is given to: the clock, and the host's versioned state on it.
struct MindeeHostHolder {
    std::shared_ptr<emulator::EmulatorClock> clock_;
    MemoryBackend host_backend;
    explicit MindeeHostHolder(bool manual_clock);
};

class MindeeHarness : private MindeeHostHolder, public ConnectorHarness {
public:
    explicit MindeeHarness(MindeeHarnessOptions options = {});

    mindee_emulator::MindeeEmulator &emulator() { return *emulator_; }
    emulator::EmulatorClock &clock() { return *clock_; }

    host::CallResult read(const std::string &input) { return call("read_receipt", input); }
    // A job of read_receipt from its first step to its end (or `max_steps`), each later step
    // after moving the clock by the previous wait and finishing the emulator's due jobs.
    JobRun run_job(const std::string &input, int max_steps = 100);
    // Requests that reached the emulator's API (both versions).
    std::size_t upstream_requests() const;

private:
    std::unique_ptr<mindee_emulator::MindeeEmulator> emulator_;
};

// read_receipt's input for a file sent inline.
std::string receipt_input(const std::string &bytes, const std::string &name, const std::string &extra = "");

}  // namespace relais::test
