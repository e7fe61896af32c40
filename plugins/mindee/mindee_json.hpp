// Lenient reading of Mindee's JSON: a member that is absent, null or of another type reads as
// nothing rather than throwing, since a prediction may leave any field out; numbers sent as
// numeric strings are taken as numbers.
#pragma once

#include <relais/plugin.hpp>

#include <Poco/JSON/Array.h>

#include <optional>
#include <string>
#include <vector>

namespace relais::mindee {

Json object_at(const Json &object, const std::string &key);
Poco::JSON::Array::Ptr array_at(const Json &object, const std::string &key);
std::optional<double> number_at(const Json &object, const std::string &key);
std::optional<std::string> text_at(const Json &object, const std::string &key);  // "" reads as nothing
// The objects of the array at `key` (other items skipped).
std::vector<Json> objects_in(const Json &object, const std::string &key);

// v1's api_request.error in one line ("Unauthorized: Authorization required (Invalid token
// provided)"), or "none".
std::string describe_v1_error(const Json &body);

}  // namespace relais::mindee
