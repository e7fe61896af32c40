// relais/support/url.hpp and json.hpp: encoding request parts, reading upstream JSON.
#include <relais/support/json.hpp>
#include <relais/support/url.hpp>

#include <catch2/catch.hpp>

using namespace relais;
using namespace relais::support;

TEST_CASE("support url: form encoding escapes everything but unreserved characters", "[support][url]") {
    CHECK(url_encode("siret:39860733300059 OR siret:1") == "siret%3A39860733300059%20OR%20siret%3A1");
    CHECK(url_encode("a-b.c_d~e") == "a-b.c_d~e");
    CHECK(url_encode("é&=+/") == "%C3%A9%26%3D%2B%2F");
    CHECK(form_encode({{"q", "siren:1 AND x"}, {"nombre", "20"}}) == "q=siren%3A1%20AND%20x&nombre=20");
    // Decoding undoes it, and accepts '+' for a space as browsers send it.
    CHECK(url_decode("siret%3A1+OR%20x") == "siret:1 OR x");
    CHECK(url_decode("100%") == "100%");  // a malformed escape is kept, not an error
}

TEST_CASE("support url: query parameters are appended with ? or &", "[support][url]") {
    CHECK(append_query("https://h/p", {{"a", "1"}}) == "https://h/p?a=1");
    CHECK(append_query("https://h/p?x=y", {{"a", "1 2"}}) == "https://h/p?x=y&a=1%202");
    CHECK(append_query("https://h/p", {}) == "https://h/p");
}

TEST_CASE("support url: an origin is scheme, host and port, with the scheme's default port", "[support][url]") {
    auto o = parse_origin("https://api.insee.fr/api-sirene/3.11/siret/1?x=1");
    CHECK(o.scheme == "https");
    CHECK(o.host == "api.insee.fr");
    CHECK(o.port == 443);
    CHECK(o.target == "/api-sirene/3.11/siret/1?x=1");
    CHECK(o.key() == "https://api.insee.fr:443");
    CHECK(parse_origin("http://127.0.0.1:8080").target == "/");
    CHECK_THROWS_AS(parse_origin("ftp://h/x"), std::invalid_argument);
    CHECK_THROWS_AS(parse_origin("/relative"), std::invalid_argument);
    CHECK(without_query("https://h/p?secret=1") == "https://h/p");
}

TEST_CASE("support json: absent, null and mistyped members all read as absent", "[support][json]") {
    const auto o = parse_json_object(R"({"s":"x","n":null,"i":42,"is":"17","b":true,"o":{"k":1},"a":[{"k":2},3]})",
                                     RELAIS_INVALID_INPUT, "the test document");
    CHECK(string_at(o, "s") == std::optional<std::string>("x"));
    CHECK_FALSE(string_at(o, "n"));
    CHECK_FALSE(string_at(o, "missing"));
    CHECK_FALSE(string_at(o, "i"));  // a number is not silently a string
    CHECK(integer_at(o, "i") == 42);
    CHECK(integer_at(o, "is") == 17);
    CHECK_FALSE(integer_at(o, "s"));
    CHECK(bool_at(o, "b") == true);
    CHECK(object_at(o, "o"));
    CHECK_FALSE(object_at(o, "a"));
    REQUIRE(array_at(o, "a"));
    CHECK(object_in(array_at(o, "a"), 0));
    CHECK_FALSE(object_in(array_at(o, "a"), 1));
    CHECK_FALSE(object_in(array_at(o, "a"), 7));
    CHECK_FALSE(string_at(nullptr, "s"));
}

TEST_CASE("support json: a document that is not an object is refused with the class asked for", "[support][json]") {
    try {
        parse_json_object("[1,2]", RELAIS_TRANSIENT, "the answer");
        FAIL("accepted");
    } catch (const Error &e) {
        CHECK(e.status() == RELAIS_TRANSIENT);
        CHECK_THAT(e.what(), Catch::Contains("the answer must be a JSON object"));
    }
    CHECK_THROWS_AS(parse_json_object("{\"cut", RELAIS_TRANSIENT, "the answer"), Error);
    const auto original = parse_json_object(R"({"k":{"v":1}})", RELAIS_INTERNAL, "x");
    const auto copy = deep_copy(original);
    object_at(copy, "k")->set("v", 2);
    CHECK(object_at(original, "k")->getValue<int>("v") == 1);
}
