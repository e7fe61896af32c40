// A connector's quotas from its descriptor and its configure's adjustments: legacy rates
// become windows, declared windows (Sirene, Mindee, Graph, Chorus) pass as they are, the
// configuration overrides them, and bad adjustments are named.
#include "jobs/quota_config.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Parser.h>

using namespace relais::host;

namespace {

Poco::JSON::Object::Ptr json(const std::string &text) {
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::string refusal(const std::string &adjustments) {
    try {
        quota_settings_for({}, {}, json(adjustments));
    } catch (const std::invalid_argument &e) {
        return e.what();
    }
    return "accepted";
}

}  // namespace

TEST_CASE("quota config: a legacy rate is a window of its own", "[quota]") {
    CHECK(window_for_rate(5) == QuotaWindow{"requests", 5, 1000, false});
    CHECK(window_for_rate(0.5) == QuotaWindow{"requests", 1, 2000, false});
    CHECK(window_for_rate(2.5) == QuotaWindow{"requests", 3, 1200, false});
    CHECK_FALSE(window_for_rate(0));
    CHECK_THROWS_AS(window_for_rate(-1), std::invalid_argument);

    // Chorus Pro: 5 per second and 50,000 per day, the day a calendar day as before.
    const auto chorus = quota_settings_for({{"requests", 5, 50'000}}, {}, nullptr);
    CHECK(chorus.per_second == 5);
    CHECK(chorus.per_day == 50'000);
    CHECK(chorus.windows.empty());
    // Another scope's legacy quota becomes its windows.
    const auto other = quota_settings_for({{"uploads", 0.5, 100}}, {}, nullptr);
    CHECK(other.windows == std::vector<QuotaWindow>{{"uploads", 1, 2000, false}, {"uploads", 100, 86'400'000, false}});
}

TEST_CASE("quota config: declared windows replace the legacy quotas, and the configuration overrides them", "[quota]") {
    const std::vector<QuotaWindowInfo> graph{{"requests", 10'000, 600'000, true}, {"requests", 4, 0, true}};
    auto s = quota_settings_for({{"requests", 1, 0}}, graph, nullptr);
    CHECK(s.per_second == 0);
    CHECK(s.windows == std::vector<QuotaWindow>{{"requests", 10'000, 600'000, true}, {"requests", 4, 0, true}});

    s = quota_settings_for({}, {{"enqueue", 200, 60'000, false}}, nullptr);  // Mindee v2
    CHECK(s.windows == std::vector<QuotaWindow>{{"enqueue", 200, 60'000, false}});

    // Sirene on another plan: 60 per 60 s.
    s = quota_settings_for({}, {{"requests", 30, 60'000, false}},
                           json(R"({"quota_windows":[{"count":60,"window_seconds":60}]})"));
    CHECK(s.windows == std::vector<QuotaWindow>{{"requests", 60, 60'000, false}});

    // The legacy key keeps working, alone or after the windows.
    s = quota_settings_for({{"requests", 5, 50'000}}, {}, json(R"({"quotas":[{"scope":"requests","per_second":20}]})"));
    CHECK(s.per_second == 20);
    CHECK(s.per_day == 50'000);
    s = quota_settings_for({{"requests", 5, 50'000}}, {},
                           json(R"({"quota_windows":[{"scope":"requests","count":2,"window_seconds":0.5,"per_key":true},
                                                     {"scope":"requests","count":3,"window_seconds":0}],
                                    "quotas":[{"per_day":10}]})"));
    CHECK(s.per_second == 0);
    CHECK(s.per_day == 10);
    CHECK(s.windows == std::vector<QuotaWindow>{{"requests", 2, 500, true}, {"requests", 3, 0, false}});
}

TEST_CASE("quota config: a bad adjustment names its key and entry", "[quota]") {
    CHECK_THAT(refusal(R"({"quota_windows":"30/min"})"), Catch::Contains("quota_windows must be an array"));
    CHECK_THAT(refusal(R"({"quota_windows":[{"count":3}]})"), Catch::Contains("quota_windows[0] needs window_seconds"));
    CHECK_THAT(refusal(R"({"quota_windows":[{"window_seconds":3}]})"), Catch::Contains("needs a count"));
    CHECK_THAT(refusal(R"({"quota_windows":[{"count":1,"window_seconds":1},{"count":0,"window_seconds":1}]})"),
               Catch::Contains("quota_windows[1].count must be a whole number >= 1"));
    CHECK_THAT(refusal(R"({"quota_windows":[{"count":1.5,"window_seconds":1}]})"), Catch::Contains("whole number"));
    CHECK_THAT(refusal(R"({"quota_windows":[{"count":1,"window_seconds":"1"}]})"),
               Catch::Contains("window_seconds must be a number"));
    CHECK_THAT(refusal(R"({"quota_windows":[{"count":1,"window_seconds":-1}]})"), Catch::Contains(">= 0"));
    CHECK_THAT(refusal(R"({"quota_windows":[{"count":1,"window_seconds":1,"per_key":"yes"}]})"),
               Catch::Contains("per_key must be true or false"));
    CHECK_THAT(refusal(R"({"quota_windows":[{"count":1,"window_seconds":1,"scope":""}]})"),
               Catch::Contains("scope must be a non-empty string"));
    CHECK_THAT(refusal(R"({"quotas":[{"per_second":-2}]})"), Catch::Contains("quotas[0].per_second"));
    CHECK_THAT(refusal(R"({"quotas":[7]})"), Catch::Contains("quotas[0] must be an object"));
}
