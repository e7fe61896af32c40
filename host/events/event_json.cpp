#include "events/event_json.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Timestamp.h>

#include <sstream>

namespace relais::host::events {

Poco::JSON::Object::Ptr event_to_json(const Event &event) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("id", event.id);
    o->set("type", event.type);
    o->set("connector", event.connector);
    o->set("subject", event.subject);
    o->set("created_at", Poco::DateTimeFormatter::format(Poco::Timestamp(event.created_at * 1000),
                                                         Poco::DateTimeFormat::ISO8601_FRAC_FORMAT));
    // Kept as emitted (the log checked it is an object), in the plugin's key order.
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    o->set("data", parser.parse(event.data));
    return o;
}

std::string event_body(const Event &event) {
    std::ostringstream out;
    event_to_json(event)->stringify(out);
    return out.str();
}

}  // namespace relais::host::events
