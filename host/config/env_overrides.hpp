// Environment overrides of configuration keys: RELAIS__HOST__LISTEN__PORT=9000 sets
// host.listen.port. Segments are separated by "__" and lower-cased, missing objects are created.
// A value that parses as JSON (9000, true, null, "quoted", [..], {..}) is that JSON value,
// anything else is a plain string (so a numeric client id must be quoted: '"12345"'). Variables
// apply in name order, so RELAIS__HOST__LISTEN__PORT wins over RELAIS__HOST__LISTEN.
#pragma once

#include "config/environment.hpp"

#include <Poco/JSON/Object.h>

namespace relais::host::config {

class Report;

// Applies every RELAIS__ variable of `environment` to `root`. A variable that cannot be placed
// (an empty segment, a key inside a value that is not an object) is reported and skipped; each
// key set is recorded in `report` so that later problems with it name the variable.
void apply_overrides(const Poco::JSON::Object::Ptr &root, const Environment &environment, Report &report);

}  // namespace relais::host::config
