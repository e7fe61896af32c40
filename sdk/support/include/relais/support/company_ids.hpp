// relais/support/company_ids.hpp: French company numbers (SIREN, SIRET, intra-EU VAT number),
// normalised and checked locally: before anything is sent to an API (a typo costs no quota, and
// the user learns at once what is wrong with the number), and when a number is read from a
// document (an OCR'd receipt) before it is offered for autofill.
//
// - SIREN: 9 digits; SIRET: 14 digits (SIREN + 5-digit NIC). Spaces are tolerated anywhere
//   (also the no-break spaces French formatting puts in "398 607 333 00059").
// - Check digit: Luhn (mod 10) over all the digits.
// - La Poste: SIRETs of SIREN 356000000 do not follow Luhn; they are valid when the sum of
//   their 14 digits is a multiple of 5, except the head office 35600000000048, which is an
//   ordinary Luhn number (python-stdnum's fr.siret; shared/reference/sirene-mindee.md A.10).
// - VAT number: "FR", a two-character key, then the SIREN. A numeric key is
//   (12 + 3 * (SIREN mod 97)) mod 97; keys with letters (a newer scheme) cannot be checked here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace relais::support {

enum class IdKind { siren, siret };

struct Identifier {
    IdKind kind = IdKind::siret;
    std::string digits;  // 9 or 14 digits

    std::string siren() const { return digits.substr(0, 9); }
    const char *kind_name() const { return kind == IdKind::siret ? "siret" : "siren"; }
    // "siret:39860733300059": the cache key, and the field of a q search.
    std::string key() const { return std::string(kind_name()) + ":" + digits; }
    bool operator==(const Identifier &o) const { return kind == o.kind && digits == o.digits; }
};

// Why a number is refused, for an invalid_input error and its detail.
struct IdentifierProblem {
    std::string reason;   // "characters", "length", "luhn", "la_poste_digit_sum", "empty"
    std::string message;  // one line, says what is wrong and how to fix it
};

// The identifier, or why `input` is not one.
struct Parsed {
    std::optional<Identifier> id;
    std::optional<IdentifierProblem> problem;
};
Parsed parse_identifier(std::string_view input);

// Throws relais::invalid_input (detail: input, reason) when `input` is not a valid number.
Identifier require_identifier(std::string_view input);

bool luhn_valid(std::string_view digits);
// La Poste's SIRETs: 356000000 followed by a NIC, other than its Luhn-checked head office.
bool is_la_poste_siret(std::string_view siret);

// A French VAT number found in free text ("FR 44 732 829 320", "fr44732829320"): its
// canonical form "FR44732829320", or nullopt when it is not one (wrong length, a SIREN that
// fails its check, a numeric key that does not match).
std::optional<std::string> parse_french_vat(std::string_view input);
// The SIREN inside a valid French VAT number.
std::string siren_of_vat(const std::string &canonical_vat);

}  // namespace relais::support
