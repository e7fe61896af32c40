#include "plugin_files.hpp"

namespace relais::test {
namespace fs = std::filesystem;

fs::path built_plugin_dir() { return RELAIS_TEST_BUILT_PLUGIN_DIR; }
fs::path test_plugin_case_dir(const std::string &test_case) { return fs::path(RELAIS_TEST_PLUGIN_DIR) / test_case; }
fs::path relais_binary() { return RELAIS_TEST_BINARY; }

void copy_plugin(const fs::path &from, const std::string &file_stem, const fs::path &to) {
    fs::create_directories(to);
    for (const auto *suffix : {".so", ".manifest.json"})
        fs::copy_file(from / (file_stem + suffix), to / (file_stem + suffix), fs::copy_options::overwrite_existing);
}

}  // namespace relais::test
