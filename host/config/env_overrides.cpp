#include "config/env_overrides.hpp"

#include "config/config_report.hpp"
#include "config/json_value.hpp"
#include "config/key_path.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <vector>

namespace relais::host::config {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// Environment variables that override a key start with this; "__" separates the segments.
constexpr std::string_view kOverridePrefix = "RELAIS__";
constexpr std::string_view kSegmentSeparator = "__";

// The JSON value the text is, or the text itself as a string. Poco's parser refuses a bare
// scalar, so the text is parsed as the only item of an array ("1,2" makes two items: a string).
Var override_value(const std::string &text) {
    try {
        const Array::Ptr items = as_array(parse_json("[" + text + "]"));
        if (items && items->size() == 1) return items->get(0);
    } catch (const Poco::Exception &) {
        // not JSON: a plain string
    }
    return text;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

}  // namespace

void apply_overrides(const Object::Ptr &root, const Environment &environment, Report &report) {
    // std::map: in name order, so a variable for a key wins over one for the object around it.
    for (const auto &[variable, text] : environment) {
        if (variable.compare(0, kOverridePrefix.size(), kOverridePrefix) != 0) continue;
        std::vector<std::string> segments;
        for (std::size_t start = kOverridePrefix.size();;) {
            const std::size_t end = variable.find(kSegmentSeparator, start);
            segments.push_back(lower(variable.substr(start, end == std::string::npos ? end : end - start)));
            if (end == std::string::npos) break;
            start = end + kSegmentSeparator.size();
        }
        if (std::any_of(segments.begin(), segments.end(), [](const std::string &s) { return s.empty(); })) {
            report.add("environment variable " + variable,
                       "expected key names separated by __ (RELAIS__HOST__LISTEN__PORT), found an empty one");
            continue;
        }
        Object::Ptr object = root;
        std::string path;
        bool placed = true;
        for (std::size_t i = 0; i + 1 < segments.size() && placed; ++i) {
            path = child_path(path, segments[i]);
            if (!object->has(segments[i])) {
                Object::Ptr created = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
                object->set(segments[i], created);
                object = created;
                report.set_by(path, variable);  // RELAIS__HOSTS__X made "hosts": say so there
            } else if (const Object::Ptr existing = as_object(object->get(segments[i]))) {
                object = existing;
            } else {
                report.add(path, "environment variable " + variable +
                                     " sets a key inside it: expected an object, found " +
                                     kind_of(object->get(segments[i])));
                placed = false;
            }
        }
        if (!placed) continue;
        object->set(segments.back(), override_value(text));
        report.set_by(child_path(path, segments.back()), variable);
    }
}

}  // namespace relais::host::config
