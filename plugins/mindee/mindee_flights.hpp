// Single flight within this process: concurrent reads of the same new file (same SHA-256, same
// model) make one upstream read; the others wait for its answer. Across jobs and hosts the
// plugin state's pending record does the same (mindee_receipts.hpp).
#pragma once

#include <relais/plugin.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace relais::mindee {

class Flights {
public:
    // Runs `read` unless a read of `key` is already under way; then waits for it, up to
    // `max_wait`, and returns its answer. A failed read is not shared: the next caller tries
    // again (as leader), so one caller's bad luck with the network is not everyone's.
    Json run(const std::string &key, std::chrono::milliseconds max_wait, const std::function<Json()> &read);

private:
    struct Flight {
        bool done = false;
        Json body;  // null when the leader failed
    };

    mutable std::mutex mutex_;
    std::condition_variable landed_;
    std::map<std::string, std::shared_ptr<Flight>> flights_;
};

}  // namespace relais::mindee
