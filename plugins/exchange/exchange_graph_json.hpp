// Microsoft Graph's event resource and the connector's model, both ways (part B.7 of the
// reference): what list, get and delta answers hold, and what a POST or PATCH sends.
//
// Reading: every read asks for UTC (Prefer: outlook.timezone="UTC"), so start/end come as a
// wall clock in UTC ("2026-03-30T07:00:00.0000000" beside "UTC") and become
// "2026-03-30T07:00:00Z"; the event's own zone is originalStartTimeZone (start.timeZone when
// absent). All-day events are dates (Graph gives them at midnight, end exclusive). The ERP's
// mark is read from singleValueExtendedProperties when the read expanded it.
//
// Writing: a timed EventIn goes as its wall clock in its own zone ({"dateTime", "timeZone"}),
// or as UTC when its start ends in Z; Graph does the zone arithmetic, daylight saving included.
#pragma once

#include "exchange_model.hpp"

#include <string>

namespace relais::exchange::graph {

// Graph's event JSON to the model. Throws relais::Error (transient: a garbled answer) when it
// has no id, or internal when a time is in a zone other than the UTC asked for.
Event event_from_json(const Json &event);

// The body of POST /events (`transaction_id` non-empty) or of PATCH /events/{id}: subject,
// body (text), start/end, isAllDay, location, attendees, showAs, categories, the reminder
// (left out when reminder_minutes is absent: Outlook's default on creation, unchanged on an
// update), the ERP's mark (when erp_id is set) and transactionId (creation only).
Json event_body(const EventIn &event, const std::string &transaction_id);

// The transactionId of the ERP's event `erp_id` in `mailbox`: a UUID made from the SHA-256 of
// both (the mailbox in lower case), version 8 (RFC 9562's custom, name-based form), so that
// a create sent twice is the same create for Graph.
std::string transaction_id(const std::string &mailbox, const std::string &erp_id);

// "2026-03-30T07:00:00.0000000" + "UTC" -> "2026-03-30T07:00:00Z"; throws internal for another
// zone (reads ask for UTC).
std::string utc_time(const std::string &date_time, const std::string &zone);

// An OData string literal's content: ' doubled.
std::string odata_quote(const std::string &text);

}  // namespace relais::exchange::graph
