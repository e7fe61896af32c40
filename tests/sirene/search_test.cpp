// search: by name, postal code, NAF code and SIREN, a page at a time with INSEE's cursor.
#include "sirene_examples.hpp"
#include "sirene_harness.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <set>

using namespace relais;
using namespace relais::test;

TEST_CASE("sirene search: La Poste's establishments, page by page with the cursor, to the end", "[sirene][search]") {
    SireneHarness h;
    std::set<std::string> seen;
    std::string cursor = "*";
    int pages = 0;
    for (;;) {
        const auto page = h.ok("search", R"({"siren":"356000000","limit":10,"cursor":)" + json_string(cursor) + "}");
        CHECK(page->getValue<int>("total") == 25);
        const auto results = page->getArray("results");
        for (unsigned i = 0; i < results->size(); ++i) {
            const auto r = results->getObject(i);
            CHECK(r->getValue<std::string>("name") == "LA POSTE");
            CHECK_FALSE(r->has("raw"));
            seen.insert(r->getValue<std::string>("siret"));
        }
        ++pages;
        if (page->isNull("next_cursor")) break;
        cursor = page->getValue<std::string>("next_cursor");
        REQUIRE(pages < 5);
    }
    CHECK(pages == 3);
    CHECK(seen.size() == 25);
    CHECK(h.emulator().api_requests() == 3);
}

TEST_CASE("sirene search: by name and postal code, as a user types a prospect's name", "[sirene][search]") {
    SireneHarness h;
    const auto siret = examples(h.data(), [](const Record &e) {
        return published(e) && !ul(e, "denominationUniteLegale").empty() &&
               !e->getObject("adresseEtablissement")->isNull("codePostalEtablissement");
    })[0];
    const auto &raw = h.data().establishment(siret)->object;
    const auto name = ul(raw, "denominationUniteLegale");
    const auto postal = raw->getObject("adresseEtablissement")->getValue<std::string>("codePostalEtablissement");
    const auto page = h.ok("search", "{\"name\":" + json_string(name) + ",\"postal_code\":\"" + postal + "\",\"limit\":100}");
    const auto results = page->getArray("results");
    bool found = false;
    for (unsigned i = 0; i < results->size(); ++i) {
        const auto r = results->getObject(i);
        CHECK(r->getObject("address")->getValue<std::string>("postal_code").substr(0, 5) <= "99999");
        found = found || r->getValue<std::string>("siret") == siret;
    }
    CHECK(found);
    // Lower case and extra spaces are fine: the name is searched as INSEE stores it.
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto again = h.ok("search", "{\"name\":" + json_string("  " + lower + " ") + ",\"postal_code\":\"" + postal + "\"}");
    CHECK(again->getValue<int>("total") == page->getValue<int>("total"));
}

TEST_CASE("sirene search: by NAF code, with or without the dot, head offices only", "[sirene][search]") {
    SireneHarness h;
    const auto with_dot = h.ok("search", R"({"naf":"53.10Z","limit":100})");
    const auto without = h.ok("search", R"({"naf":"5310Z","limit":100})");
    CHECK(with_dot->getValue<int>("total") == without->getValue<int>("total"));
    CHECK(with_dot->getValue<int>("total") >= 25);
    const auto heads = h.ok("search", R"({"naf":"53.10Z","head_office_only":true,"limit":100})");
    const auto results = heads->getArray("results");
    for (unsigned i = 0; i < results->size(); ++i) CHECK(results->getObject(i)->getValue<bool>("head_office"));
    CHECK(heads->getValue<int>("total") < with_dot->getValue<int>("total"));
}

TEST_CASE("sirene search: no hit is an empty page, not an error", "[sirene][search]") {
    SireneHarness h;
    const auto page = h.ok("search", R"({"name":"NOTHING LIKE THIS ANYWHERE"})");
    CHECK(page->getValue<int>("total") == 0);
    CHECK(page->getArray("results")->size() == 0);
    CHECK(page->isNull("next_cursor"));
    CHECK(h.emulator().api_requests() == 1);
}

TEST_CASE("sirene search: bad criteria are invalid_input before any request", "[sirene][search]") {
    SireneHarness h;
    for (const char *input : {R"({})", R"({"head_office_only":true})", R"({"postal_code":"7500"})", R"({"naf":"cinq"})",
                              R"({"siren":"123456789"})", R"({"name":"A"})", R"({"name":"ok name","limit":101})",
                              R"({"name":"ok name","cursor":""})"}) {
        INFO(input);
        CHECK(h.call("search", input).status == RELAIS_INVALID_INPUT);
    }
    CHECK(h.emulator().api_requests() == 0);
    // A cursor INSEE does not know: its 400 comes back as invalid_input.
    CHECK(h.call("search", R"({"siren":"356000000","cursor":"bogus"})").status == RELAIS_INVALID_INPUT);
}

TEST_CASE("sirene search: INSEE's 400 is the caller's for their own name or cursor, the connector's otherwise",
          "[sirene][search][errors]") {
    SireneHarness h;
    const std::string malformed = "Nombre incorrect de paramètres ou les paramètres sont mal formatés";
    // A name is the caller's free text, sent as typed: INSEE may find it malformed where no
    // local check could, and the caller is the one who can change it.
    h.emulator().refuse_next(400, malformed);
    auto r = h.call("search", R"({"name":"SOME NAME","postal_code":"75008"})");
    CHECK(r.status == RELAIS_INVALID_INPUT);
    CHECK_THAT(r.message, Catch::Contains("HTTP 400"));
    // Only criteria checked here (postal code, NAF code, SIREN) and the first page: INSEE
    // refusing that query is a fault of the connector's, which the caller cannot fix.
    h.emulator().refuse_next(400, malformed);
    r = h.call("search", R"({"postal_code":"75008","naf":"56.10C"})");
    CHECK(r.status == RELAIS_INTERNAL);
    CHECK_THAT(r.message, Catch::Contains("HTTP 400"));
    CHECK_THAT(r.message, Catch::Contains(malformed));
    CHECK(h.emulator().api_requests() == 2);
}
