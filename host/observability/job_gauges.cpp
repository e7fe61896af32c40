#include "observability/job_gauges.hpp"

#include "jobs/job_store.hpp"

#include <algorithm>

namespace relais::host {

Metrics::JobGauges read_job_gauges(JobStore &store, std::vector<std::string> connectors, int64_t now_ms) {
    std::sort(connectors.begin(), connectors.end());
    connectors.erase(std::unique(connectors.begin(), connectors.end()), connectors.end());
    std::vector<JobState> states(std::begin(kAllJobStates), std::end(kAllJobStates));
    std::sort(states.begin(), states.end(), [](JobState a, JobState b) { return to_string(a) < to_string(b); });

    Metrics::JobGauges gauges;
    for (const auto &connector : connectors) {
        for (const auto state : states)
            gauges.by_state.push_back({connector, std::string(to_string(state)), store.count(state, connector)});
        gauges.runnable.emplace_back(connector, store.count_runnable(now_ms, connector));
    }
    return gauges;
}

}  // namespace relais::host
