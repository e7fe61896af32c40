// The read-only actions: a flux's processing report, an invoice's status history, the
// supplier's invoices (every page), a structure by SIRET with what it requires, a structure's
// services (every page). Each returns a clear shape for the ERP plus the facts Chorus Pro
// gave, and never stops at the first page: Chorus Pro pages by 10 unless told otherwise.
#pragma once

#include "chorus_api.hpp"

#include <memory>

namespace relais::chorus {

class Queries {
public:
    explicit Queries(std::shared_ptr<ChorusApi> api) : api_(std::move(api)) {}

    // {flux_number} → consulterCRDetaille, see flux_report().
    Json flux_status(const Json &input, const Call &call);
    // {invoice_id} → consulter/historique.
    Json invoice_status(const Json &input, const Call &call);
    // {flux_number?, invoice_number?, statuses?, deposited_from?, deposited_to?, page_size?,
    //  max_results?} → rechercher/fournisseur, all pages up to max_results.
    Json search_invoices(const Json &input, const Call &call);
    // {siret} → structures/v1/rechercher, then consulter for its requirements.
    Json find_structure(const Json &input, const Call &call);
    // {structure_id | siret, page_size?} → structures/v1/rechercher/services, all pages.
    Json list_services(const Json &input, const Call &call);

    // The processing report of one flux, normalised (used by the submissions too). Throws
    // not_found for a flux Chorus Pro does not know.
    Json flux_report(const std::string &flux_number, const Call &call);
    // Every invoice matching `criteria` (rechercher/fournisseur fields), page by page.
    Json invoices(const Json &criteria, int page_size, int max_results, const Call &call);
    // The idStructureCPP of a SIRET, with the structure's summary; not_found when none.
    Json structure_by_siret(const std::string &siret, const Call &call);

private:
    std::shared_ptr<ChorusApi> api_;
};

}  // namespace relais::chorus
