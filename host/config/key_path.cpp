#include "config/key_path.hpp"

#include "config/json_value.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <regex>

namespace relais::host::config {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

std::string child_path(const std::string &parent, const std::string &key) {
    static const std::regex plain("[A-Za-z0-9_-]+");
    const std::string segment = std::regex_match(key, plain) ? key : "[\"" + key + "\"]";
    if (parent.empty()) return segment;
    return segment.front() == '[' ? parent + segment : parent + "." + segment;
}

std::string child_path(const std::string &parent, std::size_t index) {
    return parent + "[" + std::to_string(index) + "]";
}

std::string display_path(const Var &root, const std::string &pointer) {
    std::string path;
    Var at = root;
    std::size_t start = 1;
    while (start <= pointer.size() && !pointer.empty()) {
        const std::size_t end = std::min(pointer.find('/', start), pointer.size());
        std::string segment = pointer.substr(start, end - start);
        for (std::size_t i = 0; (i = segment.find('~', i)) != std::string::npos; ++i)
            segment.replace(i, 2, segment.compare(i, 2, "~1") == 0 ? "/" : "~");
        if (const Array::Ptr array = as_array(at)) {
            const std::size_t index = std::stoul(segment);
            path = child_path(path, index);
            at = index < array->size() ? array->get(static_cast<unsigned>(index)) : Var();
        } else {
            path = child_path(path, segment);
            const Object::Ptr object = as_object(at);
            at = object && object->has(segment) ? object->get(segment) : Var();
        }
        start = end + 1;
    }
    return path;
}

}  // namespace relais::host::config
