// Counters of what the host does (connector calls, their outcome and duration, HTTP requests),
// rendered in the Prometheus text exposition format 0.0.4 for GET /metrics.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace relais::host {

// Thread-safe. Recording a series seen before takes a shared lock and atomic increments only;
// the exclusive lock is taken once per new label combination. Series are never removed.
class Metrics {
public:
    static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";
    // Upper bounds of relais_call_duration_seconds' buckets (+Inf comes after).
    static constexpr std::array<std::chrono::nanoseconds, 12> kDurationBuckets = {
        std::chrono::milliseconds(5), std::chrono::milliseconds(10), std::chrono::milliseconds(25),
        std::chrono::milliseconds(50), std::chrono::milliseconds(100), std::chrono::milliseconds(250),
        std::chrono::milliseconds(500), std::chrono::seconds(1), std::chrono::milliseconds(2500),
        std::chrono::seconds(5), std::chrono::seconds(10), std::chrono::seconds(30)};

    // `version` is reported by relais_build_info.
    explicit Metrics(std::string version);
    Metrics(const Metrics &) = delete;
    Metrics &operator=(const Metrics &) = delete;

    // One connector call (execute or test): counted in relais_calls_total by `error_class`
    // ("ok" or the class name), timed in relais_call_duration_seconds. A negative duration
    // counts as 0.
    void record_call(const std::string &connector, const std::string &action, std::string_view error_class,
                     std::chrono::nanoseconds duration);

    // One HTTP request. `route` must be the route's template ("/api/v1/connectors/{name}"),
    // never the path: every distinct value makes a series of its own.
    void record_http(const std::string &route, const std::string &method, int status);

    // Business events: one emitted by `connector`; one attempt at pushing an event to an
    // endpoint, by outcome ("delivered", "retrying", "failed").
    void record_event(const std::string &connector);
    void record_event_delivery(const std::string &endpoint, std::string_view outcome);

    // Every family, with its HELP and TYPE lines even before its first sample; families by
    // name, series by label values: the same counts give the same text.
    std::string render_prometheus() const;

private:
    struct Counter {
        std::atomic<std::uint64_t> value{0};
    };
    struct Histogram {
        std::array<std::atomic<std::uint64_t>, kDurationBuckets.size() + 1> counts{};  // per bucket, not cumulative
        std::atomic<std::uint64_t> sum_ns{0};
    };

    const std::string version_;
    mutable std::shared_mutex mutex_;  // guards the maps' structure; the values are atomic
    std::map<std::tuple<std::string, std::string, std::string>, Counter, std::less<>> calls_;  // connector, action, class
    std::map<std::tuple<std::string, std::string>, Histogram, std::less<>> durations_;        // connector, action
    std::map<std::tuple<std::string, std::string, int>, Counter, std::less<>> http_;           // route, method, status
    std::map<std::string, Counter, std::less<>> events_;                                        // connector
    std::map<std::tuple<std::string, std::string>, Counter, std::less<>> deliveries_;          // endpoint, outcome
};

}  // namespace relais::host
