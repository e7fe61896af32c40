// The Sirene emulator is strict the way the reference describes the real API: a connector
// that passes against it has a chance against INSEE. Driven here with a plain HTTP client.
#include "sirene_harness.hpp"

#include "sirene_emulator.hpp"

#include <relais/support/http_client.hpp>
#include <relais/support/json.hpp>

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

using namespace relais;
using namespace relais::sirene_emulator;
using support::HttpRequest;
using support::HttpResponse;
using namespace std::chrono_literals;

namespace {

struct Api {
    SireneEmulator emulator;
    support::HttpClient http;
    explicit Api(SireneEmulatorOptions options = {}) : emulator(std::move(options)) { emulator.start(); }

    HttpResponse get(const std::string &path, const support::Fields &query = {}, const std::string &key = "relais-test-key") {
        auto r = HttpRequest::get(emulator.base_url() + path).query(query);
        if (!key.empty()) r.header("X-INSEE-Api-Key-Integration", key);
        return http.send(r);
    }
    HttpResponse post(const std::string &path, const support::Fields &form) {
        return http.send(HttpRequest::post(emulator.base_url() + path).form(form).header("X-INSEE-Api-Key-Integration",
                                                                                           "relais-test-key"));
    }
};

Poco::JSON::Object::Ptr body(const HttpResponse &r) { return test::parse(r.body); }
std::string message(const HttpResponse &r) { return body(r)->getObject("header")->getValue<std::string>("message"); }

}  // namespace

TEST_CASE("sirene emulator: a lookup needs the key, and answers the recorded SIRET with the gateway's headers", "[sirene][emulator]") {
    Api api;
    auto r = api.get("/siret/39860733300059", {}, "");
    CHECK(r.status == 401);
    CHECK_FALSE(r.header("X-Rate-Limit-Remaining"));
    CHECK(api.get("/siret/39860733300059", {}, "wrong-key").status == 401);

    r = api.get("/siret/39860733300059");
    REQUIRE(r.status == 200);
    CHECK(r.content_type() == "application/json;charset=utf-8");
    CHECK(r.header("X-Rate-Limit-Limit") == std::optional<std::string>("30"));
    CHECK(r.header("X-Rate-Limit-Remaining") == std::optional<std::string>("29"));
    CHECK(r.header("X-Rate-Limit-Reset"));
    CHECK(r.header("X-Gravitee-Request-Id"));
    CHECK(r.header("Cache-Control") == std::optional<std::string>("no-cache"));
    const auto b = body(r);
    CHECK(b->getObject("header")->getValue<std::string>("message") == "ok");  // lower case for /siret, as recorded
    const auto e = b->getObject("etablissement");
    CHECK(e->getValue<std::string>("siret") == "39860733300059");
    CHECK(e->getObject("uniteLegale")->getValue<std::string>("nomUniteLegale") == "GRONDIN");
    // The recorded key order is kept: siren, nic, siret, statutDiffusionEtablissement...
    CHECK(r.body.find("\"siren\"") < r.body.find("\"nic\""));
    CHECK(r.body.find("\"nic\"") < r.body.find("\"statutDiffusionEtablissement\""));

    r = api.get("/siren/809893225");
    REQUIRE(r.status == 200);
    CHECK(message(r) == "OK");
    CHECK(body(r)->getObject("uniteLegale")->getArray("periodesUniteLegale")->size() == 2);
}

TEST_CASE("sirene emulator: unknown and malformed identifiers get the API's 404 and 400 envelopes", "[sirene][emulator]") {
    Api api;
    auto r = api.get("/siret/73282932000074");  // Luhn-valid, unknown: the API does not check Luhn
    CHECK(r.status == 404);
    CHECK(message(r) == "Aucun élément trouvé pour le siret 73282932000074");
    CHECK(body(r)->getObject("header")->getValue<int>("statut") == 404);
    r = api.get("/siren/999999998");
    CHECK(r.status == 404);
    CHECK(message(r) == "Aucun élément trouvé pour le siren 999999998");
    CHECK(api.get("/siret/123").status == 400);
    CHECK(api.get("/siret/3986073330005A").status == 400);
    CHECK(api.get("/siren/1234567890").status == 400);
    r = api.get("/siret/39860733300059", {{"date", "2010-01-01"}});
    CHECK(r.status == 404);
    CHECK(message(r) == "Aucun élément trouvé pour le Siret 39860733300059 et date 2010-01-01");
    CHECK(api.get("/siret/39860733300059", {{"date", "01/01/2020"}}).status == 400);
}

TEST_CASE("sirene emulator: multi-criteria search by GET and form POST, 404 on no hit, 414 on a long URI, 400 on a long q", "[sirene][emulator]") {
    Api api;
    auto r = api.get("/siret", {{"q", "siret:39860733300059 OR siret:35600000000048"}});
    REQUIRE(r.status == 200);
    auto h = body(r)->getObject("header");
    CHECK(h->getValue<int>("total") == 2);
    CHECK(h->getValue<int>("nombre") == 2);
    CHECK(h->getValue<int>("debut") == 0);
    CHECK(r.header("X-Total-Count") == std::optional<std::string>("2"));
    CHECK(r.header("Link"));
    const auto list = body(r)->getArray("etablissements");
    CHECK(list->getObject(0)->getValue<std::string>("siret") == "35600000000048");  // sorted by siret

    // The same question as a form POST.
    r = api.post("/siret", {{"q", "siret:39860733300059 OR siret:35600000000048"}, {"nombre", "1"}});
    REQUIRE(r.status == 200);
    CHECK(body(r)->getObject("header")->getValue<int>("total") == 2);
    CHECK(body(r)->getArray("etablissements")->size() == 1);

    r = api.get("/siret", {{"q", "siret:73282932000074"}});
    CHECK(r.status == 404);
    CHECK(message(r) == "Aucun élément trouvé pour q=siret:73282932000074");

    // 340 sirets in a GET do not fit an URI: 414, and POST is the way.
    std::string q;
    for (const auto &siret : api.emulator.data().sirets_where([](const auto &) { return true; })) {
        const auto term = (q.empty() ? "siret:" : " OR siret:") + siret;
        if (q.size() + term.size() > 8192) break;
        q += term;
    }
    r = api.get("/siret", {{"q", q}});
    CHECK(r.status == 414);
    CHECK(body(r)->getObject("header")->getValue<int>("statut") == 414);
    r = api.post("/siret", {{"q", q}, {"nombre", "1000"}});
    CHECK(r.status == 200);
    // A q longer still is refused however it is sent, with the API's 400 envelope.
    q += " OR siret:39860733300059";
    r = api.post("/siret", {{"q", q}, {"nombre", "1000"}});
    CHECK(r.status == 400);
    CHECK(body(r)->getObject("header")->getValue<int>("statut") == 400);
    CHECK_THAT(message(r), Catch::Matchers::Contains("q"));
    CHECK(api.get("/siret", {{"q", "siren:356000000"}, {"nombre", "1001"}}).status == 400);
}

TEST_CASE("sirene emulator: succession links answer the recorded search", "[sirene][emulator]") {
    Api api;
    auto r = api.get("/siret/liensSuccession", {{"q", "siretEtablissementPredecesseur:39860733300042"}});
    REQUIRE(r.status == 200);
    const auto link = body(r)->getArray("liensSuccession")->getObject(0);
    CHECK(link->getValue<std::string>("siretEtablissementSuccesseur") == "39860733300059");
    CHECK(link->getValue<bool>("transfertSiege"));
    CHECK(api.get("/siret/liensSuccession", {{"q", "siretEtablissementPredecesseur:73282932000074"}}).status == 404);
}

TEST_CASE("sirene emulator: cursor paging goes through every hit and ends when curseurSuivant equals curseur", "[sirene][emulator]") {
    Api api;
    std::string cursor = "*";
    std::set<std::string> seen;
    int pages = 0;
    for (;;) {
        const auto r = api.get("/siret", {{"q", "siren:356000000"}, {"nombre", "10"}, {"curseur", cursor}});
        REQUIRE(r.status == 200);
        const auto h = body(r)->getObject("header");
        CHECK(h->getValue<std::string>("curseur") == cursor);
        const auto list = body(r)->getArray("etablissements");
        for (unsigned i = 0; i < list->size(); ++i) seen.insert(list->getObject(i)->getValue<std::string>("siret"));
        const auto next = h->getValue<std::string>("curseurSuivant");
        if (next == cursor) break;
        cursor = next;
        REQUIRE(++pages < 10);
    }
    CHECK(seen.size() == 25);  // La Poste's head office and 24 post offices
    CHECK(api.get("/siret", {{"q", "siren:356000000"}, {"curseur", "not-a-cursor"}}).status == 400);
}

TEST_CASE("sirene emulator: q syntax errors, unknown fields and historised fields outside periode() are 400", "[sirene][emulator]") {
    Api api;
    CHECK(api.get("/siret", {{"q", "siret:"}}).status == 400);
    CHECK(api.get("/siret", {{"q", "(siren:356000000"}}).status == 400);
    auto r = api.get("/siret", {{"q", "couleur:bleu"}});
    CHECK(r.status == 400);
    CHECK_THAT(message(r), Catch::Contains("couleur n'existe pas"));
    r = api.get("/siret", {{"q", "etatAdministratifEtablissement:A"}});
    CHECK(r.status == 400);
    CHECK_THAT(message(r), Catch::Contains("historisée"));
    CHECK(api.get("/siret", {{"q", "periode(siren:356000000)"}}).status == 400);
    // Inside periode() they are fine, and combine with the rest.
    r = api.get("/siret", {{"q", "siren:356000000 AND periode(etatAdministratifEtablissement:F)"}, {"nombre", "100"}});
    REQUIRE(r.status == 200);
    CHECK(body(r)->getObject("header")->getValue<int>("total") > 0);
    CHECK(api.get("/siret", {{"q", "denominationUniteLegale:\"LA POSTE\" AND etablissementSiege:true"}}).status == 200);
    CHECK(api.get("/siret", {{"q", "codePostalEtablissement:750*"}, {"nombre", "1"}}).status == 200);
    CHECK(api.get("/siret", {{"q", "dateCreationEtablissement:[2020-01-01 TO *]"}, {"nombre", "1"}}).status == 200);
}

TEST_CASE("sirene emulator: the quota answers 429 with X-Rate-Limit headers and a reset in epoch ms", "[sirene][emulator][quota]") {
    // A manual clock: the window does not move until the test moves it.
    SireneEmulatorOptions options;
    options.server.clock = std::make_shared<emulator::EmulatorClock>(std::chrono::sys_days(std::chrono::year(2024) / 9 / 10) +
                                                                     13h + 24min + 15s);
    options.requests_per_window = 3;
    Api api(options);
    std::string reset;
    for (int i = 0; i < 3; ++i) {
        const auto r = api.get("/siret/39860733300059");
        REQUIRE(r.status == 200);
        CHECK(r.header("X-Rate-Limit-Remaining") == std::optional<std::string>(std::to_string(2 - i)));
        if (i == 0) reset = r.header("X-Rate-Limit-Reset").value_or("");
        CHECK(r.header("X-Rate-Limit-Reset") == std::optional<std::string>(reset));  // a fixed window
    }
    CHECK(reset == "1725974715000");  // the first request + 60 s, in epoch milliseconds
    auto r = api.get("/siret/39860733300059");
    CHECK(r.status == 429);
    CHECK(r.header("X-Rate-Limit-Remaining") == std::optional<std::string>("0"));
    CHECK_FALSE(r.header("Retry-After"));  // Gravitee says when through X-Rate-Limit-Reset only
    CHECK(body(r)->getValue<std::string>("message") ==
          "Rate limit exceeded ! You reach the limit of 3 requests per 1 minutes");
    CHECK(api.emulator.rate_limited() == 1);
    // Unauthenticated requests are refused before the quota and do not use it.
    CHECK(api.get("/siret/39860733300059", {}, "").status == 401);
    api.emulator.server().clock().advance(60s);
    r = api.get("/siret/39860733300059");
    CHECK(r.status == 200);
    CHECK(r.header("X-Rate-Limit-Remaining") == std::optional<std::string>("2"));
    CHECK(r.header("X-Rate-Limit-Reset") == std::optional<std::string>("1725974775000"));
}

TEST_CASE("sirene emulator: synthetic data has valid check digits and the variety the tests need", "[sirene][emulator]") {
    const auto &data = *SireneEmulator::standard_dataset();
    std::size_t count = 0, individuals = 0, closed = 0, partial = 0, head_offices = 0, la_poste_non_luhn = 0;
    for (const auto *r : data.establishments()) {
        ++count;
        const auto &siret = r->key;
        if (siret.rfind("356000000", 0) == 0 && siret != "35600000000048") {
            int sum = 0;
            for (char c : siret) sum += c - '0';
            CHECK(sum % 5 == 0);
            if (!luhn_valid(siret)) ++la_poste_non_luhn;
        } else {
            CHECK(luhn_valid(siret));
            CHECK(luhn_valid(siret.substr(0, 9)));
        }
        const auto &f = r->index.current;
        if (f.at("categorieJuridiqueUniteLegale") == "1000") ++individuals;
        if (r->index.periods.front().at("etatAdministratifEtablissement") == "F") ++closed;
        if (f.at("statutDiffusionEtablissement") == "P") ++partial;
        if (f.at("etablissementSiege") == "TRUE") ++head_offices;
    }
    CHECK(count > 2500);
    CHECK(individuals > 300);
    CHECK(closed > 200);
    CHECK(partial > 20);
    CHECK(head_offices > 2000);
    CHECK(la_poste_non_luhn > 10);
    CHECK(data.legal_unit("809893225"));  // recorded
    CHECK(data.legal_unit("398607333"));  // derived from the recorded SIRET
    // Deterministic: the same seed gives the same data.
    DatasetOptions o;
    o.synthetic_legal_units = 50;
    const auto a = Dataset::build(o), b = Dataset::build(o);
    REQUIRE(a->establishments().size() == b->establishments().size());
    CHECK(a->establishments().back()->json == b->establishments().back()->json);
}

TEST_CASE("sirene emulator: champs and masquerValeursNulles shape the answer", "[sirene][emulator]") {
    Api api;
    auto r = api.get("/siret/39860733300059", {{"champs", "siret,nomUniteLegale,codePostalEtablissement"}});
    REQUIRE(r.status == 200);
    const auto e = body(r)->getObject("etablissement");
    CHECK(e->getValue<std::string>("siret") == "39860733300059");
    CHECK_FALSE(e->has("dateCreationEtablissement"));
    CHECK(e->getObject("uniteLegale")->getNames() == std::vector<std::string>{"nomUniteLegale"});
    CHECK(e->getObject("adresseEtablissement")->getValue<std::string>("codePostalEtablissement") == "97490");
    CHECK(api.get("/siret/39860733300059", {{"champs", "couleur"}}).status == 400);
    r = api.get("/siret/39860733300059", {{"masquerValeursNulles", "true"}});
    REQUIRE(r.status == 200);
    CHECK(r.body.find("null") == std::string::npos);
    CHECK(api.get("/siret/39860733300059", {{"masquerValeursNulles", "oui"}}).status == 400);
}

TEST_CASE("sirene emulator: Accept decides JSON or CSV, and refuses what it cannot serve", "[sirene][emulator]") {
    Api api;
    auto request = HttpRequest::get(api.emulator.base_url() + "/siret?q=siren:356000000&nombre=3")
                       .header("X-INSEE-Api-Key-Integration", "relais-test-key")
                       .header("Accept", "text/csv");
    auto r = api.http.send(request);
    REQUIRE(r.status == 200);
    CHECK(r.content_type() == "text/csv;charset=utf-8");
    CHECK(std::count(r.body.begin(), r.body.end(), '\n') == 4);  // a header line and three rows
    CHECK(r.body.rfind("siren,nic,siret,", 0) == 0);
    request.url = api.emulator.base_url() + "/siret/39860733300059";
    CHECK(api.http.send(request).status == 406);  // no CSV for a lookup
}

TEST_CASE("sirene emulator: maintenance answers 503 and /informations says DOWN", "[sirene][emulator]") {
    Api api;
    auto r = api.get("/informations");
    REQUIRE(r.status == 200);
    CHECK(body(r)->getValue<std::string>("etatService") == "UP");
    CHECK(body(r)->getArray("etatsDesServices")->getObject(0)->getValue<std::string>("Collection") == "Unités Légales");
    api.emulator.set_service_up(false);
    r = api.get("/informations");
    CHECK(body(r)->getValue<std::string>("etatService") == "DOWN");
    r = api.get("/siret/39860733300059");
    CHECK(r.status == 503);
    CHECK(body(r)->getObject("header")->getValue<int>("statut") == 503);
}

TEST_CASE("sirene emulator: a duplicate SIREN answers 301 with the replacement in Location", "[sirene][emulator]") {
    Api api;
    const auto &replacements = api.emulator.data().replacements();
    REQUIRE_FALSE(replacements.empty());
    for (const auto &[old_id, new_id] : replacements) {
        INFO(old_id);
        const auto r = api.get(std::string(old_id.size() == 14 ? "/siret/" : "/siren/") + old_id);
        CHECK(r.status == 301);
        CHECK(body(r)->getObject("header")->getValue<int>("statut") == 301);
        CHECK_THAT(r.header("Location").value_or(""), Catch::EndsWith("/" + new_id));
    }
}
