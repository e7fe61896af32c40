// Times on both wires: ISO 8601 read and written, and the few time zones the emulator knows
// (Windows names, as EWS and Graph use them, and their IANA equivalents) with their daylight
// saving rules, so an event given as 09:00 in Paris lands at the right UTC instant on either
// side of a change.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace relais::exchange_emulator {

using TimePoint = std::chrono::system_clock::time_point;

// "2026-03-02T10:00:00Z", "2013-08-21T17:30:24.127Z", "2020-01-01T19:00:00-08:00", or without
// a zone ("2026-03-02T10:00:00", "2026-03-02"): then the time is taken as UTC and `had_zone`
// says so. nullopt when it is not such a time.
std::optional<TimePoint> parse_iso(const std::string &text, bool *had_zone = nullptr);
// EWS: "2026-03-02T10:00:00Z".
std::string ews_time(TimePoint t);
// Graph: "2026-03-02T10:00:00.0000000" (no zone; the zone goes beside it).
std::string graph_local_time(TimePoint local);
// Graph's createdDateTime: "2026-03-02T10:00:00.0000000Z".
std::string graph_utc_time(TimePoint t);

// Whether the emulator knows this zone ("UTC", "W. Europe Standard Time", "Europe/Paris"...).
bool known_time_zone(const std::string &zone);
// UTC to the zone's wall clock, and back (a wall time in a DST gap or overlap takes the
// earlier offset). Unknown zones are UTC.
TimePoint utc_to_local(const std::string &zone, TimePoint utc);
TimePoint local_to_utc(const std::string &zone, TimePoint local);

}  // namespace relais::exchange_emulator
