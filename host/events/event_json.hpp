// An event as the API shows it and as endpoints receive it:
//   {"id","type","connector","subject","created_at","data"}
// created_at in RFC 3339 (UTC, with fractions), as the jobs show their times.
#pragma once

#include "events/event_log.hpp"

#include <Poco/JSON/Object.h>

#include <string>

namespace relais::host::events {

Poco::JSON::Object::Ptr event_to_json(const Event &event);
std::string event_body(const Event &event);  // the same, compact: the bytes that are signed

}  // namespace relais::host::events
