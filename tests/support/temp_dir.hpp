// A directory of the test's own, removed when the test ends.
#pragma once

#include <filesystem>
#include <string>

namespace relais::test {

class TempDir {
public:
    explicit TempDir(const std::string &prefix = "relais-test");
    ~TempDir();
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;

    const std::filesystem::path &path() const { return path_; }
    std::filesystem::path operator/(const std::string &name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

}  // namespace relais::test
