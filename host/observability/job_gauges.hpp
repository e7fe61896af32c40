// The gauges of /metrics that are read from the job store when it is scraped, rather than
// kept up to date by every state change: the store is the truth, also for the jobs other
// processes sharing it changed.
#pragma once

#include "observability/metrics.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace relais::host {

class JobStore;

// The jobs of each of `connectors` by state (every state, 0 included) and how many could start
// at `now_ms`, by connector then state name. Throws what the store throws.
Metrics::JobGauges read_job_gauges(JobStore &store, std::vector<std::string> connectors, int64_t now_ms);

}  // namespace relais::host
