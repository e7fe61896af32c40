// SIREN and SIRET numbers, checked before anything is sent to INSEE: the SDK's French company
// numbers (relais/support/company_ids.hpp), under the names this connector's code uses.
#pragma once

#include <relais/support/company_ids.hpp>

namespace relais::sirene {

using support::IdKind;
using support::Identifier;
using support::IdentifierProblem;
using support::Parsed;
using support::parse_identifier;
using support::require_identifier;
using support::luhn_valid;
using support::is_la_poste_siret;

}  // namespace relais::sirene
