// Semantic versions (semver.org 2.0.0): parsing and precedence, to pick between two
// libraries that provide the same plugin.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <vector>

namespace relais::host {

struct SemVer {
    unsigned long major = 0, minor = 0, patch = 0;
    std::vector<std::string> prerelease;  // dot-separated identifiers; empty for a release
    std::string build;                    // ignored in comparisons, as the spec says

    static std::optional<SemVer> parse(const std::string &text);
    std::string to_string() const;
};

// Precedence per semver 2.0.0 section 11.
std::strong_ordering compare(const SemVer &a, const SemVer &b);
inline bool operator<(const SemVer &a, const SemVer &b) { return compare(a, b) < 0; }

}  // namespace relais::host
