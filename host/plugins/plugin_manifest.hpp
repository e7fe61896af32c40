// The manifest beside each plugin library, read before the library is loaded: a library's
// constructors run the moment it is mapped, so everything that can be checked without
// running its code is checked first.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace relais::host {

struct PluginManifest {
    std::string name;
    std::string version;
    uint32_t abi_min = 0;
    uint32_t abi_max = 0;
    std::string shared_object;  // file name of the library, relative to the manifest
    std::string sha256;   // lower-case hex of the library's bytes
};

// "<dir>/chorus.so" -> "<dir>/chorus.manifest.json"
std::filesystem::path manifest_path_for(const std::filesystem::path &library);

// Reads and checks a manifest (fields present, name syntax, semantic version, ABI range).
// Throws LoadError naming `library`'s file when anything is wrong.
PluginManifest read_manifest(const std::filesystem::path &library);

// Lower-case hex SHA-256 of a file's bytes.
std::string sha256_of_file(const std::filesystem::path &file);

// [a-z][a-z0-9_]{0,31}
bool is_valid_plugin_name(const std::string &name);

}  // namespace relais::host
