// Pieces of the Prometheus text exposition format 0.0.4 shared by the host's metrics and the
// plugins': escaping, numbers, HELP/TYPE headers, samples, and the one bucket layout.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace relais::host {

// Each family's whole text (HELP, TYPE, samples) by family name: rendering in map order gives
// families by name, whoever wrote them.
using FamilyTexts = std::map<std::string, std::string, std::less<>>;

// The bucket upper bounds of every histogram, in seconds, then +Inf (Metrics::kDurationBuckets).
inline constexpr std::size_t kBucketCount = 13;
inline constexpr std::array<double, kBucketCount - 1> kBucketBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                                       0.5,   1,    2.5,   5,    10,  30};
// The `le` labels of those buckets, written as the Go client writes them.
inline constexpr std::array<std::string_view, kBucketCount> kBucketLabels = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "+Inf"};

// A label value, as the format wants it between double quotes.
std::string escaped(std::string_view value);

// Nanoseconds as decimal seconds, exactly and without trailing zeros ("1.5", "0.000000001").
std::string seconds_of(std::uint64_t ns);

// A double in its shortest form that reads back the same ("3", "0.25", "1e+21"), "+Inf",
// "-Inf" or "NaN".
std::string number_of(double value);

// Appends the HELP and TYPE lines of a family.
void family(std::string &out, std::string_view name, std::string_view type, std::string_view help);

// Appends one sample line; `labels` is the text between the braces (empty: none).
void sample(std::string &out, std::string_view name, const std::string &labels, const std::string &value);

}  // namespace relais::host
