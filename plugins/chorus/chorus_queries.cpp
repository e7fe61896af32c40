#include "chorus_queries.hpp"

#include "chorus_input.hpp"
#include "chorus_states.hpp"

#include <relais/support/json.hpp>

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <regex>

namespace relais::chorus {

using support::array_at;
using support::bool_at;
using support::integer_at;
using support::object_at;
using support::object_in;
using support::string_at;
using JsonArray = Poco::JSON::Array::Ptr;

namespace {

std::string required_text(const Json &input, const char *key) {
    auto v = text_field(input, key);
    if (v.empty()) throw invalid_input(std::string(key) + " is required");
    return v;
}

int64_t number(const Json &input, const char *key, int64_t fallback, int64_t min, int64_t max) {
    if (!input->has(key) || input->isNull(key)) return fallback;
    const auto v = input->get(key);
    if (!v.isInteger()) throw invalid_input(std::string(key) + " must be an integer");
    const auto n = v.convert<int64_t>();
    if (n < min || n > max)
        throw invalid_input(std::string(key) + " must be between " + std::to_string(min) + " and " + std::to_string(max));
    return n;
}

std::string checked_siret(const std::string &raw) {
    std::string siret;
    for (const char c : raw)
        if (c != ' ') siret += c;
    if (siret.size() != 14 || !std::all_of(siret.begin(), siret.end(), [](unsigned char c) { return std::isdigit(c); }))
        throw invalid_input("siret '" + raw + "' must be 14 digits");
    return siret;
}

// Copies `from[key]` to `to[as]` when present.
void copy(const Json &from, const char *key, Json &to, const char *as) {
    if (from && from->has(key) && !from->isNull(key)) to->set(as, from->get(key));
}

Json page_block(int page, int size) {
    Json p = new Poco::JSON::Object;
    p->set("pageResultatDemandee", page);
    p->set("nbResultatsParPage", size);
    return p;
}

Json invoice_summary(const Json &item) {
    Json o = new Poco::JSON::Object;
    copy(item, "identifiantFactureCPP", o, "invoice_id");
    copy(item, "numeroFacture", o, "invoice_number");
    copy(item, "numeroFluxDepot", o, "flux_number");
    // The reference shows "statut"; consulter/fournisseur names it statutFacture and the
    // search's criterion is statutCourant: whichever comes is read.
    std::string statut;
    for (const char *name : {"statut", "statutFacture", "statutCourant", "statutCourantCode"})
        if (statut.empty()) statut = string_at(item, name).value_or("");
    if (!statut.empty()) o->set("status", statut);
    o->set("final", invoice_status_is_final(statut));
    copy(item, "dateDepot", o, "deposit_date");
    copy(item, "dateFacture", o, "invoice_date");
    copy(item, "dateHeureEtatCourant", o, "status_changed_at");
    copy(item, "idDestinataire", o, "recipient_id");
    copy(item, "codeDestinataire", o, "recipient_code");
    copy(item, "designationDestinataire", o, "recipient_name");
    copy(item, "codeServiceExecutant", o, "service_code");
    copy(item, "typeFacture", o, "type");
    copy(item, "montantHT", o, "amount_excl_tax");
    copy(item, "montantTTC", o, "amount_incl_tax");
    copy(item, "montantAPayer", o, "amount_due");
    copy(item, "devise", o, "currency");
    copy(item, "commentaireEtatCourant", o, "comment");
    return o;
}

// codeRetour values meaning "the search found nothing". 20000 (TRA_MSG_00.015, "La recherche
// n'a retourné aucun résultat") is what Pastell sees; 20007 (GFT_MSG_01.075) is the same answer
// from the facturesTravaux searches. Which searches use which is not documented, so all of
// them read both.
bool means_no_result(int64_t code) { return code == 20000 || code == 20007; }

Json answer_detail(const Answer &answer) {
    Json detail = new Poco::JSON::Object;
    detail->set("http_status", answer.http_status);
    if (answer.code != 0) detail->set("codeRetour", answer.code);
    if (!answer.libelle.empty()) detail->set("libelle", answer.libelle);
    return detail;
}

}  // namespace

Queries::SearchPage read_search_answer(const Answer &answer, const char *list_name, const std::string &what) {
    // "No result" comes as 200 + codeRetour 0 with an empty or absent list, as 200 + 20000
    // (with or without a list), or as 400 + 20000 (business codes sometimes come as 400).
    const bool no_result = means_no_result(answer.code);
    if (!no_result && (answer.code != 0 || answer.http_status != 200))
        throw permanent(what + " refused by Chorus Pro: " + answer.libelle + " (HTTP " +
                            std::to_string(answer.http_status) + ", codeRetour " + std::to_string(answer.code) + ")",
                        answer_detail(answer));
    if (!answer.body) throw transient(what + ": empty answer (HTTP " + std::to_string(answer.http_status) + ")");
    const auto &body = answer.body;
    const auto list = array_at(body, list_name);
    if (!list && body->has(list_name) && !body->isNull(list_name))
        throw transient(what + ": the answer's " + list_name + " is not a list");
    const auto paging = object_at(body, "parametresRetour");
    Queries::SearchPage page;
    page.items = new Poco::JSON::Array;
    page.total = integer_at(paging, "total");
    // A list beside a "no result" code is read all the same: an invoice it shows exists, and
    // must not be deposited a second time.
    for (std::size_t i = 0; list && i < list->size(); ++i)
        if (const auto item = object_in(list, i)) page.items->add(item);
    if (no_result) return page;  // pages stays 1: nothing further to ask for
    if (!list && page.total.value_or(0) > 0)
        throw transient(what + ": the answer counts " + std::to_string(*page.total) + " result(s) but has no " +
                        list_name);
    page.pages = integer_at(paging, "pages").value_or(1);
    return page;
}

Queries::SearchPage Queries::search_page(const std::string &path, const Json &request, const char *list_name,
                                         const Call &call, const std::string &what) {
    return read_search_answer(api_->post_envelope(path, request, call, what), list_name, what);
}

Json Queries::flux_report(const std::string &flux_number, const Call &call) {
    Json request = new Poco::JSON::Object;
    request->set("numeroFluxDepot", flux_number);
    const std::string what = "Chorus Pro consulterCRDetaille of flux " + flux_number;
    const auto answer = api_->post_envelope("transverses/v1/consulterCRDetaille", request, call, what);
    if (answer.code == 20001)
        throw not_found(what + ": Chorus Pro does not know this flux (" + answer.libelle + ")");
    if (answer.code != 0)
        throw permanent(what + " refused: " + answer.libelle + " (codeRetour " + std::to_string(answer.code) + ")");
    const auto &r = answer.body;
    const auto etat = string_at(r, "etatCourantDepotFlux").value_or("");
    const auto phase = flux_phase(etat);
    Json o = new Poco::JSON::Object;
    o->set("flux_number", flux_number);
    o->set("state", to_string(phase));
    o->set("final", is_final(phase));
    o->set("chorus_state", etat);
    copy(r, "dateDepotFlux", o, "deposited_at");
    copy(r, "dateHeureEtatCourantFlux", o, "state_changed_at");
    copy(r, "nomFichier", o, "file_name");
    copy(r, "codeInterfaceDepotFlux", o, "interface");
    Poco::JSON::Array::Ptr errors = new Poco::JSON::Array;
    const auto dp = array_at(r, "listeErreurDP");
    for (std::size_t i = 0; dp && i < dp->size(); ++i) {
        const auto e = object_in(dp, i);
        if (!e) continue;
        Json x = new Poco::JSON::Object;
        copy(e, "numeroDP", x, "invoice_number");
        copy(e, "identifiantFournisseur", x, "supplier");
        copy(e, "identifiantDestinataire", x, "recipient");
        copy(e, "libelleErreurDP", x, "message");
        errors->add(x);
    }
    const auto technical = array_at(r, "listeErreurTechnique");
    for (std::size_t i = 0; technical && i < technical->size(); ++i) {
        const auto e = object_in(technical, i);
        if (!e) continue;
        Json x = new Poco::JSON::Object;
        copy(e, "codeErreur", x, "code");
        copy(e, "natureErreur", x, "nature");
        copy(e, "libelleErreur", x, "message");
        errors->add(x);
    }
    o->set("errors", errors);
    // OCA keeps a libelle other than the usual success code as a note: it may say why.
    const auto libelle = string_at(r, "libelle").value_or("");
    if (!libelle.empty() && libelle != "TRA_MSG_00.000" && libelle != "GCU_MSG_01_000") o->set("note", libelle);
    return o;
}

Json Queries::flux_status(const Json &input, const Call &call) {
    return flux_report(required_text(input, "flux_number"), call);
}

Json Queries::invoice_status(const Json &input, const Call &call) {
    const auto id = number(input, "invoice_id", -1, 1, INT64_MAX);
    if (id < 0) throw invalid_input("invoice_id is required (identifiantFactureCPP, from search_invoices)");
    Json request = new Poco::JSON::Object;
    request->set("idFacture", id);
    request->set("nbResultatsMaximum", 100);
    const auto r = api_->post("factures/v1/consulter/historique", request, call,
                              "Chorus Pro consulter/historique of invoice " + std::to_string(id));
    Json o = new Poco::JSON::Object;
    o->set("invoice_id", integer_at(r, "idFacture").value_or(id));
    copy(r, "numeroFacture", o, "invoice_number");
    copy(r, "statutCourantCode", o, "status");
    o->set("final", invoice_status_is_final(string_at(r, "statutCourantCode").value_or("")));
    copy(r, "modeDepot", o, "deposit_mode");
    Poco::JSON::Array::Ptr history = new Poco::JSON::Array;
    const auto items = array_at(object_at(r, "historiquesDesStatuts"), "histoStatut");
    for (std::size_t i = 0; items && i < items->size(); ++i) {
        const auto h = object_in(items, i);
        if (!h) continue;
        Json x = new Poco::JSON::Object;
        copy(h, "histoStatutCode", x, "status");
        copy(h, "histoStatutDatePassage", x, "at");
        copy(h, "histoStatutCommentaire", x, "comment");
        history->add(x);
    }
    o->set("history", history);  // newest first, as Chorus Pro gives it
    return o;
}

Json Queries::invoices(const Json &criteria, int page_size, int max_results, const Call &call) {
    Poco::JSON::Array::Ptr found = new Poco::JSON::Array;
    int64_t total = 0;
    int page = 1;
    int64_t pages = 1;
    bool truncated = false;
    for (; page <= pages; ++page) {
        if (call.cancelled()) throw transient("search_invoices: stopped after page " + std::to_string(page - 1));
        Json request = support::deep_copy(criteria);
        request->set("rechercheFactureParFournisseur", page_block(page, page_size));
        const auto r = search_page("factures/v1/rechercher/fournisseur", request, "listeFactures", call,
                                   "Chorus Pro rechercher/fournisseur (page " + std::to_string(page) + ")");
        pages = r.pages;
        total = r.total.value_or(total);
        const auto &list = r.items;
        for (std::size_t i = 0; i < list->size(); ++i) {
            if (static_cast<int>(found->size()) >= max_results) {
                truncated = true;
                break;
            }
            found->add(invoice_summary(object_in(list, i)));
        }
        if (truncated || list->size() == 0) break;
    }
    Json o = new Poco::JSON::Object;
    o->set("invoices", found);
    o->set("total", std::max<int64_t>(total, static_cast<int64_t>(found->size())));
    o->set("pages_read", std::min<int64_t>(page, pages));
    o->set("truncated", truncated);
    return o;
}

Json Queries::search_invoices(const Json &input, const Call &call) {
    Json criteria = new Poco::JSON::Object;
    if (auto v = text_field(input, "flux_number"); !v.empty()) criteria->set("numeroFluxDepot", v);
    if (auto v = text_field(input, "invoice_number"); !v.empty()) criteria->set("numeroFacture", v);
    static const std::regex date(R"(\d{4}-\d{2}-\d{2})");
    for (const auto &[key, field] : {std::pair{"deposited_from", "periodeDateDepotDu"}, {"deposited_to", "periodeDateDepotAu"}}) {
        const auto v = text_field(input, key);
        if (v.empty()) continue;
        if (!std::regex_match(v, date)) throw invalid_input(std::string(key) + " must be a date YYYY-MM-DD");
        criteria->set(field, v);
    }
    if (input->has("statuses")) {
        const auto statuses = input->getArray("statuses");
        if (!statuses) throw invalid_input("statuses must be an array of Chorus Pro invoice statuses");
        criteria->set("statutCourant", statuses);
    }
    const auto page_size = static_cast<int>(number(input, "page_size", 100, 1, 500));
    const auto max_results = static_cast<int>(number(input, "max_results", 1000, 1, 100000));
    return invoices(criteria, page_size, max_results, call);
}

Json Queries::structure_by_siret(const std::string &siret, const Call &call) {
    Json structure = new Poco::JSON::Object;
    structure->set("identifiantStructure", siret);
    structure->set("typeIdentifiantStructure", "SIRET");
    Json request = new Poco::JSON::Object;
    request->set("structure", structure);
    // false: public and private structures alike, not only those the account is attached to.
    request->set("restreindreStructuresPrivees", false);
    request->set("parametres", page_block(1, 10));
    const std::string what = "Chorus Pro structures/rechercher of SIRET " + siret;
    const auto list = search_page("structures/v1/rechercher", request, "listeStructures", call, what).items;
    if (list->size() == 0)
        throw not_found("no Chorus Pro structure has SIRET " + siret +
                        ": the customer does not receive invoices on Chorus Pro under this number");
    // Several answers (an old closed entry beside the live one): the active one wins.
    Json chosen;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const auto s = object_in(list, i);
        if (!s) continue;
        if (!chosen || string_at(s, "statut").value_or("") == "ACTIVE") chosen = s;
    }
    if (!chosen) throw transient(what + ": the answer's listeStructures holds no structure");
    return chosen;
}

Json Queries::find_structure(const Json &input, const Call &call) {
    const auto siret = checked_siret(required_text(input, "siret"));
    const auto found = structure_by_siret(siret, call);
    const auto id = integer_at(found, "idStructureCPP");
    if (!id) throw transient("Chorus Pro structures/rechercher gave no idStructureCPP for SIRET " + siret);
    Json request = new Poco::JSON::Object;
    request->set("idStructureCPP", *id);
    request->set("codeLangue", "FR");
    const auto r = api_->post("structures/v1/consulter", request, call,
                              "Chorus Pro structures/consulter of structure " + std::to_string(*id));
    const auto general = object_at(r, "informationGenerales");
    const auto flags = object_at(r, "parametres");
    const bool service = bool_at(flags, "codeServiceDoitEtreRenseigne").value_or(false);
    const bool commitment = bool_at(flags, "numeroEJDoitEtreRenseigne").value_or(false);
    const bool either = bool_at(flags, "gestionNumeroEJOuCodeService").value_or(false);

    Json o = new Poco::JSON::Object;
    o->set("structure_id", *id);
    o->set("siret", siret);
    o->set("name", string_at(general, "raisonSocialeStructure")
                       .value_or(string_at(found, "designationStructure").value_or("")));
    copy(found, "statut", o, "status");
    if (auto kind = string_at(general, "structurePriveePublique")) o->set("public", *kind == "PUBLIQUE");
    o->set("service_code_required", service);
    o->set("commitment_number_required", commitment);
    o->set("service_code_or_commitment_number", either);
    // The same reading as OCA's, so the ERP can say before sending what the invoice lacks.
    const char *requirement = either                    ? "service_or_commitment"
                              : service && commitment ? "service_and_commitment"
                              : service               ? "service"
                              : commitment            ? "commitment"
                                                      : "none";
    o->set("requirement", requirement);
    return o;
}

Json Queries::list_services(const Json &input, const Call &call) {
    int64_t id = number(input, "structure_id", -1, 1, INT64_MAX);
    if (id < 0) {
        const auto siret = text_field(input, "siret");
        if (siret.empty()) throw invalid_input("give structure_id (idStructureCPP) or siret");
        id = integer_at(structure_by_siret(checked_siret(siret), call), "idStructureCPP").value_or(-1);
        if (id < 0) throw transient("Chorus Pro gave no idStructureCPP for SIRET " + siret);
    }
    const auto page_size = static_cast<int>(number(input, "page_size", 100, 1, 1000));
    Poco::JSON::Array::Ptr services = new Poco::JSON::Array;
    int64_t pages = 1;
    int page = 1;
    for (; page <= pages; ++page) {
        if (call.cancelled()) throw transient("list_services: stopped after page " + std::to_string(page - 1));
        Json request = new Poco::JSON::Object;
        request->set("idStructure", id);
        request->set("parametresRechercherServicesStructure", page_block(page, page_size));
        const auto r = search_page("structures/v1/rechercher/services", request, "listeServices", call,
                                   "Chorus Pro rechercher/services of structure " + std::to_string(id) + " (page " +
                                       std::to_string(page) + ")");
        pages = r.pages;
        const auto &list = r.items;
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto s = object_in(list, i);
            Json x = new Poco::JSON::Object;
            copy(s, "idService", x, "service_id");
            copy(s, "codeService", x, "code");
            copy(s, "libelleService", x, "label");
            copy(s, "estActif", x, "active");
            copy(s, "dateDbtService", x, "start");
            copy(s, "dateFinService", x, "end");
            // Invoices between public entities only: a private supplier's invoice sent to it
            // is rejected (OCA leaves it out for that reason).
            x->set("public_entities_only", string_at(s, "codeService").value_or("") == "FACTURES_PUBLIQUES");
            services->add(x);
        }
        if (list->size() == 0) break;
    }
    Json o = new Poco::JSON::Object;
    o->set("structure_id", id);
    o->set("services", services);
    o->set("total", static_cast<int64_t>(services->size()));
    return o;
}

}  // namespace relais::chorus
