// The `q` expressions the connector sends to API Sirene's multi-criteria search.
//
// - Batched lookups: "siret:A OR siret:B OR (siren:C AND etablissementSiege:true)", one term
//   per identifier; a SIREN asks for its head office. One request answers up to batch_size
//   identifiers instead of one each.
// - Search: criteria ANDed; names are searched as a phrase in the legal unit's name fields and,
//   inside periode() since they are historised, in the establishment's sign and usual name.
//   The activity code is historised too: periode(activitePrincipaleEtablissement:...).
#pragma once

#include "sirene_identifiers.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relais::sirene {

// A value as a quoted phrase, with quotes and backslashes escaped.
std::string quoted(std::string_view value);

std::string batch_query(const std::vector<Identifier> &ids);
// The head office of one SIREN.
std::string head_office_query(const std::string &siren);

struct SearchCriteria {
    std::optional<std::string> name;
    std::optional<std::string> postal_code;
    std::optional<std::string> naf;       // "56.10C" (the dot is added when missing: 5610C)
    std::optional<std::string> siren;
    bool head_office_only = false;
};
// Throws relais::invalid_input when a criterion is malformed or none is given.
std::string search_query(const SearchCriteria &criteria);

}  // namespace relais::sirene
