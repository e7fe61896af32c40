#include "plugins/plugin_registry.hpp"

#include "plugins/load_error.hpp"
#include "plugins/semver.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

namespace relais::host {
namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string &s, const std::string &suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// True when `a` should replace `b` as the provider of a plugin name.
bool newer(const PluginLibrary &a, const PluginLibrary &b) {
    return *SemVer::parse(b.descriptor().version) < *SemVer::parse(a.descriptor().version);
}

}  // namespace

const LoadedPlugin *PluginRegistry::find(const std::string &name) const {
    const auto it = plugins_.find(name);
    return it == plugins_.end() ? nullptr : &it->second;
}

PluginRegistry PluginRegistry::scan(const fs::path &directory, const ScanOptions &options) {
    PluginRegistry registry;
    std::error_code ec;
    if (!fs::is_directory(directory, ec)) {
        registry.refusals_.push_back({directory.string(), "plugin directory does not exist or is not a directory"});
        return registry;
    }

    std::vector<fs::path> libraries;
    std::set<std::string> stems;
    std::vector<fs::path> manifests;
    for (const auto &entry : fs::directory_iterator(directory, ec)) {
        const auto name = entry.path().filename().string();
        if (ends_with(name, ".so")) {
            libraries.push_back(entry.path());
            stems.insert(entry.path().stem().string());
        } else if (ends_with(name, ".manifest.json")) {
            manifests.push_back(entry.path());
        }
    }
    std::sort(libraries.begin(), libraries.end());
    std::sort(manifests.begin(), manifests.end());

    for (const auto &m : manifests) {
        const auto name = m.filename().string();
        const auto stem = name.substr(0, name.size() - std::string(".manifest.json").size());
        if (!stems.count(stem))
            registry.refusals_.push_back({name, "manifest without its library " + stem + ".so"});
    }

    for (const auto &path : libraries) {
        const auto file = path.filename().string();
        try {
            const LoadedPlugin *reused = nullptr;
            if (options.reuse) {
                try {
                    reused = options.reuse(read_manifest(path));
                } catch (const LoadError &) {
                    // reported by the full load below
                }
            }
            std::shared_ptr<const PluginLibrary> library =
                reused ? reused->lib : PluginLibrary::load(path, options.shadow_dir);
            const auto &name = library->descriptor().name;
            const auto existing = registry.plugins_.find(name);
            if (existing != registry.plugins_.end() && !newer(*library, *existing->second.lib)) {
                const auto &old = *existing->second.lib;
                registry.refusals_.push_back({file, "plugin '" + name + "' " + library->descriptor().version +
                                                        " ignored: " + old.path().filename().string() +
                                                        " provides " + old.descriptor().version});
                continue;
            }
            // init before replacing, so a newer library that fails init leaves the older one in place
            auto instance = reused ? reused->instance : PluginInstance::create(library, options.backend, options.metrics);
            if (existing != registry.plugins_.end()) {
                const auto &old = *existing->second.lib;
                registry.refusals_.push_back({old.path().filename().string(),
                                              "plugin '" + name + "' " + old.descriptor().version + " ignored: " +
                                                  file + " provides " + library->descriptor().version});
            }
            registry.plugins_[name] = LoadedPlugin{std::move(library), std::move(instance)};
        } catch (const LoadError &e) {
            registry.refusals_.push_back({e.file(), e.reason()});
        } catch (const std::exception &e) {
            registry.refusals_.push_back({file, std::string("unexpected error while loading: ") + e.what()});
        }
    }
    return registry;
}

fs::path default_plugin_directory() {
    if (const char *env = std::getenv("RELAIS_PLUGIN_DIR"); env && *env) return env;
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return "lib/relais/plugins";
    // RELAIS_PLUGIN_RELATIVE_DIR is the plugin directory relative to the install prefix.
    return (exe.parent_path() / ".." / RELAIS_PLUGIN_RELATIVE_DIR).lexically_normal();
}

}  // namespace relais::host
