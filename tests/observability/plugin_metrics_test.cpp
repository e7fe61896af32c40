// The plugins' counters and histograms on /metrics: names, labels and their escaping, what is
// refused (and reported once), the bound on series, and the path a plugin takes through the
// host services table.
#include "observability/metrics.hpp"
#include "plugins/host_services.hpp"

#include <catch2/catch.hpp>

#include <Poco/ConsoleChannel.h>
#include <Poco/Logger.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using relais::host::Metrics;
using relais::host::PluginMetrics;

namespace {

// The value of one series ("name{labels}") in an exposition, or NaN when it is not there.
double value_of(const std::string &exposition, const std::string &series) {
    std::istringstream in(exposition);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    return std::nan("");
}

bool has_line_starting(const std::string &exposition, const std::string &start) {
    std::istringstream in(exposition);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(start, 0) == 0) return true;
    return false;
}

}  // namespace

TEST_CASE("plugin metrics: counters and histograms are exposed under the connector's prefix", "[plugin_metrics]") {
    Metrics metrics("1");
    auto &plugins = metrics.plugins();
    CHECK_FALSE(plugins.add("chorus", "deposits", R"({"outcome":"ok","api":"piste"})", 2));
    CHECK_FALSE(plugins.add("chorus", "deposits", R"({"api":"piste","outcome":"ok"})", 1.5));  // same series
    CHECK_FALSE(plugins.add("chorus", "deposits", nullptr, 1));
    CHECK_FALSE(plugins.observe("chorus", "token_seconds", R"({"step":"oauth"})", 0.015625));
    CHECK_FALSE(plugins.observe("chorus", "token_seconds", R"({"step":"oauth"})", 4));
    CHECK_FALSE(plugins.observe("chorus", "token_seconds", R"({"step":"oauth"})", 40));

    const auto text = metrics.render_prometheus();
    CHECK(text.find(R"(# HELP relais_plugin_chorus_deposits_total Metric deposits of the chorus connector.
# TYPE relais_plugin_chorus_deposits_total counter
relais_plugin_chorus_deposits_total{connector="chorus"} 1
relais_plugin_chorus_deposits_total{connector="chorus",api="piste",outcome="ok"} 3.5
)") != std::string::npos);
    CHECK(text.find(R"(# HELP relais_plugin_chorus_token_seconds Metric token_seconds of the chorus connector.
# TYPE relais_plugin_chorus_token_seconds histogram
relais_plugin_chorus_token_seconds_bucket{connector="chorus",step="oauth",le="0.005"} 0
relais_plugin_chorus_token_seconds_bucket{connector="chorus",step="oauth",le="0.01"} 0
relais_plugin_chorus_token_seconds_bucket{connector="chorus",step="oauth",le="0.025"} 1
relais_plugin_chorus_token_seconds_bucket{connector="chorus",step="oauth",le="0.05"} 1
relais_plugin_chorus_token_seconds_bucket{connector="chorus",step="oauth",le="0.1"} 1
relais_plugin_chorus_token_seconds_bucket{connector="chorus",step="oauth",le="0.25"} 1
relais_plugin_chorus_token_seconds_bucket{connector="chorus",step="oauth",le="0.5"} 1
relais_plugin_chorus_token_seconds_bucket{connector="chorus",step="oauth",le="1"} 1
relais_plugin_chorus_token_seconds_bucket{connector="chorus",step="oauth",le="2.5"} 1
relais_plugin_chorus_token_seconds_bucket{connector="chorus",step="oauth",le="5"} 2
relais_plugin_chorus_token_seconds_bucket{connector="chorus",step="oauth",le="10"} 2
relais_plugin_chorus_token_seconds_bucket{connector="chorus",step="oauth",le="30"} 2
relais_plugin_chorus_token_seconds_bucket{connector="chorus",step="oauth",le="+Inf"} 3
relais_plugin_chorus_token_seconds_sum{connector="chorus",step="oauth"} 44.015625
relais_plugin_chorus_token_seconds_count{connector="chorus",step="oauth"} 3
)") != std::string::npos);
    CHECK(value_of(text, R"(relais_plugin_series_dropped_total{connector="chorus"})") == 0);
    // Families stay in name order with the host's: the plugins' come before relais_up.
    CHECK(text.find("# TYPE relais_plugin_chorus_deposits_total") < text.find("# TYPE relais_plugin_chorus_token_seconds"));
    CHECK(text.find("# TYPE relais_plugin_chorus_token_seconds") < text.find("# TYPE relais_up"));
}

TEST_CASE("plugin metrics: none recorded, none described", "[plugin_metrics]") {
    const auto text = Metrics("1").render_prometheus();
    CHECK(text.find("relais_plugin_") == std::string::npos);
}

TEST_CASE("plugin metrics: label values are escaped and kept one line", "[plugin_metrics]") {
    Metrics metrics("1");
    CHECK_FALSE(metrics.plugins().add("sirene", "lookups", R"({"siren":"we\"ird\\va\nlue","city":"Saint-Étienne"})", 1));
    const auto text = metrics.render_prometheus();
    CHECK(value_of(text, R"(relais_plugin_sirene_lookups_total{connector="sirene",city="Saint-Étienne",siren="we\"ird\\va\nlue"})") == 1);
    CHECK(text.find("va\nlue") == std::string::npos);
}

TEST_CASE("plugin metrics: bad names, labels and values are ignored and reported once per name", "[plugin_metrics]") {
    Metrics metrics("1");
    auto &plugins = metrics.plugins();
    const std::string long_value(PluginMetrics::kMaxLabelValueBytes + 1, 'x');
    const std::string nine_labels = R"({"a":"1","b":"1","c":"1","d":"1","e":"1","f":"1","g":"1","h":"1","i":"1"})";
    struct Bad {
        const char *name;
        std::string labels;
        double value;
        std::string reason;  // a part of the message
    };
    const std::vector<Bad> bad = {
        {"Deposits", "", 1, "is not [a-z][a-z0-9_]*"},
        {"9lives", "", 1, "is not [a-z][a-z0-9_]*"},
        {"dash-ed", "", 1, "is not [a-z][a-z0-9_]*"},
        {"", "", 1, "is not [a-z][a-z0-9_]*"},
        {"not_json", "{oops", 1, "labels are not JSON"},
        {"array_labels", R"(["a"])", 1, "not a JSON object"},
        {"number_label", R"({"n":3})", 1, "label n is not a string"},
        {"nine_labels", nine_labels, 1, "9 labels, more than 8"},
        {"connector_label", R"({"connector":"other"})", 1, "is the host's"},
        {"le_label", R"({"le":"1"})", 1, "is the host's"},
        {"upper_label", R"({"Outcome":"ok"})", 1, "is not [a-z_][a-z0-9_]*"},
        {"reserved_label", R"({"__name__":"x"})", 1, "is not [a-z_][a-z0-9_]*"},
        {"long_value", R"({"v":")" + long_value + R"("})", 1, "longer than 256 bytes"},
        {"bad_bytes", "{\"v\":\"\xC3\x28\"}", 1, "labels are not JSON"},
        {"lone_surrogate", R"({"v":"\ud800"})", 1, "labels are not JSON"},
        {"overlong", "{\"v\":\"\xC0\x80\"}", 1, "labels are not JSON"},
        {"negative", "", -1, "finite value >= 0, not -1"},
        {"not_a_number", "", std::nan(""), "not NaN"},
        {"infinite", "", std::numeric_limits<double>::infinity(), "not +Inf"},
    };
    for (const auto &b : bad) {
        INFO(b.name);
        const auto first = plugins.add("chorus", b.name, b.labels.c_str(), b.value);
        REQUIRE(first);
        CHECK_THAT(*first, Catch::Matchers::Contains(b.reason));
        CHECK_THAT(*first, Catch::Matchers::Contains("connector chorus"));
        CHECK_FALSE(plugins.add("chorus", b.name, b.labels.c_str(), b.value));  // reported once
    }
    const auto too_long = std::string(PluginMetrics::kMaxNameLength + 1, 'a');
    CHECK(plugins.add("chorus", too_long.c_str(), nullptr, 1));
    CHECK(plugins.add("chorus", nullptr, nullptr, 1));
    CHECK(plugins.observe("chorus", "timing", nullptr, std::numeric_limits<double>::infinity()));
    // The longest name allowed is fine.
    const auto longest = std::string(PluginMetrics::kMaxNameLength, 'a');
    CHECK_FALSE(plugins.add("chorus", longest.c_str(), nullptr, 1));

    const auto text = metrics.render_prometheus();
    CHECK(value_of(text, "relais_plugin_chorus_" + longest + "_total{connector=\"chorus\"}") == 1);
    for (const auto &b : bad)
        if (*b.name) CHECK_FALSE(has_line_starting(text, "relais_plugin_chorus_" + std::string(b.name)));
    CHECK_FALSE(has_line_starting(text, "relais_plugin_chorus_timing"));
    // Another connector's refusal of the same name is reported too.
    CHECK(plugins.add("sirene", "Deposits", nullptr, 1));
}

TEST_CASE("plugin metrics: a name keeps its kind and no two metrics share an exposed name", "[plugin_metrics]") {
    Metrics metrics("1");
    auto &plugins = metrics.plugins();
    CHECK_FALSE(plugins.add("chorus", "deposits", nullptr, 1));
    const auto clash = plugins.observe("chorus", "deposits", nullptr, 1);
    REQUIRE(clash);
    CHECK_THAT(*clash, Catch::Matchers::Contains("already a counter"));

    // relais_plugin_a_b_c_total: metric b_c of connector a, or metric c of connector a_b.
    CHECK_FALSE(plugins.add("a", "b_c", nullptr, 1));
    const auto taken = plugins.add("a_b", "c", nullptr, 5);
    REQUIRE(taken);
    CHECK_THAT(*taken, Catch::Matchers::Contains("relais_plugin_a_b_c_total is taken by metric b_c of connector a"));
    // A histogram named like a counter's exposed name.
    const auto histogram = plugins.observe("chorus", "deposits_total", nullptr, 1);
    REQUIRE(histogram);
    CHECK_THAT(*histogram, Catch::Matchers::Contains("is taken"));
    // The host's own family.
    CHECK(plugins.add("series", "dropped", nullptr, 1));

    const auto text = metrics.render_prometheus();
    CHECK(value_of(text, R"(relais_plugin_a_b_c_total{connector="a"})") == 1);
    CHECK_FALSE(has_line_starting(text, R"(relais_plugin_a_b_c_total{connector="a_b"})"));
    CHECK_FALSE(has_line_starting(text, "relais_plugin_chorus_deposits_total_"));
}

TEST_CASE("plugin metrics: a connector's series are bounded, the rest dropped and counted", "[plugin_metrics]") {
    Metrics metrics("1");
    auto &plugins = metrics.plugins();
    const auto labels = [](std::size_t i) { return R"({"invoice":"F-)" + std::to_string(i) + R"("})"; };
    for (std::size_t i = 0; i < PluginMetrics::kMaxSeriesPerConnector; ++i) {
        const bool histogram = i % 2 == 1;
        const auto refused = histogram ? plugins.observe("chorus", "timing", labels(i).c_str(), 0.1)
                                       : plugins.add("chorus", "deposits", labels(i).c_str(), 1);
        REQUIRE_FALSE(refused);
    }
    const auto first_drop = plugins.add("chorus", "deposits", labels(100000).c_str(), 1);
    REQUIRE(first_drop);
    CHECK_THAT(*first_drop, Catch::Matchers::Contains("1000 metric series"));
    CHECK_FALSE(plugins.observe("chorus", "another", nullptr, 1));  // dropped, reported already
    CHECK_FALSE(plugins.add("chorus", "deposits", labels(100001).c_str(), 1));
    // Series seen before still count, and other connectors have their own bound.
    CHECK_FALSE(plugins.add("chorus", "deposits", labels(0).c_str(), 1));
    CHECK_FALSE(plugins.add("sirene", "lookups", nullptr, 1));

    const auto text = metrics.render_prometheus();
    CHECK(value_of(text, R"(relais_plugin_series_dropped_total{connector="chorus"})") == 3);
    CHECK(value_of(text, R"(relais_plugin_series_dropped_total{connector="sirene"})") == 0);
    CHECK(value_of(text, R"(relais_plugin_chorus_deposits_total{connector="chorus",invoice="F-0"})") == 2);
    CHECK_FALSE(has_line_starting(text, R"(relais_plugin_chorus_deposits_total{connector="chorus",invoice="F-100000"})"));
    CHECK_FALSE(has_line_starting(text, "relais_plugin_chorus_another"));
    CHECK(value_of(text, R"(relais_plugin_sirene_lookups_total{connector="sirene"})") == 1);
}

TEST_CASE("plugin metrics: counts from 8 threads at once are exact", "[plugin_metrics]") {
    constexpr int kThreads = 8;
    constexpr int kSamples = 5000;
    Metrics metrics("1");
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&metrics, t] {
            const auto labels = R"({"worker":")" + std::to_string(t % 2) + R"("})";
            for (int i = 0; i < kSamples; ++i) {
                metrics.plugins().add("chorus", "polls", labels.c_str(), 1);
                metrics.plugins().observe("chorus", "poll_seconds", labels.c_str(), 0.5);
            }
        });
    for (auto &t : threads) t.join();
    const auto text = metrics.render_prometheus();
    for (const char *worker : {"0", "1"}) {
        const std::string labels = std::string(R"(connector="chorus",worker=")") + worker + "\"";
        CHECK(value_of(text, "relais_plugin_chorus_polls_total{" + labels + "}") == kThreads / 2 * kSamples);
        CHECK(value_of(text, "relais_plugin_chorus_poll_seconds_count{" + labels + "}") == kThreads / 2 * kSamples);
        CHECK(value_of(text, "relais_plugin_chorus_poll_seconds_bucket{" + labels + ",le=\"0.25\"}") == 0);
        CHECK(value_of(text, "relais_plugin_chorus_poll_seconds_bucket{" + labels + ",le=\"0.5\"}") ==
              kThreads / 2 * kSamples);
        CHECK(value_of(text, "relais_plugin_chorus_poll_seconds_sum{" + labels + "}") == kThreads / 2 * kSamples * 0.5);
    }
}

TEST_CASE("plugin metrics: through the host services, with a warning once on the plugin's logger", "[plugin_metrics]") {
    Metrics metrics("1");
    const auto ctx = relais::host::make_host_ctx("metricwarn");
    ctx->metrics = &metrics;
    std::ostringstream log;
    ctx->logger->setChannel(new Poco::ConsoleChannel(log));
    ctx->logger->setLevel(Poco::Message::PRIO_INFORMATION);
    const auto *services = relais::host::host_services();
    REQUIRE(services->capabilities & RELAIS_CAP_METRICS);

    services->metric_add(ctx.get(), "deposits", R"({"outcome":"ok"})", 1);
    services->metric_add(ctx.get(), "deposits", R"({"outcome":"ok"})", 2);
    services->metric_observe(ctx.get(), "deposit_seconds", nullptr, 1.25);
    services->metric_add(ctx.get(), "Bad Name", nullptr, 1);
    services->metric_add(ctx.get(), "Bad Name", nullptr, 1);
    services->metric_add(nullptr, "deposits", nullptr, 1);  // nothing, and no crash

    const auto text = metrics.render_prometheus();
    CHECK(value_of(text, R"(relais_plugin_metricwarn_deposits_total{connector="metricwarn",outcome="ok"})") == 3);
    CHECK(value_of(text, R"(relais_plugin_metricwarn_deposit_seconds_count{connector="metricwarn"})") == 1);
    CHECK(value_of(text, R"(relais_plugin_metricwarn_deposit_seconds_sum{connector="metricwarn"})") == 1.25);
    const auto warnings = log.str();
    CHECK(warnings == "metric \"Bad Name\" of connector metricwarn ignored: its name is not [a-z][a-z0-9_]* of at "
                      "most 64 characters\n");

    // A context without metrics (the standalone CLI) records nothing, and says nothing.
    const auto bare = relais::host::make_host_ctx("metricwarn");
    services->metric_add(bare.get(), "Bad Name", nullptr, 1);
    CHECK(log.str() == warnings);
}
