// One plugin library, checked and loaded: manifest and hash first, then the library with
// local symbol scope and immediate binding, then ABI negotiation and the descriptor.
#pragma once

#include "plugins/plugin_descriptor.hpp"
#include "plugins/plugin_manifest.hpp"

#include <relais/plugin.h>

#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <memory>

namespace relais::host {

// The ABI versions this host speaks.
inline constexpr uint32_t kHostAbiMin = 1;
inline constexpr uint32_t kHostAbiMax = RELAIS_ABI_VERSION;

class PluginLibrary {
public:
    // Loads `file`. Throws LoadError with a one-line reason naming the file on any refusal;
    // never lets the library's code run before the manifest and hash have been checked.
    //
    // With a `shadow_dir`, the library is first copied there under a name that includes its
    // hash, and the copy is checked and loaded. A running host needs this: the dynamic loader
    // returns the already-loaded copy for a path it has seen, so a new version written over
    // the old file would otherwise never be loaded; and checking the private copy leaves no
    // window between the hash check and the load.
    static std::shared_ptr<PluginLibrary> load(const std::filesystem::path &file,
                                               const std::filesystem::path &shadow_dir = {});

    PluginLibrary(const PluginLibrary &) = delete;
    PluginLibrary &operator=(const PluginLibrary &) = delete;

    const std::filesystem::path &path() const { return path_; }            // as found
    const std::filesystem::path &loaded_from() const { return loaded_from_; }  // the shadow copy, or path()
    const PluginManifest &manifest() const { return manifest_; }
    const PluginDescriptor &descriptor() const { return descriptor_; }
    const relais_plugin_api &api() const { return *api_; }
    uint32_t abi_version() const { return abi_version_; }

private:
    PluginLibrary() = default;

    std::filesystem::path path_;
    std::filesystem::path loaded_from_;
    PluginManifest manifest_;
    boost::dll::shared_library library_;  // kept mapped as long as anything uses the plugin
    const relais_plugin_api *api_ = nullptr;
    uint32_t abi_version_ = 0;
    PluginDescriptor descriptor_;
};

}  // namespace relais::host
