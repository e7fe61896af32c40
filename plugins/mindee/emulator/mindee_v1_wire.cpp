// v1 shapes: the api_request envelope, jobs, and the receipt v5 prediction (document level and
// page level) as fixtures/mindee/v1/expense_receipts_v5/complete.json has them.
#include "mindee_wire.hpp"

#include <Poco/JSON/Array.h>

namespace relais::mindee_emulator {

namespace {

using Array = Poco::JSON::Array::Ptr;

Array array() { return new Poco::JSON::Array; }

// Relative coordinates of a made-up box on the page, one row per field, so that each field has
// a distinct, plausible polygon.
Array polygon(int row) {
    const double top = (50 + 35 * row) / 1000.0, bottom = (80 + 35 * row) / 1000.0;  // 3 decimals, as recorded
    Array p = array();
    for (const auto &[x, y] : {std::pair{0.2, top}, std::pair{0.8, top}, std::pair{0.8, bottom}, std::pair{0.2, bottom}}) {
        Array point = array();
        point->add(x);
        point->add(y);
        p->add(point);
    }
    return p;
}

// How the prediction is written: for the document (fields carry page_id) or for one page
// (no page_id); an empty page has every field empty.
struct Level {
    bool document;
    bool empty;
};

void place(Json field, const Level &level, bool has_value, int row) {
    if (level.document) field->set("page_id", has_value ? Poco::Dynamic::Var(0) : Poco::Dynamic::Var());
    field->set("polygon", has_value ? polygon(row) : array());
}

// {"confidence","page_id","polygon","value"} (+ "raw_value" for the supplier's name).
Json positioned(const Receipt &r, const std::string &key, const Level &level, int row, bool raw_value = false) {
    const auto value = level.empty ? Poco::Dynamic::Var() : r.value(key);
    Json f = object();
    f->set("confidence", value.isEmpty() ? 0.0 : r.confidence(key));
    place(f, level, !value.isEmpty(), row);
    if (raw_value) f->set("raw_value", value);
    f->set("value", value);
    return f;
}

// {"confidence","value"}: classifications, with no position.
Json classification(const Receipt &r, const std::string &key, const Level &level) {
    const auto value = level.empty ? Poco::Dynamic::Var() : r.value(key);
    Json f = object();
    f->set("confidence", value.isEmpty() ? 0.0 : r.confidence(key));
    f->set("value", value);
    return f;
}

Json locale(const Receipt &r, const Level &level) {
    const auto part = [&](const char *key) { return level.empty ? std::optional<std::string>() : r.text(key); };
    const auto language = part("language"), country = part("country"), currency = part("currency");
    Json f = object();
    const bool any = language || country || currency;
    f->set("confidence", any ? r.confidence("locale") : 0.0);
    const auto var = [](const std::optional<std::string> &s) { return s ? Poco::Dynamic::Var(*s) : Poco::Dynamic::Var(); };
    f->set("country", var(country));
    f->set("currency", var(currency));
    f->set("language", var(language));
    std::optional<std::string> tag;
    if (language && country)
        tag = *language + "-" + *country;
    else if (language)
        tag = *language;
    f->set("value", var(tag));
    return f;
}

Poco::Dynamic::Var member(const Json &o, const std::string &key) {
    if (!o->has(key)) return {};
    return o->get(key);
}

Array taxes(const Receipt &r, const Level &level, int row) {
    Array out = array();
    if (level.empty) return out;
    const auto items = r.array("taxes");
    for (unsigned i = 0; i < items->size(); ++i) {
        const auto t = items->getObject(i);
        if (!t) continue;
        Json f = object();
        f->set("base", member(t, "base"));
        f->set("code", member(t, "code"));
        f->set("confidence", r.confidence("taxes"));
        place(f, level, true, row + static_cast<int>(i));
        f->set("rate", member(t, "rate"));  // percent, as v1 gives it
        f->set("value", member(t, "amount"));
        out->add(f);
    }
    return out;
}

Array registrations(const Receipt &r, const Level &level, int row) {
    Array out = array();
    if (level.empty) return out;
    const auto items = r.array("registrations");
    for (unsigned i = 0; i < items->size(); ++i) {
        const auto g = items->getObject(i);
        if (!g) continue;
        Json f = object();
        f->set("confidence", r.confidence("registrations"));
        place(f, level, true, row + static_cast<int>(i));
        f->set("type", member(g, "type"));
        f->set("value", member(g, "number"));
        out->add(f);
    }
    return out;
}

Array line_items(const Receipt &r, const Level &level, int row) {
    Array out = array();
    if (level.empty) return out;
    const auto items = r.array("line_items");
    for (unsigned i = 0; i < items->size(); ++i) {
        const auto l = items->getObject(i);
        if (!l) continue;
        Json f = object();
        f->set("confidence", r.confidence("line_items"));
        f->set("description", member(l, "description"));
        place(f, level, true, row + static_cast<int>(i));
        f->set("quantity", member(l, "quantity"));
        f->set("total_amount", member(l, "total"));
        f->set("unit_price", member(l, "unit_price"));
        out->add(f);
    }
    return out;
}

// The receipt v5 fields, in the recorded (alphabetical) order.
Json prediction(const Receipt &r, const Level &level) {
    Json p = object();
    p->set("category", classification(r, "category", level));
    p->set("date", positioned(r, "date", level, 3));
    p->set("document_type", classification(r, "document_type", level));
    p->set("line_items", line_items(r, level, 6));
    p->set("locale", locale(r, level));
    if (!level.document) {
        Json orientation = object();
        orientation->set("confidence", 0.99);
        orientation->set("degrees", 0);
        p->set("orientation", orientation);
    }
    p->set("receipt_number", positioned(r, "receipt_number", level, 20));
    p->set("subcategory", classification(r, "subcategory", level));
    p->set("supplier_address", positioned(r, "supplier_address", level, 1));
    p->set("supplier_company_registrations", registrations(r, level, 22));
    p->set("supplier_name", positioned(r, "supplier_name", level, 0, true));
    // Our convention says supplier_phone; Mindee's field is supplier_phone_number.
    Json phone = positioned(r, "supplier_phone", level, 2);
    p->set("supplier_phone_number", phone);
    p->set("taxes", taxes(r, level, 14));
    p->set("time", positioned(r, "time", level, 4));
    p->set("tip", positioned(r, "tip", level, 13));
    p->set("total_amount", positioned(r, "total_amount", level, 12));
    p->set("total_net", positioned(r, "total_net", level, 10));
    p->set("total_tax", positioned(r, "total_tax", level, 11));
    return p;
}

Poco::JSON::Array::Ptr features() {
    Array f = array();
    for (const char *name : {"locale", "category", "subcategory", "document_type", "date", "time", "total_amount",
                             "total_net", "total_tax", "tip", "taxes", "supplier_name", "supplier_company_registrations",
                             "supplier_address", "supplier_phone_number", "orientation", "receipt_number", "line_items"})
        f->add(std::string(name));
    return f;
}

}  // namespace

Json v1_api_request(int status_code, const std::string &url, const std::vector<std::string> &resources,
                    const Json &error, const std::string &status) {
    Json a = object();
    a->set("error", error ? error : object());
    Array r = array();
    for (const auto &name : resources) r->add(name);
    a->set("resources", r);
    a->set("status", status.empty() ? (status_code < 400 ? "success" : "failure") : status);
    a->set("status_code", status_code);
    a->set("url", url);
    return a;
}

emulator::Response v1_error(int status, const std::string &url, const std::string &code, const std::string &details,
                            const std::string &message) {
    Json error = object();
    error->set("code", code);
    error->set("details", details);
    error->set("message", message);
    Json body = object();
    body->set("api_request", v1_api_request(status, url, {}, error, "failure"));
    return emulator::Response::json(status, body);
}

Json v1_document_json(const Document &document, const std::string &document_id, time_point started, time_point finished) {
    const Receipt &r = document.receipt;
    Json inference = object();
    inference->set("extras", object());
    inference->set("finished_at", iso_time(finished));
    inference->set("is_rotation_applied", true);
    Array pages = array();
    for (int i = 0; i < document.pages; ++i) {
        Json page = object();
        page->set("extras", object());
        page->set("id", i);
        Json orientation = object();
        orientation->set("value", 0);
        page->set("orientation", orientation);
        page->set("prediction", prediction(r, {false, i > 0}));
        pages->add(page);
    }
    inference->set("pages", pages);
    inference->set("prediction", prediction(r, {true, false}));
    inference->set("processing_time",
                   std::chrono::duration_cast<std::chrono::milliseconds>(finished - started).count() / 1000.0);
    Json product = object();
    product->set("features", features());
    product->set("name", "mindee/expense_receipts");
    product->set("type", "standard");
    product->set("version", "5.3");
    inference->set("product", product);
    inference->set("started_at", iso_time(started));

    Json d = object();
    d->set("id", document_id);
    d->set("inference", inference);
    d->set("n_pages", document.pages);
    d->set("name", document.name);
    return d;
}

Json v1_job(const std::string &id, const std::string &status, time_point issued, std::optional<time_point> available,
            const Json &error) {
    Json j = object();
    j->set("issued_at", iso_time(issued));
    j->set("available_at", available ? Poco::Dynamic::Var(iso_time(*available)) : Poco::Dynamic::Var());
    j->set("id", id);
    j->set("status", status);
    j->set("error", error ? error : object());
    return j;
}

}  // namespace relais::mindee_emulator
