#include <relais/support/json.hpp>

#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

namespace relais::support {

namespace {

// The member, or an empty Var when absent.
Poco::Dynamic::Var member(const Json &object, const std::string &key) {
    if (!object) return {};
    return object->get(key);
}

}  // namespace

Json parse_json_object(std::string_view text, relais_status status, const std::string &what) {
    return relais::parse_object(text, status, what);
}

std::optional<std::string> string_at(const Json &object, const std::string &key) {
    const auto v = member(object, key);
    if (v.isEmpty() || !v.isString()) return std::nullopt;
    return v.extract<std::string>();
}

std::optional<std::int64_t> integer_at(const Json &object, const std::string &key) {
    const auto v = member(object, key);
    if (v.isEmpty()) return std::nullopt;
    try {
        if (v.isInteger()) return v.convert<std::int64_t>();
        if (v.isString()) {
            const auto s = v.extract<std::string>();
            std::size_t used = 0;
            const auto n = std::stoll(s, &used);
            if (used == s.size()) return n;
        }
    } catch (const std::exception &) {
    }
    return std::nullopt;
}

std::optional<bool> bool_at(const Json &object, const std::string &key) {
    const auto v = member(object, key);
    if (v.isEmpty() || !v.isBoolean()) return std::nullopt;
    return v.extract<bool>();
}

Json object_at(const Json &object, const std::string &key) {
    const auto v = member(object, key);
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) return nullptr;
    return v.extract<Poco::JSON::Object::Ptr>();
}

JsonArray array_at(const Json &object, const std::string &key) {
    const auto v = member(object, key);
    if (v.type() != typeid(Poco::JSON::Array::Ptr)) return nullptr;
    return v.extract<Poco::JSON::Array::Ptr>();
}

Json object_in(const JsonArray &array, std::size_t index) {
    if (!array || index >= array->size()) return nullptr;
    const auto v = array->get(static_cast<unsigned int>(index));
    if (v.type() != typeid(Poco::JSON::Object::Ptr)) return nullptr;
    return v.extract<Poco::JSON::Object::Ptr>();
}

Json deep_copy(const Json &object) {
    if (!object) return nullptr;
    return parse_json_object(relais::to_string(object), RELAIS_INTERNAL, "a copied JSON object");
}

std::string to_string(const JsonArray &array) {
    if (!array) return "null";
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(array, out);
    return out.str();
}

}  // namespace relais::support
