// The checks of a configuration document that its JSON Schema cannot express: connector names,
// the listen address, readable TLS files, a data_dir that exists or can be created, an existing
// plugin_dir, tokens with unique names and values made of visible ASCII only, event endpoints
// with unique names and readable CA files.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

namespace relais::host::config {

class Report;
class ReferenceResolver;

// `text` (a path from the configuration) relative to `base`, the configuration's directory.
std::filesystem::path resolve_path(const std::filesystem::path &base, const std::string &text);

class HostChecks {
public:
    // `resolver` tells which values came from a reference (never shown) and which could not be
    // resolved (reported already).
    HostChecks(const std::filesystem::path &base, Report &report, const ReferenceResolver &resolver);

    // Only values of the right type are checked: the schema has reported the others.
    void check(const Poco::JSON::Object::Ptr &root);

private:
    std::string shown(const std::string &path, const std::string &value) const;
    void check_connector_names(const Poco::JSON::Object &connectors);
    void check_address(const Poco::JSON::Object::Ptr &listen);
    void check_readable(const std::string &path, const std::string &value);
    void check_tokens(const Poco::JSON::Array &tokens);
    void check_event_endpoints(const Poco::JSON::Array &endpoints);
    void add(const std::string &path, const std::string &text);

    const std::filesystem::path &base_;
    Report &report_;
    const std::map<std::string, std::string> &references_;
    const std::set<std::string> &unresolved_;
};

}  // namespace relais::host::config
