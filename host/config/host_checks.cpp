#include "config/host_checks.hpp"

#include "config/config_report.hpp"
#include "config/json_value.hpp"
#include "config/key_path.hpp"
#include "config/secret_references.hpp"
#include "config/small_file.hpp"

#include <Poco/JSON/Array.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <regex>

namespace relais::host::config {
namespace fs = std::filesystem;

using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

std::string path_text(const fs::path &path) { return quoted(path.string()); }

// Why `dir` cannot serve as the data directory, or "" when it can (it exists and is writable,
// or its nearest existing ancestor is a writable directory). Nothing is created: checking a
// configuration must not change the machine.
std::string data_dir_problem(const fs::path &dir) {
    std::error_code ec;
    fs::path existing = dir;
    while (!fs::exists(fs::status(existing, ec)) && existing.has_relative_path()) existing = existing.parent_path();
    const auto status = fs::status(existing, ec);
    if (!fs::is_directory(status)) {
        const std::string what = existing == dir ? "it is not a directory" : existing.string() + " is not a directory";
        return "expected a directory that exists or can be created, found " + path_text(dir) + " (" + what + ")";
    }
    if (::access(existing.c_str(), W_OK | X_OK) != 0) {
        const std::string what = existing == dir ? "" : existing.string() + ": ";
        return "expected a directory this user can write or create, found " + path_text(dir) + " (" + what +
               system_reason(errno) + ")";
    }
    return "";
}

}  // namespace

fs::path resolve_path(const fs::path &base, const std::string &text) { return (base / text).lexically_normal(); }

HostChecks::HostChecks(const fs::path &base, Report &report, const ReferenceResolver &resolver)
    : base_(base), report_(report), references_(resolver.references()), unresolved_(resolver.unresolved()) {}

void HostChecks::check(const Object::Ptr &root) {
    if (const Object::Ptr connectors = root->getObject("connectors")) check_connector_names(*connectors);
    const Object::Ptr host = root->getObject("host");
    if (!host) return;
    if (const Object::Ptr listen = host->getObject("listen")) check_address(listen);
    if (const Object::Ptr tls = host->getObject("tls")) {
        for (const char *key : {"certificate", "private_key"})
            if (const std::string file = string_at(tls, key); !file.empty())
                check_readable(std::string("host.tls.") + key, file);
    }
    if (const std::string dir = string_at(host, "data_dir"); !dir.empty()) {
        if (const std::string problem = data_dir_problem(resolve_path(base_, dir)); !problem.empty())
            add("host.data_dir", problem);
    }
    if (const std::string dir = string_at(host, "plugin_dir"); !dir.empty()) {
        std::error_code ec;
        if (!fs::is_directory(resolve_path(base_, dir), ec))
            add("host.plugin_dir", "expected an existing directory, found " + path_text(resolve_path(base_, dir)));
    }
    if (const Array::Ptr tokens = host->getArray("tokens")) check_tokens(*tokens);
    if (const Object::Ptr events = host->getObject("events"))
        if (const Array::Ptr endpoints = events->getArray("endpoints")) check_event_endpoints(*endpoints);
}

// An endpoint's delivery position is kept under its name (by default its URL without the
// query): two with one name would share it.
void HostChecks::check_event_endpoints(const Array &endpoints) {
    std::map<std::string, std::string> names;  // -> key path of the first endpoint with it
    for (unsigned i = 0; i < endpoints.size(); ++i) {
        const Object::Ptr endpoint = as_object(endpoints.get(i));
        if (!endpoint) continue;
        const std::string at = child_path("host.events.endpoints", i);
        if (const std::string file = string_at(endpoint, "ca_file"); !file.empty()) check_readable(at + ".ca_file", file);
        const std::string url = string_at(endpoint, "url");
        const std::string name = endpoint->has("name") ? string_at(endpoint, "name") : url.substr(0, url.find_first_of("?#"));
        if (name.empty()) continue;
        const auto [first, fresh] = names.emplace(name, at);
        if (!fresh)
            add(at, "expected an endpoint name no other endpoint has (set \"name\" to tell them apart), found " +
                        quoted(name) + " as in " + first->second);
    }
}

// How a message shows a string value: never one obtained through a reference.
std::string HostChecks::shown(const std::string &path, const std::string &value) const {
    const auto it = references_.find(path);
    return it == references_.end() ? "string " + quoted(value) : "a string from " + it->second + " (value hidden)";
}

void HostChecks::check_connector_names(const Object &connectors) {
    static const std::regex name("[a-z][a-z0-9_]{0,31}");
    for (const std::string &connector : connectors.getNames())
        if (!std::regex_match(connector, name))
            add(child_path("connectors", connector),
                "expected a connector name: a lower-case letter, then up to 31 lower-case letters, "
                "digits or _, found " +
                    quoted(connector));
}

void HostChecks::check_address(const Object::Ptr &listen) {
    const std::string address = string_at(listen, "address");
    // A host name or an IPv4 or IPv6 address; binding will tell whether it is one of ours.
    static const std::regex host_name(
        R"([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*)");
    static const std::regex ipv6(R"([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)");
    if (address.empty() || std::regex_match(address, host_name) || std::regex_match(address, ipv6)) return;
    add("host.listen.address",
        "expected an IP address or a host name, found " + shown("host.listen.address", address));
}

void HostChecks::check_readable(const std::string &path, const std::string &value) {
    const fs::path file = resolve_path(base_, value);
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    std::string why;
    struct stat info {};
    if (fd < 0)
        why = system_reason(errno);
    else if (::fstat(fd, &info) != 0)
        why = system_reason(errno);
    else if (!S_ISREG(info.st_mode))
        why = "not a regular file";
    if (fd >= 0) ::close(fd);
    if (!why.empty()) add(path, "expected a readable file, found " + path_text(file) + " (" + why + ")");
}

void HostChecks::check_tokens(const Array &tokens) {
    std::map<std::string, std::string> names, values;  // -> key path of the first token with it
    for (unsigned i = 0; i < tokens.size(); ++i) {
        const Object::Ptr token = as_object(tokens.get(i));
        if (!token) continue;
        const std::string at = child_path("host.tokens", i);
        if (const std::string name = string_at(token, "name"); !name.empty()) {
            const auto [first, fresh] = names.emplace(name, at + ".name");
            if (!fresh)
                add(at + ".name", "expected a name no other token has, found " + shown(at + ".name", name) +
                                      " as in " + first->second);
        }
        const std::string value = string_at(token, "token");
        if (value.empty()) continue;
        // It goes into an Authorization header: no spaces, line breaks or non-ASCII.
        if (!std::all_of(value.begin(), value.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
            add(at + ".token",
                "expected visible ASCII characters only (no spaces or line breaks), "
                "found other characters (value hidden)");
        const auto [first, fresh] = values.emplace(value, at + ".token");
        if (!fresh)
            add(at + ".token",
                "expected a value no other token has, found the value of " + first->second + " (value hidden)");
    }
}

// A value whose reference could not be resolved has been reported already.
void HostChecks::add(const std::string &path, const std::string &text) {
    if (!unresolved_.count(path)) report_.add(path, text);
}

}  // namespace relais::host::config
