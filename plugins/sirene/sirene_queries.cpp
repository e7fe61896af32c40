#include "sirene_queries.hpp"

#include <relais/plugin.hpp>

#include <Poco/String.h>

#include <algorithm>
#include <cctype>
#include <regex>

namespace relais::sirene {

std::string quoted(std::string_view value) {
    std::string out = "\"";
    for (char c : value) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string batch_term(const Identifier &id) {
    return id.kind == IdKind::siret ? "siret:" + id.digits : "(" + head_office_query(id.digits) + ")";
}

std::string batch_query(const std::vector<Identifier> &ids) {
    std::string q;
    for (const auto &id : ids) {
        if (!q.empty()) q += kBatchSeparator;
        q += batch_term(id);
    }
    return q;
}

std::string head_office_query(const std::string &siren) { return "siren:" + siren + " AND etablissementSiege:true"; }

namespace {

// Upper case (Sirene's data is), inner whitespace collapsed.
std::string clean_name(std::string name) {
    std::string out;
    bool space = false;
    for (char c : name) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

}  // namespace

std::string search_query(const SearchCriteria &c) {
    std::vector<std::string> parts;
    if (c.name) {
        const auto name = clean_name(*c.name);
        if (name.size() < 2) throw invalid_input("name must have at least 2 characters");
        const auto phrase = quoted(name);
        parts.push_back("(denominationUniteLegale:" + phrase + " OR nomUniteLegale:" + phrase +
                        " OR denominationUsuelle1UniteLegale:" + phrase + " OR periode(enseigne1Etablissement:" + phrase +
                        ") OR periode(denominationUsuelleEtablissement:" + phrase + "))");
    }
    if (c.postal_code) {
        auto code = *c.postal_code;
        Poco::trimInPlace(code);
        static const std::regex postal(R"(\d{5})");
        if (!std::regex_match(code, postal)) throw invalid_input("postal_code must be 5 digits, not '" + *c.postal_code + "'");
        parts.push_back("codePostalEtablissement:" + code);
    }
    if (c.naf) {
        auto code = Poco::toUpper(Poco::trim(*c.naf));
        static const std::regex with_dot(R"(\d{2}\.\d{2}[A-Z])"), without_dot(R"(\d{4}[A-Z])");
        if (std::regex_match(code, without_dot)) code = code.substr(0, 2) + "." + code.substr(2);
        if (!std::regex_match(code, with_dot))
            throw invalid_input("naf must be a NAF rev. 2 code such as 56.10C or 5610C, not '" + *c.naf + "'");
        parts.push_back("periode(activitePrincipaleEtablissement:" + code + ")");
    }
    if (c.siren) {
        const auto id = require_identifier(*c.siren);
        if (id.kind != IdKind::siren) throw invalid_input("siren must be a SIREN (9 digits)");
        parts.push_back("siren:" + id.digits);
    }
    if (c.head_office_only) parts.push_back("etablissementSiege:true");
    if (parts.empty() || (parts.size() == 1 && c.head_office_only))
        throw invalid_input("give at least one of name, postal_code, naf or siren to search on");
    std::string q;
    for (const auto &p : parts) q += (q.empty() ? "" : " AND ") + p;
    return q;
}

}  // namespace relais::sirene
