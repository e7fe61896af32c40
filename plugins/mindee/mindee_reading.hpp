// What Mindee read on a receipt, in one form for both API generations: v1's prediction
// (mindee_v1_prediction.cpp) and v2's result fields (mindee_v2_result.cpp) are each turned into
// a Reading, from which the one normalised expense is built (mindee_expense.hpp). Every value
// is optional: a blank or unreadable receipt is a Reading with nothing in it.
#pragma once

#include <relais/plugin.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace relais::mindee {

// A value and how sure Mindee is of it, 0 to 1 (nullopt: not given, as v2 without its
// confidence option).
template <class T>
struct Read {
    std::optional<T> value;
    std::optional<double> confidence;
};

struct TaxLine {
    std::optional<double> rate_percent;  // always percent: 20 for 20 %
    std::optional<double> amount, base;
    std::optional<std::string> code;
    std::optional<double> confidence;
};

struct Registration {
    std::string type;    // as Mindee names it: "VAT NUMBER", "SIRET", "VAT", ...
    std::string number;  // as read
    std::optional<double> confidence;
};

struct LineItem {
    std::optional<std::string> description;
    std::optional<double> quantity, unit_price, total;
    std::optional<double> confidence;
};

struct Reading {
    Read<double> total_amount, total_net, total_tax, tip;
    Read<std::string> date, time;
    Read<std::string> supplier_name, supplier_address, supplier_phone;
    Read<std::string> receipt_number, category, subcategory, document_type;
    Read<std::string> currency, country, language;
    std::vector<TaxLine> taxes;
    std::vector<Registration> registrations;
    std::vector<LineItem> line_items;
    std::size_t pages = 0;
    std::string document_id;  // v1 document id or v2 inference id
};

// v1: the answer of predict or of documents/{id} ({"api_request":..., "document":{...}}).
// Throws relais::Error (internal, naming the path) when the body has no document.
Reading read_v1_prediction(const Json &body);
// v2: the answer of a result ({"inference":{...}}); throws when it has no inference.
Reading read_v2_result(const Json &body);

// v2 confidence words as numbers: Certain 1.0, High 0.85, Medium 0.6, Low 0.3; nullopt for
// anything else (null, absent, an unknown word).
std::optional<double> v2_confidence(const std::string &word);

}  // namespace relais::mindee
