// A connector's quotas as its plugin declares them and its configure adjusts them, turned into
// the limiter's QuotaSettings.
//
// Declared: the descriptor's quota windows (relais_quota_window_desc) when it has any;
// otherwise its legacy quotas (relais_quota_desc), where "requests" keeps its rate and its
// calendar-day cap (counted per UTC day in the job store, as always), and another scope gets
// the window of its rate and a sliding 24-hour window for its per_day.
//
// Adjusted by configure's answer:
//   "quota_windows": [{"scope":"requests","count":30,"window_seconds":60,"per_key":false}, ...]
//       replaces every declared window, the legacy rate's included (window_seconds 0: a
//       concurrency limit; scope defaults to "requests", per_key to false);
//   "quotas": [{"scope":"requests","per_second":5,"per_day":50000}, ...]
//       then, as before windows existed: "requests" sets the rate and the daily cap (a key
//       left out keeps its value); another scope replaces that scope's windows.
#pragma once

#include "jobs/quota.hpp"
#include "plugins/plugin_descriptor.hpp"

#include <Poco/JSON/Object.h>

#include <vector>

namespace relais::host {

// Throws std::invalid_argument naming the key and the entry for a bad adjustment.
QuotaSettings quota_settings_for(const std::vector<QuotaInfo> &quotas, const std::vector<QuotaWindowInfo> &windows,
                                 const Poco::JSON::Object::Ptr &adjustments);

}  // namespace relais::host
