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

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relais::sirene {

// A value as a quoted phrase, with quotes and backslashes escaped.
std::string quoted(std::string_view value);

// The longest q a batch is given, in characters. INSEE documents no limit on the length of q,
// only that a URI too long is refused (414) and that a form POST carries long queries; the
// servers behind such gateways commonly cap a request line or a form field near 8 KiB, and a q
// over the API's limit fails the whole batch. So a batch stays at half of that: room for the
// form encoding (':' becomes %3A, about a tenth longer for these queries) and for a stricter
// limit, while the default batch of 100 SIRETs (2,400 characters) still fits in one request
// (100 SIRENs, which ask for their head office, take two).
constexpr std::size_t kMaxBatchQuery = 4000;
// What separates the terms of a batch's q.
constexpr std::string_view kBatchSeparator = " OR ";

// One identifier's term: "siret:A", or "(siren:C AND etablissementSiege:true)".
std::string batch_term(const Identifier &id);
// The terms of `ids` joined by kBatchSeparator.
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
