// The v1 products API's receipt prediction (expense_receipts v5, shared/reference/sirene-mindee.md
// B.1): document.inference.prediction holds one object per field, {"value":..., "confidence":...},
// with taxes, registrations and line items as arrays. The keys are read by name, never by
// position: their order differs between answers.
#include "mindee_json.hpp"
#include "mindee_reading.hpp"

namespace relais::mindee {

namespace {

template <class T>
Read<T> field(const Json &prediction, const char *key) {
    Read<T> r;
    const auto node = object_at(prediction, key);
    if (!node) return r;
    if constexpr (std::is_same_v<T, double>)
        r.value = number_at(node, "value");
    else
        r.value = text_at(node, "value");
    r.confidence = number_at(node, "confidence");
    return r;
}

}  // namespace

Reading read_v1_prediction(const Json &body) {
    const auto document = object_at(body, "document");
    if (!document)
        throw Error(RELAIS_INTERNAL, "Mindee's v1 answer has no document (api_request.error: " +
                                         describe_v1_error(body) + ")");
    const auto inference = object_at(document, "inference");
    const auto prediction = inference ? object_at(inference, "prediction") : nullptr;
    if (!prediction) throw Error(RELAIS_INTERNAL, "Mindee's v1 answer has no document.inference.prediction");

    Reading r;
    r.document_id = text_at(document, "id").value_or("");
    r.pages = static_cast<std::size_t>(number_at(document, "n_pages").value_or(0));
    if (r.pages == 0) {
        const auto pages = array_at(inference, "pages");
        r.pages = pages ? pages->size() : 0;
    }
    r.total_amount = field<double>(prediction, "total_amount");
    r.total_net = field<double>(prediction, "total_net");
    r.total_tax = field<double>(prediction, "total_tax");
    r.tip = field<double>(prediction, "tip");
    r.date = field<std::string>(prediction, "date");
    r.time = field<std::string>(prediction, "time");
    r.supplier_name = field<std::string>(prediction, "supplier_name");
    r.supplier_address = field<std::string>(prediction, "supplier_address");
    r.supplier_phone = field<std::string>(prediction, "supplier_phone_number");
    r.receipt_number = field<std::string>(prediction, "receipt_number");
    r.category = field<std::string>(prediction, "category");
    r.subcategory = field<std::string>(prediction, "subcategory");
    r.document_type = field<std::string>(prediction, "document_type");
    if (const auto locale = object_at(prediction, "locale")) {
        const auto confidence = number_at(locale, "confidence");
        r.currency = {text_at(locale, "currency"), confidence};
        r.country = {text_at(locale, "country"), confidence};
        r.language = {text_at(locale, "language"), confidence};
    }
    for (const auto &tax : objects_in(prediction, "taxes")) {
        TaxLine t;
        t.rate_percent = number_at(tax, "rate");  // v1 gives percent
        t.amount = number_at(tax, "value");
        t.base = number_at(tax, "base");
        t.code = text_at(tax, "code");
        t.confidence = number_at(tax, "confidence");
        r.taxes.push_back(t);
    }
    for (const auto &reg : objects_in(prediction, "supplier_company_registrations")) {
        const auto number = text_at(reg, "value");
        if (!number || number->empty()) continue;
        r.registrations.push_back({text_at(reg, "type").value_or(""), *number, number_at(reg, "confidence")});
    }
    for (const auto &item : objects_in(prediction, "line_items")) {
        LineItem l;
        l.description = text_at(item, "description");
        l.quantity = number_at(item, "quantity");
        l.unit_price = number_at(item, "unit_price");
        l.total = number_at(item, "total_amount");
        l.confidence = number_at(item, "confidence");
        r.line_items.push_back(l);
    }
    return r;
}

}  // namespace relais::mindee
