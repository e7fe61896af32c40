// structures/v1/rechercher, structures/v1/consulter and structures/v1/rechercher/services:
// how a supplier learns a buyer's idStructureCPP, its requirements and its service codes.
#include "chorus_emulator_state.hpp"
#include "chorus_wire.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/String.h>

namespace relais::chorus_emulator {

using emulator::Request;
using emulator::Response;
using wire::refuse;

namespace {

// The real caps are unknown; OCA asks for 10,000 services in one page, so that much is served.
constexpr int kMaxStructuresPerPage = 10000;
constexpr int kMaxServicesPerPage = 10000;
// When the dataset's services started (a fixed instant: answers do not depend on the clock).
constexpr const char *kServiceStart = "2021-01-04 08:30";

// identifiantStructure as a string; a client that sends it as a JSON number is read too.
std::optional<std::string> identifier_field(const wire::Json &criteria, const std::string &name) {
    if (!criteria->has(name) || criteria->isNull(name)) return std::nullopt;
    const auto value = criteria->get(name);
    if (value.isString()) return value.extract<std::string>();
    if (value.isInteger()) return value.convert<std::string>();
    refuse(400, wire::kInvalidField, "Le champ " + name + " doit etre une chaine de caracteres");
}

// The intra-community VAT number of a French SIRET: FR, a two-digit key, the SIREN.
std::string vat_number(const std::string &siret) {
    if (siret.size() != 14) return "";
    const auto siren = std::stoll(siret.substr(0, 9));
    const auto key = (12 + 3 * (siren % 97)) % 97;
    return "FR" + std::string(key < 10 ? "0" : "") + std::to_string(key) + siret.substr(0, 9);
}

const Structure *structure_by_id(const std::vector<Structure> &structures, std::int64_t id) {
    for (const auto &s : structures)
        if (s.id == id) return &s;
    return nullptr;
}

[[noreturn]] void unknown_structure(std::int64_t id) {
    refuse(400, wire::kNotFound, "La structure " + std::to_string(id) + " est introuvable");
}

}  // namespace

Response ChorusEmulator::State::search_structures(const Request &request, const TechnicalAccount &) {
    const auto body = wire::body_of(request);
    const auto criteria = wire::object_field(body, "structure");
    std::optional<std::string> identifier, type, name;
    if (criteria) {
        identifier = identifier_field(criteria, "identifiantStructure");
        type = wire::text_field(criteria, "typeIdentifiantStructure");
        name = wire::text_field(criteria, "raisonSocialeStructure");
        wire::text_field(criteria, "statutStructure");  // every structure here is active
    }
    // Absent or true: private structures only when the account is attached to them (its own).
    const bool restrict_private = wire::bool_field(body, "restreindreStructuresPrivees").value_or(true);
    const auto page = wire::page_of(body, {"parametres"}, kMaxStructuresPerPage);

    std::vector<const Structure *> hits;
    for (const auto &s : options.structures) {
        if (restrict_private && !s.is_public && s.siret != supplier.siret) continue;
        if (identifier && !identifier->empty() && *identifier != s.siret) continue;
        if (type && !type->empty() && *type != "SIRET") continue;  // all are identified by SIRET here
        if (name && !name->empty() && Poco::toUpper(s.name).find(Poco::toUpper(*name)) == std::string::npos) continue;
        hits.push_back(&s);
    }
    // No hit: Chorus Pro's "no result" (codeRetour 20000 by default; OCA counts the list, so
    // it reads the empty-list form too).
    const auto s = wire::slice(page, hits.size());
    if (hits.empty()) return no_result("listeStructures", s.parametres_retour);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (auto i = s.begin; i < s.end; ++i) {
        auto item = wire::object();
        item->set("idStructureCPP", hits[i]->id);
        item->set("identifiantStructure", hits[i]->siret);  // a string, as the reference advises
        item->set("designationStructure", hits[i]->name);
        item->set("statut", "ACTIVE");
        item->set("typeIdentifiantStructure", "SIRET");
        list->add(item);
    }
    auto answer = wire::success(wire::kTransverseOk);
    answer->set("listeStructures", list);
    answer->set("parametresRetour", s.parametres_retour);
    return wire::answer(answer);
}

Response ChorusEmulator::State::consult_structure(const Request &request, const TechnicalAccount &) {
    const auto body = wire::body_of(request);
    // idStructureCPP is documented; go-cpro sends idStructure: both are read.
    auto id = wire::integer_field(body, "idStructureCPP");
    if (!id) id = wire::integer_field(body, "idStructure");
    wire::text_field(body, "codeLangue");
    if (!id) refuse(400, wire::kInvalidField, "Le champ idStructureCPP est obligatoire");
    const auto *structure = structure_by_id(options.structures, *id);
    if (!structure) unknown_structure(*id);

    auto general = wire::object();
    general->set("idStructureCPP", structure->id);
    general->set("identifiantStructure", structure->siret);
    general->set("typeIdentifiantStructure", "SIRET");
    general->set("libelleStructure", structure->name);
    general->set("raisonSocialeStructure", structure->name);
    general->set("emailStructure", "");
    general->set("structurePriveePublique", structure->is_public ? "PUBLIQUE" : "PRIVEE");
    general->set("numeroTVA", vat_number(structure->siret));

    // Every structure of the dataset has the same fictional head-office address.
    auto address = wire::object();
    address->set("adresse", "1 place de la Mairie");
    address->set("complementAdresse1", "");
    address->set("complementAdresse2", "");
    address->set("codePostal", "99999");
    address->set("ville", "SAINT-RELAIS");
    address->set("pays", "France");
    address->set("telephone", "");
    address->set("indicatifTelephone", "+33");
    address->set("fax", "");
    address->set("indicatifFax", "+33");

    auto flags = wire::object();
    flags->set("codeServiceDoitEtreRenseigne", structure->service_code_required);
    flags->set("numeroEJDoitEtreRenseigne", structure->commitment_required);
    flags->set("gestionNumeroEJOuCodeService", structure->service_or_commitment);
    flags->set("connexionEDI", false);
    flags->set("recevoirDonneesViaEDI", false);
    flags->set("statutMiseEnPaiementNestPasRemonte", false);
    flags->set("estMoaUniquement", false);

    auto answer = wire::success(wire::kGestionOk);
    answer->set("informationGenerales", general);
    answer->set("adressePostaleDuSiege", address);
    answer->set("parametres", flags);
    return wire::answer(answer);
}

Response ChorusEmulator::State::search_services(const Request &request, const TechnicalAccount &) {
    const auto body = wire::body_of(request);
    const auto id = wire::integer_field(body, "idStructure");
    if (!id) refuse(400, wire::kInvalidField, "Le champ idStructure est obligatoire");
    // OCA names the paging block parametresRechercherServicesStructure, Pastell parametres.
    const auto page = wire::page_of(body, {"parametresRechercherServicesStructure", "parametres"}, kMaxServicesPerPage);
    const auto *structure = structure_by_id(options.structures, *id);
    if (!structure) unknown_structure(*id);

    const auto &services = structure->services;
    const auto s = wire::slice(page, services.size());
    if (services.empty()) return no_result("listeServices", s.parametres_retour);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (auto i = s.begin; i < s.end; ++i) {
        auto item = wire::object();
        item->set("idService", services[i].id);
        item->set("codeService", services[i].code);
        item->set("libelleService", services[i].label);
        item->set("dateDbtService", kServiceStart);
        item->set("estActif", services[i].active);
        list->add(item);
    }
    auto answer = wire::success(wire::kTransverseOk);
    answer->set("listeServices", list);
    answer->set("parametresRetour", s.parametres_retour);
    return wire::answer(answer);
}

}  // namespace relais::chorus_emulator
