// Secret references in configuration values: a string value that is exactly ${env:NAME},
// ${file:PATH} or ${credential:NAME} becomes the variable's value or the file's content (line
// breaks at its end removed; PATH relative to the configuration's directory; a credential is
// the file NAME in $CREDENTIALS_DIRECTORY, where systemd puts a unit's LoadCredential= files).
// $${ stands for a literal ${; any other ${ is an error, so a reference inside a longer string
// ("Bearer ${env:X}") is refused rather than kept as text that would fail much later and much
// less clearly.
#pragma once

#include "config/environment.hpp"

#include <Poco/Dynamic/Var.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace relais::host::config {

class Report;

// Whether `text` is a whole ${env:NAME}, ${file:PATH} or ${credential:NAME} reference.
bool is_reference(const std::string &text);

// Replaces the references in every string value of a document, remembering what each resolved
// value came from. A reference that cannot be resolved is reported and left in place.
class ReferenceResolver {
public:
    ReferenceResolver(const Environment &environment, std::filesystem::path base, Report &report);

    // Resolves every string inside `value` (an object or an array, changed in place); `path` is
    // its key path, for the messages.
    void resolve(const Poco::Dynamic::Var &value, const std::string &path);

    // The reference each resolved key path came from.
    const std::map<std::string, std::string> &references() const { return references_; }
    // Key paths still holding a reference that could not be resolved, or a misplaced ${: they
    // are reported, and no other check is worth making on their value.
    const std::set<std::string> &unresolved() const { return unresolved_; }
    // Every value obtained through a reference, each once, none empty.
    std::vector<std::string> &secrets() { return secrets_; }

private:
    std::string resolve_string(const std::string &text, const std::string &path);
    std::string resolved(const std::string &path, const std::string &reference, const std::string &value);
    std::string unescape(const std::string &text, const std::string &path);

    const Environment &environment_;
    std::filesystem::path base_;
    Report &report_;
    std::map<std::string, std::string> references_;
    std::set<std::string> unresolved_;
    std::vector<std::string> secrets_;
};

}  // namespace relais::host::config
