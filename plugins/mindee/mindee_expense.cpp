#include "mindee_expense.hpp"

#include <relais/support/company_ids.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/String.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace relais::mindee {

namespace {

using Poco::JSON::Array;

template <class T>
Poco::Dynamic::Var var(const std::optional<T> &v) {
    if (!v) return Poco::Dynamic::Var();
    return *v;
}

std::string money(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

// Numbers Mindee reads may carry float noise (20.419999): amounts to the cent's hundredth.
std::optional<double> tidy(std::optional<double> v) {
    if (!v) return v;
    return std::round(*v * 10000.0) / 10000.0;
}

bool digits_only(const std::string &s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string compact(const std::string &s) {
    std::string out;
    for (char c : s)
        if (c != ' ' && c != '.' && c != '-' && c != '\t') out += c;
    return out;
}

struct CompanyNumbers {
    std::optional<std::string> siret, siren, vat;
};

// A registration is taken for what its number is, whatever Mindee called it ("VAT NUMBER" for a
// SIRET happens): a valid 14-digit number is a SIRET, FR + key + SIREN a VAT number, and 9
// valid digits a SIREN when the receipt is French or the type says so (other countries have
// 9-digit numbers too: a British VAT number). Invalid numbers stay in registrations only.
CompanyNumbers french_numbers(const std::vector<Registration> &registrations, const std::optional<std::string> &country) {
    CompanyNumbers out;
    const bool french = !country || Poco::icompare(*country, "FR") == 0 || Poco::icompare(*country, "FRA") == 0;
    for (const auto &r : registrations) {
        const auto c = compact(r.number);
        const bool says_siren = Poco::toUpper(r.type).find("SIREN") != std::string::npos;
        if (digits_only(c) && c.size() == 14) {
            const auto parsed = support::parse_identifier(c);
            if (parsed.id && !out.siret) out.siret = c;
        } else if (digits_only(c) && c.size() == 9) {
            if ((french || says_siren) && support::luhn_valid(c) && !out.siren) out.siren = c;
        } else if (const auto vat = support::parse_french_vat(r.number); vat && !out.vat) {
            out.vat = *vat;
        }
    }
    if (!out.siren && out.siret) out.siren = out.siret->substr(0, 9);
    if (!out.siren && out.vat) out.siren = support::siren_of_vat(*out.vat);
    return out;
}

class Review {
public:
    Review(double below) : below_(below) {}

    void confidence(const std::string &field, bool has_value, std::optional<double> c) {
        if (!c) return;
        confidences_->set(field, std::round(*c * 1000.0) / 1000.0);
        if (has_value && *c < below_) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "read with confidence %.2f, under review_below %.2f", *c, below_);
            flag(field, "low_confidence", buf);
        }
    }
    void flag(const std::string &field, const std::string &reason, const std::string &message) {
        Json entry = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        entry->set("field", field);
        entry->set("reason", reason);
        entry->set("message", message);
        flags_->add(entry);
    }

    Json confidences() const { return confidences_; }
    Poco::JSON::Array::Ptr flags() const { return flags_; }

private:
    double below_;
    Json confidences_ = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    Poco::JSON::Array::Ptr flags_ = new Poco::JSON::Array;
};

template <class T>
void put(Json &out, Review &review, const std::string &key, const Read<T> &read) {
    if constexpr (std::is_same_v<T, double>)
        out->set(key, var(tidy(read.value)));
    else
        out->set(key, var(read.value));
    review.confidence(key, read.value.has_value(), read.confidence);
}

bool is_date(const std::string &s) {
    return s.size() == 10 && s[4] == '-' && s[7] == '-' && digits_only(s.substr(0, 4) + s.substr(5, 2) + s.substr(8, 2));
}

void check_consistency(const Reading &r, const ExpenseContext &context, Review &review) {
    const auto &net = r.total_net.value, &tax = r.total_tax.value, &total = r.total_amount.value;
    if (net && tax && total) {
        const double sum = *net + *tax;
        const double with_tip = sum + r.tip.value.value_or(0.0);
        if (std::fabs(sum - *total) > kAmountTolerance && std::fabs(with_tip - *total) > kAmountTolerance)
            review.flag("total_amount", "totals_mismatch",
                        "total_net " + money(*net) + " + total_tax " + money(*tax) + " = " + money(sum) +
                            ", but total_amount is " + money(*total));
    }
    if (tax && !r.taxes.empty()) {
        double sum = 0;
        bool all = true;
        for (const auto &t : r.taxes) {
            if (t.amount) sum += *t.amount;
            else all = false;
        }
        if (all && std::fabs(sum - *tax) > kAmountTolerance)
            review.flag("taxes", "taxes_mismatch",
                        "the tax lines add up to " + money(sum) + ", but total_tax is " + money(*tax));
    }
    for (std::size_t i = 0; i < r.taxes.size(); ++i) {
        const auto &t = r.taxes[i];
        if (!t.rate_percent || !t.amount || !t.base) continue;
        const double expected = *t.base * *t.rate_percent / 100.0;
        if (std::fabs(expected - *t.amount) > kAmountTolerance)
            review.flag("taxes[" + std::to_string(i) + "]", "tax_rate_mismatch",
                        money(*t.base) + " at " + money(*t.rate_percent) + " % is " + money(expected) + ", not " +
                            money(*t.amount));
    }
    if (r.date.value && is_date(*r.date.value) && !context.today.empty() && *r.date.value > context.today)
        review.flag("date", "date_in_future", "the receipt is dated " + *r.date.value + ", after today");
    if (r.date.value && !is_date(*r.date.value))
        review.flag("date", "unreadable", "the date read, '" + *r.date.value + "', is not a date (YYYY-MM-DD)");
}

}  // namespace

Json expense_json(const Reading &r, const ExpenseContext &context) {
    Review review(context.review_below);
    Json out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    put(out, review, "total_amount", r.total_amount);
    put(out, review, "total_net", r.total_net);
    put(out, review, "total_tax", r.total_tax);
    put(out, review, "tip", r.tip);

    Poco::JSON::Array::Ptr taxes = new Poco::JSON::Array;
    std::optional<double> lowest;
    for (const auto &t : r.taxes) {
        Json tax = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        tax->set("rate", var(tidy(t.rate_percent)));
        tax->set("amount", var(tidy(t.amount)));
        tax->set("base", var(tidy(t.base)));
        tax->set("code", var(t.code));
        taxes->add(tax);
        if (t.confidence) lowest = lowest ? std::min(*lowest, *t.confidence) : *t.confidence;
    }
    out->set("taxes", taxes);
    review.confidence("taxes", !r.taxes.empty(), lowest);

    put(out, review, "date", r.date);
    put(out, review, "time", r.time);

    Json supplier = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    supplier->set("name", var(r.supplier_name.value));
    review.confidence("supplier.name", r.supplier_name.value.has_value(), r.supplier_name.confidence);
    supplier->set("address", var(r.supplier_address.value));
    review.confidence("supplier.address", r.supplier_address.value.has_value(), r.supplier_address.confidence);
    supplier->set("phone", var(r.supplier_phone.value));
    review.confidence("supplier.phone", r.supplier_phone.value.has_value(), r.supplier_phone.confidence);
    Poco::JSON::Array::Ptr registrations = new Poco::JSON::Array;
    for (const auto &reg : r.registrations) {
        Json entry = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        entry->set("type", reg.type);
        entry->set("number", reg.number);
        registrations->add(entry);
    }
    supplier->set("registrations", registrations);
    const auto numbers = french_numbers(r.registrations, r.country.value);
    supplier->set("siret", var(numbers.siret));
    supplier->set("siren", var(numbers.siren));
    supplier->set("vat", var(numbers.vat));
    out->set("supplier", supplier);

    put(out, review, "receipt_number", r.receipt_number);
    put(out, review, "category", r.category);
    put(out, review, "subcategory", r.subcategory);
    put(out, review, "document_type", r.document_type);
    Read<std::string> currency = r.currency;
    if (currency.value) currency.value = Poco::toUpper(*currency.value);
    put(out, review, "currency", currency);
    put(out, review, "country", r.country);
    put(out, review, "language", r.language);

    Poco::JSON::Array::Ptr lines = new Poco::JSON::Array;
    for (const auto &l : r.line_items) {
        Json line = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        line->set("description", var(l.description));
        line->set("quantity", var(tidy(l.quantity)));
        line->set("unit_price", var(tidy(l.unit_price)));
        line->set("total", var(tidy(l.total)));
        lines->add(line);
    }
    out->set("line_items", lines);

    if (!r.total_amount.value) review.flag("total_amount", "missing", "no total amount was read");
    if (!r.date.value) review.flag("date", "missing", "no date was read");
    if (!r.supplier_name.value) review.flag("supplier.name", "missing", "no supplier name was read");
    check_consistency(r, context, review);

    out->set("confidence", review.confidences());
    out->set("needs_review", review.flags());
    out->set("pages", static_cast<uint64_t>(r.pages));
    out->set("api_version", context.api_version);
    out->set("recorded_by", context.recorded_by.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(context.recorded_by));
    out->set("document_id", r.document_id.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.document_id));
    return out;
}

}  // namespace relais::mindee
