// Mindee's asynchronous jobs as the connector reads them: v1's job object (waiting,
// processing, completed, failed with error{code, message, details}) and v2's (Processing,
// Processed with result_url, Failed with error{title, detail, errors[{pointer, detail}]}).
#pragma once

#include <relais/plugin.hpp>

#include <string>

namespace relais::mindee {

struct JobState {
    enum class Status { processing, processed, failed };
    Status status = Status::processing;
    std::string id;
    std::string result_url;  // v2, once processed
    std::string reason;      // failed: Mindee's words, one line
};

// {"job": {...}} of v1 (predict_async, documents/queue/{id}); a body with a document is
// processed.
JobState read_v1_job(const Json &body);
// {"job": {...}} of v2 (enqueue, jobs/{id}).
JobState read_v2_job(const Json &body);

}  // namespace relais::mindee
