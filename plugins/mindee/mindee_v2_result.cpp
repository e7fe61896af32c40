// The v2 platform's extraction result (shared/reference/sirene-mindee.md B.2): inference.result.fields
// holds nodes of three kinds, a simple field {"value":...}, a list {"items":[...]} and an object
// {"fields":{...}}, each with "confidence" (Certain/High/Medium/Low) when the option was asked.
//
// Field names come from the model's data schema, so they are not fixed: the names of Mindee's
// financial-document model are read, and, where another spelling is plausible (a plural, the
// v1 name), that one too. Tax rates are fractions in v2 (0.2 for 20 %) and turned into percent.
#include "mindee_json.hpp"
#include "mindee_reading.hpp"

#include <cmath>
#include <initializer_list>

namespace relais::mindee {

std::optional<double> v2_confidence(const std::string &word) {
    if (word == "Certain") return 1.0;
    if (word == "High") return 0.85;
    if (word == "Medium") return 0.6;
    if (word == "Low") return 0.3;
    return std::nullopt;
}

namespace {

// The first of `names` present (and not null) among the fields.
Json node(const Json &fields, std::initializer_list<const char *> names) {
    for (const char *name : names)
        if (auto n = object_at(fields, name)) return n;
    return nullptr;
}

std::optional<double> confidence_of(const Json &n) {
    const auto word = text_at(n, "confidence");
    return word ? v2_confidence(*word) : std::nullopt;
}

Read<double> number_field(const Json &fields, std::initializer_list<const char *> names) {
    const auto n = node(fields, names);
    return {number_at(n, "value"), confidence_of(n)};
}

Read<std::string> text_field(const Json &fields, std::initializer_list<const char *> names) {
    const auto n = node(fields, names);
    return {text_at(n, "value"), confidence_of(n)};
}

// The sub-fields of an object node.
Json sub(const Json &n) { return object_at(n, "fields"); }

// An address: a simple field, or an object whose full text is under "complete" or "value" (the
// recorded result has one for the supplier, the other for the customer), else its parts joined.
Read<std::string> address(const Json &fields) {
    const auto n = node(fields, {"supplier_address"});
    if (!n) return {};
    if (const auto v = text_at(n, "value")) return {v, confidence_of(n)};
    const auto parts = sub(n);
    for (const char *whole : {"complete", "value", "address"}) {
        const auto p = object_at(parts, whole);
        if (const auto v = text_at(p, "value")) return {v, confidence_of(p) ? confidence_of(p) : confidence_of(n)};
    }
    std::string joined;
    for (const char *part : {"street_number", "street_name", "address_complement", "po_box", "postal_code", "city",
                             "state", "country"}) {
        if (const auto v = text_at(object_at(parts, part), "value")) joined += (joined.empty() ? "" : " ") + *v;
    }
    if (joined.empty()) return {};
    return {joined, confidence_of(n)};
}

std::vector<Json> items(const Json &fields, std::initializer_list<const char *> names) {
    std::vector<Json> out;
    for (const auto &item : objects_in(node(fields, names), "items")) out.push_back(item);
    return out;
}

std::optional<double> sub_number(const Json &item, std::initializer_list<const char *> names) {
    return number_at(node(sub(item), names), "value");
}

std::optional<std::string> sub_text(const Json &item, std::initializer_list<const char *> names) {
    return text_at(node(sub(item), names), "value");
}

// A rate as percent: v2 gives fractions (0.2), but a value of 1 or more can only be percent
// already (no VAT is 100 % or more), as a custom model may give it.
std::optional<double> percent(std::optional<double> rate) {
    if (!rate) return rate;
    const double p = *rate < 1.0 ? *rate * 100.0 : *rate;
    return std::round(p * 10000.0) / 10000.0;
}

}  // namespace

Reading read_v2_result(const Json &body) {
    const auto inference = object_at(body, "inference");
    if (!inference) throw Error(RELAIS_INTERNAL, "Mindee's v2 answer has no inference");
    const auto result = object_at(inference, "result");
    const auto fields = object_at(result, "fields");
    if (!fields) throw Error(RELAIS_INTERNAL, "Mindee's v2 answer has no inference.result.fields");

    Reading r;
    r.document_id = text_at(inference, "id").value_or("");
    r.pages = static_cast<std::size_t>(number_at(object_at(inference, "file"), "page_count").value_or(0));
    r.total_amount = number_field(fields, {"total_amount"});
    r.total_net = number_field(fields, {"total_net"});
    r.total_tax = number_field(fields, {"total_tax"});
    r.tip = number_field(fields, {"tips_gratuity", "tip"});
    r.date = text_field(fields, {"date", "purchase_date"});
    r.time = text_field(fields, {"time", "purchase_time"});
    r.supplier_name = text_field(fields, {"supplier_name"});
    r.supplier_address = address(fields);
    r.supplier_phone = text_field(fields, {"supplier_phone_number"});
    r.receipt_number = text_field(fields, {"receipt_number"});
    r.category = text_field(fields, {"purchase_category", "category"});
    r.subcategory = text_field(fields, {"purchase_subcategory", "subcategory"});
    r.document_type = text_field(fields, {"document_type"});
    if (const auto locale = node(fields, {"locale"})) {
        const auto parts = sub(locale);
        for (auto [target, name] : {std::pair{&r.currency, "currency"}, std::pair{&r.country, "country"},
                                    std::pair{&r.language, "language"}}) {
            const auto p = object_at(parts, name);
            *target = {text_at(p, "value"), confidence_of(p) ? confidence_of(p) : confidence_of(locale)};
        }
    }
    if (!r.currency.value) r.currency = text_field(fields, {"currency"});
    for (const auto &item : items(fields, {"taxes"})) {
        TaxLine t;
        t.rate_percent = percent(sub_number(item, {"rate"}));
        t.amount = sub_number(item, {"amount", "value"});
        t.base = sub_number(item, {"base"});
        t.code = sub_text(item, {"code"});
        t.confidence = confidence_of(item);
        r.taxes.push_back(t);
    }
    for (const auto &item : items(fields, {"supplier_company_registration", "supplier_company_registrations"})) {
        const auto number = sub_text(item, {"number", "value"});
        if (!number) continue;
        r.registrations.push_back({sub_text(item, {"type"}).value_or(""), *number, confidence_of(item)});
    }
    for (const auto &item : items(fields, {"line_items"})) {
        LineItem l;
        l.description = sub_text(item, {"description"});
        l.quantity = sub_number(item, {"quantity"});
        l.unit_price = sub_number(item, {"unit_price"});
        l.total = sub_number(item, {"total_price", "total_amount", "total"});
        l.confidence = confidence_of(item);
        r.line_items.push_back(l);
    }
    return r;
}

}  // namespace relais::mindee
