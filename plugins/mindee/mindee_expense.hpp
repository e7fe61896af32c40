// The one normalised expense the ERP gets from a receipt, whichever API generation read it:
//
//   total_amount (tax included), total_net, total_tax, tip        numbers or null
//   taxes[]       {rate (always percent), amount, base, code}
//   date (YYYY-MM-DD), time (HH:MM)
//   supplier      {name, address, phone, registrations[{type, number}], siret, siren, vat}:
//                 a valid French SIRET, SIREN or VAT number among the registrations is also
//                 given on its own, so the ERP can fill the supplier in with the sirene connector
//   receipt_number, category, subcategory, document_type, currency, country, language
//   line_items[]  {description, quantity, unit_price, total}
//   confidence    {field: 0..1} for every field Mindee gave a confidence for
//   needs_review  [{field, reason, message}]: fields under review_below ("low_confidence"),
//                 key fields not read ("missing": total_amount, date, supplier.name), and
//                 inconsistencies ("totals_mismatch", "taxes_mismatch", "tax_rate_mismatch",
//                 "date_in_future")
//   pages, api_version, recorded_by, document_id
//
// A blank receipt gives every field null and needs_review listing what is missing: a result,
// not an error, since the employee can still type the expense in.
#pragma once

#include "mindee_reading.hpp"

#include <relais/plugin.hpp>

#include <string>

namespace relais::mindee {

struct ExpenseContext {
    std::string api_version;  // "v1" or "v2"
    std::string recorded_by;
    double review_below = 0.7;
    std::string today;  // YYYY-MM-DD, the day a date after which is in the future (UTC + 1 day of slack)
};

Json expense_json(const Reading &reading, const ExpenseContext &context);

// Tolerance of the sums, for rounding on the receipt: 2 cents.
constexpr double kAmountTolerance = 0.02;

}  // namespace relais::mindee
