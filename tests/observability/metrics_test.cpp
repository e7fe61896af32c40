#include "observability/metrics.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using relais::host::Metrics;
using namespace std::chrono_literals;

namespace {

// The value of one series ("name{labels}") in an exposition, or -1 when it is not there.
long long value_of(const std::string &exposition, const std::string &series) {
    std::istringstream in(exposition);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(series + " ", 0) == 0) return std::stoll(line.substr(series.size() + 1));
    return -1;
}

std::string bucket(const std::string &labels, const std::string &le) {
    return "relais_call_duration_seconds_bucket{" + labels + ",le=\"" + le + "\"}";
}

const std::vector<std::string> kLe = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
                                      "1",     "2.5",  "5",     "10",   "30",  "+Inf"};

}  // namespace

TEST_CASE("metrics: the exposition of a small scenario is exact", "[metrics]") {
    Metrics metrics("1.2.3");
    metrics.record_call("sirene", "lookup", "not_found", 4ms);
    metrics.record_call("chorus", "submit_invoice", "ok", 30ms);
    metrics.record_call("chorus", "submit_invoice", "transient", 12s);
    metrics.record_call("chorus", "submit_invoice", "ok", 1500ms);
    metrics.record_http("/api/v1/jobs", "POST", 202);
    metrics.record_http("/api/v1/connectors/{name}", "GET", 404);
    metrics.record_http("/api/v1/connectors/{name}", "GET", 200);
    metrics.record_http("/api/v1/connectors/{name}", "GET", 200);
    metrics.record_event("chorus");
    metrics.record_event("chorus");
    metrics.record_event_delivery("erp", "retrying");
    metrics.record_event_delivery("erp", "delivered");

    CHECK(metrics.render_prometheus() ==
          R"(# HELP relais_build_info The version of the Relais host; the value is always 1.
# TYPE relais_build_info gauge
relais_build_info{version="1.2.3"} 1
# HELP relais_call_duration_seconds Duration of connector calls, by connector and action.
# TYPE relais_call_duration_seconds histogram
relais_call_duration_seconds_bucket{connector="chorus",action="submit_invoice",le="0.005"} 0
relais_call_duration_seconds_bucket{connector="chorus",action="submit_invoice",le="0.01"} 0
relais_call_duration_seconds_bucket{connector="chorus",action="submit_invoice",le="0.025"} 0
relais_call_duration_seconds_bucket{connector="chorus",action="submit_invoice",le="0.05"} 1
relais_call_duration_seconds_bucket{connector="chorus",action="submit_invoice",le="0.1"} 1
relais_call_duration_seconds_bucket{connector="chorus",action="submit_invoice",le="0.25"} 1
relais_call_duration_seconds_bucket{connector="chorus",action="submit_invoice",le="0.5"} 1
relais_call_duration_seconds_bucket{connector="chorus",action="submit_invoice",le="1"} 1
relais_call_duration_seconds_bucket{connector="chorus",action="submit_invoice",le="2.5"} 2
relais_call_duration_seconds_bucket{connector="chorus",action="submit_invoice",le="5"} 2
relais_call_duration_seconds_bucket{connector="chorus",action="submit_invoice",le="10"} 2
relais_call_duration_seconds_bucket{connector="chorus",action="submit_invoice",le="30"} 3
relais_call_duration_seconds_bucket{connector="chorus",action="submit_invoice",le="+Inf"} 3
relais_call_duration_seconds_sum{connector="chorus",action="submit_invoice"} 13.53
relais_call_duration_seconds_count{connector="chorus",action="submit_invoice"} 3
relais_call_duration_seconds_bucket{connector="sirene",action="lookup",le="0.005"} 1
relais_call_duration_seconds_bucket{connector="sirene",action="lookup",le="0.01"} 1
relais_call_duration_seconds_bucket{connector="sirene",action="lookup",le="0.025"} 1
relais_call_duration_seconds_bucket{connector="sirene",action="lookup",le="0.05"} 1
relais_call_duration_seconds_bucket{connector="sirene",action="lookup",le="0.1"} 1
relais_call_duration_seconds_bucket{connector="sirene",action="lookup",le="0.25"} 1
relais_call_duration_seconds_bucket{connector="sirene",action="lookup",le="0.5"} 1
relais_call_duration_seconds_bucket{connector="sirene",action="lookup",le="1"} 1
relais_call_duration_seconds_bucket{connector="sirene",action="lookup",le="2.5"} 1
relais_call_duration_seconds_bucket{connector="sirene",action="lookup",le="5"} 1
relais_call_duration_seconds_bucket{connector="sirene",action="lookup",le="10"} 1
relais_call_duration_seconds_bucket{connector="sirene",action="lookup",le="30"} 1
relais_call_duration_seconds_bucket{connector="sirene",action="lookup",le="+Inf"} 1
relais_call_duration_seconds_sum{connector="sirene",action="lookup"} 0.004
relais_call_duration_seconds_count{connector="sirene",action="lookup"} 1
# HELP relais_calls_total Connector calls, by connector, action and outcome (ok or the error class).
# TYPE relais_calls_total counter
relais_calls_total{connector="chorus",action="submit_invoice",class="ok"} 2
relais_calls_total{connector="chorus",action="submit_invoice",class="transient"} 1
relais_calls_total{connector="sirene",action="lookup",class="not_found"} 1
# HELP relais_event_deliveries_total Attempts at pushing business events to endpoints, by endpoint and outcome (delivered, retrying, failed).
# TYPE relais_event_deliveries_total counter
relais_event_deliveries_total{endpoint="erp",outcome="delivered"} 1
relais_event_deliveries_total{endpoint="erp",outcome="retrying"} 1
# HELP relais_events_total Business events emitted, by connector (duplicates not counted).
# TYPE relais_events_total counter
relais_events_total{connector="chorus"} 2
# HELP relais_http_requests_total HTTP API requests, by route template, method and status.
# TYPE relais_http_requests_total counter
relais_http_requests_total{route="/api/v1/connectors/{name}",method="GET",status="200"} 2
relais_http_requests_total{route="/api/v1/connectors/{name}",method="GET",status="404"} 1
relais_http_requests_total{route="/api/v1/jobs",method="POST",status="202"} 1
# HELP relais_up 1 while the Relais host is running.
# TYPE relais_up gauge
relais_up 1
)");
}

TEST_CASE("metrics: every family is described even with nothing recorded", "[metrics]") {
    const auto text = Metrics("0.1.0").render_prometheus();
    for (const char *family :
         {"relais_build_info", "relais_call_duration_seconds", "relais_calls_total", "relais_http_requests_total", "relais_up"}) {
        INFO(family);
        CHECK(text.find("# HELP " + std::string(family) + " ") != std::string::npos);
        CHECK(text.find("# TYPE " + std::string(family) + " ") != std::string::npos);
    }
    CHECK(value_of(text, "relais_up") == 1);
    CHECK(value_of(text, "relais_build_info{version=\"0.1.0\"}") == 1);
}

TEST_CASE("metrics: duration buckets are cumulative and their bounds inclusive", "[metrics]") {
    Metrics metrics("1");
    const auto record = [&](std::chrono::nanoseconds d) { metrics.record_call("c", "a", "ok", d); };
    record(0ns);
    record(-3ns);  // a clock that went back: counted as 0
    record(5ms);   // on the bound: le="0.005"
    record(5ms + 1ns);
    record(300ms);
    record(30s);
    record(30s + 1ns);  // past the last bound: only +Inf
    record(1h);

    const auto text = metrics.render_prometheus();
    const std::string labels = R"(connector="c",action="a")";
    std::vector<long long> counts;
    for (const auto &le : kLe) counts.push_back(value_of(text, bucket(labels, le)));
    CHECK(counts == std::vector<long long>{3, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 6, 8});
    for (size_t i = 1; i < counts.size(); ++i) CHECK(counts[i - 1] <= counts[i]);
    CHECK(value_of(text, "relais_call_duration_seconds_count{" + labels + "}") == 8);
    CHECK(text.find("relais_call_duration_seconds_sum{" + labels + "} 3660.310000002\n") != std::string::npos);
}

TEST_CASE("metrics: label values are escaped", "[metrics]") {
    Metrics metrics("1.0 \"beta\"");
    metrics.record_call("we\"ird\\name", "line\nbreak", "ok", 1ms);
    metrics.record_http("/a\\b/\"{id}\"", "GET", 200);

    const auto text = metrics.render_prometheus();
    CHECK(value_of(text, R"(relais_build_info{version="1.0 \"beta\""})") == 1);
    CHECK(value_of(text, R"(relais_calls_total{connector="we\"ird\\name",action="line\nbreak",class="ok"})") == 1);
    CHECK(value_of(text, R"(relais_call_duration_seconds_count{connector="we\"ird\\name",action="line\nbreak"})") == 1);
    CHECK(value_of(text, R"(relais_http_requests_total{route="/a\\b/\"{id}\"",method="GET",status="200"})") == 1);
    // Still one sample per line: the raw line break did not get through.
    CHECK(text.find("line\nbreak") == std::string::npos);
}

TEST_CASE("metrics: record_call from 8 threads at once gives exact counts", "[metrics]") {
    constexpr int kThreads = 8;
    constexpr int kCalls = 20000;
    Metrics metrics("1");
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&metrics, t] {
            const std::string connector = t % 2 == 0 ? "chorus" : "sirene";
            for (int i = 0; i < kCalls; ++i) {
                // New series appear while others are counted: the exclusive path is exercised too.
                const std::string action = "action_" + std::to_string(i % 4);
                metrics.record_call(connector, action, i % 5 == 0 ? "transient" : "ok", std::chrono::milliseconds(i % 3));
                metrics.record_http("/api/v1/jobs", i % 2 == 0 ? "GET" : "POST", 200);
            }
        });
    }
    for (auto &thread : threads) thread.join();

    const auto text = metrics.render_prometheus();
    // Per connector (4 threads each) and action (a quarter of the calls each): 20000 calls.
    // Sums, by i % 3 over the 5000 i of one action: 0, 1 or 2 ms.
    long long total = 0;
    for (const char *connector : {"chorus", "sirene"}) {
        for (int a = 0; a < 4; ++a) {
            const std::string labels = "connector=\"" + std::string(connector) + "\",action=\"action_" + std::to_string(a) + "\"";
            const int per_thread = kCalls / 4;
            long long transient = 0;
            for (int i = a; i < kCalls; i += 4) transient += i % 5 == 0;
            INFO(labels);
            CHECK(value_of(text, "relais_calls_total{" + labels + ",class=\"ok\"}") == (per_thread - transient) * kThreads / 2);
            CHECK(value_of(text, "relais_calls_total{" + labels + ",class=\"transient\"}") == transient * kThreads / 2);
            CHECK(value_of(text, "relais_call_duration_seconds_count{" + labels + "}") == per_thread * kThreads / 2);
            CHECK(value_of(text, bucket(labels, "+Inf")) == per_thread * kThreads / 2);
            total += value_of(text, "relais_call_duration_seconds_count{" + labels + "}");
        }
    }
    CHECK(total == kThreads * kCalls);
    CHECK(value_of(text, R"(relais_http_requests_total{route="/api/v1/jobs",method="GET",status="200"})") == kThreads * kCalls / 2);
    CHECK(value_of(text, R"(relais_http_requests_total{route="/api/v1/jobs",method="POST",status="200"})") == kThreads * kCalls / 2);
}
