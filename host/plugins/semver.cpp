#include "plugins/semver.hpp"

#include <regex>

namespace relais::host {
namespace {

bool is_numeric(const std::string &s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

std::vector<std::string> split_dots(const std::string &s) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        const auto dot = s.find('.', start);
        parts.push_back(s.substr(start, dot - start));
        if (dot == std::string::npos) return parts;
        start = dot + 1;
    }
}

}  // namespace

std::optional<SemVer> SemVer::parse(const std::string &text) {
    // The regular expression the semver specification itself recommends, in ECMAScript form.
    static const std::regex pattern(
        R"(^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*))"
        R"((?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?)"
        R"((?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$)");
    std::smatch m;
    if (text.size() > 256 || !std::regex_match(text, m, pattern)) return std::nullopt;
    SemVer v;
    try {
        v.major = std::stoul(m[1]);
        v.minor = std::stoul(m[2]);
        v.patch = std::stoul(m[3]);
    } catch (const std::exception &) {
        return std::nullopt;  // out of range
    }
    if (m[4].matched) v.prerelease = split_dots(m[4]);
    if (m[5].matched) v.build = m[5];
    return v;
}

std::string SemVer::to_string() const {
    std::string s = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
    for (size_t i = 0; i < prerelease.size(); ++i) s += (i == 0 ? "-" : ".") + prerelease[i];
    if (!build.empty()) s += "+" + build;
    return s;
}

std::strong_ordering compare(const SemVer &a, const SemVer &b) {
    if (auto c = a.major <=> b.major; c != 0) return c;
    if (auto c = a.minor <=> b.minor; c != 0) return c;
    if (auto c = a.patch <=> b.patch; c != 0) return c;
    // A pre-release sorts before its release.
    if (a.prerelease.empty() || b.prerelease.empty())
        return a.prerelease.empty() <=> b.prerelease.empty();
    for (size_t i = 0; i < a.prerelease.size() && i < b.prerelease.size(); ++i) {
        const auto &x = a.prerelease[i], &y = b.prerelease[i];
        const bool xn = is_numeric(x), yn = is_numeric(y);
        if (xn && yn) {
            if (auto c = x.size() <=> y.size(); c != 0) return c;  // no leading zeros: longer is larger
            if (auto c = x <=> y; c != 0) return c;
        } else if (xn != yn) {
            return xn ? std::strong_ordering::less : std::strong_ordering::greater;
        } else if (auto c = x <=> y; c != 0) {
            return c;
        }
    }
    return a.prerelease.size() <=> b.prerelease.size();
}

}  // namespace relais::host
