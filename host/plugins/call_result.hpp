// What one call into a plugin produced: its status, the result document or the error.
#pragma once

#include <relais/plugin.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace relais::host {

// A job step that asked to run again later (relais_output.continue_later).
struct ContinueLater {
    int64_t delay_ms = 0;
    std::string checkpoint;  // JSON text: the job's progress, handed to its next step

    bool operator==(const ContinueLater &) const = default;
};

// What a job step passes to the plugin beyond action and input. Default: not a job.
struct StepInput {
    uint32_t step = 0;                       // 1, 2, ... for a job; 0 for a synchronous call
    std::optional<std::string> checkpoint;   // the previous step's progress
    std::optional<std::string> idempotency_key;
};

struct CallResult {
    relais_status status = RELAIS_OK;
    std::string body;         // the JSON the plugin appended (result, or test steps)
    std::string message;      // one line, when status is not ok
    std::string detail_json;  // JSON object, or empty
    uint64_t retry_after_ms = 0;
    std::chrono::nanoseconds duration{0};
    // Set (with status ok) when a job step is not the job's end: run it again later.
    std::optional<ContinueLater> later;

    bool ok() const { return status == RELAIS_OK; }
};

}  // namespace relais::host
