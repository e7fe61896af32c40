// Series expanded into occurrences: the local dates a Recurrence falls on, each at the
// master's local time of day in the zone of its start, turned back into UTC on that date (so
// the UTC time moves when daylight saving starts or ends, and the wall-clock time does not).
// Occurrence ids are the master's id, "OC" and the local date (yyyymmdd).
#pragma once

#include "exchange_emulator.hpp"
#include "exchange_time.hpp"

#include <optional>
#include <string>
#include <vector>

namespace relais::exchange_emulator {

// The occurrences of `master` overlapping [start, end), as events (id, start, end and
// series_master_id set; no recurrence), by start. At most 5000.
std::vector<Event> occurrences(const Event &master, TimePoint start, TimePoint end);
// The occurrence of `master` on the local date an occurrence id names; nullopt when the
// series does not fall on it.
std::optional<Event> occurrence_by_id(const Event &master, const std::string &occurrence_id);
// The master id in an occurrence id; nullopt for an id that is not an occurrence's.
std::optional<std::string> master_of(const std::string &occurrence_id);

// "monday" <-> Monday (Graph spells them in lower case, EWS capitalised).
std::optional<std::chrono::weekday> weekday_named(const std::string &name);
std::string weekday_name(std::chrono::weekday day, bool capitalised);
// "2026-03-02" (xs:date; EWS may add a zone, "2026-03-02Z", which is ignored).
std::optional<std::chrono::sys_days> parse_date(const std::string &text);
std::string date_text(std::chrono::sys_days day);

}  // namespace relais::exchange_emulator
