// Where the build put each plugin, and copying plugins into a test's own plugin directory.
#pragma once

#include <filesystem>
#include <string>

namespace relais::test {

// The plugin directory of the build (real connectors and diagnostics).
std::filesystem::path built_plugin_dir();
// The folder of one misbehaving test plugin case (tests/test_plugins/CMakeLists.txt).
std::filesystem::path test_plugin_case_dir(const std::string &test_case);
// The relais executable of the build.
std::filesystem::path relais_binary();

// Copies `file_stem`.so and its manifest from `from` into `to`.
void copy_plugin(const std::filesystem::path &from, const std::string &file_stem, const std::filesystem::path &to);

}  // namespace relais::test
