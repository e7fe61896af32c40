// Reading the configuration's JSON: parsing with the file's key order kept, and the typed looks
// at a value the loading steps need.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>

namespace relais::host::config {

// Keeps the file's key order: connector sections reach plugins, and errors come, in that order.
// Throws Poco::Exception when the text is not JSON.
Poco::Dynamic::Var parse_json(const std::string &text);

// The value as an object or an array; null when it is something else.
Poco::JSON::Object::Ptr as_object(const Poco::Dynamic::Var &value);
Poco::JSON::Array::Ptr as_array(const Poco::Dynamic::Var &value);

// The string member `key` of `object`; "" when the object, the member or a string is missing.
std::string string_at(const Poco::JSON::Object::Ptr &object, const std::string &key);

// A value's kind ("a number", "an object"...), for messages that must not show the value itself.
std::string kind_of(const Poco::Dynamic::Var &value);

}  // namespace relais::host::config
