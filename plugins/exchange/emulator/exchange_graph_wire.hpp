// Graph's event resource both ways: the JSON of an event (times in UTC or in the zone a
// Prefer: outlook.timezone asked for; the extended properties a $expand asked for), and an
// event read from a POST or PATCH body, strictly (an unknown property is refused as Graph
// does). The error body is graph_error() (exchange_state.hpp).
#pragma once

#include "exchange_emulator.hpp"
#include "http_message.hpp"

#include <Poco/JSON/Object.h>

#include <optional>
#include <set>
#include <string>

namespace relais::exchange_emulator::graph {

// Thrown by the readers: answered with graph_error(status, code, message).
struct Refusal {
    int status;
    std::string code;
    std::string message;
};

// The zone of a Prefer: outlook.timezone="..." header ("UTC" without one); Refusal for one
// the emulator does not know.
std::string preferred_time_zone(const emulator::Request &request);
// Prefer: odata.maxpagesize=N, if given.
std::optional<int> preferred_page_size(const emulator::Request &request);
// The extended property ids of $expand=singleValueExtendedProperties($filter=id eq '...'),
// normalised (see normalise_property_id); empty without one. Refusal for another $expand.
std::set<std::string> expanded_properties(const emulator::Request &request);
// "String {GUID} Name x" with the GUID in lower case, as Event::extended keys them.
std::string normalise_property_id(const std::string &id);

Poco::JSON::Object::Ptr event_json(const Event &event, const Mailbox &organizer, const std::string &time_zone,
                                   const std::set<std::string> &expanded);
// Reads a POST body (`creating`: start and end required) or a PATCH body into `event`.
void read_event(const Poco::JSON::Object::Ptr &body, Event &event, bool creating);

}  // namespace relais::exchange_emulator::graph
