// What one call into a plugin produced: its status, the result document or the error.
#pragma once

#include <relais/plugin.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace relais::host {

struct CallResult {
    relais_status status = RELAIS_OK;
    std::string body;         // the JSON the plugin appended (result, or test steps)
    std::string message;      // one line, when status is not ok
    std::string detail_json;  // JSON object, or empty
    uint64_t retry_after_ms = 0;
    std::chrono::nanoseconds duration{0};

    bool ok() const { return status == RELAIS_OK; }
};

}  // namespace relais::host
