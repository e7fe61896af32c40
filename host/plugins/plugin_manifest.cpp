#include "plugins/plugin_manifest.hpp"

#include "plugins/load_error.hpp"
#include "plugins/semver.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SHA2Engine.h>

#include <fstream>

namespace relais::host {
namespace fs = std::filesystem;

fs::path manifest_path_for(const fs::path &library) {
    return library.parent_path() / (library.stem().string() + ".manifest.json");
}

bool is_valid_plugin_name(const std::string &name) {
    if (name.empty() || name.size() > 32 || name[0] < 'a' || name[0] > 'z') return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

std::string sha256_of_file(const fs::path &file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    char buffer[64 * 1024];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
        engine.update(buffer, static_cast<unsigned>(in.gcount()));
    return Poco::DigestEngine::digestToHex(engine.digest());
}

PluginManifest read_manifest(const fs::path &library) {
    const auto file = library.filename().string();
    const auto path = manifest_path_for(library);
    const auto manifest_name = path.filename().string();

    std::ifstream in(path);
    if (!in) throw LoadError(file, "no manifest " + manifest_name + " beside it (not a Relais plugin?)");

    Poco::JSON::Object::Ptr root;
    try {
        Poco::JSON::Parser parser;
        auto value = parser.parse(in);
        if (value.type() != typeid(Poco::JSON::Object::Ptr)) throw std::runtime_error("not a JSON object");
        root = value.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception &e) {  // before std::exception, which it derives from
        throw LoadError(file, "manifest " + manifest_name + " is not valid JSON: " + e.displayText());
    } catch (const std::exception &e) {
        throw LoadError(file, "manifest " + manifest_name + " is not valid JSON: " + e.what());
    }

    auto text = [&](const char *key) {
        if (!root->has(key) || !root->get(key).isString())
            throw LoadError(file, "manifest " + manifest_name + " lacks the string field \"" + key + "\"");
        return root->getValue<std::string>(key);
    };
    PluginManifest m;
    m.name = text("name");
    m.version = text("version");
    m.shared_object = text("library");
    m.sha256 = text("sha256");

    auto abi = root->getObject("abi");
    if (!abi || !abi->has("min") || !abi->has("max") || !abi->get("min").isInteger() ||
        !abi->get("max").isInteger())
        throw LoadError(file, "manifest " + manifest_name + " lacks \"abi\": {\"min\": N, \"max\": N}");
    const auto abi_min = abi->getValue<int64_t>("min"), abi_max = abi->getValue<int64_t>("max");
    if (abi_min < 1 || abi_max < abi_min || abi_max > UINT32_MAX)
        throw LoadError(file, "manifest " + manifest_name + " has an invalid ABI range " +
                                  std::to_string(abi_min) + ".." + std::to_string(abi_max));
    m.abi_min = static_cast<uint32_t>(abi_min);
    m.abi_max = static_cast<uint32_t>(abi_max);

    if (!is_valid_plugin_name(m.name))
        throw LoadError(file, "manifest names the plugin \"" + m.name + "\", which is not [a-z][a-z0-9_]{0,31}");
    if (!SemVer::parse(m.version))
        throw LoadError(file, "manifest version \"" + m.version + "\" is not a semantic version");
    if (m.shared_object != file)
        throw LoadError(file, "manifest " + manifest_name + " describes library \"" + m.shared_object + "\", not this file");
    if (m.sha256.size() != 64 || m.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
        throw LoadError(file, "manifest sha256 is not 64 lower-case hex digits");
    return m;
}

}  // namespace relais::host
