// The counters and histograms plugins record through relais_host_services.metric_add and
// metric_observe, exposed on /metrics as relais_plugin_<connector>_<name>_total (counters) and
// relais_plugin_<connector>_<name> with _bucket, _sum and _count (histograms), each series
// labelled with connector="<connector>" first, then the plugin's labels in name order.
//
// A plugin is outside code: whatever it sends, nothing here throws, crashes or grows without
// bound. Refused, and reported once per (plugin, name) so that the caller can log it:
//   - a name that is not [a-z][a-z0-9_]* of at most kMaxNameLength characters;
//   - labels that are not a JSON object (NULL, "" and {} mean none) of at most kMaxLabels
//     string values (UTF-8), each of at most kMaxLabelValueBytes bytes, named
//     [a-z_][a-z0-9_]* (not starting with "__"), none of them "connector" or "le" (the host's);
//   - a counter increment that is negative or not finite, an observation that is not finite;
//   - a name already used for the other kind, or whose exposed names another connector's
//     metric (or the host's relais_plugin_series_dropped_total) already takes.
// Each connector has at most kMaxSeriesPerConnector series over all its metrics; a sample of a
// further series is dropped and counted in relais_plugin_series_dropped_total{connector}.
//
// Thread-safe. Recording into a series seen before takes a shared lock and atomic operations
// only; the exclusive lock is taken once per new series.
#pragma once

#include "observability/metrics_text.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relais::host {

class PluginMetrics {
public:
    static constexpr std::size_t kMaxNameLength = 64;
    static constexpr std::size_t kMaxLabels = 8;
    static constexpr std::size_t kMaxLabelValueBytes = 256;
    static constexpr std::size_t kMaxSeriesPerConnector = 1000;
    // Beyond this many refused names of one connector, further refusals are no longer reported
    // (the set that remembers them must stay bounded too).
    static constexpr std::size_t kMaxReportedNames = 100;

    PluginMetrics() = default;
    PluginMetrics(const PluginMetrics &) = delete;
    PluginMetrics &operator=(const PluginMetrics &) = delete;

    // Adds `value` to a counter of `connector`. `labels_json` may be null. Returns why the
    // sample was refused or dropped when this is the first time for this (connector, name),
    // or the first dropped series of this connector: the caller logs it once.
    std::optional<std::string> add(const std::string &connector, const char *name, const char *labels_json,
                                   double value) noexcept;
    // Records one value in a histogram of `connector`, with the buckets of
    // Metrics::kDurationBuckets read as numbers (0.005 ... 30, then +Inf): seconds fit them.
    std::optional<std::string> observe(const std::string &connector, const char *name, const char *labels_json,
                                       double value) noexcept;

    // Appends each family's text (HELP, TYPE and samples) under its name.
    void render(FamilyTexts &families) const;

private:
    enum class Kind { counter, histogram };
    using Labels = std::vector<std::pair<std::string, std::string>>;  // by name

    // A counter uses `sum` only.
    struct Series {
        std::atomic<double> sum{0};
        std::array<std::atomic<std::uint64_t>, kBucketCount> counts{};  // per bucket, not cumulative
    };
    struct Family {
        Kind kind;
        std::string exposed;  // relais_plugin_<connector>_<name>[_total]
        std::map<Labels, std::unique_ptr<Series>> series;
    };
    struct Connector {
        std::map<std::string, Family, std::less<>> families;
        std::size_t series = 0;
        std::atomic<std::uint64_t> dropped{0};
    };

    std::optional<std::string> record(Kind kind, const std::string &connector, const char *name,
                                      const char *labels_json, double value) noexcept;
    static void apply(Kind kind, Series &series, double value);
    // The family's sample names, which no other family may produce.
    static std::vector<std::string> names_of(Kind kind, const std::string &exposed);
    std::optional<std::string> report_once(const std::string &connector, const std::string &key,
                                           const std::string &message);

    mutable std::shared_mutex mutex_;  // guards the maps' structure; the values are atomic
    std::map<std::string, Connector, std::less<>> connectors_;
    std::map<std::string, std::string> taken_;  // sample name -> the family that produces it

    std::mutex reported_mutex_;
    std::map<std::string, std::set<std::string>> reported_;  // connector -> what was reported
};

}  // namespace relais::host
