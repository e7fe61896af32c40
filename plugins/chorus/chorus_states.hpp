// What Chorus Pro's states mean to the ERP. A flux (one deposit) goes
//   IN_RECU → IN_TRAITE_SE_CPP → IN_EN_ATTENTE_TRAITEMENT_CPP → IN_EN_COURS_TRAITEMENT_CPP
// and ends IN_INTEGRE, IN_INTEGRE_PARTIEL, IN_REJETE or IN_INCIDENTE (to be sent again);
// IN_EN_ATTENTE_RETRAITEMENT_CPP waits for a manual replay (days). Each integrated invoice
// then lives its own life (DEPOSEE → ... → MISE_EN_PAIEMENT).
#pragma once

#include <string>

namespace relais::chorus {

enum class FluxPhase {
    received,              // IN_RECU, IN_TRAITE_SE_CPP
    processing,            // IN_EN_ATTENTE_TRAITEMENT_CPP, IN_EN_COURS_TRAITEMENT_CPP, QP_*
    waiting_reprocessing,  // IN_EN_ATTENTE_RETRAITEMENT_CPP
    integrated,            // IN_INTEGRE                 final
    partially_integrated,  // IN_INTEGRE_PARTIEL         final
    rejected,              // IN_REJETE                  final
    incident,              // IN_INCIDENTE               final: the flux must be deposited again
    unknown,               // a state this connector does not know: followed like processing
};

FluxPhase flux_phase(const std::string &etat);
// "received", "processing", ...
const char *to_string(FluxPhase phase);
bool is_final(FluxPhase phase);
// Final states in which invoices exist in Chorus Pro.
bool has_invoices(FluxPhase phase);

// Invoice statuses after which a supplier has nothing more to wait for (paid, or refused).
bool invoice_status_is_final(const std::string &statut);

}  // namespace relais::chorus
