#include "mindee_json.hpp"

#include <Poco/JSON/Stringifier.h>

#include <cmath>
#include <sstream>

namespace relais::mindee {

Json object_at(const Json &object, const std::string &key) {
    if (!object || !object->has(key) || object->isNull(key)) return nullptr;
    return object->getObject(key);
}

Poco::JSON::Array::Ptr array_at(const Json &object, const std::string &key) {
    if (!object || !object->has(key) || object->isNull(key)) return nullptr;
    return object->getArray(key);
}

std::optional<double> number_at(const Json &object, const std::string &key) {
    if (!object || !object->has(key) || object->isNull(key)) return std::nullopt;
    const auto v = object->get(key);
    try {
        if (v.isNumeric()) {
            const double d = v.convert<double>();
            return std::isfinite(d) ? std::optional<double>(d) : std::nullopt;
        }
        if (v.isString()) {
            const auto s = v.extract<std::string>();
            std::size_t used = 0;
            const double d = std::stod(s, &used);
            if (used == s.size() && std::isfinite(d)) return d;
        }
    } catch (const std::exception &) {
    }
    return std::nullopt;
}

std::optional<std::string> text_at(const Json &object, const std::string &key) {
    if (!object || !object->has(key) || object->isNull(key)) return std::nullopt;
    const auto v = object->get(key);
    if (v.isString()) {
        auto s = v.extract<std::string>();
        if (s.empty()) return std::nullopt;
        return s;
    }
    if (v.isNumeric()) return v.convert<std::string>();
    return std::nullopt;
}

std::vector<Json> objects_in(const Json &object, const std::string &key) {
    std::vector<Json> out;
    const auto array = array_at(object, key);
    if (!array) return out;
    for (unsigned i = 0; i < array->size(); ++i)
        if (array->isObject(i)) out.push_back(array->getObject(i));
    return out;
}

std::string describe_v1_error(const Json &body) {
    const auto request = object_at(body, "api_request");
    const auto error = object_at(request, "error");
    if (!error || error->size() == 0) return "none";
    std::string out;
    if (const auto code = text_at(error, "code")) out += *code;
    if (const auto message = text_at(error, "message")) out += (out.empty() ? "" : ": ") + *message;
    if (error->has("details") && !error->isNull("details")) {
        const auto details = error->get("details");
        std::string text;
        if (details.isString()) {
            text = details.extract<std::string>();
        } else {
            std::ostringstream json;
            Poco::JSON::Stringifier::condense(details, json);
            text = json.str();
        }
        if (!text.empty()) out += out.empty() ? text : " (" + text + ")";
    }
    return out.empty() ? "none" : out;
}

}  // namespace relais::mindee
