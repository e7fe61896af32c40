// The plugins found in a directory: each library loaded and init'ed, or refused with a
// one-line reason. A bad library never stops the others from loading.
#pragma once

#include "plugins/plugin_instance.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace relais::host {

struct Refusal {
    std::string file;    // the library (or manifest) refused
    std::string reason;  // one line
    std::string line() const { return file + ": " + reason; }
};

struct LoadedPlugin {
    std::shared_ptr<const PluginLibrary> lib;
    std::shared_ptr<PluginInstance> instance;
};

struct ScanOptions {
    // Where libraries are copied before loading (see PluginLibrary::load); empty: in place.
    std::filesystem::path shadow_dir;
    // Asked for each library by its manifest before loading it: returning an already loaded
    // plugin with the same name and sha256 reuses it (a rescan then loads only what changed).
    std::function<const LoadedPlugin *(const PluginManifest &)> reuse;
    // Serves the plugins' jobs and state (see PluginInstance::create); null: none.
    PluginBackend *backend = nullptr;
    // Keeps the plugins' metrics (metric_add/metric_observe); null: they record nothing.
    Metrics *metrics = nullptr;
};

class PluginRegistry {
public:
    // Loads every `*.so` in `directory` (in file-name order). When two libraries provide the
    // same plugin name, the higher semantic version wins and the other is refused, naming
    // both files; on equal versions the first file in name order wins.
    static PluginRegistry scan(const std::filesystem::path &directory, const ScanOptions &options = {});

    const std::map<std::string, LoadedPlugin> &plugins() const { return plugins_; }
    const std::vector<Refusal> &refusals() const { return refusals_; }
    const LoadedPlugin *find(const std::string &name) const;

private:
    std::map<std::string, LoadedPlugin> plugins_;
    std::vector<Refusal> refusals_;
};

// The plugin directory the host uses when none is configured: RELAIS_PLUGIN_DIR if set, else
// <prefix>/lib/relais/plugins where <prefix> is the folder above the running executable's
// (the build tree and the install prefix share that layout).
std::filesystem::path default_plugin_directory();

}  // namespace relais::host
