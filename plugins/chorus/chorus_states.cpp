#include "chorus_states.hpp"

#include <set>

namespace relais::chorus {

FluxPhase flux_phase(const std::string &etat) {
    if (etat == "IN_RECU" || etat == "IN_TRAITE_SE_CPP") return FluxPhase::received;
    if (etat == "IN_EN_ATTENTE_TRAITEMENT_CPP" || etat == "IN_EN_COURS_TRAITEMENT_CPP" || etat.starts_with("QP_"))
        return FluxPhase::processing;
    if (etat == "IN_EN_ATTENTE_RETRAITEMENT_CPP") return FluxPhase::waiting_reprocessing;
    if (etat == "IN_INTEGRE") return FluxPhase::integrated;
    if (etat == "IN_INTEGRE_PARTIEL") return FluxPhase::partially_integrated;
    if (etat == "IN_REJETE") return FluxPhase::rejected;
    if (etat == "IN_INCIDENTE") return FluxPhase::incident;
    return FluxPhase::unknown;
}

const char *to_string(FluxPhase phase) {
    switch (phase) {
    case FluxPhase::received: return "received";
    case FluxPhase::processing: return "processing";
    case FluxPhase::waiting_reprocessing: return "waiting_reprocessing";
    case FluxPhase::integrated: return "integrated";
    case FluxPhase::partially_integrated: return "partially_integrated";
    case FluxPhase::rejected: return "rejected";
    case FluxPhase::incident: return "incident";
    case FluxPhase::unknown: return "unknown";
    }
    return "unknown";
}

bool is_final(FluxPhase phase) {
    return phase == FluxPhase::integrated || phase == FluxPhase::partially_integrated ||
           phase == FluxPhase::rejected || phase == FluxPhase::incident;
}

bool has_invoices(FluxPhase phase) {
    return phase == FluxPhase::integrated || phase == FluxPhase::partially_integrated;
}

bool invoice_status_is_final(const std::string &statut) {
    // Paid (MISE_EN_PAIEMENT and the accounting steps after it) or refused for good. MANDATEE
    // (payment ordered) is not the end: the supplier still waits for MISE_EN_PAIEMENT.
    static const std::set<std::string> final{"MISE_EN_PAIEMENT", "COMPTABILISEE", "MISE_A_DISPOSITION_COMPTABLE",
                                             "REJETEE",          "ABANDONNEE",    "SUPPRIMEE",
                                             "REFUSEE_1",        "REFUSEE_2",     "REFUSEE_MOA",
                                             "REFUSEE_FOURNISSEUR"};
    return final.count(statut) != 0;
}

}  // namespace relais::chorus
