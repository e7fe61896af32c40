// SIREN/SIRET validation, locally and before any request: the reference's test vectors
// (shared/reference/sirene-mindee.md A.10), spaces, and La Poste's exception.
#include "sirene_identifiers.hpp"

#include <relais/plugin.hpp>

#include <catch2/catch.hpp>

using namespace relais::sirene;

TEST_CASE("sirene identifiers: the reference's Luhn test vectors are valid, the invalid ones refused", "[sirene][identifiers]") {
    for (const char *valid : {"732829320", "73282932000074", "39860733300059", "398607333", "809893225", "356000000",
                              "35600000000048"}) {
        INFO(valid);
        const auto p = parse_identifier(valid);
        REQUIRE(p.id);
        CHECK(p.id->digits == valid);
        CHECK(p.id->kind == (std::string(valid).size() == 14 ? IdKind::siret : IdKind::siren));
    }
    for (const char *invalid : {"123456789", "12345678900017"}) {
        INFO(invalid);
        const auto p = parse_identifier(invalid);
        CHECK_FALSE(p.id);
        REQUIRE(p.problem);
        CHECK(p.problem->reason == "luhn");
    }
}

TEST_CASE("sirene identifiers: spaces are tolerated, no-break spaces included", "[sirene][identifiers]") {
    CHECK(parse_identifier("398 607 333 00059").id->digits == "39860733300059");
    CHECK(parse_identifier(" 398607333\t").id->digits == "398607333");
    CHECK(parse_identifier("398\xC2\xA0" "607\xC2\xA0" "333").id->digits == "398607333");       // U+00A0
    CHECK(parse_identifier("398\xE2\x80\xAF" "607\xE2\x80\xAF" "333").id->digits == "398607333");  // U+202F
    CHECK(parse_identifier("398 607 333 00059").id->key() == "siret:39860733300059");
    CHECK(parse_identifier("398607333").id->siren() == "398607333");
}

TEST_CASE("sirene identifiers: a malformed number says what is wrong", "[sirene][identifiers]") {
    auto p = parse_identifier("");
    CHECK(p.problem->reason == "empty");
    p = parse_identifier("   ");
    CHECK(p.problem->reason == "empty");

    p = parse_identifier("39860733300O59");  // a letter O for a zero
    CHECK(p.problem->reason == "characters");
    CHECK_THAT(p.problem->message, Catch::Contains("contains 'O', which is not a digit"));
    p = parse_identifier("398-607-333");
    CHECK_THAT(p.problem->message, Catch::Contains("contains '-'"));
    p = parse_identifier("398607333é");
    CHECK_THAT(p.problem->message, Catch::Contains("contains 'é'"));  // a whole UTF-8 character

    p = parse_identifier("3986073330005");
    CHECK(p.problem->reason == "length");
    CHECK(p.problem->message == "'3986073330005' has 13 digits: a SIRET has 14, a SIREN 9");

    p = parse_identifier("39860733300058");
    CHECK(p.problem->reason == "luhn");
    CHECK(p.problem->message == "SIRET 39860733300058 is not valid: its check digit does not match (Luhn); check for a typo");
    p = parse_identifier("12345678900017");
    CHECK_THAT(p.problem->message, Catch::EndsWith("(its SIREN part 123456789 is not valid either)"));
}

TEST_CASE("sirene identifiers: La Poste's SIRETs follow the digit-sum rule, its head office Luhn", "[sirene][identifiers]") {
    // 35600000049837 fails Luhn, but its digits add up to 45: valid for La Poste.
    CHECK_FALSE(luhn_valid("35600000049837"));
    REQUIRE(parse_identifier("35600000049837").id);
    CHECK(is_la_poste_siret("35600000049837"));
    // One digit off: a sum of 46 is refused, with La Poste's rule named.
    const auto p = parse_identifier("35600000049838");
    REQUIRE(p.problem);
    CHECK(p.problem->reason == "la_poste_digit_sum");
    CHECK_THAT(p.problem->message, Catch::Contains("multiple of 5, and this one's is 46"));
    // The head office alone is an ordinary Luhn number (its digit sum, 26, is no multiple of 5).
    CHECK_FALSE(is_la_poste_siret("35600000000048"));
    CHECK(luhn_valid("35600000000048"));
    CHECK(parse_identifier("35600000000048").id);
    // Its neighbour is a La Poste SIRET like the others, checked by digit sum (27).
    CHECK(parse_identifier("35600000000049").problem->reason == "la_poste_digit_sum");
    // The SIREN itself is Luhn-valid and checked as usual.
    CHECK(parse_identifier("356 000 000").id->kind == IdKind::siren);
}

TEST_CASE("sirene identifiers: require_identifier throws invalid_input with the reason in its detail", "[sirene][identifiers]") {
    try {
        require_identifier("12345");
        FAIL("accepted");
    } catch (const relais::Error &e) {
        CHECK(e.status() == RELAIS_INVALID_INPUT);
        REQUIRE(e.detail());
        CHECK(e.detail()->getValue<std::string>("reason") == "length");
        CHECK(e.detail()->getValue<std::string>("input") == "12345");
    }
}
