// The recorded responses the connector carries (plugins/sirene/emulator/fixtures) are the
// shared reference's, byte for byte, so the tests check the real thing.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;

namespace {

std::string read(const fs::path &p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("sirene fixtures: the carried copies are identical to the shared reference", "[sirene][fixtures]") {
    const fs::path ours = SIRENE_FIXTURES_DIR, shared = SIRENE_SHARED_FIXTURES_DIR;
    REQUIRE(fs::exists(ours / "LICENSE"));  // MIT: the notice travels with the copies
    if (!fs::exists(shared)) {
        WARN("no shared reference beside this checkout (" << shared.string() << "): nothing to compare");
        return;
    }
    std::size_t compared = 0;
    for (const auto &entry : fs::directory_iterator(shared)) {
        INFO(entry.path().filename().string());
        REQUIRE(fs::exists(ours / entry.path().filename()));
        CHECK(read(ours / entry.path().filename()) == read(entry.path()));
        ++compared;
    }
    CHECK(compared >= 20);
}
