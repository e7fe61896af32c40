// From API Sirene's JSON to the record an ERP form is filled with.
//
// A normalised record (one establishment, or one legal unit when INSEE has no establishment
// for it):
//   siret, siren, nic            the numbers (siret null for a legal unit alone)
//   source                       "establishment" or "legal_unit"
//   name                         what to put in the customer's name field (see below)
//   individual                   true for an "entrepreneur individuel" (categorie 1000)
//   person                       {first_name, last_name, birth_name, gender} or null
//   denomination, acronym        of a legal entity
//   trade_name                   the establishment's sign or usual name
//   legal_form                   {code, label} (INSEE categories juridiques)
//   activity                     {code, nomenclature} of the establishment (NAF/APE),
//   legal_unit_activity          ... and of the legal unit
//   head_office                  the establishment is the siège
//   head_office_siret            siren + nicSiegeUniteLegale
//   address                      {lines[], postal_code, city, country, country_code,
//                                 commune_code, cedex} (null for a legal unit)
//   active, state, closed_on     "active" or "closed" (the establishment, and its unit: a
//                                ceased unit's establishments are closed), with the date
//   legal_unit_state             "active" or "ceased", legal_unit_ceased_on
//   created_on                   creation of the establishment (or of the unit)
//   legal_unit_created_on
//   category, employees_band     categorieEntreprise, tranche d'effectifs (codes)
//   diffusion                    "public", "partial" (the person asked for their data not to
//                                be published: masked fields are null and listed) or
//                                "non_diffusible" (an old-style 403 answer, no data)
//   masked_fields                the record's fields left empty because INSEE masked ("[ND]")
//                                what fills them ("address.city", "person.first_name"); a
//                                masked value another one stood in for is not listed, and
//                                "address.lines" means the lines lack a masked part
//   raw                          the upstream object as received (when asked for)
//
// Name: a legal entity's denomination (else its first usual name, its acronym, the trade
// name); for an individual, usual first name (else the first one) and usage name (else
// birth name): "BERTRAND GRONDIN". The clients we studied (immersion-facile, pass-culture)
// use the same rule.
#pragma once

#include <relais/plugin.hpp>

#include <optional>
#include <string>
#include <vector>

namespace relais::sirene {

// An establishment object (/siret/{siret}, or an item of a /siret search).
Json normalise_establishment(const Json &etablissement, bool include_raw = true);
// A legal unit object (/siren/{siren}, or an item of a /siren search).
Json normalise_legal_unit(const Json &unite_legale, bool include_raw = true);
// What a 403 "non diffusable" answer (the pre-2023 behaviour) leaves to say.
Json non_diffusible_record(const std::string &siret_or_siren);

// The label of a categorie juridique code (level III, else its level II or I family).
std::string legal_form_label(const std::string &code);
// "RUE", "AV", "BD"... spelled out as on an envelope.
std::string street_type_label(const std::string &code);

// A search answer: {"header":{...,"total":N,...,"curseurSuivant":...},"etablissements":[...]}.
struct SearchPage {
    std::vector<Json> items;
    int64_t total = 0;
    std::optional<std::string> cursor, next_cursor;
};
// Throws relais::Error (transient) when the answer does not have that shape.
SearchPage parse_search_page(const Json &answer, const std::string &list_key);

// The upstream's own message ({"header":{"message":...}}), or "".
std::string upstream_message(const Json &answer);

}  // namespace relais::sirene
