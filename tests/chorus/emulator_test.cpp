// The Chorus Pro emulator is strict the way the reference describes PISTE and Chorus Pro: a
// connector that passes against it has a chance against the real platform. Driven here over
// HTTPS with the SDK's HTTP client trusting the test CA; time moves on the emulator's manual
// clock, never by sleeping.
#include "temp_dir.hpp"

#include "certificate_authority.hpp"
#include "chorus_emulator.hpp"
#include "facturx_pdf.hpp"

#include <relais/support/http_client.hpp>

#include <catch2/catch.hpp>

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#ifndef CHORUS_SAMPLES_DIR
#define CHORUS_SAMPLES_DIR "plugins/chorus/samples"
#endif

using namespace relais;
using namespace relais::chorus_emulator;
using relais::test::facturx_pdf;
using support::HttpRequest;
using support::HttpResponse;
using Json = Poco::JSON::Object::Ptr;
using namespace std::chrono_literals;

namespace {

constexpr const char *kClientId = "relais-piste-client";
constexpr const char *kClientSecret = "relais-piste-secret";
constexpr const char *kLogin = "TECH_1_relais@cpro.fr";
constexpr const char *kPassword = "Relais-Tech-2026";
constexpr const char *kUbl = "IN_DP_E1_UBL_INVOICE";
constexpr const char *kCii = "IN_DP_E1_CII_16B";
constexpr const char *kFacturX = "IN_DP_E2_CII_FACTURX";

// 2026-03-02 10:00:00 UTC, a Monday on a whole second (11:00 in Paris, winter time).
emulator::EmulatorClock::time_point monday_10am() {
    return std::chrono::sys_days(std::chrono::year(2026) / 3 / 2) + std::chrono::hours(10);
}

std::string base64(const std::string &bytes) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

std::string sample(const std::string &name) {
    std::ifstream in(std::string(CHORUS_SAMPLES_DIR) + "/" + name, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// `text` with every `from` replaced by `to`; `from` must be there.
std::string replaced(std::string text, const std::string &from, const std::string &to) {
    REQUIRE(text.find(from) != std::string::npos);
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

// `text` without the element that starts with `open` and ends with the next `close`.
std::string without(std::string text, const std::string &open, const std::string &close) {
    const auto start = text.find(open);
    REQUIRE(start != std::string::npos);
    const auto end = text.find(close, start);
    REQUIRE(end != std::string::npos);
    return text.erase(start, end + close.size() - start);
}

Json parse(const std::string &text) { return Poco::JSON::Parser().parse(text).extract<Json>(); }

// A JSON object text from name/value pairs (values: strings, numbers, booleans, objects).
std::string json(std::initializer_list<std::pair<std::string, Poco::Dynamic::Var>> fields) {
    Json o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto &[name, value] : fields) o->set(name, value);
    std::ostringstream out;
    o->stringify(out);
    return out.str();
}

Json page(int number, int size) {
    Json p = new Poco::JSON::Object;
    p->set("pageResultatDemandee", number);
    p->set("nbResultatsParPage", size);
    return p;
}

// Without the per-second quota: on a frozen clock every request falls in the same second.
ChorusEmulatorOptions unlimited() {
    ChorusEmulatorOptions options;
    options.per_second = 0;
    return options;
}

struct Chorus {
    test::TempDir dir{"relais-chorus-emulator"};
    emulator::TestCertificateAuthority ca{dir.path()};
    std::shared_ptr<emulator::EmulatorClock> clock = std::make_shared<emulator::EmulatorClock>(monday_10am());
    ChorusEmulator emulator;
    support::HttpClient http;
    std::string token;

    explicit Chorus(ChorusEmulatorOptions options = unlimited())
        : emulator(prepared(std::move(options))), http(client_options()) {
        emulator.start();
        token = new_token();
    }

    ChorusEmulatorOptions prepared(ChorusEmulatorOptions options) {
        options.server.tls = ca.server_files();
        options.server.clock = clock;
        return options;
    }
    support::HttpClientOptions client_options() const {
        support::HttpClientOptions options;
        options.extra_ca_file = ca.ca_file().string();
        options.read_timeout = 10s;
        return options;
    }

    HttpResponse token_request(const support::Fields &form) {
        return http.send(HttpRequest::post(emulator.oauth_url()).form(form));
    }
    std::string new_token() {
        const auto r = token_request({{"grant_type", "client_credentials"}, {"client_id", kClientId},
                                      {"client_secret", kClientSecret}, {"scope", "openid"}});
        REQUIRE(r.status == 200);
        return parse(r.body)->getValue<std::string>("access_token");
    }

    static std::string account(const std::string &login = kLogin, const std::string &password = kPassword) {
        return base64(login + ":" + password);
    }
    HttpRequest request(const std::string &path, const std::string &body, const std::string &method = "POST") {
        auto r = method == "GET" ? HttpRequest::get(emulator.api_url() + path) : HttpRequest::post(emulator.api_url() + path);
        r.header("Authorization", "Bearer " + token).header("cpro-account", account());
        if (method != "GET") {
            r.body = body;
            r.content_type = "application/json;charset=utf-8";
        }
        return r;
    }
    HttpResponse post(const std::string &path, const std::string &body) { return http.send(request(path, body)); }
    // A 200 with codeRetour 0: its body.
    Json ok(const std::string &path, const std::string &body) {
        const auto r = post(path, body);
        INFO(path << " answered " << r.status << " " << r.body);
        REQUIRE(r.status == 200);
        auto b = parse(r.body);
        REQUIRE(b->getValue<int>("codeRetour") == 0);
        return b;
    }

    // A search that found nothing, answered as the reference documents it: 200, codeRetour
    // 20000, TRA_MSG_00.015, and no list at all.
    bool finds_nothing(const std::string &path, const std::string &body, const char *list_name) {
        const auto r = post(path, body);
        INFO(path << " answered " << r.status << " " << r.body);
        REQUIRE(r.status == 200);
        const auto b = parse(r.body);
        CHECK(b->getValue<std::string>("libelle").rfind("TRA_MSG_00.015", 0) == 0);
        CHECK_FALSE(b->has(list_name));
        return b->getValue<int>("codeRetour") == 20000;
    }

    std::string deposit_body(const std::string &file, const std::string &name, const std::string &syntax) {
        return json({{"fichierFlux", base64(file)}, {"nomFichier", name}, {"syntaxeFlux", syntax}, {"avecSignature", false}});
    }
    HttpResponse deposit_raw(const std::string &file, const std::string &name, const std::string &syntax) {
        return post("/cpro/factures/v1/deposer/flux", deposit_body(file, name, syntax));
    }
    // Deposits and returns numeroFluxDepot.
    std::string deposit(const std::string &file, const std::string &name = "facture.xml",
                        const std::string &syntax = kUbl) {
        return ok("/cpro/factures/v1/deposer/flux", deposit_body(file, name, syntax))->getValue<std::string>("numeroFluxDepot");
    }
    Json report(const std::string &number) {
        return ok("/cpro/transverses/v1/consulterCRDetaille", json({{"numeroFluxDepot", number}}));
    }
    void advance(std::chrono::milliseconds by) { clock->advance(by); }
    // Past the processing of a flux deposited now (30 s by default).
    void process() { advance(30s); }
};

Json dp_error(const Json &report, std::size_t i = 0) {
    const auto list = report->getArray("listeErreurDP");
    REQUIRE(list);
    REQUIRE(list->size() > i);
    return list->getObject(static_cast<unsigned>(i));
}

std::string all_dp_labels(const Json &report) {
    std::string labels;
    if (const auto list = report->getArray("listeErreurDP"))
        for (unsigned i = 0; i < list->size(); ++i) labels += list->getObject(i)->getValue<std::string>("libelleErreurDP") + "\n";
    return labels;
}

}  // namespace

TEST_CASE("chorus emulator: the token endpoint takes client credentials in the form body only", "[chorus][emulator]") {
    Chorus api;
    auto r = api.token_request({{"grant_type", "client_credentials"}, {"client_id", kClientId}, {"client_secret", kClientSecret}});
    REQUIRE(r.status == 200);
    auto b = parse(r.body);
    CHECK(b->getValue<std::string>("token_type") == "Bearer");
    CHECK(b->getValue<int>("expires_in") == 3600);
    CHECK(b->getValue<std::string>("scope") == "openid");
    const auto token = b->getValue<std::string>("access_token");
    CHECK(token.size() >= 32);
    CHECK(token != api.token);  // random, one per request

    const auto refused = [&](const HttpResponse &resp, int status, const std::string &error) {
        CHECK(resp.status == status);
        CHECK(parse(resp.body)->getValue<std::string>("error") == error);
    };
    refused(api.token_request({{"grant_type", "client_credentials"}, {"client_id", kClientId}, {"client_secret", "wrong"}}),
            401, "invalid_client");
    r = api.token_request({{"grant_type", "client_credentials"}, {"client_id", "someone"}, {"client_secret", kClientSecret}});
    refused(r, 401, "invalid_client");
    CHECK(parse(r.body)->getValue<std::string>("error_description").rfind("Client authentication failed", 0) == 0);
    refused(api.token_request({{"client_id", kClientId}, {"client_secret", kClientSecret}}), 400, "unsupported_grant_type");
    refused(api.token_request({{"grant_type", "password"}, {"client_id", kClientId}, {"client_secret", kClientSecret}}), 400,
            "unsupported_grant_type");
    // The same credentials in an Authorization: Basic header: PISTE wants them in the body.
    r = api.http.send(HttpRequest::post(api.emulator.oauth_url())
                          .form({{"grant_type", "client_credentials"}})
                          .header("Authorization", "Basic " + base64(std::string(kClientId) + ":" + kClientSecret)));
    refused(r, 401, "invalid_client");
    CHECK(api.emulator.token_requests() == 7);
}

TEST_CASE("chorus emulator: a token stops working after expires_in on the emulator's clock, or on expire_tokens()",
          "[chorus][emulator]") {
    auto options = unlimited();
    options.token_lifetime = 600s;
    Chorus api(options);
    const auto health = [&] { return api.http.send(api.request("/cpro/transverses/v1/health-check", "", "GET")); };
    CHECK(health().status == 200);
    api.advance(599s);
    CHECK(health().status == 200);
    api.advance(1s);
    auto r = health();
    CHECK(r.status == 401);
    CHECK(r.header("WWW-Authenticate") == std::optional<std::string>(R"(Bearer realm="PISTE", error="invalid_token")"));
    CHECK(r.body.empty());

    api.token = api.new_token();
    CHECK(health().status == 200);
    api.emulator.expire_tokens();
    CHECK(health().status == 401);
    api.token = api.new_token();
    CHECK(health().status == 200);
}

TEST_CASE("chorus emulator: the gateway checks the Bearer token, then cpro-account, then the 403 switch",
          "[chorus][emulator]") {
    Chorus api;
    const std::string path = "/cpro/transverses/v1/recuperer/tauxtva";
    const auto send = [&](const std::optional<std::string> &bearer, const std::optional<std::string> &account,
                          const std::string &account_header = "cpro-account") {
        auto r = HttpRequest::post(api.emulator.api_url() + path);
        r.body = "{}";
        r.content_type = "application/json";
        if (bearer) r.header("Authorization", "Bearer " + *bearer);
        if (account) r.header(account_header, *account);
        return api.http.send(r);
    };
    const std::string invalid_token = R"(Bearer realm="PISTE", error="invalid_token")";
    const std::string bad_account =
        R"(Bearer realm="PISTE",error="Unauthorized",error_description="login or password incorrects")";

    auto r = send(std::nullopt, Chorus::account());
    CHECK(r.status == 401);
    CHECK(r.header("WWW-Authenticate") == invalid_token);
    CHECK(r.body.empty());
    CHECK(send(std::string("not-a-token"), Chorus::account()).header("WWW-Authenticate") == invalid_token);

    for (const auto &account : std::vector<std::optional<std::string>>{
             std::nullopt, std::string("%%% not base64 %%%"), Chorus::account(kLogin, "wrong-password"),
             Chorus::account("TECH_1_other@cpro.fr", kPassword), base64(kLogin)}) {
        r = send(api.token, account);
        CHECK(r.status == 401);
        CHECK(r.header("WWW-Authenticate") == bad_account);
        CHECK(r.body.empty());
    }
    // Header names are case-insensitive.
    r = send(api.token, Chorus::account(), "CPRO-ACCOUNT");
    CHECK(r.status == 200);

    api.emulator.set_forbidden(true);
    r = send(api.token, Chorus::account());
    CHECK(r.status == 403);
    CHECK(r.body.empty());
    // The token is checked first, even when forbidden.
    CHECK(send(std::nullopt, Chorus::account()).status == 401);
    api.emulator.set_forbidden(false);
    CHECK(send(api.token, Chorus::account()).status == 200);

    CHECK(api.post("/cpro/factures/v1/nulle/part", "{}").status == 404);
    CHECK(api.emulator.api_requests() == 12);
}

TEST_CASE("chorus emulator: health-check, VAT rates, and a body that is not a JSON object", "[chorus][emulator]") {
    Chorus api;
    auto r = api.http.send(api.request("/cpro/transverses/v1/health-check", "", "GET"));
    REQUIRE(r.status == 200);
    CHECK(parse(r.body)->getValue<std::string>("body") == "OK");
    CHECK(parse(r.body)->getValue<int>("statusCodeValue") == 200);

    const auto rates = api.ok("/cpro/transverses/v1/recuperer/tauxtva", "{}");
    CHECK(rates->getValue<std::string>("libelle") == "TRA_MSG_00.000");
    CHECK(rates->getArray("listeTauxTva")->getObject(0)->getValue<std::string>("codeTauxTva") == "TVA1");

    for (const std::string body : {"", "[]", "{not json", "\"text\""}) {
        r = api.post("/cpro/factures/v1/deposer/flux", body);
        CHECK(r.status == 400);
        CHECK(parse(r.body)->getValue<int>("codeRetour") != 0);
        CHECK_FALSE(parse(r.body)->getValue<std::string>("libelle").empty());
    }
}

TEST_CASE("chorus emulator: a deposit with a bad field is refused with 400 and a libelle naming it, nothing recorded",
          "[chorus][emulator]") {
    Chorus api;
    const auto ubl = sample("ubl-invoice.xml");
    const auto refused = [&](const std::string &body, int status, const std::string &field) {
        const auto r = api.post("/cpro/factures/v1/deposer/flux", body);
        INFO(body.substr(0, 200) << " -> " << r.body);
        CHECK(r.status == status);
        const auto b = parse(r.body);
        CHECK(b->getValue<int>("codeRetour") != 0);
        CHECK(b->getValue<std::string>("libelle").find(field) != std::string::npos);
    };
    refused(json({{"nomFichier", "f.xml"}, {"syntaxeFlux", kUbl}}), 400, "fichierFlux");
    refused(json({{"fichierFlux", "###"}, {"nomFichier", "f.xml"}, {"syntaxeFlux", kUbl}}), 400, "fichierFlux");
    // Line breaks, as an encoder with a line length writes them, are not base64.
    refused(json({{"fichierFlux", base64(ubl).insert(76, "\r\n")}, {"nomFichier", "f.xml"}, {"syntaxeFlux", kUbl}}),
            400, "fichierFlux");
    refused(json({{"fichierFlux", "PD94bWw"}, {"nomFichier", "f.xml"}, {"syntaxeFlux", kUbl}}), 400, "fichierFlux");
    refused(json({{"fichierFlux", ""}, {"nomFichier", "f.xml"}, {"syntaxeFlux", kUbl}}), 400, "fichierFlux");
    refused(api.deposit_body(ubl, "facture", kUbl), 400, "nomFichier");
    refused(api.deposit_body(ubl, "facture.", kUbl), 400, "nomFichier");
    refused(api.deposit_body(ubl, std::string(197, 'a') + ".xml", kUbl), 400, "nomFichier");
    refused(api.deposit_body(ubl, "facture.pdf", kUbl), 400, "nomFichier");
    refused(api.deposit_body(ubl, "facture.xml", kFacturX), 400, "nomFichier");
    refused(api.deposit_body(ubl, "lot_factures.tar.gz", kUbl), 400, "archive");
    refused(api.deposit_body(ubl, "lot_factures.zip", kUbl), 400, "archive");
    // IN_DP_E1_CII_FACTURX is in no maintained client: not a syntax (reference §4.1).
    refused(api.deposit_body(ubl, "facture.xml", "IN_DP_E1_CII_FACTURX"), 400, "syntaxeFlux");
    refused(json({{"fichierFlux", base64(ubl)}, {"nomFichier", "f.xml"}}), 400, "syntaxeFlux");
    refused(json({{"fichierFlux", base64(ubl)}, {"nomFichier", "f.xml"}, {"syntaxeFlux", kUbl}, {"avecSignature", "non"}}),
            400, "avecSignature");
    CHECK(api.emulator.deposits() == 0);
}

TEST_CASE("chorus emulator: a file over the size limit is refused with 413, one at the limit is taken",
          "[chorus][emulator]") {
    // The real limit is 10 MB (the default); 1 MB here keeps the test quick on a loaded machine.
    auto options = unlimited();
    options.max_file_bytes = 1u << 20;
    Chorus api(options);
    const auto r = api.deposit_raw(std::string((1u << 20) + 1, 'x'), "gros.xml", kUbl);
    CHECK(r.status == 413);
    CHECK_THAT(r.body, Catch::Contains("1 Mo"));
    CHECK(api.emulator.deposits() == 0);
    // Exactly at the limit is still taken (and then rejected: it is no invoice).
    CHECK(api.deposit_raw(std::string(1u << 20, 'x'), "gros.xml", kUbl).status == 200);
    CHECK(api.emulator.deposits() == 1);
    CHECK(ChorusEmulatorOptions{}.max_file_bytes == 10u << 20);
}

TEST_CASE("chorus emulator: numeroFluxDepot is CPP001, the interface code and a counter: 25 characters",
          "[chorus][emulator]") {
    Chorus api;
    const auto ubl = sample("ubl-invoice.xml");
    auto b = api.ok("/cpro/factures/v1/deposer/flux", api.deposit_body(ubl, "facture.xml", kUbl));
    CHECK(b->getValue<std::string>("libelle") == "GCU_MSG_01_000");
    CHECK(b->getValue<std::string>("numeroFluxDepot") == "CPP0011110000000000000001");
    CHECK(b->getValue<std::string>("dateDepot") == "2026-03-02");
    CHECK(b->getValue<std::string>("syntaxeFlux") == kUbl);

    const auto cii = api.deposit(sample("cii-invoice.xml"), "facture.xml", kCii);
    CHECK(cii == "CPP0011117000000000000002");
    CHECK(cii.size() == 25);
    const auto again = api.deposit(ubl);
    CHECK(again == "CPP0011110000000000000003");

    CHECK(api.emulator.deposits() == 3);
    const auto by_file = api.emulator.deposits_by_file();
    REQUIRE(by_file.size() == 2);
    int most = 0;
    for (const auto &[hash, n] : by_file) {
        CHECK(hash.size() == 64);
        most = std::max(most, n);
    }
    CHECK(most == 2);  // the same UBL file twice
    const auto record = api.emulator.flux(again);
    REQUIRE(record);
    CHECK(record->invoice_number == "FA-2026-0001");
    CHECK(record->file_name == "facture.xml");
    CHECK(record->syntax == kUbl);
    CHECK(record->state == "IN_RECU");
    CHECK_FALSE(api.emulator.flux("CPP0011110000000000000999"));
}

TEST_CASE("chorus emulator: a flux moves through IN_RECU and IN_EN_COURS_TRAITEMENT_CPP to IN_INTEGRE, then its invoice "
          "is found and its history grows",
          "[chorus][emulator]") {
    Chorus api;
    const auto number = api.deposit(sample("ubl-invoice.xml"), "ubl_facture_FA-2026-0001.xml");
    const auto find = [&] {
        return api.ok("/cpro/factures/v1/rechercher/fournisseur", json({{"numeroFluxDepot", number}}));
    };
    const auto finds_nothing = [&] {
        return api.finds_nothing("/cpro/factures/v1/rechercher/fournisseur", json({{"numeroFluxDepot", number}}),
                                 "listeFactures");
    };

    auto report = api.report(number);
    CHECK(report->getValue<std::string>("libelle") == "TRA_MSG_00.000");
    CHECK(report->getValue<std::string>("etatCourantDepotFlux") == "IN_RECU");
    CHECK(report->getValue<std::string>("codeInterfaceDepotFlux") == "FSO1110A");
    CHECK(report->getValue<std::string>("nomFichier") == "FSO1110A_CPP001_" + number);
    CHECK(report->getValue<std::string>("dateDepotFlux") == "2026-03-02T11:00:00.000+01:00");
    CHECK_FALSE(report->has("listeErreurDP"));
    CHECK(finds_nothing());

    api.advance(10s);
    report = api.report(number);
    CHECK(report->getValue<std::string>("etatCourantDepotFlux") == "IN_EN_COURS_TRAITEMENT_CPP");
    CHECK(report->getValue<std::string>("dateHeureEtatCourantFlux") == "2026-03-02T11:00:10.000+01:00");
    CHECK(finds_nothing());

    api.advance(20s);
    report = api.report(number);
    CHECK(report->getValue<std::string>("etatCourantDepotFlux") == "IN_INTEGRE");
    CHECK(report->getValue<std::string>("dateHeureEtatCourantFlux") == "2026-03-02T11:00:30.000+01:00");
    CHECK_FALSE(report->has("listeErreurDP"));
    CHECK_FALSE(report->has("listeErreurTechnique"));
    CHECK(api.emulator.flux(number)->state == "IN_INTEGRE");

    auto found = find();
    REQUIRE(found->getArray("listeFactures")->size() == 1);
    const auto invoice = found->getArray("listeFactures")->getObject(0);
    CHECK(invoice->getValue<std::int64_t>("identifiantFactureCPP") == 3125108);
    CHECK(invoice->getValue<std::string>("numeroFacture") == "FA-2026-0001");
    CHECK(invoice->getValue<std::string>("numeroFluxDepot") == number);
    CHECK(invoice->getValue<std::string>("statut") == "DEPOSEE");
    CHECK(invoice->getValue<std::string>("dateDepot") == "2026-03-02");
    CHECK(invoice->getValue<std::string>("dateFacture") == "2026-03-02");
    CHECK(invoice->getValue<std::string>("codeDestinataire") == kBuyerSiret);
    CHECK(invoice->getValue<std::int64_t>("idDestinataire") == 26000101);
    CHECK(invoice->getValue<std::string>("designationDestinataire") == "COMMUNE DE SAINT-RELAIS");
    CHECK(invoice->getValue<std::string>("codeServiceExecutant") == "SERVICE_FINANCES");
    CHECK(invoice->getValue<double>("montantHT") == 1200.0);
    CHECK(invoice->getValue<double>("montantTTC") == 1440.0);
    CHECK(invoice->getValue<double>("montantAPayer") == 1440.0);
    CHECK(invoice->getValue<std::string>("devise") == "EUR");
    CHECK(invoice->getValue<std::string>("typeFacture") == "FACTURE");
    CHECK(invoice->getValue<std::string>("numeroBonCommande") == "EJ-2026-0042");
    const auto paging = found->getObject("parametresRetour");
    CHECK(paging->getValue<int>("total") == 1);
    CHECK(paging->getValue<int>("pages") == 1);
    CHECK(paging->getValue<int>("pageCourante") == 1);
    CHECK(paging->getValue<int>("nbResultatsParPage") == 10);

    auto history = api.ok("/cpro/factures/v1/consulter/historique", json({{"idFacture", 3125108}}));
    CHECK(history->getValue<std::string>("libelle") == "GCU_MSG_01_000");
    CHECK(history->getValue<std::string>("statutCourantCode") == "DEPOSEE");
    CHECK(history->getValue<std::string>("numeroFacture") == "FA-2026-0001");
    CHECK(history->getObject("historiquesDesStatuts")->getArray("histoStatut")->size() == 1);

    api.advance(30s);
    history = api.ok("/cpro/factures/v1/consulter/historique", json({{"idFacture", 3125108}}));
    CHECK(history->getValue<std::string>("statutCourantCode") == "MISE_A_DISPOSITION");
    const auto statuses = history->getObject("historiquesDesStatuts")->getArray("histoStatut");
    REQUIRE(statuses->size() == 2);
    CHECK(statuses->getObject(0)->getValue<std::string>("histoStatutCode") == "MISE_A_DISPOSITION");  // newest first
    CHECK(statuses->getObject(0)->getValue<std::string>("histoStatutDatePassage") == "2026-03-02 10:01");
    CHECK(statuses->getObject(1)->getValue<std::string>("histoStatutCode") == "DEPOSEE");
    CHECK(statuses->getObject(1)->getValue<std::string>("histoStatutDatePassage") == "2026-03-02 10:00");
    CHECK(statuses->getObject(0)->getValue<std::int64_t>("histoStatutId") !=
          statuses->getObject(1)->getValue<std::int64_t>("histoStatutId"));
    CHECK(find()->getArray("listeFactures")->getObject(0)->getValue<std::string>("statut") == "MISE_A_DISPOSITION");

    auto r = api.post("/cpro/factures/v1/consulter/historique", json({{"idFacture", 999}}));
    CHECK(r.status == 400);
    CHECK(parse(r.body)->getValue<int>("codeRetour") != 0);
    CHECK(api.post("/cpro/factures/v1/consulter/historique", "{}").status == 400);
}

TEST_CASE("chorus emulator: CII XML and a Factur-X PDF carrying it are integrated too", "[chorus][emulator]") {
    Chorus api;
    const auto cii = sample("cii-invoice.xml");
    const auto xml_flux = api.deposit(replaced(cii, "FA-2026-0001", "FA-2026-0101"), "facture.xml", kCii);
    const auto pdf_flux = api.deposit(facturx_pdf(replaced(cii, "FA-2026-0001", "FA-2026-0102")),
                                      "facturx_FA-2026-0102.pdf", kFacturX);
    CHECK(pdf_flux.substr(0, 10) == "CPP0011117");
    api.process();
    for (const auto &number : {xml_flux, pdf_flux}) {
        const auto report = api.report(number);
        INFO(number << " " << all_dp_labels(report));
        CHECK(report->getValue<std::string>("etatCourantDepotFlux") == "IN_INTEGRE");
        CHECK(report->getValue<std::string>("codeInterfaceDepotFlux") == "FSO1117A");
    }
    const auto found = api.ok("/cpro/factures/v1/rechercher/fournisseur", json({{"numeroFacture", "FA-2026-0102"}}));
    REQUIRE(found->getArray("listeFactures")->size() == 1);
    const auto invoice = found->getArray("listeFactures")->getObject(0);
    CHECK(invoice->getValue<std::string>("numeroFluxDepot") == pdf_flux);
    CHECK(invoice->getValue<std::string>("dateFacture") == "2026-03-02");
    CHECK(invoice->getValue<double>("montantTTC") == 1440.0);
    CHECK(api.emulator.flux(pdf_flux)->invoice_number == "FA-2026-0102");
}

TEST_CASE("chorus emulator: each business problem ends the flux IN_REJETE with a listeErreurDP naming the invoice",
          "[chorus][emulator]") {
    Chorus api;
    const auto ubl = sample("ubl-invoice.xml");
    const auto cii = sample("cii-invoice.xml");
    const auto rejected_with = [&](const std::string &file, const std::string &expected,
                                   const std::string &syntax = kUbl) {
        const auto number = api.deposit(file, "facture.xml", syntax);
        api.process();
        const auto report = api.report(number);
        INFO(all_dp_labels(report));
        CHECK(report->getValue<std::string>("etatCourantDepotFlux") == "IN_REJETE");
        CHECK_FALSE(report->has("listeErreurTechnique"));
        const auto error = dp_error(report);
        CHECK(error->getValue<std::string>("numeroDP") == "FA-2026-0001");
        CHECK(all_dp_labels(report).find(expected) != std::string::npos);
        // A rejected flux makes no invoice.
        CHECK(api.finds_nothing("/cpro/factures/v1/rechercher/fournisseur", json({{"numeroFluxDepot", number}}),
                                "listeFactures"));
        return error;
    };

    SECTION("the supplier SIRET is not the technical account's structure") {
        const auto e = rejected_with(replaced(ubl, kSupplierSiret, "55544433300002"),
                                     "L'identifiant fournisseur de la demande de paiement");
        CHECK(e->getValue<std::string>("identifiantFournisseur") == "55544433300002");
        CHECK(e->getValue<std::string>("identifiantDestinataire") == kBuyerSiret);
        CHECK(e->getValue<std::string>("libelleErreurDP").find("n'est pas reference dans notre systeme") !=
              std::string::npos);
    }
    SECTION("the buyer SIRET is unknown") {
        rejected_with(replaced(ubl, kBuyerSiret, "55544433300002"), "L'identifiant destinataire");
    }
    SECTION("the buyer is a private structure") {
        rejected_with(replaced(ubl, kBuyerSiret, "98765432100007"), "structure privee");
    }
    SECTION("the buyer requires a service code and none is given") {
        rejected_with(without(replaced(ubl, kBuyerSiret, kServiceCodeBuyerSiret), "<cbc:BuyerReference>",
                              "</cbc:BuyerReference>"),
                      "Le code service est obligatoire");
    }
    SECTION("the service code is not one of the buyer's active services") {
        rejected_with(replaced(ubl, "SERVICE_FINANCES", "ANCIEN_SERVICE"), "n'existe pas ou n'est pas actif");
        rejected_with(replaced(ubl, "SERVICE_FINANCES", "SERVICE_INCONNU"), "n'existe pas ou n'est pas actif");
    }
    SECTION("the buyer requires a commitment number and none is given") {
        rejected_with(without(replaced(ubl, kBuyerSiret, kCommitmentBuyerSiret), "<cac:OrderReference>",
                              "</cac:OrderReference>"),
                      "Le numero d'engagement est obligatoire");
    }
    SECTION("the service requires a commitment number and none is given") {
        rejected_with(without(replaced(ubl, "SERVICE_FINANCES", "SERVICE_TECHNIQUE"), "<cac:OrderReference>",
                              "</cac:OrderReference>"),
                      "Le numero d'engagement est obligatoire");
    }
    SECTION("the buyer requires a service code or a commitment number and neither is given") {
        auto file = replaced(ubl, kBuyerSiret, kEitherBuyerSiret);
        file = without(without(file, "<cbc:BuyerReference>", "</cbc:BuyerReference>"), "<cac:OrderReference>",
                       "</cac:OrderReference>");
        rejected_with(file, "Le code service ou le numero d'engagement est obligatoire");
    }
    SECTION("FACTURES_PUBLIQUES from a private supplier") {
        rejected_with(replaced(ubl, "SERVICE_FINANCES", "FACTURES_PUBLIQUES"), "FACTURES_PUBLIQUES");
    }
    SECTION("no payment means code, in UBL and in CII") {
        rejected_with(without(ubl, "<cbc:PaymentMeansCode>", "</cbc:PaymentMeansCode>"),
                      "PaymentMeans.PaymentMeansCode.value est obligatoire");
        rejected_with(without(cii, "<ram:TypeCode>30", "</ram:TypeCode>"),
                      "SpecifiedTradeSettlementPaymentMeans.TypeCode.value est obligatoire", kCii);
    }
}

TEST_CASE("chorus emulator: a file that cannot be read ends IN_REJETE with a listeErreurTechnique",
          "[chorus][emulator]") {
    Chorus api;
    const auto ubl = sample("ubl-invoice.xml");
    const auto cii = sample("cii-invoice.xml");
    const auto technical = [&](const std::string &file, const std::string &name, const std::string &syntax,
                               const std::string &expected) {
        const auto number = api.deposit(file, name, syntax);
        api.process();
        const auto report = api.report(number);
        CHECK(report->getValue<std::string>("etatCourantDepotFlux") == "IN_REJETE");
        CHECK_FALSE(report->has("listeErreurDP"));
        const auto list = report->getArray("listeErreurTechnique");
        REQUIRE(list);
        REQUIRE(list->size() == 1);
        const auto error = list->getObject(0);
        INFO(error->getValue<std::string>("libelleErreur"));
        CHECK(error->getValue<std::string>("codeErreur") == "ERR_XSD_001");
        CHECK(error->getValue<std::string>("natureErreur") == "IRRECEVABILITE");
        CHECK(error->getValue<std::string>("libelleErreur").rfind("IRRECEVABILITE: ", 0) == 0);
        CHECK(error->getValue<std::string>("libelleErreur").find(expected) != std::string::npos);
    };
    technical("ceci n'est pas du XML", "facture.xml", kUbl, "bien forme");
    technical(ubl.substr(0, ubl.size() / 2), "facture.xml", kUbl, "ligne");
    technical(cii, "facture.xml", kUbl, "CrossIndustryInvoice ne correspond pas a la syntaxe IN_DP_E1_UBL_INVOICE");
    technical(ubl, "facture.xml", kCii, "Invoice ne correspond pas a la syntaxe IN_DP_E1_CII_16B");
    technical(ubl, "facture.pdf", kFacturX, "n'est pas un PDF");
    technical("%PDF-1.7\n1 0 obj\n<< >>\nendobj\n%%EOF\n", "facture.pdf", kFacturX, "no embedded factur-x.xml");
    technical(facturx_pdf(ubl), "facture.pdf", kFacturX, "no embedded factur-x.xml");
    technical(replaced(ubl, "<cbc:PayableAmount currencyID=\"EUR\">1440.00", "<cbc:PayableAmount currencyID=\"EUR\">1 440,00"),
              "facture.xml", kUbl, "'1 440,00' is not a valid value for 'decimal'");
    technical(without(ubl, "<cbc:ID>FA-2026-0001", "</cbc:ID>"), "facture.xml", kUbl, "Invoice.ID est obligatoire");
}

TEST_CASE("chorus emulator: force_outcome decides the next deposits whatever their content", "[chorus][emulator]") {
    Chorus api;
    const auto ubl = sample("ubl-invoice.xml");
    api.emulator.force_outcome(ForcedOutcome::incident);
    api.emulator.force_outcome(ForcedOutcome::rejected);
    api.emulator.force_outcome(ForcedOutcome::integrated);
    const auto incident = api.deposit(ubl);
    const auto rejected = api.deposit(ubl);
    const auto integrated = api.deposit(without(ubl, "<cbc:PaymentMeansCode>", "</cbc:PaymentMeansCode>"));
    const auto normal = api.deposit(ubl);
    api.advance(10s);
    CHECK(api.report(incident)->getValue<std::string>("etatCourantDepotFlux") == "IN_EN_COURS_TRAITEMENT_CPP");
    api.advance(20s);

    auto report = api.report(incident);
    CHECK(report->getValue<std::string>("etatCourantDepotFlux") == "IN_INCIDENTE");
    CHECK_FALSE(report->has("listeErreurDP"));
    CHECK_FALSE(report->has("listeErreurTechnique"));
    report = api.report(rejected);
    CHECK(report->getValue<std::string>("etatCourantDepotFlux") == "IN_REJETE");
    CHECK(dp_error(report)->getValue<std::string>("numeroDP") == "FA-2026-0001");
    CHECK(api.report(integrated)->getValue<std::string>("etatCourantDepotFlux") == "IN_INTEGRE");
    CHECK(api.report(normal)->getValue<std::string>("etatCourantDepotFlux") == "IN_INTEGRE");

    const auto found = api.ok("/cpro/factures/v1/rechercher/fournisseur", "{}")->getArray("listeFactures");
    REQUIRE(found->size() == 2);
    CHECK(found->getObject(0)->getValue<std::string>("numeroFluxDepot") == integrated);
    CHECK(found->getObject(1)->getValue<std::string>("numeroFluxDepot") == normal);
}

TEST_CASE("chorus emulator: an unknown flux, or another account's, is codeRetour 20001 \"Flux introuvable\"",
          "[chorus][emulator]") {
    auto options = unlimited();
    options.accounts.push_back({"TECH_1_autre@cpro.fr", "Autre-Tech-2026"});
    Chorus api(options);
    auto r = api.post("/cpro/transverses/v1/consulterCRDetaille", json({{"numeroFluxDepot", "CPP0011110000000000099999"}}));
    CHECK(r.status == 200);
    CHECK(parse(r.body)->getValue<int>("codeRetour") == 20001);
    CHECK(parse(r.body)->getValue<std::string>("libelle") == "POQ_MSG_01.003 - Flux introuvable.");
    CHECK(api.post("/cpro/transverses/v1/consulterCRDetaille", "{}").status == 400);

    // Fluxes and invoices are the depositing account's.
    const auto number = api.deposit(sample("ubl-invoice.xml"));
    api.process();
    auto other = api.request("/cpro/transverses/v1/consulterCRDetaille", json({{"numeroFluxDepot", number}}));
    other.headers.clear();
    other.header("Authorization", "Bearer " + api.token)
        .header("cpro-account", Chorus::account("TECH_1_autre@cpro.fr", "Autre-Tech-2026"));
    r = api.http.send(other);
    CHECK(parse(r.body)->getValue<int>("codeRetour") == 20001);
    other.url = api.emulator.api_url() + "/cpro/factures/v1/rechercher/fournisseur";
    other.body = "{}";
    r = api.http.send(other);
    REQUIRE(r.status == 200);
    CHECK(parse(r.body)->getValue<int>("codeRetour") == 20000);
    CHECK_FALSE(parse(r.body)->has("listeFactures"));
    CHECK(api.ok("/cpro/factures/v1/rechercher/fournisseur", "{}")->getArray("listeFactures")->size() == 1);

    auto strict = unlimited();
    strict.unknown_flux_as_400 = true;
    Chorus api400(strict);
    r = api400.post("/cpro/transverses/v1/consulterCRDetaille", json({{"numeroFluxDepot", "CPP0011110000000000099999"}}));
    CHECK(r.status == 400);
    CHECK(parse(r.body)->getValue<int>("codeRetour") == 20001);
}

TEST_CASE("chorus emulator: rechercher/fournisseur pages 23 invoices by 10, and filters", "[chorus][emulator]") {
    Chorus api;
    const auto ubl = sample("ubl-invoice.xml");
    std::vector<std::string> fluxes;
    for (int i = 1; i <= 23; ++i) {
        char number[24];
        std::snprintf(number, sizeof(number), "FA-2026-%04d", 100 + i);
        fluxes.push_back(api.deposit(replaced(ubl, "FA-2026-0001", number)));
    }
    api.process();
    const auto search = [&](int number, std::optional<int> size = std::nullopt) {
        Json block = new Poco::JSON::Object;
        block->set("pageResultatDemandee", number);
        if (size) block->set("nbResultatsParPage", *size);
        return api.ok("/cpro/factures/v1/rechercher/fournisseur", json({{"rechercheFactureParFournisseur", block}}));
    };
    const auto paging = [](const Json &b, const char *name) { return b->getObject("parametresRetour")->getValue<int>(name); };

    auto b = api.ok("/cpro/factures/v1/rechercher/fournisseur", "{}");
    CHECK(b->getArray("listeFactures")->size() == 10);
    CHECK(paging(b, "total") == 23);
    CHECK(paging(b, "pages") == 3);
    CHECK(paging(b, "pageCourante") == 1);
    CHECK(paging(b, "nbResultatsParPage") == 10);
    b = search(3);
    REQUIRE(b->getArray("listeFactures")->size() == 3);
    CHECK(b->getArray("listeFactures")->getObject(2)->getValue<std::string>("numeroFacture") == "FA-2026-0123");
    CHECK(paging(b, "pageCourante") == 3);
    b = search(4);
    CHECK(b->getArray("listeFactures")->size() == 0);
    CHECK(paging(b, "total") == 23);
    CHECK(paging(b, "pages") == 3);
    CHECK(paging(b, "pageCourante") == 4);
    b = search(1, 100);
    CHECK(b->getArray("listeFactures")->size() == 23);
    CHECK(paging(b, "pages") == 1);
    CHECK(paging(search(1, 100000), "nbResultatsParPage") == 500);
    CHECK(api.post("/cpro/factures/v1/rechercher/fournisseur",
                   json({{"rechercheFactureParFournisseur", page(0, 10)}})).status == 400);

    b = api.ok("/cpro/factures/v1/rechercher/fournisseur", json({{"numeroFacture", "FA-2026-0107"}}));
    REQUIRE(b->getArray("listeFactures")->size() == 1);
    CHECK(b->getArray("listeFactures")->getObject(0)->getValue<std::string>("numeroFluxDepot") == fluxes[6]);
    Poco::JSON::Array::Ptr statuses = new Poco::JSON::Array;
    statuses->add("MISE_A_DISPOSITION");
    CHECK(api.finds_nothing("/cpro/factures/v1/rechercher/fournisseur", json({{"statutCourant", statuses}}),
                            "listeFactures"));
    statuses->add("DEPOSEE");
    CHECK(api.ok("/cpro/factures/v1/rechercher/fournisseur", json({{"statutCourant", statuses}}))
              ->getObject("parametresRetour")->getValue<int>("total") == 23);
    CHECK(api.ok("/cpro/factures/v1/rechercher/fournisseur",
                 json({{"periodeDateDepotDu", "2026-03-02"}, {"periodeDateDepotAu", "2026-03-02"}}))
              ->getObject("parametresRetour")->getValue<int>("total") == 23);
    CHECK(api.finds_nothing("/cpro/factures/v1/rechercher/fournisseur", json({{"periodeDateDepotDu", "2026-03-03"}}),
                            "listeFactures"));
    CHECK(api.post("/cpro/factures/v1/rechercher/fournisseur", json({{"periodeDateDepotDu", "02/03/2026"}})).status == 400);
}

TEST_CASE("chorus emulator: structures are found by SIRET, private ones hidden unless asked, and consulted with their "
          "flags",
          "[chorus][emulator]") {
    Chorus api;
    const auto body_for = [](const std::string &siret, std::optional<bool> restrict_private) {
        Json structure = new Poco::JSON::Object;
        structure->set("identifiantStructure", siret);
        structure->set("typeIdentifiantStructure", "SIRET");
        Json body = new Poco::JSON::Object;
        body->set("structure", structure);
        if (restrict_private) body->set("restreindreStructuresPrivees", *restrict_private);
        std::ostringstream text;
        body->stringify(text);
        return text.str();
    };
    const auto search = [&](const std::string &siret, std::optional<bool> restrict_private = std::nullopt) {
        return api.ok("/cpro/structures/v1/rechercher", body_for(siret, restrict_private));
    };
    const auto none = [&](const std::string &siret, std::optional<bool> restrict_private = std::nullopt) {
        return api.finds_nothing("/cpro/structures/v1/rechercher", body_for(siret, restrict_private), "listeStructures");
    };
    auto b = search(kServiceCodeBuyerSiret);
    CHECK(b->getValue<std::string>("libelle") == "TRA_MSG_00.000");
    auto list = b->getArray("listeStructures");
    REQUIRE(list->size() == 1);
    CHECK(list->getObject(0)->getValue<std::int64_t>("idStructureCPP") == 26000102);
    CHECK(list->getObject(0)->get("identifiantStructure").isString());
    CHECK(list->getObject(0)->getValue<std::string>("identifiantStructure") == kServiceCodeBuyerSiret);
    CHECK(list->getObject(0)->getValue<std::string>("typeIdentifiantStructure") == "SIRET");
    CHECK(b->getObject("parametresRetour")->getValue<int>("total") == 1);

    CHECK(none("98765432100007"));
    CHECK(none("98765432100007", true));
    CHECK(search("98765432100007", false)->getArray("listeStructures")->size() == 1);
    CHECK(search(kSupplierSiret)->getArray("listeStructures")->size() == 1);  // the account's own
    CHECK(none("55544433300002"));

    const auto flags = [&](const std::string &body) {
        const auto consulted = api.ok("/cpro/structures/v1/consulter", body);
        CHECK(consulted->getValue<std::string>("libelle") == "GCU_MSG_01_000");
        return consulted;
    };
    auto consulted = flags(json({{"idStructureCPP", 26000102}, {"codeLangue", "FR"}}));
    CHECK(consulted->getObject("informationGenerales")->getValue<std::string>("identifiantStructure") == kServiceCodeBuyerSiret);
    CHECK(consulted->getObject("informationGenerales")->getValue<std::string>("structurePriveePublique") == "PUBLIQUE");
    auto p = consulted->getObject("parametres");
    CHECK(p->getValue<bool>("codeServiceDoitEtreRenseigne"));
    CHECK_FALSE(p->getValue<bool>("numeroEJDoitEtreRenseigne"));
    CHECK_FALSE(p->getValue<bool>("gestionNumeroEJOuCodeService"));
    p = flags(json({{"idStructure", 26000103}}))->getObject("parametres");  // go-cpro's name
    CHECK_FALSE(p->getValue<bool>("codeServiceDoitEtreRenseigne"));
    CHECK(p->getValue<bool>("numeroEJDoitEtreRenseigne"));
    CHECK(flags(json({{"idStructureCPP", 26000105}}))->getObject("parametres")->getValue<bool>("gestionNumeroEJOuCodeService"));
    CHECK(flags(json({{"idStructureCPP", 26000001}}))->getObject("informationGenerales")
              ->getValue<std::string>("structurePriveePublique") == "PRIVEE");
    auto r = api.post("/cpro/structures/v1/consulter", json({{"idStructureCPP", 42}}));
    CHECK(r.status == 400);
    CHECK(parse(r.body)->getValue<int>("codeRetour") != 0);
    CHECK(api.post("/cpro/structures/v1/consulter", "{}").status == 400);
}

TEST_CASE("chorus emulator: rechercher/services pages a structure's 25 services", "[chorus][emulator]") {
    Chorus api;
    const auto services = [&](const char *block, int number, int size) {
        return api.ok("/cpro/structures/v1/rechercher/services",
                      json({{"idStructure", 26000104}, {block, page(number, size)}}));
    };
    auto b = api.ok("/cpro/structures/v1/rechercher/services", json({{"idStructure", 26000104}}));
    CHECK(b->getArray("listeServices")->size() == 10);
    CHECK(b->getObject("parametresRetour")->getValue<int>("total") == 25);
    CHECK(b->getObject("parametresRetour")->getValue<int>("pages") == 3);
    b = services("parametresRechercherServicesStructure", 3, 10);
    REQUIRE(b->getArray("listeServices")->size() == 5);
    const auto last = b->getArray("listeServices")->getObject(4);
    CHECK(last->getValue<std::string>("codeService") == "SERVICE_24");
    CHECK(last->getValue<bool>("estActif"));
    CHECK(last->getValue<std::string>("dateDbtService").size() == 16);  // YYYY-MM-DD HH:MM
    CHECK(last->getValue<std::int64_t>("idService") > 0);
    CHECK_FALSE(last->getValue<std::string>("libelleService").empty());
    CHECK(services("parametres", 2, 20)->getArray("listeServices")->size() == 5);  // Pastell's block name
    CHECK(services("parametres", 1, 10000)->getArray("listeServices")->size() == 25);

    // The commune's closed service is listed, inactive.
    b = api.ok("/cpro/structures/v1/rechercher/services", json({{"idStructure", 26000101}}));
    bool closed_listed = false;
    const auto list = b->getArray("listeServices");
    for (unsigned i = 0; i < list->size(); ++i)
        if (list->getObject(i)->getValue<std::string>("codeService") == "ANCIEN_SERVICE")
            closed_listed = !list->getObject(i)->getValue<bool>("estActif");
    CHECK(closed_listed);
    CHECK(api.post("/cpro/structures/v1/rechercher/services", json({{"idStructure", 42}})).status == 400);
}

TEST_CASE("chorus emulator: the /cpro quota answers 429 at the 6th request in one second, with Retry-After",
          "[chorus][emulator]") {
    Chorus api(ChorusEmulatorOptions{});  // the default quotas: 5 per second, 50,000 per day
    for (int i = 0; i < 5; ++i) CHECK(api.post("/cpro/transverses/v1/recuperer/tauxtva", "{}").status == 200);
    auto r = api.post("/cpro/transverses/v1/recuperer/tauxtva", "{}");
    CHECK(r.status == 429);
    CHECK(r.header("Retry-After") == std::optional<std::string>("1"));
    CHECK(parse(r.body)->getValue<std::string>("error") == "Too Many Requests");
    // The token endpoint is not under the quota.
    CHECK(api.token_request({{"grant_type", "client_credentials"}, {"client_id", kClientId}, {"client_secret", kClientSecret}})
              .status == 200);
    api.advance(1s);
    CHECK(api.post("/cpro/transverses/v1/recuperer/tauxtva", "{}").status == 200);
    CHECK(api.emulator.server().max_requests_in_one_second("/cpro") == 6);

    api.emulator.set_quota(0, 0);
    for (int i = 0; i < 8; ++i) CHECK(api.post("/cpro/transverses/v1/recuperer/tauxtva", "{}").status == 200);
}

TEST_CASE("chorus emulator: a lost deposit answer leaves the flux recorded and the client with a transport error",
          "[chorus][emulator]") {
    Chorus api;
    const auto ubl = sample("ubl-invoice.xml");
    api.emulator.lose_deposit_answers(1);
    // A client of its own, so the deposit goes on a fresh connection whatever the client's
    // keep-alive policy: this test is about the answer being lost, not about resending.
    support::HttpClient fresh(api.client_options());
    CHECK_THROWS_AS(fresh.send(api.request("/cpro/factures/v1/deposer/flux", api.deposit_body(ubl, "facture.xml", kUbl))),
                    support::TransportError);
    CHECK(api.emulator.deposits() == 1);
    CHECK(api.emulator.deposits_by_file().begin()->second == 1);
    CHECK(api.emulator.server().count("POST", "/cpro/factures/v1/deposer/flux") == 1);

    // The next deposit is answered: the same file is now there twice.
    const auto number = api.deposit(ubl);
    CHECK(number == "CPP0011110000000000000002");
    CHECK(api.emulator.deposits_by_file().begin()->second == 2);
    const auto all = api.emulator.fluxes();
    REQUIRE(all.size() == 2);
    CHECK(all[0].number == "CPP0011110000000000000001");
    CHECK(all[0].file_sha256 == all[1].file_sha256);
}

TEST_CASE("chorus emulator: every search that finds nothing answers in the chosen \"no result\" form",
          "[chorus][emulator]") {
    struct Search {
        const char *path;
        std::string body;
        const char *list;
    };
    const std::vector<Search> searches{
        {"/cpro/factures/v1/rechercher/fournisseur", json({{"numeroFacture", "FA-NULLE-PART"}}), "listeFactures"},
        {"/cpro/structures/v1/rechercher", R"({"structure":{"identifiantStructure":"55544433300002"}})", "listeStructures"},
        // The supplier's own structure has no service.
        {"/cpro/structures/v1/rechercher/services", json({{"idStructure", 26000001}}), "listeServices"},
    };
    const auto forms = {NoResultForm::code_20000, NoResultForm::empty_list, NoResultForm::http_400_20000};
    for (const auto form : forms) {
        auto options = unlimited();
        options.no_result = form;
        Chorus api(options);
        for (const auto &search : searches) {
            const auto r = api.post(search.path, search.body);
            INFO(search.path << " answered " << r.status << " " << r.body);
            const auto b = parse(r.body);
            switch (form) {
            case NoResultForm::code_20000:
            case NoResultForm::http_400_20000:
                CHECK(r.status == (form == NoResultForm::code_20000 ? 200 : 400));
                CHECK(b->getValue<int>("codeRetour") == 20000);
                CHECK(b->getValue<std::string>("libelle").rfind("TRA_MSG_00.015", 0) == 0);
                CHECK_FALSE(b->has(search.list));
                break;
            case NoResultForm::empty_list:
                CHECK(r.status == 200);
                CHECK(b->getValue<int>("codeRetour") == 0);
                REQUIRE(b->getArray(search.list));
                CHECK(b->getArray(search.list)->size() == 0);
                CHECK(b->getObject("parametresRetour")->getValue<int>("total") == 0);
                break;
            }
        }
    }

    // Switched at run time; a page past the last of a search that found something stays an
    // empty page with codeRetour 0.
    Chorus api;
    api.emulator.set_no_result_form(NoResultForm::empty_list);
    CHECK(api.ok(searches[0].path, searches[0].body)->getArray("listeFactures")->size() == 0);
    api.emulator.set_no_result_form(NoResultForm::code_20000);
    CHECK(api.finds_nothing(searches[0].path, searches[0].body, "listeFactures"));
    const auto past = api.ok("/cpro/structures/v1/rechercher/services",
                             json({{"idStructure", 26000104}, {"parametres", page(9, 10)}}));
    CHECK(past->getArray("listeServices")->size() == 0);
    CHECK(past->getObject("parametresRetour")->getValue<int>("total") == 25);
}

TEST_CASE("chorus emulator: injected answers are the failures of the reference, in place of the endpoint's",
          "[chorus][emulator]") {
    Chorus api;
    const std::string search = "/cpro/factures/v1/rechercher/fournisseur";
    api.emulator.inject(InjectedAnswer::technical_account_refused().under(search));
    api.emulator.inject(InjectedAnswer::forbidden().under(search));
    api.emulator.inject(InjectedAnswer::business_error(20002, "20002 - Le champ numeroFacture est invalide").under(search));
    api.emulator.inject(InjectedAnswer::too_large().under("/cpro/factures/v1/deposer/flux"));
    api.emulator.inject(InjectedAnswer::too_many_requests(0s).under(search));
    api.emulator.inject(InjectedAnswer::gateway_error(502, true).under(search));
    api.emulator.inject(InjectedAnswer::gateway_error(503, false).under(search));

    // Another path is not concerned.
    CHECK(api.post("/cpro/structures/v1/rechercher", "{}").status == 200);
    auto r = api.post(search, "{}");
    CHECK(r.status == 401);
    CHECK(r.header("WWW-Authenticate") ==
          std::optional<std::string>(R"(Bearer realm="PISTE",error="Unauthorized",error_description="login or password incorrects")"));
    CHECK(r.body.empty());
    r = api.post(search, "{}");
    CHECK(r.status == 403);
    CHECK(r.body.empty());
    r = api.post(search, "{}");
    CHECK(r.status == 400);
    CHECK(parse(r.body)->getValue<int>("codeRetour") == 20002);
    CHECK(parse(r.body)->getValue<std::string>("libelle") == "20002 - Le champ numeroFacture est invalide");
    r = api.deposit_raw(sample("ubl-invoice.xml"), "facture.xml", kUbl);
    CHECK(r.status == 413);
    CHECK(api.emulator.deposits() == 0);  // not processed
    r = api.post(search, "{}");
    CHECK(r.status == 429);
    CHECK_FALSE(r.header("Retry-After"));
    r = api.post(search, "{}");
    CHECK(r.status == 502);
    CHECK(r.body.find("<html>") == 0);
    r = api.post(search, "{}");
    CHECK(r.status == 503);
    CHECK(r.body.empty());
    // Used up: the endpoint answers again.
    CHECK(api.finds_nothing(search, "{}", "listeFactures"));
}

TEST_CASE("chorus emulator: integrated invoices move to payment on its clock, or follow the plan given to their number",
          "[chorus][emulator][statuses]") {
    Chorus api;  // processing 30 s: DEPOSEE at 30 s, MISE_A_DISPOSITION at 60 s, paid 600 s later
    const auto ubl = sample("ubl-invoice.xml");
    const auto invoice = [&](const std::string &number) { return replaced(ubl, "FA-2026-0001", number); };
    api.emulator.plan_invoice("FA-2026-0202", plan_rejected(5min, 1h, "Montant errone"));
    api.deposit(invoice("FA-2026-0201"));
    api.deposit(invoice("FA-2026-0202"));
    api.deposit(invoice("FA-2026-0203"));
    // A plan given after the deposit applies as well, counted from the integration.
    api.emulator.plan_invoice("FA-2026-0203",
                              {{"EN_COURS_ACHEMINEMENT", 1min, ""}, {"MISE_A_DISPOSITION", 1min, ""},
                               {"SUSPENDUE", 10min, "Bon de commande absent"}, {"COMPLETEE", 1h, ""},
                               {"MISE_EN_PAIEMENT", 1h, ""}});
    const auto history = [&](std::int64_t id) {
        return api.ok("/cpro/factures/v1/consulter/historique", json({{"idFacture", id}}));
    };
    const auto current = [&](std::int64_t id) { return history(id)->getValue<std::string>("statutCourantCode"); };

    api.process();
    CHECK(current(3125108) == "DEPOSEE");
    CHECK(current(3125109) == "DEPOSEE");
    CHECK(current(3125110) == "DEPOSEE");
    api.advance(1min);
    CHECK(current(3125108) == "MISE_A_DISPOSITION");
    CHECK(current(3125109) == "DEPOSEE");
    CHECK(current(3125110) == "EN_COURS_ACHEMINEMENT");
    api.advance(10min);
    CHECK(current(3125108) == "MISE_EN_PAIEMENT");
    CHECK(current(3125109) == "MISE_A_DISPOSITION");
    CHECK(current(3125110) == "MISE_A_DISPOSITION");
    api.advance(2min);
    CHECK(current(3125110) == "SUSPENDUE");
    api.advance(3h);
    api.token = api.new_token();  // the first one lived an hour
    CHECK(current(3125109) == "REJETEE");
    CHECK(current(3125110) == "MISE_EN_PAIEMENT");
    api.advance(24h);
    api.token = api.new_token();
    CHECK(current(3125108) == "MISE_EN_PAIEMENT");  // the last status stays

    // The full history, newest first, each status with its own id and, for a rejection, its reason.
    const auto rejected = history(3125109)->getObject("historiquesDesStatuts")->getArray("histoStatut");
    REQUIRE(rejected->size() == 3);
    CHECK(rejected->getObject(0)->getValue<std::string>("histoStatutCode") == "REJETEE");
    CHECK(rejected->getObject(0)->getValue<std::string>("histoStatutCommentaire") == "Montant errone");
    CHECK(rejected->getObject(1)->getValue<std::string>("histoStatutCode") == "MISE_A_DISPOSITION");
    CHECK(rejected->getObject(2)->getValue<std::string>("histoStatutCode") == "DEPOSEE");
    std::set<std::int64_t> ids;
    for (std::size_t i = 0; i < rejected->size(); ++i) ids.insert(rejected->getObject(i)->getValue<std::int64_t>("histoStatutId"));
    CHECK(ids.size() == 3);
    const auto suspended = history(3125110)->getObject("historiquesDesStatuts")->getArray("histoStatut");
    CHECK(suspended->size() == 6);
    CHECK(suspended->getObject(2)->getValue<std::string>("histoStatutCommentaire") == "Bon de commande absent");

    // The search says the same, with the reason as commentaireEtatCourant.
    const auto found = api.ok("/cpro/factures/v1/rechercher/fournisseur", json({{"numeroFacture", "FA-2026-0202"}}));
    const auto item = found->getArray("listeFactures")->getObject(0);
    CHECK(item->getValue<std::string>("statut") == "REJETEE");
    CHECK(item->getValue<std::string>("commentaireEtatCourant") == "Montant errone");
    // 10:00:00 deposit, 10:00:30 integrated, 10:05:30 available, 11:05:30 rejected (UTC).
    CHECK(item->getValue<std::string>("dateHeureEtatCourant") == "2026-03-02T12:05:30.000+01:00");
}

TEST_CASE("chorus emulator: rechercher/fournisseur filters by status and by the dates of deposit, invoice and current "
          "status, and pages what it finds",
          "[chorus][emulator][statuses]") {
    Chorus api;
    const auto ubl = sample("ubl-invoice.xml");
    for (int i = 1; i <= 12; ++i) {
        char number[24];
        std::snprintf(number, sizeof(number), "FA-2026-%04d", 300 + i);
        if (i % 3 == 0) api.emulator.plan_invoice(number, plan_available_only(1h));
        api.deposit(replaced(ubl, "FA-2026-0001", number));
    }
    api.process();
    api.advance(1min);  // 10:01:30: 8 available (MISE_A_DISPOSITION at 10:01:00), 4 DEPOSEE
    const auto total = [&](std::initializer_list<std::pair<std::string, Poco::Dynamic::Var>> fields) {
        const auto r = api.post("/cpro/factures/v1/rechercher/fournisseur", json(fields));
        INFO(r.body);
        REQUIRE(r.status == 200);
        const auto b = parse(r.body);
        return b->has("parametresRetour") ? b->getObject("parametresRetour")->getValue<int>("total") : 0;
    };
    Poco::JSON::Array::Ptr available = new Poco::JSON::Array;
    available->add("MISE_A_DISPOSITION");
    CHECK(total({{"statutCourant", available}}) == 8);
    Poco::JSON::Array::Ptr deposited = new Poco::JSON::Array;
    deposited->add("DEPOSEE");
    CHECK(total({{"statutCourant", deposited}}) == 4);

    // Current status since a moment: written as a date and time (any offset) or as a day.
    CHECK(total({{"periodeDateHeureEtatCourantDu", "2026-03-02T11:00:45+01:00"}}) == 8);
    CHECK(total({{"periodeDateHeureEtatCourantDu", "2026-03-02T10:00:45Z"}}) == 8);
    CHECK(total({{"periodeDateHeureEtatCourantDu", "2026-03-02T10:00:00.000Z"}}) == 12);
    CHECK(total({{"periodeDateHeureEtatCourantAu", "2026-03-02T10:00:45Z"}}) == 4);
    CHECK(total({{"periodeDateHeureEtatCourantDu", "2026-03-02"}, {"periodeDateHeureEtatCourantAu", "2026-03-02"}}) ==
          12);
    CHECK(total({{"periodeDateHeureEtatCourantDu", "2026-03-03"}}) == 0);
    CHECK(total({{"periodeDateFactureDu", "2026-03-02"}, {"periodeDateFactureAu", "2026-03-02"}}) == 12);
    CHECK(total({{"periodeDateFactureAu", "2026-03-01"}}) == 0);
    // Status and dates together, paged by 5.
    Json block = page(2, 5);
    const auto b = api.ok("/cpro/factures/v1/rechercher/fournisseur",
                          json({{"statutCourant", available}, {"periodeDateDepotDu", "2026-03-02"},
                                {"periodeDateHeureEtatCourantDu", "2026-03-02T10:00:45Z"},
                                {"rechercheFactureParFournisseur", block}}));
    CHECK(b->getArray("listeFactures")->size() == 3);
    CHECK(b->getObject("parametresRetour")->getValue<int>("pages") == 2);
    CHECK(b->getObject("parametresRetour")->getValue<int>("total") == 8);

    for (const char *bad : {"02/03/2026", "2026-03-02T25:00Z", "2026-03-02T10:00+1", "2026-02-30"}) {
        INFO(bad);
        const auto r = api.post("/cpro/factures/v1/rechercher/fournisseur", json({{"periodeDateHeureEtatCourantDu", bad}}));
        CHECK(r.status == 400);
        CHECK_THAT(parse(r.body)->getValue<std::string>("libelle"), Catch::Contains("periodeDateHeureEtatCourantDu"));
    }
}
