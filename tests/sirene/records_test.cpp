// The parser and normaliser on INSEE's real recorded answers (plugins/sirene/emulator/fixtures,
// copies of shared/reference/fixtures/sirene), called directly, and on hand-made edge cases.
#include "sirene_records.hpp"

#include <relais/support/json.hpp>

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace relais;
using namespace relais::sirene;

namespace {

Json fixture(const std::string &name) {
    std::ifstream in(std::filesystem::path(SIRENE_FIXTURES_DIR) / name);
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    return support::parse_json_object(text.str(), RELAIS_INTERNAL, name);
}

std::string str(const Json &o, const std::string &key) { return o->getValue<std::string>(key); }

std::vector<std::string> lines(const Json &record) {
    std::vector<std::string> out;
    const auto a = record->getObject("address")->getArray("lines");
    for (unsigned i = 0; i < a->size(); ++i) out.push_back(a->getElement<std::string>(i));
    return out;
}

}  // namespace

TEST_CASE("sirene records: the recorded SIRET of an individual normalises for a form", "[sirene][records]") {
    const auto answer = fixture("siret_39860733300059.json");
    const auto r = normalise_establishment(answer->getObject("etablissement"));
    CHECK(str(r, "siret") == "39860733300059");
    CHECK(str(r, "siren") == "398607333");
    CHECK(str(r, "nic") == "00059");
    CHECK(str(r, "source") == "establishment");
    // An entrepreneur individuel: usual first name and name, no denomination.
    CHECK(r->getValue<bool>("individual"));
    CHECK(str(r, "name") == "BERTRAND GRONDIN");
    CHECK(str(r->getObject("person"), "first_name") == "BERTRAND");
    CHECK(str(r->getObject("person"), "last_name") == "GRONDIN");
    CHECK(str(r->getObject("person"), "gender") == "M");
    CHECK(r->isNull("denomination"));
    CHECK(str(r, "trade_name") == "MON CHINOIS PREFERE");
    CHECK(str(r->getObject("legal_form"), "code") == "1000");
    CHECK(str(r->getObject("legal_form"), "label") == "Entrepreneur individuel");
    CHECK(str(r->getObject("activity"), "code") == "56.10C");
    CHECK(str(r->getObject("activity"), "nomenclature") == "NAFRev2");
    CHECK_FALSE(r->getValue<bool>("head_office"));
    CHECK(str(r, "head_office_siret") == "39860733300083");
    CHECK(lines(r) == std::vector<std::string>{"44 RUE NANTIER DIDIEE"});
    const auto a = r->getObject("address");
    CHECK(str(a, "postal_code") == "97490");
    CHECK(str(a, "city") == "SAINT-DENIS");
    CHECK(str(a, "country") == "FRANCE");
    CHECK(str(a, "country_code") == "FR");
    CHECK(str(a, "commune_code") == "97411");
    // Closed since 2016-04-01 (current period "F"), while the individual is still active.
    CHECK_FALSE(r->getValue<bool>("active"));
    CHECK(str(r, "state") == "closed");
    CHECK(str(r, "closed_on") == "2016-04-01");
    CHECK(str(r, "legal_unit_state") == "active");
    CHECK(str(r, "created_on") == "2015-01-09");
    CHECK(str(r, "legal_unit_created_on") == "1994-10-10");
    CHECK(str(r, "diffusion") == "public");
    CHECK(r->getArray("masked_fields")->size() == 0);
    REQUIRE(r->getObject("raw"));
    CHECK(str(r->getObject("raw"), "dateDernierTraitementEtablissement") == "2024-03-30T17:23:40.109");
    CHECK_FALSE(normalise_establishment(answer->getObject("etablissement"), false)->has("raw"));
}

TEST_CASE("sirene records: the recorded SIREN of a SAS normalises as a legal unit", "[sirene][records]") {
    const auto r = normalise_legal_unit(fixture("siren_809893225.json")->getObject("uniteLegale"));
    CHECK(str(r, "siren") == "809893225");
    CHECK(r->isNull("siret"));
    CHECK(str(r, "source") == "legal_unit");
    CHECK_FALSE(r->getValue<bool>("individual"));
    CHECK(str(r, "name") == "PAPANGOO");
    CHECK(str(r, "denomination") == "PAPANGOO");
    CHECK(r->isNull("person"));
    CHECK(str(r->getObject("legal_form"), "code") == "5710");
    CHECK(str(r->getObject("legal_form"), "label") == "SAS, société par actions simplifiée");
    CHECK(str(r->getObject("activity"), "code") == "47.91B");
    CHECK(str(r, "head_office_siret") == "80989322500015");
    CHECK(r->isNull("address"));
    CHECK(r->getValue<bool>("active"));
    CHECK(str(r, "state") == "active");
    CHECK(r->isNull("closed_on"));
    CHECK(str(r, "created_on") == "2015-01-01");
    CHECK(str(r, "category") == "PME");
    CHECK_FALSE(r->getValue<bool>("purged"));
}

TEST_CASE("sirene records: the recorded search pages parse, purged individuals and companies alike", "[sirene][records]") {
    auto page = parse_search_page(fixture("siren_search_post_q_unitePurgee_default_page.json"), "unitesLegales");
    CHECK(page.total == 4275078);
    REQUIRE(page.items.size() == 20);
    CHECK_FALSE(page.cursor);
    for (const auto &item : page.items) {
        const auto r = normalise_legal_unit(item, false);
        INFO(str(r, "siren"));
        CHECK(r->getValue<bool>("purged"));
        CHECK(r->getValue<bool>("individual"));
        CHECK(str(r, "state") == "closed");
        CHECK(str(r, "legal_unit_state") == "ceased");
        CHECK_FALSE(r->isNull("name"));
    }
    CHECK(str(normalise_legal_unit(page.items[0]), "name") == "ROGER MAZEVET");
    CHECK(str(normalise_legal_unit(page.items[0]), "closed_on") == "1986-06-01");

    page = parse_search_page(fixture("siren_search_curseur_star_page1_TRIMMED.json"), "unitesLegales");
    CHECK(page.cursor == std::optional<std::string>("*"));
    CHECK(page.next_cursor == std::optional<std::string>("AoEpMDA1NDUwMDEw"));
    CHECK(page.total == 27159780);
    page = parse_search_page(fixture("siren_search_curseur_page2_TRIMMED.json"), "unitesLegales");
    CHECK(page.cursor == std::optional<std::string>("AoEpMDA1NDUwMDEw"));
    REQUIRE(page.items.size() == 2);
    const auto total = normalise_legal_unit(page.items[0]);
    CHECK(str(total, "name") == "TOTAL CIE FRSE DISTRIBUTION");
    CHECK(str(total->getObject("legal_form"), "label") == "SA à conseil d'administration (s.a.i.)");
    CHECK(str(total, "legal_unit_state") == "ceased");
    const auto autocars = normalise_legal_unit(page.items[1]);
    CHECK(str(autocars, "name") == "BASALPINE AUTOCARS");
    CHECK(str(autocars->getObject("legal_form"), "code") == "5499");
    CHECK(autocars->getValue<bool>("active"));
}

TEST_CASE("sirene records: the old gateway's count query and the succession links parse", "[sirene][records]") {
    const auto page = parse_search_page(fixture("old_gateway_siret_search_nombre0.json"), "etablissements");
    CHECK(page.total == 38250367);
    CHECK(page.items.empty());
    const auto links = parse_search_page(fixture("liens_succession_q_predecesseur_39860733300042.json"), "liensSuccession");
    REQUIRE(links.items.size() == 1);
    CHECK(str(links.items[0], "siretEtablissementSuccesseur") == "39860733300059");
    // An answer that is not a search page is refused, not misread.
    CHECK_THROWS_AS(parse_search_page(fixture("siren_809893225.json"), "unitesLegales"), Error);
    CHECK(upstream_message(fixture("siret_39860733300059.json")) == "ok");
}

TEST_CASE("sirene records: partially diffusible values are null and listed as masked, not an error", "[sirene][records]") {
    // An individual who asked not to be published: names and street masked with [ND], the
    // postal code and commune kept (the emulator's synthetic "P" units have this shape).
    auto e = fixture("siret_39860733300059.json")->getObject("etablissement");
    e->set("statutDiffusionEtablissement", "P");
    auto ul = e->getObject("uniteLegale");
    for (const char *k : {"nomUniteLegale", "prenom1UniteLegale", "prenom2UniteLegale", "prenomUsuelUniteLegale", "sexeUniteLegale"})
        ul->set(k, "[ND]");
    auto a = e->getObject("adresseEtablissement");
    for (const char *k : {"numeroVoieEtablissement", "typeVoieEtablissement", "libelleVoieEtablissement",
                          "identifiantAdresseEtablissement", "coordonneeLambertAbscisseEtablissement"})
        a->set(k, "[ND]");
    const auto r = normalise_establishment(e);
    CHECK(str(r, "diffusion") == "partial");
    CHECK(r->isNull("name"));
    CHECK(r->getObject("person")->isNull("first_name"));
    CHECK(lines(r).empty());
    CHECK(str(r->getObject("address"), "postal_code") == "97490");
    CHECK(str(r->getObject("address"), "city") == "SAINT-DENIS");
    std::vector<std::string> masked;
    const auto m = r->getArray("masked_fields");
    for (unsigned i = 0; i < m->size(); ++i) masked.push_back(m->getElement<std::string>(i));
    for (const char *field : {"name", "person.first_name", "person.last_name", "address.lines"}) {
        INFO(field);
        CHECK(std::find(masked.begin(), masked.end(), field) != masked.end());
    }
    // The raw record keeps INSEE's masks as they came.
    CHECK(str(r->getObject("raw")->getObject("uniteLegale"), "nomUniteLegale") == "[ND]");
}

namespace {

std::vector<std::string> masked_fields(const Json &record) {
    std::vector<std::string> out;
    const auto m = record->getArray("masked_fields");
    for (unsigned i = 0; i < m->size(); ++i) out.push_back(m->getElement<std::string>(i));
    return out;
}

bool listed(const std::vector<std::string> &fields, const std::string &field) {
    return std::find(fields.begin(), fields.end(), field) != fields.end();
}

// The recorded establishment as INSEE serves a partially diffusible one: statut "P", the
// person's names and the street masked with "[ND]", the commune kept.
Json partial_establishment() {
    auto e = fixture("siret_39860733300059.json")->getObject("etablissement");
    e->set("statutDiffusionEtablissement", "P");
    auto ul = e->getObject("uniteLegale");
    for (const char *k : {"nomUniteLegale", "prenom1UniteLegale", "prenomUsuelUniteLegale", "sexeUniteLegale"})
        ul->set(k, "[ND]");
    auto a = e->getObject("adresseEtablissement");
    for (const char *k : {"numeroVoieEtablissement", "typeVoieEtablissement", "libelleVoieEtablissement"})
        a->set(k, "[ND]");
    return e;
}

}  // namespace

TEST_CASE("sirene records: a masked CEDEX neither hides nor displaces a known postal code and city", "[sirene][records]") {
    auto e = partial_establishment();
    auto a = e->getObject("adresseEtablissement");

    // Both CEDEX parts masked: the geographic postal code and commune are the address.
    a->set("codeCedexEtablissement", "[ND]");
    a->set("libelleCedexEtablissement", "[ND]");
    auto r = normalise_establishment(e);
    CHECK(str(r->getObject("address"), "postal_code") == "97490");
    CHECK(str(r->getObject("address"), "city") == "SAINT-DENIS");
    CHECK_FALSE(r->getObject("address")->getValue<bool>("cedex"));
    auto masked = masked_fields(r);
    CHECK_FALSE(listed(masked, "address.city"));
    CHECK_FALSE(listed(masked, "address.postal_code"));
    CHECK(listed(masked, "address.lines"));  // the street, which really is missing

    // Only the CEDEX label masked: a CEDEX code without its label is no postal address, the
    // geographic one is, and nothing of it is masked.
    a->set("codeCedexEtablissement", "97405");
    r = normalise_establishment(e);
    CHECK(str(r->getObject("address"), "postal_code") == "97490");
    CHECK(str(r->getObject("address"), "city") == "SAINT-DENIS");
    CHECK_FALSE(r->getObject("address")->getValue<bool>("cedex"));
    masked = masked_fields(r);
    CHECK_FALSE(listed(masked, "address.city"));
    CHECK_FALSE(listed(masked, "address.postal_code"));

    // The commune masked as well: now the city really is unknown, and said so.
    a->set("libelleCommuneEtablissement", "[ND]");
    a->set("codePostalEtablissement", "[ND]");
    r = normalise_establishment(e);
    CHECK(r->getObject("address")->isNull("city"));
    masked = masked_fields(r);
    CHECK(listed(masked, "address.city"));
    CHECK(listed(masked, "address.commune"));
    // The CEDEX code is all that is left of the postal code: kept rather than dropped.
    CHECK(str(r->getObject("address"), "postal_code") == "97405");
    CHECK_FALSE(listed(masked, "address.postal_code"));

    // A complete CEDEX is used as La Poste wants it, whatever else is masked.
    a->set("libelleCedexEtablissement", "SAINT-DENIS CEDEX");
    r = normalise_establishment(e);
    CHECK(str(r->getObject("address"), "postal_code") == "97405");
    CHECK(str(r->getObject("address"), "city") == "SAINT-DENIS CEDEX");
    CHECK(r->getObject("address")->getValue<bool>("cedex"));
    masked = masked_fields(r);
    CHECK_FALSE(listed(masked, "address.city"));
    CHECK_FALSE(listed(masked, "address.postal_code"));
}

TEST_CASE("sirene records: a masked value is listed only when the field it feeds ends up empty", "[sirene][records]") {
    auto e = partial_establishment();
    auto ul = e->getObject("uniteLegale");
    // The usage name and the usual first name masked, the birth name and first name known: the
    // person's names are filled from those, so neither is masked in the record.
    ul->set("nomUniteLegale", "GRONDIN");
    ul->set("prenom1UniteLegale", "BERTRAND");
    ul->set("nomUsageUniteLegale", "[ND]");
    auto r = normalise_establishment(e);
    CHECK(str(r, "name") == "BERTRAND GRONDIN");
    auto masked = masked_fields(r);
    CHECK_FALSE(listed(masked, "person.first_name"));
    CHECK_FALSE(listed(masked, "person.last_name"));
    CHECK_FALSE(listed(masked, "name"));
    CHECK(listed(masked, "person.gender"));  // sexeUniteLegale: masked, and nothing replaces it

    // A masked sign with a known usual name: the trade name is known.
    auto period = e->getArray("periodesEtablissement")->getObject(0);
    period->set("enseigne1Etablissement", "[ND]");
    period->set("denominationUsuelleEtablissement", "CHAPO LA PAILLE");
    r = normalise_establishment(e);
    CHECK(str(r, "trade_name") == "CHAPO LA PAILLE");
    CHECK_FALSE(listed(masked_fields(r), "trade_name"));
    period->set("denominationUsuelleEtablissement", "[ND]");
    r = normalise_establishment(e);
    CHECK(r->isNull("trade_name"));
    CHECK(listed(masked_fields(r), "trade_name"));
}

TEST_CASE("sirene records: addresses with CEDEX, abroad, complement, repetition and arrondissement", "[sirene][records]") {
    auto e = fixture("siret_39860733300059.json")->getObject("etablissement");
    auto a = e->getObject("adresseEtablissement");
    a->set("complementAdresseEtablissement", "BATIMENT A  ");  // INSEE pads some values
    a->set("indiceRepetitionEtablissement", "B");
    a->set("dernierNumeroVoieEtablissement", "46");
    a->set("typeVoieEtablissement", "BD");
    a->set("distributionSpecialeEtablissement", "BP 12");
    a->set("codePostalEtablissement", "75002");
    a->set("libelleCommuneEtablissement", "PARIS 2");
    auto r = normalise_establishment(e);
    CHECK(lines(r) == std::vector<std::string>{"BATIMENT A", "44-46 BIS BOULEVARD NANTIER DIDIEE", "BP 12"});
    CHECK(str(r->getObject("address"), "city") == "PARIS");  // 75002 PARIS, as La Poste wants it
    CHECK(str(r->getObject("address"), "commune") == "PARIS 2");
    CHECK_FALSE(r->getObject("address")->getValue<bool>("cedex"));

    a->set("codeCedexEtablissement", "75083");
    a->set("libelleCedexEtablissement", "PARIS CEDEX 02");
    r = normalise_establishment(e);
    CHECK(str(r->getObject("address"), "postal_code") == "75083");
    CHECK(str(r->getObject("address"), "city") == "PARIS CEDEX 02");
    CHECK(r->getObject("address")->getValue<bool>("cedex"));

    a->set("codeCedexEtablissement", Poco::Dynamic::Var());
    a->set("codePostalEtablissement", Poco::Dynamic::Var());
    a->set("libelleCommuneEtablissement", Poco::Dynamic::Var());
    a->set("codeCommuneEtablissement", Poco::Dynamic::Var());
    a->set("libelleCommuneEtrangerEtablissement", "BRUXELLES");
    a->set("codePaysEtrangerEtablissement", "99131");
    a->set("libellePaysEtrangerEtablissement", "BELGIQUE");
    r = normalise_establishment(e);
    CHECK(str(r->getObject("address"), "city") == "BRUXELLES");
    CHECK(str(r->getObject("address"), "country") == "BELGIQUE");
    CHECK(r->getObject("address")->isNull("country_code"));
    CHECK(str(r->getObject("address"), "insee_country_code") == "99131");
}

TEST_CASE("sirene records: legal form labels fall back to their family", "[sirene][records]") {
    CHECK(legal_form_label("5710") == "SAS, société par actions simplifiée");
    CHECK(legal_form_label("5498") == "SARL unipersonnelle");
    CHECK(legal_form_label("9220") == "Association déclarée");
    CHECK(legal_form_label("6540") == "Société civile immobilière");
    CHECK(legal_form_label("5432") == "SARL d'intérêt collectif agricole (SICA)");
    CHECK(legal_form_label("5498") != legal_form_label("5499"));
    CHECK(legal_form_label("5470") == "Société à responsabilité limitée (SARL)");  // level II
    CHECK(legal_form_label("5999") == "Société commerciale");                       // level I
    CHECK(legal_form_label("").empty());
    CHECK(street_type_label("AV") == "AVENUE");
    CHECK(street_type_label("XYZ") == "XYZ");
}
