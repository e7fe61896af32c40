// Counters of what the host does (connector calls, their outcome and duration, HTTP requests,
// job callbacks, webhooks, quota waits), gauges of its jobs read at scrape time, and the
// plugins' own counters and histograms (plugin_metrics.hpp), rendered in the Prometheus text
// exposition format 0.0.4 for GET /metrics.
//
// Written here rather than with prometheus-cpp (prometheus-cpp-dev): its core registry looks a
// series up under an exclusive std::mutex on every Add() and its histograms observe under one
// too, so the calls' hot path would need a cache of our own in front of it anyway; it orders a
// series' labels by name and prints sums as doubles, which would change the existing output
// (connector before action, exact sums from integer nanoseconds); and it would be one more
// package for every build machine. What is kept by hand is small: atomics in maps under a
// shared lock, and a text writer (metrics_text.hpp).
#pragma once

#include "observability/metrics_text.hpp"
#include "observability/plugin_metrics.hpp"

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
#include <utility>
#include <vector>

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

    static_assert(kDurationBuckets.size() + 1 == kBucketCount);

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

    // One wait of a job or call for quota, as the quota limiter measured it: counted in
    // relais_quota_waits_total and added to relais_quota_wait_seconds_total, by connector and
    // scope ("requests" or a declared window's scope). A negative wait counts as 0.
    void record_quota_wait(const std::string &connector, const std::string &scope, std::chrono::nanoseconds waited);

    // One delivery attempt of a job callback (relais_callbacks_total{outcome}): delivered (2xx),
    // failed (refused or unreachable; another attempt follows, or it was a progress callback,
    // which is posted once), or given_up (a final callback whose last attempt failed).
    enum class CallbackOutcome { delivered, failed, given_up };
    void record_callback(CallbackOutcome outcome);

    // One request to a plugin's webhook (relais_webhook_requests_total). `connector` and `hook`
    // should name a webhook a loaded connector declares, and a request to any other path be
    // counted with both empty, so that URLs cannot make series; whatever the caller passes,
    // past kMaxWebhookSeries series a new (connector, hook) is counted as ("", "").
    static constexpr std::size_t kMaxWebhookSeries = 1000;
    void record_webhook(const std::string &connector, const std::string &hook, int status);

    // The plugins' counters and histograms (relais_host_services.metric_add/metric_observe).
    PluginMetrics &plugins() { return plugins_; }

    // The jobs of the store at one moment (see read_job_gauges in job_gauges.hpp).
    struct JobGauges {
        struct Count {
            std::string connector;
            std::string state;
            std::int64_t jobs = 0;
        };
        std::vector<Count> by_state;                                // relais_jobs
        std::vector<std::pair<std::string, std::int64_t>> runnable;  // relais_jobs_runnable, by connector
    };

    // Every family, with its HELP and TYPE lines even before its first sample; families by
    // name, series by label values: the same counts give the same text. The families of the
    // job system (relais_jobs, relais_jobs_runnable, relais_callbacks_total,
    // relais_quota_wait*, relais_webhook_requests_total) are there when `jobs` is given (a host
    // with a job store), or else once they have a sample; the plugins' once a plugin recorded
    // one.
    std::string render_prometheus(const JobGauges *jobs = nullptr) const;

private:
    struct Counter {
        std::atomic<std::uint64_t> value{0};
    };
    struct Histogram {
        std::array<std::atomic<std::uint64_t>, kDurationBuckets.size() + 1> counts{};  // per bucket, not cumulative
        std::atomic<std::uint64_t> sum_ns{0};
    };
    struct Waits {
        std::atomic<std::uint64_t> count{0};
        std::atomic<std::uint64_t> ns{0};
    };

    // Finds the entry of `key` under the shared lock, or makes it under the exclusive one.
    template <class Map, class Key, class Made>
    typename Map::mapped_type &entry(Map &map, const Key &key, Made &&make_key);

    const std::string version_;
    mutable std::shared_mutex mutex_;  // guards the maps' structure; the values are atomic
    std::map<std::tuple<std::string, std::string, std::string>, Counter, std::less<>> calls_;  // connector, action, class
    std::map<std::tuple<std::string, std::string>, Histogram, std::less<>> durations_;        // connector, action
    std::map<std::tuple<std::string, std::string, int>, Counter, std::less<>> http_;           // route, method, status
    std::map<std::tuple<std::string, std::string>, Waits, std::less<>> quota_waits_;          // connector, scope
    std::map<std::tuple<std::string, std::string, int>, Counter, std::less<>> webhooks_;       // connector, hook, status
    std::array<Counter, 3> callbacks_{};                                                        // by CallbackOutcome
    std::atomic<bool> callbacks_used_{false};
    PluginMetrics plugins_;
    std::map<std::string, Counter, std::less<>> events_;                                        // connector
    std::map<std::tuple<std::string, std::string>, Counter, std::less<>> deliveries_;          // endpoint, outcome
};

}  // namespace relais::host
