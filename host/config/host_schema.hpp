// The JSON Schema of the whole configuration document, kept in host_schema.json and compiled in
// (cmake/embed_text.cmake). Connector sections are only required to be objects there: their
// plugins' schemas check them. What a schema cannot say (readable files, a creatable data_dir,
// duplicate tokens, the address and token character sets) is checked by host_checks.hpp.
#pragma once

#include <string>

namespace relais::host {
class JsonSchema;
}

namespace relais::host::config {

// The text of host_schema.json.
const std::string &host_schema_text();

// host_schema.json, parsed once.
const JsonSchema &host_schema();

}  // namespace relais::host::config
