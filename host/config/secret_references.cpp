#include "config/secret_references.hpp"

#include "config/config_report.hpp"
#include "config/json_value.hpp"
#include "config/key_path.hpp"
#include "config/small_file.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <regex>

namespace relais::host::config {
namespace fs = std::filesystem;
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// A secret is a few hundred bytes; a larger file is a mistake (or /dev/zero).
constexpr std::size_t kMaxSecretBytes = 64 * 1024;

const std::regex &env_reference() {
    static const std::regex pattern(R"(\$\{env:([A-Za-z_][A-Za-z0-9_]*)\})");
    return pattern;
}

const std::regex &file_reference() {
    static const std::regex pattern(R"(\$\{file:(.+)\})");
    return pattern;
}

// A systemd credential (LoadCredential=NAME:PATH): the file NAME in $CREDENTIALS_DIRECTORY.
const std::regex &credential_reference() {
    static const std::regex pattern(R"(\$\{credential:([A-Za-z0-9_][A-Za-z0-9_.-]*)\})");
    return pattern;
}

}  // namespace

bool is_reference(const std::string &text) {
    return std::regex_match(text, env_reference()) || std::regex_match(text, file_reference()) ||
           std::regex_match(text, credential_reference());
}

ReferenceResolver::ReferenceResolver(const Environment &environment, fs::path base, Report &report)
    : environment_(environment), base_(std::move(base)), report_(report) {}

void ReferenceResolver::resolve(const Var &value, const std::string &path) {
    // Non-const pointers: Poco's const SharedPtr only gives const access.
    if (Object::Ptr object = as_object(value)) {
        for (const std::string &name : object->getNames()) {
            const std::string at = child_path(path, name);
            const Var member = object->get(name);
            if (member.isString())
                object->set(name, resolve_string(member.extract<std::string>(), at));
            else
                resolve(member, at);
        }
    } else if (Array::Ptr array = as_array(value)) {
        for (unsigned i = 0; i < array->size(); ++i) {
            const std::string at = child_path(path, i);
            const Var item = array->get(i);
            if (item.isString())
                array->set(i, resolve_string(item.extract<std::string>(), at));
            else
                resolve(item, at);
        }
    }
}

std::string ReferenceResolver::resolve_string(const std::string &text, const std::string &path) {
    std::smatch m;
    if (std::regex_match(text, m, env_reference())) {
        const auto it = environment_.find(m[1].str());
        if (it == environment_.end()) {
            report_.add(path,
                        text + ": expected environment variable " + m[1].str() + " to be set, found it unset");
            unresolved_.insert(path);
            return text;
        }
        return resolved(path, text, it->second);
    }
    fs::path file;
    if (std::regex_match(text, m, credential_reference())) {
        const auto it = environment_.find("CREDENTIALS_DIRECTORY");
        if (it == environment_.end() || it->second.empty()) {
            report_.add(path, text + ": expected CREDENTIALS_DIRECTORY to be set (systemd sets it for a unit with "
                                     "LoadCredential=), found it unset");
            unresolved_.insert(path);
            return text;
        }
        file = fs::path(it->second) / m[1].str();
    } else if (std::regex_match(text, m, file_reference())) {
        file = base_ / m[1].str();
    }
    if (!file.empty()) {
        const FileContent content = read_small_file(file, kMaxSecretBytes);
        if (!content.error.empty()) {
            report_.add(path, text + ": expected a readable file, found " + file.string() + ": " + content.error);
            unresolved_.insert(path);
            return text;
        }
        std::string value = content.text;
        // Editors and `echo` end a file with a line break; a secret never does.
        while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
        return resolved(path, text, value);
    }
    return unescape(text, path);
}

std::string ReferenceResolver::resolved(const std::string &path, const std::string &reference,
                                        const std::string &value) {
    references_[path] = reference;
    if (!value.empty() && std::find(secrets_.begin(), secrets_.end(), value) == secrets_.end())
        secrets_.push_back(value);
    return value;
}

// $${ is a literal ${. Any other ${ is a mistake: a reference must be the whole value, and
// keeping "Bearer ${env:X}" as text would fail much later and much less clearly. The text is
// not quoted in the message: it may be a secret written in place.
std::string ReferenceResolver::unescape(const std::string &text, const std::string &path) {
    if (text.find("${") == std::string::npos) return text;
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        if (text.compare(i, 3, "$${") == 0) {
            out += "${";
            i += 3;
        } else if (text.compare(i, 2, "${") == 0) {
            report_.add(path,
                        "expected a whole value ${env:NAME}, ${file:PATH} or ${credential:NAME}, or $${ for a literal ${, "
                        "found a string with another use of ${ (value hidden)");
            unresolved_.insert(path);
            return text;
        } else {
            out += text[i++];
        }
    }
    return out;
}

}  // namespace relais::host::config
