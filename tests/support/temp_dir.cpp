#include "temp_dir.hpp"

#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace relais::test {

TempDir::TempDir(const std::string &prefix) {
    auto pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

}  // namespace relais::test
