// Times on the EWS wire and the time zones the EWS backend converts (exchange_ews_time.cpp):
// EWS is asked for UTC (TimeZoneContext), so a wall clock in an event's zone is made UTC here,
// and an all-day event's dates are read in its own zone. The common Windows zone names and
// their IANA equivalents are known, with the EU and US daylight saving rules; an unknown zone
// is nullptr (its times must come in UTC).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace relais::exchange::ews_time {

enum class Dst { none, eu, us };
struct Zone {
    int standard_minutes;  // east of UTC
    Dst dst;
};

const Zone *zone_named(const std::string &name);
std::chrono::minutes offset_at(const Zone &zone, std::chrono::system_clock::time_point utc);
// A wall clock to UTC (in a gap or an overlap, the summer reading when it reads back).
std::chrono::system_clock::time_point local_to_utc(const Zone &zone, std::chrono::system_clock::time_point local);
// "2026-03-30T09:00[:00[.fff]][Z]" or "2026-03-30"; `zoned` says whether it ended with Z.
std::optional<std::chrono::system_clock::time_point> parse_time(const std::string &text, bool *zoned = nullptr);
std::string utc_text(std::chrono::system_clock::time_point t);   // "2026-03-30T07:00:00Z"
std::string date_text(std::chrono::system_clock::time_point t);  // "2026-03-30"

}  // namespace relais::exchange::ews_time
