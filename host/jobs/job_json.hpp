// Jobs as JSON, as the API shows them and as callbacks deliver them.
#pragma once

#include "jobs/job.hpp"

#include <Poco/JSON/Object.h>

namespace relais::host {

Poco::JSON::Object::Ptr job_to_json(const Job &job);
// The job with its attempt history.
Poco::JSON::Object::Ptr job_detail_to_json(const JobDetail &detail);

}  // namespace relais::host
