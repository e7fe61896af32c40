// relais/support/json.hpp: small helpers for reading upstream JSON with Poco.
//
// Upstream documents are read defensively: a missing key, a null and a value of another type
// all read as "absent", so a connector decides once what absent means instead of catching
// Poco's exceptions field by field.
#pragma once

#include <relais/plugin.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace relais::support {

using JsonArray = Poco::JSON::Array::Ptr;

// Parses `text` as a JSON object, keeping the sender's key order. Throws relais::Error with
// `status` and a message naming `what` when it is not one.
Json parse_json_object(std::string_view text, relais_status status, const std::string &what);

// The member `key` of `object` when it is a string (numbers are not converted).
std::optional<std::string> string_at(const Json &object, const std::string &key);
// The member `key` when it is an integer, or a string holding one.
std::optional<std::int64_t> integer_at(const Json &object, const std::string &key);
// The member `key` when it is a boolean.
std::optional<bool> bool_at(const Json &object, const std::string &key);
// The member `key` when it is an object / an array; null otherwise.
Json object_at(const Json &object, const std::string &key);
JsonArray array_at(const Json &object, const std::string &key);
// The item `index` of `array` when it is an object; null otherwise.
Json object_in(const JsonArray &array, std::size_t index);

// Deep copy (Poco objects are shared by pointer; a copy may be changed freely).
Json deep_copy(const Json &object);

// Condensed JSON text of an array (relais::to_string covers objects).
std::string to_string(const JsonArray &array);

}  // namespace relais::support
