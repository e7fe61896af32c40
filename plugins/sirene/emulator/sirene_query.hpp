// The `q` parameter of API Sirene's multi-criteria search, as the emulator understands it:
// a Lucene-like subset, strict about what it does not understand (400, as the API does).
//
//   siret:39860733300059              a field and a value (case-insensitive)
//   denominationUniteLegale:"LA POSTE" a phrase: the words in this order, within the value
//   nomUniteLegale:DUP*                a prefix, of the value or of one of its words
//   codePostalEtablissement:*          the field has a value
//   dateCreationEtablissement:[2020-01-01 TO *]   a range (string order, inclusive)
//   A AND B, A OR B, NOT A, -A, (A OR B) A B (adjacent terms: AND)
//   periode(etatAdministratifEtablissement:F)     historised fields, in any period
//
// Historised fields (those that live in the periods) must be inside periode(...), and only
// they may be; unknown fields are refused. A value matches a term when it equals it, or when
// one of its words does (names are searched word by word).
#pragma once

#include <Poco/JSON/Object.h>

#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace relais::sirene_emulator {

// A record's values, ready for matching: upper-case strings, "TRUE"/"FALSE", numbers as text.
// Null values are absent.
struct FieldIndex {
    std::unordered_map<std::string, std::string> current;                // not historised
    std::vector<std::unordered_map<std::string, std::string>> periods;   // historised, newest first
};

// What a collection (/siret or /siren) can be searched on.
struct Collection {
    std::string name;                 // "siret", "siren"
    std::set<std::string> fields;     // searchable outside periode()
    std::set<std::string> historised; // searchable inside periode()

    static const Collection &establishments();
    static const Collection &legal_units();
    static const Collection &succession_links();
};

FieldIndex index_establishment(const Poco::JSON::Object::Ptr &etablissement);
FieldIndex index_legal_unit(const Poco::JSON::Object::Ptr &unite_legale);
FieldIndex index_flat(const Poco::JSON::Object::Ptr &object);  // scalars only, no periods

class QueryError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Query {
public:
    // Throws QueryError with a message for the 400 answer.
    static Query parse(const std::string &q, const Collection &collection);
    bool matches(const FieldIndex &record) const;
    // The values of `field` the query asks for when it is nothing but `field:v1 OR field:v2 ...`
    // (the batched lookups connectors send), so the emulator can look them up directly.
    const std::vector<std::string> *only_values_of(const std::string &field) const;

    struct Node;

private:
    std::shared_ptr<const Node> root_;
};

}  // namespace relais::sirene_emulator
