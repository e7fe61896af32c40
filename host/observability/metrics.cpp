#include "observability/metrics.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

namespace relais::host {
namespace {

std::size_t bucket_of(std::uint64_t ns) {
    for (std::size_t i = 0; i < Metrics::kDurationBuckets.size(); ++i)
        if (ns <= static_cast<std::uint64_t>(Metrics::kDurationBuckets[i].count())) return i;  // le: "less or equal"
    return Metrics::kDurationBuckets.size();
}

std::uint64_t ns_of(std::chrono::nanoseconds duration) {
    return static_cast<std::uint64_t>(std::max<std::chrono::nanoseconds::rep>(duration.count(), 0));
}

constexpr std::array<std::string_view, 3> kCallbackOutcomes = {"delivered", "failed", "given_up"};

}  // namespace

Metrics::Metrics(std::string version) : version_(std::move(version)) {}

template <class Map, class Key, class Made>
typename Map::mapped_type &Metrics::entry(Map &map, const Key &key, Made &&make_key) {
    {
        std::shared_lock lock(mutex_);
        if (const auto it = map.find(key); it != map.end()) return it->second;
    }
    // Entries are never removed and their values are atomic: the reference stays good unlocked.
    std::unique_lock lock(mutex_);
    return map.try_emplace(make_key()).first->second;
}

void Metrics::record_call(const std::string &connector, const std::string &action, std::string_view error_class,
                          std::chrono::nanoseconds duration) {
    const auto ns = ns_of(duration);
    const auto bucket = bucket_of(ns);
    const auto count = [&](Counter &call, Histogram &timing) {
        call.value.fetch_add(1, std::memory_order_relaxed);
        timing.counts[bucket].fetch_add(1, std::memory_order_relaxed);
        timing.sum_ns.fetch_add(ns, std::memory_order_relaxed);
    };
    {
        std::shared_lock lock(mutex_);
        const auto call = calls_.find(std::tie(connector, action, error_class));
        const auto timing = durations_.find(std::tie(connector, action));
        if (call != calls_.end() && timing != durations_.end()) {
            count(call->second, timing->second);
            return;
        }
    }
    std::unique_lock lock(mutex_);
    count(calls_.try_emplace(std::make_tuple(connector, action, std::string(error_class))).first->second,
          durations_.try_emplace(std::make_tuple(connector, action)).first->second);
}

void Metrics::record_http(const std::string &route, const std::string &method, int status) {
    entry(http_, std::tie(route, method, status), [&] { return std::make_tuple(route, method, status); })
        .value.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::record_quota_wait(const std::string &connector, const std::string &scope,
                                std::chrono::nanoseconds waited) {
    auto &waits = entry(quota_waits_, std::tie(connector, scope), [&] { return std::make_tuple(connector, scope); });
    waits.count.fetch_add(1, std::memory_order_relaxed);
    waits.ns.fetch_add(ns_of(waited), std::memory_order_relaxed);
}

void Metrics::record_callback(CallbackOutcome outcome) {
    const auto index = static_cast<std::size_t>(outcome);
    if (index >= callbacks_.size()) return;
    callbacks_[index].value.fetch_add(1, std::memory_order_relaxed);
    callbacks_used_.store(true, std::memory_order_relaxed);
}

void Metrics::record_webhook(const std::string &connector, const std::string &hook, int status) {
    // Past the bound, a new (connector, hook) is counted as ("", ""): however a caller names
    // what the URL asked for, the series stay bounded.
    entry(webhooks_, std::tie(connector, hook, status), [&] {
        return webhooks_.size() < kMaxWebhookSeries ? std::make_tuple(connector, hook, status)
                                                    : std::make_tuple(std::string(), std::string(), status);
    }).value.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::record_event(const std::string &connector) {
    entry(events_, connector, [&] { return connector; }).value.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::record_event_delivery(const std::string &endpoint, std::string_view outcome) {
    entry(deliveries_, std::tie(endpoint, outcome), [&] { return std::make_tuple(endpoint, std::string(outcome)); })
        .value.fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render_prometheus(const JobGauges *jobs) const {
    FamilyTexts families;
    const auto counter_of = [](const Counter &c) { return std::to_string(c.value.load(std::memory_order_relaxed)); };
    {
        std::shared_lock lock(mutex_);

        auto &build = families["relais_build_info"];
        family(build, "relais_build_info", "gauge", "The version of the Relais host; the value is always 1.");
        sample(build, "relais_build_info", "version=\"" + escaped(version_) + "\"", "1");

        auto &timings = families["relais_call_duration_seconds"];
        family(timings, "relais_call_duration_seconds", "histogram",
               "Duration of connector calls, by connector and action.");
        for (const auto &[key, timing] : durations_) {
            const auto labels =
                "connector=\"" + escaped(std::get<0>(key)) + "\",action=\"" + escaped(std::get<1>(key)) + "\"";
            // _count is the +Inf bucket, read once: the two cannot disagree while calls are recorded.
            std::uint64_t cumulative = 0;
            for (std::size_t i = 0; i < timing.counts.size(); ++i) {
                cumulative += timing.counts[i].load(std::memory_order_relaxed);
                sample(timings, "relais_call_duration_seconds_bucket",
                       labels + ",le=\"" + std::string(kBucketLabels[i]) + "\"", std::to_string(cumulative));
            }
            sample(timings, "relais_call_duration_seconds_sum", labels,
                   seconds_of(timing.sum_ns.load(std::memory_order_relaxed)));
            sample(timings, "relais_call_duration_seconds_count", labels, std::to_string(cumulative));
        }

        auto &calls = families["relais_calls_total"];
        family(calls, "relais_calls_total", "counter",
               "Connector calls, by connector, action and outcome (ok or the error class).");
        for (const auto &[key, counter] : calls_)
            sample(calls, "relais_calls_total",
                   "connector=\"" + escaped(std::get<0>(key)) + "\",action=\"" + escaped(std::get<1>(key)) +
                       "\",class=\"" + escaped(std::get<2>(key)) + "\"",
                   counter_of(counter));

        auto &http = families["relais_http_requests_total"];
        family(http, "relais_http_requests_total", "counter", "HTTP API requests, by route template, method and status.");
        for (const auto &[key, counter] : http_)
            sample(http, "relais_http_requests_total",
                   "route=\"" + escaped(std::get<0>(key)) + "\",method=\"" + escaped(std::get<1>(key)) +
                       "\",status=\"" + std::to_string(std::get<2>(key)) + "\"",
                   counter_of(counter));

        // Business events: there when the host keeps them (a job store), or once counted.
        if (jobs || !events_.empty()) {
            auto &emitted = families["relais_events_total"];
            family(emitted, "relais_events_total", "counter",
                   "Business events emitted, by connector (duplicates not counted).");
            for (const auto &[connector, counter] : events_)
                sample(emitted, "relais_events_total", "connector=\"" + escaped(connector) + "\"", counter_of(counter));
        }
        if (jobs || !deliveries_.empty()) {
            auto &pushed = families["relais_event_deliveries_total"];
            family(pushed, "relais_event_deliveries_total", "counter",
                   "Attempts at pushing business events to endpoints, by endpoint and outcome (delivered, retrying, "
                   "failed).");
            for (const auto &[key, counter] : deliveries_)
                sample(pushed, "relais_event_deliveries_total",
                       "endpoint=\"" + escaped(std::get<0>(key)) + "\",outcome=\"" + escaped(std::get<1>(key)) + "\"",
                       counter_of(counter));
        }

        auto &up = families["relais_up"];
        family(up, "relais_up", "gauge", "1 while the Relais host is running.");
        sample(up, "relais_up", {}, "1");

        if (jobs || !quota_waits_.empty()) {
            auto &waits = families["relais_quota_waits_total"];
            auto &seconds = families["relais_quota_wait_seconds_total"];
            family(waits, "relais_quota_waits_total", "counter",
                   "Times a job or call waited for its connector's quota, by connector and quota scope.");
            family(seconds, "relais_quota_wait_seconds_total", "counter",
                   "Time jobs and calls spent waiting for quota, by connector and quota scope.");
            for (const auto &[key, w] : quota_waits_) {
                const auto labels =
                    "connector=\"" + escaped(std::get<0>(key)) + "\",scope=\"" + escaped(std::get<1>(key)) + "\"";
                sample(waits, "relais_quota_waits_total", labels, std::to_string(w.count.load(std::memory_order_relaxed)));
                sample(seconds, "relais_quota_wait_seconds_total", labels, seconds_of(w.ns.load(std::memory_order_relaxed)));
            }
        }

        if (jobs || !webhooks_.empty()) {
            auto &hooks = families["relais_webhook_requests_total"];
            family(hooks, "relais_webhook_requests_total", "counter",
                   "Requests to the connectors' webhooks, by connector, webhook and HTTP status.");
            for (const auto &[key, counter] : webhooks_)
                sample(hooks, "relais_webhook_requests_total",
                       "connector=\"" + escaped(std::get<0>(key)) + "\",hook=\"" + escaped(std::get<1>(key)) +
                           "\",status=\"" + std::to_string(std::get<2>(key)) + "\"",
                       counter_of(counter));
        }
    }

    if (jobs || callbacks_used_.load(std::memory_order_relaxed)) {
        auto &out = families["relais_callbacks_total"];
        family(out, "relais_callbacks_total", "counter",
               "Job callback deliveries, by outcome: delivered, failed (another attempt follows, or a progress "
               "callback) or given_up.");
        for (std::size_t i = 0; i < callbacks_.size(); ++i)
            sample(out, "relais_callbacks_total", "outcome=\"" + std::string(kCallbackOutcomes[i]) + "\"",
                   counter_of(callbacks_[i]));
    }

    if (jobs) {
        auto &by_state = families["relais_jobs"];
        family(by_state, "relais_jobs", "gauge", "Jobs in the store, by connector and state.");
        for (const auto &c : jobs->by_state)
            sample(by_state, "relais_jobs", "connector=\"" + escaped(c.connector) + "\",state=\"" + escaped(c.state) + "\"",
                   std::to_string(c.jobs));
        auto &runnable = families["relais_jobs_runnable"];
        family(runnable, "relais_jobs_runnable", "gauge",
               "Jobs that could start now (queued, failed_retrying or waiting, due, deadline ahead): the queue's "
               "depth, by connector.");
        for (const auto &[connector, count] : jobs->runnable)
            sample(runnable, "relais_jobs_runnable", "connector=\"" + escaped(connector) + "\"", std::to_string(count));
    }

    plugins_.render(families);

    std::string out;
    for (const auto &[name, text] : families) out += text;
    return out;
}

}  // namespace relais::host
