// The standard structures: one private supplier (the technical account's), one private
// company that is not a valid buyer, and public buyers with each kind of requirement. Names
// and numbers are fictional; every SIRET passes the Luhn check.
#include "chorus_emulator.hpp"

#include <cstdio>

namespace relais::chorus_emulator {

namespace {

Service service(int64_t id, const char *code, const char *label, bool active = true, bool commitment = false) {
    Service s;
    s.id = id;
    s.code = code;
    s.label = label;
    s.active = active;
    s.commitment_required = commitment;
    return s;
}

Structure structure(int64_t id, const char *siret, const char *name, bool is_public) {
    Structure s;
    s.id = id;
    s.siret = siret;
    s.name = name;
    s.is_public = is_public;
    return s;
}

}  // namespace

std::vector<Structure> standard_structures() {
    std::vector<Structure> all;

    all.push_back(structure(26000001, kSupplierSiret, "ATELIER RELAIS", false));

    // A private company: an invoice addressed to it is rejected (it does not receive through
    // Chorus Pro), and searches hide it unless restreindreStructuresPrivees is false.
    all.push_back(structure(26000002, "98765432100007", "NEGOCE PRIVE SAS", false));

    auto commune = structure(26000101, kBuyerSiret, "COMMUNE DE SAINT-RELAIS", true);
    commune.services = {
        service(27000101, "SERVICE_FINANCES", "Service des finances"),
        service(27000102, "FACTURES_PUBLIQUES", "Service des factures publiques"),
        // A service that wants a commitment number although its structure does not.
        service(27000103, "SERVICE_TECHNIQUE", "Services techniques", true, true),
        service(27000104, "ANCIEN_SERVICE", "Service ferme", false),
    };
    all.push_back(commune);

    auto communaute = structure(26000102, kServiceCodeBuyerSiret, "COMMUNAUTE DE COMMUNES DU RELAIS", true);
    communaute.service_code_required = true;
    communaute.services = {
        service(27000201, "SERVICE_FINANCES", "Direction des finances"),
        service(27000202, "FACTURES_PUBLIQUES", "Service des factures publiques"),
        service(27000203, "SERVICE_ARCHIVES", "Archives communautaires", false),
    };
    all.push_back(communaute);

    auto departement = structure(26000103, kCommitmentBuyerSiret, "DEPARTEMENT DU RELAIS", true);
    departement.commitment_required = true;
    departement.services = {
        service(27000301, "SERVICE_FINANCES", "Direction des finances"),
        service(27000302, "FACTURES_PUBLIQUES", "Service des factures publiques"),
    };
    all.push_back(departement);

    auto region = structure(26000104, kManyServicesBuyerSiret, "REGION RELAIS", true);
    region.services.push_back(service(27000400, "FACTURES_PUBLIQUES", "Service des factures publiques"));
    for (int i = 1; i <= 24; ++i) {
        char code[32], label[48];
        std::snprintf(code, sizeof(code), "SERVICE_%02d", i);
        std::snprintf(label, sizeof(label), "Direction regionale %02d", i);
        region.services.push_back(service(27000400 + i, code, label));
    }
    all.push_back(region);

    auto etablissement = structure(26000105, kEitherBuyerSiret, "ETABLISSEMENT PUBLIC DU RELAIS", true);
    etablissement.service_or_commitment = true;
    etablissement.services = {
        service(27000501, "SERVICE_FINANCES", "Agence comptable"),
        service(27000502, "FACTURES_PUBLIQUES", "Service des factures publiques"),
    };
    all.push_back(etablissement);

    return all;
}

}  // namespace relais::chorus_emulator
