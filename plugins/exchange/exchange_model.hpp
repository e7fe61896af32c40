// What the connector knows of a calendar event, the same whichever backend carried it (EWS
// CalendarItem or Graph event), and what the ERP asks to create.
//
// Times: `start`/`end` in UTC ("2026-03-30T07:00:00Z") with the event's own time-zone name
// beside them (`time_zone`, a Windows name such as "Romance Standard Time", or "UTC"), so a
// weekly 09:00 Paris meeting reads 08:00Z in winter and 07:00Z in summer and says so. All-day
// events are dates: `start_date`/`end_date` ("2026-03-30"), end exclusive, as both APIs say.
//
// The ERP's mark: every event the connector creates carries its `erp_id` in an extended
// property (EWS ExtendedFieldURI / Graph singleValueExtendedProperties, the same named
// property in the PublicStrings set, so both backends see it), and Graph's transactionId.
// Only events with that mark are ever changed or deleted by push_planning.
#pragma once

#include <relais/plugin.hpp>

#include <optional>
#include <string>
#include <vector>

namespace relais::exchange {

// The named property that marks the ERP's events (PS_PUBLIC_STRINGS, string).
constexpr const char *kPublicStringsGuid = "00020329-0000-0000-C000-000000000046";
constexpr const char *kErpIdProperty = "RelaisErpId";
// Graph's id of that property: "String {00020329-0000-0000-C000-000000000046} Name RelaisErpId".
std::string graph_erp_property_id();

struct Attendee {
    std::string email, name;
    std::string type = "required";  // required, optional, resource
    std::string response;           // as the API says (none, accepted, declined, tentative...)
};

struct Event {
    std::string id;       // EWS ItemId / Graph id
    std::string version;  // EWS ChangeKey / Graph @odata.etag (or changeKey)
    std::string ical_uid;
    std::string erp_id;   // the ERP's mark, "" for a person's own event
    std::string subject, location, body;
    bool is_all_day = false;
    std::string start, end;            // UTC ISO 8601 with Z (timed events)
    std::string start_date, end_date;  // all-day events
    std::string time_zone = "UTC";
    std::string show_as;  // free, tentative, busy, oof, workingElsewhere, unknown
    std::vector<std::string> categories;
    std::optional<int> reminder_minutes;
    std::vector<Attendee> attendees;
    std::string organizer;
    std::string type;  // single, occurrence, exception, seriesMaster
    std::string series_id;
    std::string last_modified;

    Json to_json() const;
};

// What the ERP asks for (create_event, push_planning's events[]).
struct EventIn {
    std::string erp_id;
    std::string subject, location, body;
    bool is_all_day = false;
    // Timed: local wall-clock times in time_zone ("2026-03-30T09:00:00"), or UTC with Z.
    std::string start, end, time_zone = "UTC";
    std::string start_date, end_date;  // all-day
    std::string show_as = "busy";
    std::vector<std::string> categories;
    std::optional<int> reminder_minutes;
    std::vector<Attendee> attendees;
};

// Throws invalid_input naming the field (`where` prefixes it, e.g. "events[3]").
EventIn parse_event_in(const Json &input, const std::string &where, bool require_erp_id);

// One change seen by a sync.
struct Change {
    enum class Kind { created, updated, deleted } kind = Kind::updated;
    Event event;  // for deleted: only id (and erp_id when known)
};

}  // namespace relais::exchange
