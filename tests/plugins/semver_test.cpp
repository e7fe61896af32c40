#include "plugins/semver.hpp"

#include <catch2/catch.hpp>

using relais::host::SemVer;

TEST_CASE("semver: parses releases, pre-releases and build metadata", "[semver]") {
    auto v = SemVer::parse("1.2.3-rc.1+build.5");
    REQUIRE(v);
    CHECK(v->major == 1);
    CHECK(v->minor == 2);
    CHECK(v->patch == 3);
    CHECK(v->prerelease == std::vector<std::string>{"rc", "1"});
    CHECK(v->build == "build.5");
    CHECK(v->to_string() == "1.2.3-rc.1+build.5");
    for (const auto *bad : {"1.2", "01.2.3", "1.2.3-", "v1.2.3", "1.2.3-01", "", "1.2.3.4"}) {
        INFO(bad);
        CHECK_FALSE(SemVer::parse(bad));
    }
}

TEST_CASE("semver: precedence follows the specification", "[semver]") {
    const std::vector<std::string> ordered = {"1.0.0-alpha",      "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                                              "1.0.0-beta.2",     "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
                                              "1.0.1",            "1.1.0",         "2.0.0",            "10.0.0"};
    for (size_t i = 0; i + 1 < ordered.size(); ++i) {
        INFO(ordered[i] << " < " << ordered[i + 1]);
        CHECK(*SemVer::parse(ordered[i]) < *SemVer::parse(ordered[i + 1]));
        CHECK_FALSE(*SemVer::parse(ordered[i + 1]) < *SemVer::parse(ordered[i]));
    }
    CHECK(std::is_eq(compare(*SemVer::parse("1.0.0+a"), *SemVer::parse("1.0.0+b"))));
}
