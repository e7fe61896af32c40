#include "observability/metrics.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

namespace relais::host {
namespace {

// The `le` labels of kDurationBuckets, written as the Go client writes them.
constexpr std::array<std::string_view, Metrics::kDurationBuckets.size() + 1> kBucketLabels = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "+Inf"};

std::size_t bucket_of(std::uint64_t ns) {
    for (std::size_t i = 0; i < Metrics::kDurationBuckets.size(); ++i)
        if (ns <= static_cast<std::uint64_t>(Metrics::kDurationBuckets[i].count())) return i;  // le: "less or equal"
    return Metrics::kDurationBuckets.size();
}

// A label value, as the format wants it between double quotes.
std::string escaped(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

// Nanoseconds as decimal seconds, exactly and without trailing zeros ("1.5", "0.000000001"):
// the sum is kept as an integer so that it neither drifts nor depends on float printing.
std::string seconds_of(std::uint64_t ns) {
    std::string text = std::to_string(ns / 1'000'000'000);
    if (const auto fraction = ns % 1'000'000'000; fraction != 0) {
        std::string digits = std::to_string(fraction);
        digits.insert(0, 9 - digits.size(), '0');
        digits.erase(digits.find_last_not_of('0') + 1);
        text += '.';
        text += digits;
    }
    return text;
}

void family(std::string &out, std::string_view name, std::string_view type, std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string &out, std::string_view name, const std::string &labels, const std::string &value) {
    out.append(name);
    if (!labels.empty()) out.append("{").append(labels).append("}");
    out.append(" ").append(value).append("\n");
}

}  // namespace

Metrics::Metrics(std::string version) : version_(std::move(version)) {}

void Metrics::record_call(const std::string &connector, const std::string &action, std::string_view error_class,
                          std::chrono::nanoseconds duration) {
    const auto ns = static_cast<std::uint64_t>(std::max<std::chrono::nanoseconds::rep>(duration.count(), 0));
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
    {
        std::shared_lock lock(mutex_);
        if (const auto it = http_.find(std::tie(route, method, status)); it != http_.end()) {
            it->second.value.fetch_add(1, std::memory_order_relaxed);
            return;
        }
    }
    std::unique_lock lock(mutex_);
    http_.try_emplace(std::make_tuple(route, method, status)).first->second.value.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::record_event(const std::string &connector) {
    {
        std::shared_lock lock(mutex_);
        if (const auto it = events_.find(connector); it != events_.end()) {
            it->second.value.fetch_add(1, std::memory_order_relaxed);
            return;
        }
    }
    std::unique_lock lock(mutex_);
    events_.try_emplace(connector).first->second.value.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::record_event_delivery(const std::string &endpoint, std::string_view outcome) {
    {
        std::shared_lock lock(mutex_);
        if (const auto it = deliveries_.find(std::tie(endpoint, outcome)); it != deliveries_.end()) {
            it->second.value.fetch_add(1, std::memory_order_relaxed);
            return;
        }
    }
    std::unique_lock lock(mutex_);
    deliveries_.try_emplace(std::make_tuple(endpoint, std::string(outcome)))
        .first->second.value.fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render_prometheus() const {
    std::string out;
    std::shared_lock lock(mutex_);

    family(out, "relais_build_info", "gauge", "The version of the Relais host; the value is always 1.");
    sample(out, "relais_build_info", "version=\"" + escaped(version_) + "\"", "1");

    family(out, "relais_call_duration_seconds", "histogram", "Duration of connector calls, by connector and action.");
    for (const auto &[key, timing] : durations_) {
        const auto labels = "connector=\"" + escaped(std::get<0>(key)) + "\",action=\"" + escaped(std::get<1>(key)) + "\"";
        // _count is the +Inf bucket, read once: the two cannot disagree while calls are recorded.
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < timing.counts.size(); ++i) {
            cumulative += timing.counts[i].load(std::memory_order_relaxed);
            sample(out, "relais_call_duration_seconds_bucket", labels + ",le=\"" + std::string(kBucketLabels[i]) + "\"",
                   std::to_string(cumulative));
        }
        sample(out, "relais_call_duration_seconds_sum", labels, seconds_of(timing.sum_ns.load(std::memory_order_relaxed)));
        sample(out, "relais_call_duration_seconds_count", labels, std::to_string(cumulative));
    }

    family(out, "relais_calls_total", "counter",
           "Connector calls, by connector, action and outcome (ok or the error class).");
    for (const auto &[key, counter] : calls_)
        sample(out, "relais_calls_total",
               "connector=\"" + escaped(std::get<0>(key)) + "\",action=\"" + escaped(std::get<1>(key)) + "\",class=\"" +
                   escaped(std::get<2>(key)) + "\"",
               std::to_string(counter.value.load(std::memory_order_relaxed)));

    family(out, "relais_event_deliveries_total", "counter",
           "Attempts at pushing business events to endpoints, by endpoint and outcome (delivered, retrying, failed).");
    for (const auto &[key, counter] : deliveries_)
        sample(out, "relais_event_deliveries_total",
               "endpoint=\"" + escaped(std::get<0>(key)) + "\",outcome=\"" + escaped(std::get<1>(key)) + "\"",
               std::to_string(counter.value.load(std::memory_order_relaxed)));

    family(out, "relais_events_total", "counter", "Business events emitted, by connector (duplicates not counted).");
    for (const auto &[connector, counter] : events_)
        sample(out, "relais_events_total", "connector=\"" + escaped(connector) + "\"",
               std::to_string(counter.value.load(std::memory_order_relaxed)));

    family(out, "relais_http_requests_total", "counter", "HTTP API requests, by route template, method and status.");
    for (const auto &[key, counter] : http_)
        sample(out, "relais_http_requests_total",
               "route=\"" + escaped(std::get<0>(key)) + "\",method=\"" + escaped(std::get<1>(key)) + "\",status=\"" +
                   std::to_string(std::get<2>(key)) + "\"",
               std::to_string(counter.value.load(std::memory_order_relaxed)));

    family(out, "relais_up", "gauge", "1 while the Relais host is running.");
    sample(out, "relais_up", {}, "1");
    return out;
}

}  // namespace relais::host
