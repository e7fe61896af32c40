// lookup_many's batching: thousands of identifiers become a few dozen multi-criteria requests
// ("siret:A OR siret:B ..."), and the establishments INSEE returns are matched back to the
// identifiers that asked for them.
#pragma once

#include "sirene_identifiers.hpp"

#include <relais/plugin.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace relais::sirene {

// Splits `ids` (distinct) into batches of at most `size`, in order, each with a q of at most
// kMaxBatchQuery characters (sirene_queries.hpp): INSEE refuses a q too long, and would fail
// every identifier of a batch the connector made too big.
std::vector<std::vector<Identifier>> plan_batches(const std::vector<Identifier> &ids, std::size_t size);

// How many results to ask for: one per SIRET, and room for a SIREN's head office; never more
// than the API's page cap of 1000.
int results_wanted(const std::vector<Identifier> &batch);

// Each identifier of `batch` (by key()) with the establishment that answers it: the one with
// that SIRET, or for a SIREN its head office. Identifiers without one are absent.
std::map<std::string, Json> match_batch(const std::vector<Identifier> &batch, const std::vector<Json> &etablissements);

}  // namespace relais::sirene
