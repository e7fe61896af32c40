// Jobs as JSON, as the API shows them and as callbacks deliver them.
#pragma once

#include "jobs/job.hpp"

#include <Poco/JSON/Object.h>

namespace relais::host {

// A time of the job store (ms since the epoch) as the API shows it: ISO 8601 UTC.
std::string job_time_text(int64_t ms);

// The input is left out unless asked for (GET ...?include=input): the submitter has it, it
// may be large, and answers and callbacks need not carry it back.
Poco::JSON::Object::Ptr job_to_json(const Job &job, bool include_input = false);
// The job with its attempt history.
Poco::JSON::Object::Ptr job_detail_to_json(const JobDetail &detail, bool include_input = false);

}  // namespace relais::host
