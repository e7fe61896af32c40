// v2 shapes: problem bodies (fixtures/mindee/v2/errors) and the extraction result
// (fixtures/mindee/v2/extraction/financial_document_complete.json). Field kinds: simple
// {"value"}, list {"items":[...]}, object {"fields":{...}}; with the confidence option every
// simple and object node has "confidence", with the polygon option simple ones have "locations".
#include "mindee_wire.hpp"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <cctype>

namespace relais::mindee_emulator {

namespace {

using Array = Poco::JSON::Array::Ptr;
using Var = Poco::Dynamic::Var;

Array array() { return new Poco::JSON::Array; }

class FieldWriter {
public:
    FieldWriter(const Receipt &receipt, const V2Options &options) : r_(receipt), options_(options) {}

    Json simple(const Var &value, double confidence) {
        Json f = object();
        f->set("value", value);
        if (options_.confidence) f->set("confidence", confidence_word(value.isEmpty() ? 0.0 : confidence));
        if (options_.polygon) f->set("locations", locations(!value.isEmpty()));
        return f;
    }
    Json simple(const std::string &key) { return simple(r_.value(key), r_.confidence(key)); }

    Json fields(const Json &inner, double confidence) {
        Json f = object();
        f->set("fields", inner);
        if (options_.confidence) f->set("confidence", confidence_word(confidence));
        return f;
    }

    static Json items(const Array &list) {
        Json f = object();
        f->set("items", list);
        return f;
    }

private:
    Array locations(bool has_value) {
        Array out = array();
        if (!has_value) return out;
        const int row = row_++ % 25;
        const double top = (50 + 35 * row) / 1000.0, bottom = (80 + 35 * row) / 1000.0;  // 3 decimals, as recorded
        Array polygon = array();
        for (const auto &[x, y] : {std::pair{0.2, top}, std::pair{0.8, top}, std::pair{0.8, bottom}, std::pair{0.2, bottom}}) {
            Array point = array();
            point->add(x);
            point->add(y);
            polygon->add(point);
        }
        Json location = object();
        location->set("page", 0);
        location->set("polygon", polygon);
        out->add(location);
        return out;
    }

    const Receipt &r_;
    const V2Options &options_;
    int row_ = 0;
};

Var member(const Json &o, const std::string &key) {
    if (!o || !o->has(key)) return {};
    return o->get(key);
}

// v1's "EXPENSE RECEIPT" is v2's "expense_receipt".
Var v2_document_type(const Receipt &r) {
    auto type = r.text("document_type");
    if (!type) return {};
    std::string out;
    for (const char c : *type) out += c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

Var rate_fraction(const Var &percent) {
    if (percent.isEmpty() || !percent.isNumeric()) return percent;
    return percent.convert<double>() / 100.0;
}

Json result_fields(const Receipt &r, const V2Options &options, bool registrations_plural) {
    FieldWriter w(r, options);
    Json f = object();
    f->set("date", w.simple("date"));
    f->set("time", w.simple("time"));
    f->set("total_amount", w.simple("total_amount"));
    f->set("total_net", w.simple("total_net"));
    f->set("total_tax", w.simple("total_tax"));
    f->set("tips_gratuity", w.simple(r.value("tip"), r.confidence("tip")));

    Array taxes = array();
    const auto tax_items = r.array("taxes");
    for (unsigned i = 0; i < tax_items->size(); ++i) {
        const auto t = tax_items->getObject(i);
        const double c = r.confidence("taxes");
        Json inner = object();
        inner->set("base", w.simple(member(t, "base"), c));
        inner->set("rate", w.simple(rate_fraction(member(t, "rate")), c));  // 20 % is 0.2 in v2
        inner->set("amount", w.simple(member(t, "amount"), c));
        taxes->add(w.fields(inner, c));
    }
    f->set("taxes", FieldWriter::items(taxes));

    Json locale = object();
    for (const char *key : {"country", "currency", "language"}) locale->set(key, w.simple(r.value(key), r.confidence("locale")));
    f->set("locale", w.fields(locale, r.blank() ? 0.0 : r.confidence("locale")));

    f->set("supplier_name", w.simple("supplier_name"));
    Json address = object();
    for (const char *key : {"address_complement", "city", "complete", "country", "po_box", "postal_code", "state",
                            "street_name", "street_number"})
        address->set(key, std::string(key) == "complete" ? w.simple("supplier_address")
                                                         : w.simple(Var(), 0.0));
    f->set("supplier_address", w.fields(address, r.confidence("supplier_address")));
    f->set("supplier_phone_number", w.simple(r.value("supplier_phone"), r.confidence("supplier_phone")));

    Array registrations = array();
    const auto reg_items = r.array("registrations");
    for (unsigned i = 0; i < reg_items->size(); ++i) {
        const auto g = reg_items->getObject(i);
        const double c = r.confidence("registrations");
        Json inner = object();
        inner->set("type", w.simple(member(g, "type"), c));
        inner->set("number", w.simple(member(g, "number"), c));
        registrations->add(w.fields(inner, c));
    }
    // The recorded answer names it in the singular; the option tries the other spelling.
    f->set(registrations_plural ? "supplier_company_registrations" : "supplier_company_registration",
           FieldWriter::items(registrations));

    f->set("receipt_number", w.simple("receipt_number"));
    f->set("purchase_category", w.simple(r.value("category"), r.confidence("category")));
    f->set("purchase_subcategory", w.simple(r.value("subcategory"), r.confidence("subcategory")));
    f->set("document_type", w.simple(v2_document_type(r), r.confidence("document_type")));

    Array lines = array();
    const auto line_items = r.array("line_items");
    for (unsigned i = 0; i < line_items->size(); ++i) {
        const auto l = line_items->getObject(i);
        const double c = r.confidence("line_items");
        Json inner = object();
        inner->set("description", w.simple(member(l, "description"), c));
        inner->set("quantity", w.simple(member(l, "quantity"), c));
        inner->set("unit_price", w.simple(member(l, "unit_price"), c));
        inner->set("total_price", w.simple(member(l, "total"), c));
        lines->add(w.fields(inner, c));
    }
    f->set("line_items", FieldWriter::items(lines));
    return f;
}

// The text the OCR would find: the marker's fields, one per line (our convention's reading).
Json raw_text(const Receipt &r, int pages) {
    Array out = array();
    for (int i = 0; i < pages; ++i) {
        std::string content;
        if (i == 0)
            for (const char *key : {"supplier_name", "supplier_address", "date", "time", "total_amount"})
                if (const auto v = r.text(key)) content += *v + "\n";
        Json page = object();
        page->set("content", content);
        out->add(page);
    }
    Json t = object();
    t->set("pages", out);
    return t;
}

}  // namespace

Json v2_problem_body(int status, const std::string &title, const std::string &detail, const std::string &code,
                     const std::vector<ProblemItem> &errors) {
    Json p = object();
    p->set("status", status);
    p->set("detail", detail);
    p->set("title", title);
    p->set("code", code);
    Array list = array();
    for (const auto &e : errors) {
        Json item = object();
        item->set("pointer", e.pointer);
        item->set("detail", e.detail);
        list->add(item);
    }
    p->set("errors", list);
    return p;
}

emulator::Response v2_problem(int status, const std::string &title, const std::string &detail, const std::string &code,
                              const std::vector<ProblemItem> &errors) {
    auto r = emulator::Response::json(status, v2_problem_body(status, title, detail, code, errors));
    r.headers.set("Content-Type", "application/problem+json");
    return r;
}

const char *confidence_word(double c) {
    if (c >= 0.95) return "Certain";
    if (c >= 0.80) return "High";
    if (c >= 0.50) return "Medium";
    return "Low";
}

Json v2_inference(const Document &document, const std::string &inference_id, const std::string &job_id,
                  const std::string &model_id, const std::optional<std::string> &alias, const V2Options &options,
                  bool registrations_plural) {
    Json inference = object();
    inference->set("id", inference_id);
    Json job = object();
    job->set("id", job_id);
    inference->set("job", job);
    Json model = object();
    model->set("id", model_id);
    inference->set("model", model);
    Json file = object();
    file->set("name", document.name);
    file->set("alias", alias ? Var(*alias) : Var());
    file->set("page_count", document.pages);
    file->set("mime_type", mime_type(document.type));
    inference->set("file", file);
    Json result = object();
    result->set("fields", result_fields(document.receipt, options, registrations_plural));
    result->set("raw_text", options.raw_text ? Var(raw_text(document.receipt, document.pages)) : Var());
    inference->set("result", result);
    Json active = object();
    active->set("raw_text", options.raw_text);
    active->set("rag", options.rag);
    active->set("polygon", options.polygon);
    active->set("confidence", options.confidence);
    active->set("text_context", options.text_context);
    Json schema = object();
    schema->set("replace", false);
    active->set("data_schema", schema);
    inference->set("active_options", active);
    Json body = object();
    body->set("inference", inference);
    return body;
}

}  // namespace relais::mindee_emulator
