// Synthetic companies for the Sirene emulator: deterministic (same seed, same data on every
// machine), with valid SIREN/SIRET check digits and the shapes of the recorded responses.
//
// Mix: ~30% individuals (categorie juridique 1000, named by nom/prénoms) and companies of the
// common legal forms; ~10% ceased legal units (all their establishments closed); some closed
// establishments of open units; ~8% of individuals partially diffusible ("P", [ND] masks);
// foreign, CEDEX and complemented addresses; a second period for some (activity change).
// Plus La Poste (SIREN 356000000) with SIRETs that follow its digit-sum rule instead of Luhn,
// and a few duplicates ("doublons") replaced by another unit.
#pragma once

#include "sirene_dataset.hpp"

#include <cstdint>

namespace relais::sirene_emulator {

void add_synthetic_companies(Dataset &dataset, std::size_t legal_units, std::uint64_t seed);
void add_la_poste(Dataset &dataset);

}  // namespace relais::sirene_emulator
