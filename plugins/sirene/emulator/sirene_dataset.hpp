// What the Sirene emulator knows: establishments (/siret) and legal units (/siren), each kept
// as the exact JSON the API sends, plus an index for `q` searches.
//
// Two sources: the real responses recorded in fixtures/ (kept byte for byte in meaning and key
// order), and a deterministic generator of synthetic companies (sirene_synthetic.hpp) with
// valid check digits: individuals and companies, closed establishments, ceased units,
// partially diffusible ones with [ND] masks, La Poste's non-Luhn SIRETs, and duplicates
// ("doublons") that answer 301.
//
// Immutable once built: the emulator's handler threads read it concurrently.
#pragma once

#include "sirene_query.hpp"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace relais::sirene_emulator {

struct Record {
    std::string key;                  // the siret or the siren
    std::string json;                 // the object as sent (compact)
    Poco::JSON::Object::Ptr object;   // parsed, read-only
    FieldIndex index;
    std::string created;              // AAAA-MM-JJ, for the `date` parameter
    bool recorded = false;            // from a real recorded response
};

struct DatasetOptions {
    // The recorded responses (plugins/sirene/emulator/fixtures); empty: none.
    std::filesystem::path fixtures_dir;
    // Synthetic legal units; each has one to three establishments.
    std::size_t synthetic_legal_units = 2000;
    std::uint64_t seed = 20240910;
};

class Dataset {
public:
    static std::shared_ptr<const Dataset> build(const DatasetOptions &options);

    const Record *establishment(const std::string &siret) const;
    const Record *legal_unit(const std::string &siren) const;
    // Sorted by siret / siren (the API's default order).
    const std::vector<const Record *> &establishments() const { return establishments_sorted_; }
    const std::vector<const Record *> &legal_units() const { return legal_units_sorted_; }
    // What a duplicate identifier was replaced by (the 301 answers).
    std::optional<std::string> replacement(const std::string &siret_or_siren) const;
    const std::map<std::string, std::string> &replacements() const { return replacements_; }
    // The recorded succession links (liensSuccession), as objects.
    const std::vector<Record> &succession_links() const { return links_; }

    // For tests and benchmarks: sirets whose record satisfies `predicate`, in order.
    std::vector<std::string> sirets_where(const std::function<bool(const Poco::JSON::Object::Ptr &)> &predicate) const;
    std::vector<std::string> sirens_where(const std::function<bool(const Poco::JSON::Object::Ptr &)> &predicate) const;

    // Adds a record given as the API's JSON object (tests add edge cases this way).
    void add_establishment(const Poco::JSON::Object::Ptr &etablissement, bool recorded = false);
    void add_legal_unit(const Poco::JSON::Object::Ptr &unite_legale, bool recorded = false);
    void add_replacement(const std::string &old_id, const std::string &new_id);
    void add_succession_link(const Poco::JSON::Object::Ptr &link);
    void finish();  // sorts; called by build()

private:
    std::map<std::string, Record> establishments_;
    std::map<std::string, Record> legal_units_;
    std::map<std::string, std::string> replacements_;
    std::vector<Record> links_;
    std::vector<const Record *> establishments_sorted_;
    std::vector<const Record *> legal_units_sorted_;
};

// Luhn (mod 10) over all digits, as SIREN and SIRET check digits are computed.
bool luhn_valid(const std::string &digits);
// The digit to append to `digits` to make the whole Luhn-valid.
char luhn_check_digit(const std::string &digits);

}  // namespace relais::sirene_emulator
