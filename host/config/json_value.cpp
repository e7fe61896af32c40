#include "config/json_value.hpp"

#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

namespace relais::host::config {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

Var parse_json(const std::string &text) {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse(text);
}

Object::Ptr as_object(const Var &value) {
    return value.type() == typeid(Object::Ptr) ? value.extract<Object::Ptr>() : nullptr;
}

Array::Ptr as_array(const Var &value) {
    return value.type() == typeid(Array::Ptr) ? value.extract<Array::Ptr>() : nullptr;
}

std::string string_at(const Object::Ptr &object, const std::string &key) {
    return object && object->has(key) && object->get(key).isString() ? object->getValue<std::string>(key) : "";
}

std::string kind_of(const Var &value) {
    if (value.isEmpty()) return "null";
    if (value.isBoolean()) return "a boolean";
    if (value.isString()) return "a string";
    if (value.isNumeric()) return "a number";
    if (as_object(value)) return "an object";
    if (as_array(value)) return "an array";
    return "a value";
}

}  // namespace relais::host::config
