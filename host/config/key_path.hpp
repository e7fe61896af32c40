// How configuration messages name a key: host.tokens[1].token, as in the documentation. A key
// that is not a plain word is quoted, so that a logger name with dots stays one segment:
// host.log.levels["relais.http"].
#pragma once

#include <Poco/Dynamic/Var.h>

#include <cstddef>
#include <string>

namespace relais::host::config {

// The path of member `key` of the object at `parent` ("" for the root).
std::string child_path(const std::string &parent, const std::string &key);
// The path of item `index` of the array at `parent`.
std::string child_path(const std::string &parent, std::size_t index);

// The key path of a JSON Pointer (as JsonSchema reports them) inside `root`: the document tells
// which segments are array indices.
std::string display_path(const Poco::Dynamic::Var &root, const std::string &pointer);

}  // namespace relais::host::config
