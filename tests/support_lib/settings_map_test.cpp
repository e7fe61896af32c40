// The settings kit: one declaration gives the schema and the binding, and every error names
// the key.
#include <relais/support/settings.hpp>

#include <catch2/catch.hpp>

#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <chrono>

using namespace relais::support;

namespace {

struct Example {
    bool enabled;
    std::string api_key;
    std::string mode;
    std::optional<std::string> url_override;
    int64_t batch;
    std::optional<int64_t> per_day;
    double per_second;
    std::chrono::seconds timeout;
    std::chrono::milliseconds wait;
    std::vector<std::string> codes;
};

const SettingsMap<Example> &example_map() {
    static const auto map =
        SettingsMap<Example>()
            .enabled(&Example::enabled, "Turns it on")
            .text("api_key", &Example::api_key, "", "The key", TextRules().secret().required())
            .text("mode", &Example::mode, "test", "Which space", TextRules().one_of({"test", "live"}))
            .optional_text("url", &Example::url_override, "Override of the space's URL", TextRules().format("uri"))
            .integer("batch_size", &Example::batch, 100, {1, 1000}, "Items per request")
            .optional_integer("quota_per_day", &Example::per_day, {0, {}}, "Override of the daily quota")
            .number("quota_per_second", &Example::per_second, 5, {0, {}}, "Requests a second")
            .seconds("timeout_seconds", &Example::timeout, 10, {1, 300}, "Longest wait")
            .milliseconds("wait_ms", &Example::wait, 250, {0, 60000}, "Pause")
            .text_list("codes", &Example::codes, {"A"}, "Codes", ListRules().item_min_length(1))
            .check([](const Example &e) {
                if (e.mode == "live" && e.per_second > 20) throw relais::invalid_config("quota_per_second: at most 20 in live");
            });
    return map;
}

relais::Json parse(const std::string &text) {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));  // keeps the key order
    return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

std::string error_of(const std::string &settings) {
    try {
        example_map().read(parse(settings));
    } catch (const relais::Error &e) {
        CHECK(e.status() == RELAIS_INVALID_CONFIG);
        return e.what();
    }
    FAIL("no error for " << settings);
    return {};
}

}  // namespace

TEST_CASE("the schema comes from the declarations, defaults included and written once", "[settings]") {
    const auto schema = parse(example_map().schema());
    CHECK(schema->getValue<std::string>("type") == "object");
    CHECK_FALSE(schema->getValue<bool>("additionalProperties"));
    const auto props = schema->getObject("properties");
    // Declaration order is kept: the console shows the settings in that order.
    const std::vector<std::string> expected{"enabled", "api_key", "mode", "url", "batch_size", "quota_per_day",
                                            "quota_per_second", "timeout_seconds", "wait_ms", "codes"};
    CHECK(props->getNames().size() == expected.size());
    std::ostringstream text;
    props->stringify(text);
    std::size_t at = 0;
    for (const auto &key : expected) {
        const auto found = text.str().find("\"" + key + "\"", at);
        REQUIRE(found != std::string::npos);
        at = found;
    }
    CHECK(props->getObject("enabled")->getValue<bool>("default") == false);
    CHECK(props->getObject("api_key")->getValue<bool>("secret"));
    CHECK_FALSE(props->getObject("api_key")->has("default"));  // required: no empty default shown
    CHECK(props->getObject("mode")->getArray("enum")->size() == 2);
    CHECK(props->getObject("url")->getValue<std::string>("format") == "uri");
    CHECK_FALSE(props->getObject("url")->has("default"));
    CHECK(props->getObject("batch_size")->getValue<int64_t>("default") == 100);
    CHECK(props->getObject("batch_size")->getValue<int64_t>("maximum") == 1000);
    CHECK(props->getObject("batch_size")->getValue<std::string>("type") == "integer");
    CHECK(props->getObject("timeout_seconds")->getValue<int64_t>("minimum") == 1);
    CHECK(props->getObject("codes")->getObject("items")->getValue<int64_t>("minLength") == 1);
    CHECK(props->getObject("codes")->getArray("default")->getElement<std::string>(0) == "A");
}

TEST_CASE("reading fills the struct from the settings, defaults for what is absent", "[settings]") {
    const auto e = example_map().read(parse(R"({"enabled":true,"api_key":"k","batch_size":7,"timeout_seconds":30,
        "codes":["X","Y"],"quota_per_second":2.5,"url":"https://example.test"})"));
    CHECK(e.enabled);
    CHECK(e.api_key == "k");
    CHECK(e.mode == "test");
    CHECK(e.url_override == std::optional<std::string>("https://example.test"));
    CHECK(e.batch == 7);
    CHECK_FALSE(e.per_day);
    CHECK(e.per_second == 2.5);
    CHECK(e.timeout == std::chrono::seconds(30));
    CHECK(e.wait == std::chrono::milliseconds(250));
    CHECK(e.codes == std::vector<std::string>{"X", "Y"});

    const auto defaults = example_map().read(parse("{}"));
    CHECK_FALSE(defaults.enabled);
    CHECK(defaults.batch == 100);
    CHECK(defaults.timeout == std::chrono::seconds(10));
    CHECK(defaults.codes == std::vector<std::string>{"A"});
}

TEST_CASE("required settings are required only when the connector is enabled", "[settings]") {
    CHECK_NOTHROW(example_map().read(parse(R"({"enabled":false})")));
    CHECK(error_of(R"({"enabled":true})") == "api_key is required when enabled is true");
    CHECK(error_of(R"({"enabled":true,"api_key":""})") == "api_key is required when enabled is true");
}

TEST_CASE("every wrong value is refused with its key named, secrets never shown", "[settings]") {
    CHECK(error_of(R"({"batch_size":"x"})") == "batch_size: expected an integer between 1 and 1000, found string \"x\"");
    CHECK(error_of(R"({"batch_size":0})") == "batch_size: expected an integer between 1 and 1000, found number 0");
    CHECK(error_of(R"({"batch_size":2.5})").starts_with("batch_size: expected an integer"));
    CHECK(error_of(R"({"enabled":"yes"})") == "enabled: expected true or false, found string \"yes\"");
    CHECK(error_of(R"({"mode":"prod"})") == "mode: expected one of test, live, found \"prod\"");
    CHECK(error_of(R"({"api_key":42})") == "api_key: expected a string, found number 42");
    CHECK(error_of(R"({"codes":["ok",""]})") == "codes[1]: expected at least 1 characters");
    CHECK(error_of(R"({"codes":"A"})") == "codes: expected an array of strings, found string \"A\"");
    CHECK(error_of(R"({"quota_per_day":-1})") == "quota_per_day: expected an integer >= 0, found number -1");
    CHECK(error_of(R"({"colour":"blue"})") == "colour: unknown setting");
    CHECK(error_of(R"({"mode":"live","quota_per_second":30})") == "quota_per_second: at most 20 in live");
}

TEST_CASE("a whole number written as a double is an integer", "[settings]") {
    CHECK(example_map().read(parse(R"({"batch_size":30.0})")).batch == 30);
}

TEST_CASE("a key declared twice is a programming error caught at once", "[settings]") {
    SettingsMap<Example> map;
    map.integer("batch_size", &Example::batch, 1, {}, "");
    CHECK_THROWS_AS(map.integer("batch_size", &Example::batch, 1, {}, ""), std::logic_error);
}
