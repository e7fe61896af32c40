// The read actions against the emulator: structures and their requirements, services and
// invoices past the first page, processing reports and status histories.
#include "chorus_harness.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

using namespace relais;
using namespace relais::test;
namespace ce = relais::chorus_emulator;

TEST_CASE("chorus find_structure: the id and what the customer requires before an invoice is sent", "[chorus]") {
    ChorusHarness h;
    auto s = h.ok("find_structure", std::string(R"({"siret":")") + ce::kBuyerSiret + "\"}");
    CHECK(s->getValue<int64_t>("structure_id") == 26000101);
    CHECK(s->getValue<std::string>("requirement") == "none");
    CHECK_FALSE(s->getValue<bool>("service_code_required"));
    CHECK(s->getValue<bool>("public"));

    s = h.ok("find_structure", std::string(R"({"siret":")") + ce::kServiceCodeBuyerSiret + "\"}");
    CHECK(s->getValue<bool>("service_code_required"));
    CHECK(s->getValue<std::string>("requirement") == "service");
    s = h.ok("find_structure", std::string(R"({"siret":")") + ce::kCommitmentBuyerSiret + "\"}");
    CHECK(s->getValue<bool>("commitment_number_required"));
    CHECK(s->getValue<std::string>("requirement") == "commitment");
    s = h.ok("find_structure", std::string(R"({"siret":")") + ce::kEitherBuyerSiret + "\"}");
    CHECK(s->getValue<std::string>("requirement") == "service_or_commitment");

    // Spaces as typed in an ERP form are fine; a wrong length costs no request.
    const auto before = h.emulator().api_requests();
    auto r = h.call("find_structure", R"({"siret":"210 000 001"})");
    CHECK(r.status == RELAIS_INVALID_INPUT);
    CHECK_THAT(r.message, Catch::Contains("14 digits"));
    CHECK(h.emulator().api_requests() == before);

    r = h.call("find_structure", R"({"siret":"99999999999999"})");
    CHECK(r.status == RELAIS_NOT_FOUND);
    CHECK_THAT(r.message, Catch::Contains("99999999999999"));
}

TEST_CASE("chorus list_services: every page, not only the first ten", "[chorus]") {
    ChorusHarness h;
    const auto before = h.emulator().server().count("POST", "/cpro/structures/v1/rechercher/services");
    auto r = h.ok("list_services", std::string(R"({"siret":")") + ce::kManyServicesBuyerSiret + R"(","page_size":10})");
    CHECK(r->getArray("services")->size() == 25);
    CHECK(h.emulator().server().count("POST", "/cpro/structures/v1/rechercher/services") - before == 3);

    r = h.ok("list_services", R"({"structure_id":26000101})");
    bool reserved_flagged = false;
    const auto services = r->getArray("services");
    for (std::size_t i = 0; i < services->size(); ++i) {
        const auto s = services->getObject(i);
        if (s->getValue<std::string>("code") == "FACTURES_PUBLIQUES")
            reserved_flagged = s->getValue<bool>("public_entities_only");
    }
    CHECK(reserved_flagged);
    CHECK(h.call("list_services", "{}").status == RELAIS_INVALID_INPUT);
}

TEST_CASE("chorus search_invoices: all 23 invoices come back through pages of 10", "[chorus]") {
    ChorusHarness h({.processing_delay = std::chrono::seconds(30)});
    for (int i = 1; i <= 23; ++i) {
        const auto number = "FA-2026-" + std::to_string(1000 + i);
        const auto input = submit_input(number, sample_ubl(number));
        auto o = parse(input);
        o->set("track", false);
        std::ostringstream text;
        o->stringify(text);
        h.ok("submit_invoice", text.str());
    }
    h.clock().advance(std::chrono::minutes(2));  // integrated, invoices created
    const auto before = h.emulator().server().count("POST", "/cpro/factures/v1/rechercher/fournisseur");
    const auto r = h.ok("search_invoices", R"({"page_size":10})");
    const auto invoices = r->getArray("invoices");
    CHECK(invoices->size() == 23);
    CHECK(r->getValue<int64_t>("total") == 23);
    CHECK(h.emulator().server().count("POST", "/cpro/factures/v1/rechercher/fournisseur") - before == 3);
    std::set<std::string> numbers;
    for (std::size_t i = 0; i < invoices->size(); ++i) numbers.insert(invoices->getObject(i)->getValue<std::string>("invoice_number"));
    CHECK(numbers.size() == 23);

    // A cap stops early and says so.
    const auto capped = h.ok("search_invoices", R"({"page_size":10,"max_results":15})");
    CHECK(capped->getArray("invoices")->size() == 15);
    CHECK(capped->getValue<bool>("truncated"));

    // One invoice by number, then its history.
    const auto one = h.ok("search_invoices", R"({"invoice_number":"FA-2026-1007"})")->getArray("invoices");
    REQUIRE(one->size() == 1);
    const auto id = one->getObject(0)->getValue<int64_t>("invoice_id");
    const auto history = h.ok("invoice_status", R"({"invoice_id":)" + std::to_string(id) + "}");
    CHECK(history->getValue<std::string>("invoice_number") == "FA-2026-1007");
    CHECK_FALSE(history->getValue<std::string>("status").empty());
    CHECK(history->getArray("history")->size() >= 1);
}

TEST_CASE("chorus flux_status: the report moves with time, and an unknown flux is not_found", "[chorus]") {
    ChorusHarness h({.processing_delay = std::chrono::seconds(30)});
    const auto submitted = h.ok("submit_invoice", submit_input("FA-2026-0001", sample_ubl(), "ubl", false));
    const auto flux = submitted->getValue<std::string>("flux_number");
    CHECK(flux.size() == 25);
    CHECK(flux.rfind("CPP001", 0) == 0);

    auto report = h.ok("flux_status", R"({"flux_number":")" + flux + "\"}");
    CHECK(report->getValue<std::string>("chorus_state") == "IN_RECU");
    CHECK(report->getValue<std::string>("state") == "received");
    CHECK_FALSE(report->getValue<bool>("final"));
    h.clock().advance(std::chrono::seconds(15));
    report = h.ok("flux_status", R"({"flux_number":")" + flux + "\"}");
    CHECK(report->getValue<std::string>("state") == "processing");
    h.clock().advance(std::chrono::seconds(30));
    report = h.ok("flux_status", R"({"flux_number":")" + flux + "\"}");
    CHECK(report->getValue<std::string>("chorus_state") == "IN_INTEGRE");
    CHECK(report->getValue<bool>("final"));

    const auto r = h.call("flux_status", R"({"flux_number":"CPP0011110000000099999999"})");
    CHECK(r.status == RELAIS_NOT_FOUND);
    CHECK_THAT(r.message, Catch::Contains("Flux introuvable"));
    CHECK(h.call("invoice_status", R"({"invoice_id":999999999})").status == RELAIS_PERMANENT);
}

TEST_CASE("chorus searches: every form of \"no result\" reads as nothing found, in every search", "[chorus]") {
    const auto form = GENERATE(ce::NoResultForm::code_20000, ce::NoResultForm::empty_list,
                               ce::NoResultForm::http_400_20000);
    INFO("no-result form " << static_cast<int>(form));
    ChorusHarness h;
    h.emulator().set_no_result_form(form);

    auto r = h.call("find_structure", R"({"siret":"55544433300002"})");
    CHECK(r.status == RELAIS_NOT_FOUND);
    CHECK_THAT(r.message, Catch::Contains("55544433300002"));
    // The supplier's own structure has no service.
    auto services = h.ok("list_services", R"({"structure_id":26000001})");
    CHECK(services->getArray("services")->size() == 0);
    CHECK(services->getValue<int64_t>("total") == 0);
    auto invoices = h.ok("search_invoices", R"({"invoice_number":"FA-NULLE-PART"})");
    CHECK(invoices->getArray("invoices")->size() == 0);
    CHECK(invoices->getValue<int64_t>("total") == 0);
    CHECK_FALSE(invoices->getValue<bool>("truncated"));
}

TEST_CASE("chorus searches: the other shapes of \"no result\", and what is not one", "[chorus]") {
    ChorusHarness h;
    const std::string search = "/cpro/factures/v1/rechercher/fournisseur";
    const auto injected = [&](int status, const std::string &body) {
        ce::InjectedAnswer a;
        a.status = status;
        a.body = body;
        a.content_type = "application/json;charset=UTF-8";
        h.emulator().inject(a.under(search));
    };
    const auto found = [&] { return h.ok("search_invoices", R"({"invoice_number":"FA-1"})")->getArray("invoices")->size(); };

    // 20000 beside an empty list; codeRetour 0 without any list; 20007 (the facturesTravaux
    // searches' "no result"), as 200 and as 400.
    injected(200, R"({"codeRetour":20000,"libelle":"TRA_MSG_00.015","listeFactures":[]})");
    CHECK(found() == 0);
    injected(200, R"({"codeRetour":0,"libelle":"TRA_MSG_00.000"})");
    CHECK(found() == 0);
    h.emulator().inject(ce::InjectedAnswer::business_error(20007, "GFT_MSG_01.075", 200).under(search));
    CHECK(found() == 0);
    h.emulator().inject(ce::InjectedAnswer::business_error(20007, "GFT_MSG_01.075").under(search));
    CHECK(found() == 0);

    // Any other refusal is one, whatever its HTTP status.
    h.emulator().inject(ce::InjectedAnswer::business_error(20002, "20002 - numeroFacture invalide", 200).under(search));
    auto r = h.call("search_invoices", R"({"invoice_number":"FA-1"})");
    CHECK(r.status == RELAIS_PERMANENT);
    CHECK_THAT(r.message, Catch::Contains("numeroFacture invalide"));
    h.emulator().inject(ce::InjectedAnswer::business_error(20002, "20002 - numeroFacture invalide").under(search));
    CHECK(h.call("search_invoices", R"({"invoice_number":"FA-1"})").status == RELAIS_PERMANENT);
    // An answer that contradicts itself is not taken for "nothing": it is asked again later.
    injected(200, R"({"codeRetour":0,"libelle":"TRA_MSG_00.000","parametresRetour":{"pages":1,"total":2}})");
    r = h.call("search_invoices", R"({"invoice_number":"FA-1"})");
    CHECK(r.status == RELAIS_TRANSIENT);
    CHECK_THAT(r.message, Catch::Contains("listeFactures"));
    injected(200, R"({"codeRetour":0,"libelle":"TRA_MSG_00.000","listeFactures":"aucune"})");
    CHECK(h.call("search_invoices", R"({"invoice_number":"FA-1"})").status == RELAIS_TRANSIENT);

    // The same reading for the structures: 400 + 20000 is "no such SIRET".
    h.emulator().set_no_result_form(ce::NoResultForm::http_400_20000);
    r = h.call("find_structure", R"({"siret":"55544433300002"})");
    CHECK(r.status == RELAIS_NOT_FOUND);
    // And a structure that does exist is still found.
    CHECK(h.ok("find_structure", std::string(R"({"siret":")") + ce::kBuyerSiret + "\"}")->getValue<int64_t>("structure_id") ==
          26000101);
}
