// The business checks Chorus Pro runs on a readable invoice before integrating it, as far as
// the reference documents them (the most common rejections, §8.4 and §8.7). Each failure is a
// listeErreurDP item; the texts follow the style of the real messages quoted in the reference
// ("L'identifiant fournisseur de la demande de paiement (balise : ...) n'est pas reference dans
// notre systeme.", "L'element ...PaymentMeans.TypeCode.value est obligatoire"), and are the
// emulator's own for the other cases.
//
//   the seller's SIRET (BT-30) is not the structure of the technical account that deposits
//   the buyer's SIRET (BT-47) is no known structure, or a private one (not a public buyer)
//   the buyer requires a service code (codeServiceDoitEtreRenseigne) and BT-10 is empty
//   a service code is given that is not one of the buyer's active services
//   the buyer requires a commitment number (numeroEJDoitEtreRenseigne, or the service's
//     numeroEngagement) and BT-13 is empty; or BT-13 is over 50 characters
//   the buyer requires a service code or a commitment number (gestionNumeroEJOuCodeService)
//     and both are empty
//   FACTURES_PUBLIQUES (reserved to invoices between public entities) from a private supplier
//   an invoice (not a credit note, 381) without a payment means code (BT-81)
//
// All failures are reported, not only the first.
#pragma once

#include "chorus_emulator.hpp"
#include "chorus_invoice_file.hpp"

#include <string>
#include <vector>

namespace relais::chorus_emulator {

struct DpError {
    std::string supplier_id;     // identifiantFournisseur
    std::string buyer_id;        // identifiantDestinataire
    std::string invoice_number;  // numeroDP
    std::string label;           // libelleErreurDP
};

// `supplier`: the structure the depositing technical account acts for.
std::vector<DpError> business_errors(const InvoiceData &invoice, const Structure &supplier,
                                     const std::vector<Structure> &structures);

const Structure *find_structure(const std::vector<Structure> &structures, const std::string &siret);
const Service *find_service(const Structure &structure, const std::string &code);

}  // namespace relais::chorus_emulator
