// The read-only actions: a flux's processing report, an invoice's status history, the
// supplier's invoices (every page), a structure by SIRET with what it requires, a structure's
// services (every page). Each returns a clear shape for the ERP plus the facts Chorus Pro
// gave, and never stops at the first page: Chorus Pro pages by 10 unless told otherwise.
#pragma once

#include "chorus_api.hpp"

#include <Poco/JSON/Array.h>

#include <cstdint>
#include <memory>
#include <optional>

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

    // One page of a search (rechercher/fournisseur, structures/rechercher, rechercher/services):
    // its items and paging. Chorus Pro says "no result" in more than one way (see
    // read_search_answer); every form reads as no item.
    struct SearchPage {
        Poco::JSON::Array::Ptr items;  // never null; empty for no result
        int64_t pages = 1;             // parametresRetour.pages (1 when absent or no result)
        std::optional<int64_t> total;  // parametresRetour.total when given
    };
    SearchPage search_page(const std::string &path, const Json &request, const char *list_name, const Call &call,
                           const std::string &what);

private:
    std::shared_ptr<ChorusApi> api_;
};

// Reads an answer to a search: items from `list_name`, or none when Chorus Pro said there is
// no result. Throws permanent for any other refusal, transient for an answer that contradicts
// itself (a total but no list, a list that is not an array).
Queries::SearchPage read_search_answer(const Answer &answer, const char *list_name, const std::string &what);

}  // namespace relais::chorus
