#include "plugins/plugin_library.hpp"

#include "plugins/load_error.hpp"

namespace relais::host {
namespace fs = std::filesystem;

namespace {

std::string range(uint32_t lo, uint32_t hi) {
    return lo == hi ? "v" + std::to_string(lo) : "v" + std::to_string(lo) + "..v" + std::to_string(hi);
}

// The parts of the function table ABI v1 requires.
void check_api(const std::string &file, const relais_plugin_api *api, uint32_t agreed) {
    if (!api) throw LoadError(file, "negotiation succeeded but returned no function table");
    if (api->struct_size < offsetof(relais_plugin_api, shutdown) + sizeof(api->shutdown))
        throw LoadError(file, "function table is smaller (" + std::to_string(api->struct_size) +
                                  " bytes) than ABI v1 requires");
    if (api->abi_version != agreed)
        throw LoadError(file, "function table is for ABI v" + std::to_string(api->abi_version) +
                                  " but negotiation agreed on v" + std::to_string(agreed));
    if (!api->init || !api->configure || !api->execute || !api->shutdown)
        throw LoadError(file, "function table lacks init, configure, execute or shutdown");
}

}  // namespace

namespace {

// Copies the library to `<shadow_dir>/<stem>-<sha256>.so` unless that copy already exists.
fs::path shadow_copy(const fs::path &library, const std::string &sha256, const fs::path &shadow_dir) {
    const auto file = library.filename().string();
    const auto target = shadow_dir / (library.stem().string() + "-" + sha256 + ".so");
    std::error_code ec;
    if (fs::exists(target, ec)) return target;
    fs::create_directories(shadow_dir, ec);
    const auto partial = target.string() + ".partial";
    fs::copy_file(library, partial, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::rename(partial, target, ec);
    if (ec) throw LoadError(file, "cannot copy it to " + shadow_dir.string() + ": " + ec.message());
    return target;
}

}  // namespace

std::shared_ptr<PluginLibrary> PluginLibrary::load(const fs::path &path, const fs::path &shadow_dir) {
    const auto file = path.filename().string();
    std::shared_ptr<PluginLibrary> lib(new PluginLibrary);
    lib->path_ = fs::absolute(path);
    lib->manifest_ = read_manifest(lib->path_);
    const auto &m = lib->manifest_;

    if (m.abi_max < kHostAbiMin || m.abi_min > kHostAbiMax)
        throw LoadError(file, "speaks plugin ABI " + range(m.abi_min, m.abi_max) + ", this host speaks " +
                                  range(kHostAbiMin, kHostAbiMax));
    lib->loaded_from_ = shadow_dir.empty() ? lib->path_ : shadow_copy(lib->path_, m.sha256, shadow_dir);

    std::string digest;
    try {
        digest = sha256_of_file(lib->loaded_from_);
    } catch (const std::exception &e) {
        throw LoadError(file, e.what());
    }
    if (digest != m.sha256) {
        // A shadow copy named after the expected hash must not outlive the mismatch.
        std::error_code ec;
        if (lib->loaded_from_ != lib->path_) fs::remove(lib->loaded_from_, ec);
        throw LoadError(file, "sha256 " + digest + " does not match the manifest's " + m.sha256 +
                                  " (library changed after it was built?)");
    }

    try {
        lib->library_.load(lib->loaded_from_.string(),
                           boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception &e) {
        throw LoadError(file, std::string("cannot be loaded as a shared library: ") + e.what());
    }
    if (!lib->library_.has(RELAIS_ENTRY_SYMBOL))
        throw LoadError(file, "has no entry symbol " RELAIS_ENTRY_SYMBOL " (built without RELAIS_PLUGIN?)");

    auto entry = lib->library_.get<int(relais_negotiation *)>(RELAIS_ENTRY_SYMBOL);
    relais_negotiation n{};
    n.struct_size = sizeof n;
    n.host_abi_min = kHostAbiMin;
    n.host_abi_max = kHostAbiMax;
    if (entry(&n) != 0)
        throw LoadError(file, "refused ABI negotiation: the plugin speaks v" + std::to_string(n.abi_version) +
                                  ", this host speaks " + range(kHostAbiMin, kHostAbiMax));
    if (n.abi_version < kHostAbiMin || n.abi_version > kHostAbiMax)
        throw LoadError(file, "negotiated ABI v" + std::to_string(n.abi_version) + " outside this host's " +
                                  range(kHostAbiMin, kHostAbiMax));
    check_api(file, n.api, n.abi_version);
    lib->api_ = n.api;
    lib->abi_version_ = n.abi_version;

    try {
        lib->descriptor_ = read_descriptor(*n.api);
    } catch (const std::exception &e) {
        throw LoadError(file, std::string("invalid descriptor: ") + e.what());
    }
    const auto &d = lib->descriptor_;
    if (d.name != m.name || d.version != m.version)
        throw LoadError(file, "descriptor says " + d.name + " " + d.version + " but the manifest says " + m.name +
                                  " " + m.version);
    return lib;
}

}  // namespace relais::host
