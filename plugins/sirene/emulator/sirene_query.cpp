#include "sirene_query.hpp"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <cctype>
#include <unordered_set>

namespace relais::sirene_emulator {

namespace {

using Json = Poco::JSON::Object::Ptr;
using Map = std::unordered_map<std::string, std::string>;

std::string upper(std::string s) {
    for (auto &c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

bool separator(char c) { return c == ' ' || c == '-' || c == '\'' || c == ',' || c == '/' || c == '&'; }

std::vector<std::string> words(const std::string &value) {
    std::vector<std::string> out;
    std::string word;
    for (char c : value) {
        if (separator(c)) {
            if (!word.empty()) out.push_back(std::move(word));
            word.clear();
        } else {
            word += c;
        }
    }
    if (!word.empty()) out.push_back(std::move(word));
    return out;
}

// Scalars of `o` into `map` (objects and arrays are skipped: the caller descends).
void add_scalars(const Json &o, Map &map) {
    if (!o) return;
    for (const auto &[key, value] : *o) {
        if (value.isEmpty()) continue;
        if (value.type() == typeid(Json) || value.type() == typeid(Poco::JSON::Array::Ptr)) continue;
        if (value.isBoolean())
            map[key] = value.extract<bool>() ? "TRUE" : "FALSE";
        else
            map[key] = upper(value.convert<std::string>());
    }
}

std::vector<Map> index_periods(const Json &record, const std::string &key) {
    std::vector<Map> periods;
    const auto array = record->getArray(key);
    if (!array) return periods;
    for (unsigned i = 0; i < array->size(); ++i) {
        Map m;
        add_scalars(array->getObject(i), m);
        periods.push_back(std::move(m));
    }
    return periods;
}

std::set<std::string> set_of(std::initializer_list<const char *> names) { return {names.begin(), names.end()}; }

const std::set<std::string> kEstablishmentTop = set_of(
    {"siren", "nic", "siret", "statutDiffusionEtablissement", "dateCreationEtablissement",
     "trancheEffectifsEtablissement", "anneeEffectifsEtablissement", "activitePrincipaleRegistreMetiersEtablissement",
     "dateDernierTraitementEtablissement", "etablissementSiege", "nombrePeriodesEtablissement"});
const std::set<std::string> kFlatLegalUnit = set_of(
    {"etatAdministratifUniteLegale", "statutDiffusionUniteLegale", "unitePurgeeUniteLegale", "dateCreationUniteLegale",
     "categorieJuridiqueUniteLegale", "denominationUniteLegale", "sigleUniteLegale", "denominationUsuelle1UniteLegale",
     "denominationUsuelle2UniteLegale", "denominationUsuelle3UniteLegale", "sexeUniteLegale", "nomUniteLegale",
     "nomUsageUniteLegale", "prenom1UniteLegale", "prenom2UniteLegale", "prenom3UniteLegale", "prenom4UniteLegale",
     "prenomUsuelUniteLegale", "pseudonymeUniteLegale", "activitePrincipaleUniteLegale",
     "nomenclatureActivitePrincipaleUniteLegale", "identifiantAssociationUniteLegale",
     "economieSocialeSolidaireUniteLegale", "societeMissionUniteLegale", "caractereEmployeurUniteLegale",
     "trancheEffectifsUniteLegale", "anneeEffectifsUniteLegale", "nicSiegeUniteLegale",
     "dateDernierTraitementUniteLegale", "categorieEntreprise", "anneeCategorieEntreprise"});
const std::set<std::string> kAddress = set_of(
    {"complementAdresseEtablissement", "numeroVoieEtablissement", "indiceRepetitionEtablissement",
     "dernierNumeroVoieEtablissement", "indiceRepetitionDernierNumeroVoieEtablissement", "typeVoieEtablissement",
     "libelleVoieEtablissement", "codePostalEtablissement", "libelleCommuneEtablissement",
     "libelleCommuneEtrangerEtablissement", "distributionSpecialeEtablissement", "codeCommuneEtablissement",
     "codeCedexEtablissement", "libelleCedexEtablissement", "codePaysEtrangerEtablissement",
     "libellePaysEtrangerEtablissement", "identifiantAdresseEtablissement", "coordonneeLambertAbscisseEtablissement",
     "coordonneeLambertOrdonneeEtablissement", "complementAdresse2Etablissement", "numeroVoie2Etablissement",
     "indiceRepetition2Etablissement", "typeVoie2Etablissement", "libelleVoie2Etablissement",
     "codePostal2Etablissement", "libelleCommune2Etablissement", "libelleCommuneEtranger2Etablissement",
     "distributionSpeciale2Etablissement", "codeCommune2Etablissement", "codeCedex2Etablissement",
     "libelleCedex2Etablissement", "codePaysEtranger2Etablissement", "libellePaysEtranger2Etablissement"});
const std::set<std::string> kEstablishmentPeriods = set_of(
    {"dateFin", "dateDebut", "etatAdministratifEtablissement", "changementEtatAdministratifEtablissement",
     "enseigne1Etablissement", "enseigne2Etablissement", "enseigne3Etablissement", "changementEnseigneEtablissement",
     "denominationUsuelleEtablissement", "changementDenominationUsuelleEtablissement",
     "activitePrincipaleEtablissement", "nomenclatureActivitePrincipaleEtablissement",
     "changementActivitePrincipaleEtablissement", "caractereEmployeurEtablissement",
     "changementCaractereEmployeurEtablissement"});
const std::set<std::string> kLegalUnitTop = set_of(
    {"siren", "statutDiffusionUniteLegale", "unitePurgeeUniteLegale", "dateCreationUniteLegale", "sigleUniteLegale",
     "sexeUniteLegale", "prenom1UniteLegale", "prenom2UniteLegale", "prenom3UniteLegale", "prenom4UniteLegale",
     "prenomUsuelUniteLegale", "pseudonymeUniteLegale", "identifiantAssociationUniteLegale",
     "trancheEffectifsUniteLegale", "anneeEffectifsUniteLegale", "dateDernierTraitementUniteLegale",
     "nombrePeriodesUniteLegale", "categorieEntreprise", "anneeCategorieEntreprise"});
const std::set<std::string> kLegalUnitPeriods = set_of(
    {"dateFin", "dateDebut", "etatAdministratifUniteLegale", "changementEtatAdministratifUniteLegale",
     "nomUniteLegale", "changementNomUniteLegale", "nomUsageUniteLegale", "changementNomUsageUniteLegale",
     "denominationUniteLegale", "changementDenominationUniteLegale", "denominationUsuelle1UniteLegale",
     "denominationUsuelle2UniteLegale", "denominationUsuelle3UniteLegale",
     "changementDenominationUsuelleUniteLegale", "categorieJuridiqueUniteLegale",
     "changementCategorieJuridiqueUniteLegale", "activitePrincipaleUniteLegale",
     "nomenclatureActivitePrincipaleUniteLegale", "changementActivitePrincipaleUniteLegale", "nicSiegeUniteLegale",
     "changementNicSiegeUniteLegale", "economieSocialeSolidaireUniteLegale",
     "changementEconomieSocialeSolidaireUniteLegale", "societeMissionUniteLegale",
     "changementSocieteMissionUniteLegale", "caractereEmployeurUniteLegale",
     "changementCaractereEmployeurUniteLegale"});

}  // namespace

const Collection &Collection::establishments() {
    static const Collection c = [] {
        Collection x;
        x.name = "siret";
        x.fields = kEstablishmentTop;
        x.fields.insert(kFlatLegalUnit.begin(), kFlatLegalUnit.end());
        x.fields.insert(kAddress.begin(), kAddress.end());
        x.historised = kEstablishmentPeriods;
        return x;
    }();
    return c;
}

const Collection &Collection::legal_units() {
    static const Collection c = [] {
        Collection x;
        x.name = "siren";
        x.fields = kLegalUnitTop;
        x.historised = kLegalUnitPeriods;
        return x;
    }();
    return c;
}

const Collection &Collection::succession_links() {
    static const Collection c = [] {
        Collection x;
        x.name = "liensSuccession";
        x.fields = set_of({"siretEtablissementPredecesseur", "siretEtablissementSuccesseur", "dateLienSuccession",
                           "transfertSiege", "continuiteEconomique", "dateDernierTraitementLienSuccession"});
        return x;
    }();
    return c;
}

FieldIndex index_flat(const Json &o) {
    FieldIndex index;
    add_scalars(o, index.current);
    return index;
}

FieldIndex index_establishment(const Json &e) {
    FieldIndex index;
    add_scalars(e, index.current);
    add_scalars(e->getObject("uniteLegale"), index.current);
    add_scalars(e->getObject("adresseEtablissement"), index.current);
    add_scalars(e->getObject("adresse2Etablissement"), index.current);
    index.periods = index_periods(e, "periodesEtablissement");
    return index;
}

FieldIndex index_legal_unit(const Json &u) {
    FieldIndex index;
    add_scalars(u, index.current);
    index.periods = index_periods(u, "periodesUniteLegale");
    return index;
}

// ---------------------------------------------------------------------------------------
// The syntax tree and its evaluation
// ---------------------------------------------------------------------------------------

struct Query::Node {
    enum class Kind { all_of, any_of, negation, periode, term, term_set } kind;
    std::vector<std::shared_ptr<const Node>> children;
    // term
    enum class Match { exact, phrase, prefix, present, range } match = Match::exact;
    std::string field, value, low, high;
    // term_set (and single exact terms): the values asked for
    std::unordered_set<std::string> set;
    std::vector<std::string> values;
};

namespace {

using NodePtr = std::shared_ptr<const Query::Node>;
using Node = Query::Node;

bool term_matches(const Node &n, const std::string &v) {
    switch (n.match) {
    case Node::Match::present:
        return true;
    case Node::Match::exact: {
        if (v == n.value) return true;
        for (const auto &w : words(v))
            if (w == n.value) return true;
        return false;
    }
    case Node::Match::prefix: {
        if (v.rfind(n.value, 0) == 0) return true;
        for (const auto &w : words(v))
            if (w.rfind(n.value, 0) == 0) return true;
        return false;
    }
    case Node::Match::phrase: {
        if (v == n.value) return true;
        const auto hay = words(v), needle = words(n.value);
        if (needle.empty() || needle.size() > hay.size()) return false;
        for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
            if (std::equal(needle.begin(), needle.end(), hay.begin() + static_cast<std::ptrdiff_t>(i))) return true;
        return false;
    }
    case Node::Match::range:
        return (n.low == "*" || v >= n.low) && (n.high == "*" || v <= n.high);
    }
    return false;
}

bool eval(const Node &n, const FieldIndex &r, const Map *period) {
    switch (n.kind) {
    case Node::Kind::all_of:
        for (const auto &c : n.children)
            if (!eval(*c, r, period)) return false;
        return true;
    case Node::Kind::any_of:
        for (const auto &c : n.children)
            if (eval(*c, r, period)) return true;
        return false;
    case Node::Kind::negation:
        return !eval(*n.children.front(), r, period);
    case Node::Kind::periode:
        for (const auto &p : r.periods)
            if (eval(*n.children.front(), r, &p)) return true;
        return false;
    case Node::Kind::term_set: {
        const auto &map = period ? *period : r.current;
        const auto it = map.find(n.field);
        return it != map.end() && n.set.count(it->second) > 0;
    }
    case Node::Kind::term: {
        const auto &map = period ? *period : r.current;
        const auto it = map.find(n.field);
        return it != map.end() && term_matches(n, it->second);
    }
    }
    return false;
}

class Parser {
public:
    Parser(const std::string &text, const Collection &collection) : s_(text), c_(collection) {}

    NodePtr parse() {
        skip();
        if (pos_ >= s_.size()) throw QueryError("le paramètre q est vide");
        auto root = parse_or();
        skip();
        if (pos_ < s_.size()) fail("caractère inattendu '" + std::string(1, s_[pos_]) + "'");
        return root;
    }

private:
    [[noreturn]] void fail(const std::string &what) const {
        throw QueryError("Erreur de syntaxe dans le paramètre q à la position " + std::to_string(pos_) + " : " + what);
    }

    void skip() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }

    bool keyword(const char *kw) {
        skip();
        const std::string k(kw);
        if (s_.compare(pos_, k.size(), k) != 0) return false;
        const auto after = pos_ + k.size();
        if (after < s_.size() && !std::isspace(static_cast<unsigned char>(s_[after])) && s_[after] != '(') return false;
        pos_ = after;
        return true;
    }

    bool at_group_end() {
        skip();
        return pos_ >= s_.size() || s_[pos_] == ')';
    }

    NodePtr parse_or() {
        std::vector<NodePtr> parts{parse_and()};
        while (keyword("OR")) parts.push_back(parse_and());
        if (parts.size() == 1) return parts.front();
        return make_any_of(std::move(parts));
    }

    NodePtr parse_and() {
        std::vector<NodePtr> parts{parse_unary()};
        for (;;) {
            if (at_group_end()) break;
            const auto save = pos_;
            if (keyword("OR")) {
                pos_ = save;
                break;
            }
            keyword("AND");  // optional: adjacent terms are ANDed
            parts.push_back(parse_unary());
        }
        if (parts.size() == 1) return parts.front();
        auto n = std::make_shared<Node>();
        n->kind = Node::Kind::all_of;
        n->children = std::move(parts);
        return n;
    }

    NodePtr parse_unary() {
        skip();
        bool negate = false;
        if (keyword("NOT")) {
            negate = true;
        } else if (pos_ < s_.size() && s_[pos_] == '-') {
            ++pos_;
            negate = true;
        }
        if (negate) {
            auto n = std::make_shared<Node>();
            n->kind = Node::Kind::negation;
            n->children.push_back(parse_unary());
            return n;
        }
        return parse_primary();
    }

    NodePtr parse_primary() {
        skip();
        if (pos_ >= s_.size()) fail("expression attendue");
        if (s_[pos_] == '(') {
            ++pos_;
            auto inner = parse_or();
            expect(')');
            return inner;
        }
        const auto start = pos_;
        while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' || s_[pos_] == '.'))
            ++pos_;
        const auto name = s_.substr(start, pos_ - start);
        if (name.empty()) fail("nom de variable attendu");
        if (name == "periode" && pos_ < s_.size() && s_[pos_] == '(') {
            if (in_periode_) fail("periode() ne peut pas être imbriqué");
            ++pos_;
            in_periode_ = true;
            auto inner = parse_or();
            in_periode_ = false;
            expect(')');
            auto n = std::make_shared<Node>();
            n->kind = Node::Kind::periode;
            n->children.push_back(std::move(inner));
            return n;
        }
        if (pos_ >= s_.size() || s_[pos_] != ':') fail("':' attendu après " + name);
        ++pos_;
        check_field(name);
        return parse_value(name);
    }

    void check_field(const std::string &name) {
        const bool plain = c_.fields.count(name) > 0, historised = c_.historised.count(name) > 0;
        if (!plain && !historised)
            throw QueryError("Erreur de syntaxe dans le paramètre q : la variable " + name +
                             " n'existe pas pour le service " + c_.name);
        if (historised && !plain && !in_periode_)
            throw QueryError("Erreur de syntaxe dans le paramètre q : la variable " + name +
                             " est historisée, elle doit être utilisée dans periode()");
        if (plain && !historised && in_periode_)
            throw QueryError("Erreur de syntaxe dans le paramètre q : la variable " + name +
                             " n'est pas historisée, elle ne peut pas être utilisée dans periode()");
    }

    NodePtr parse_value(const std::string &field) {
        auto n = std::make_shared<Node>();
        n->kind = Node::Kind::term;
        n->field = field;
        if (pos_ >= s_.size()) fail("valeur attendue pour " + field);
        const char c = s_[pos_];
        if (c == '"') {
            ++pos_;
            std::string text;
            while (pos_ < s_.size() && s_[pos_] != '"') {
                if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
                text += s_[pos_++];
            }
            if (pos_ >= s_.size()) fail("guillemet fermant attendu");
            ++pos_;
            n->match = Node::Match::phrase;
            n->value = upper(text);
            return n;
        }
        if (c == '[') {
            ++pos_;
            n->match = Node::Match::range;
            n->low = upper(word(" "));
            if (!keyword("TO")) fail("TO attendu dans l'intervalle");
            skip();
            n->high = upper(word("]"));
            expect(']');
            return n;
        }
        auto text = word("");
        if (text.empty()) fail("valeur attendue pour " + field);
        text = upper(text);
        if (text == "*") {
            n->match = Node::Match::present;
        } else if (text.back() == '*' && text.find_first_of("*?") == text.size() - 1) {
            n->match = Node::Match::prefix;
            n->value = text.substr(0, text.size() - 1);
        } else if (text.find_first_of("*?") != std::string::npos) {
            fail("joker non supporté dans " + text);
        } else {
            n->match = Node::Match::exact;
            n->value = text;
            n->values.push_back(text);
        }
        return n;
    }

    // Up to whitespace, ')' or one of `stops`.
    std::string word(const std::string &stops) {
        const auto start = pos_;
        while (pos_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[pos_])) && s_[pos_] != ')' &&
               stops.find(s_[pos_]) == std::string::npos)
            ++pos_;
        return s_.substr(start, pos_ - start);
    }

    void expect(char c) {
        skip();
        if (pos_ >= s_.size() || s_[pos_] != c) fail(std::string("'") + c + "' attendu");
        ++pos_;
    }

    // An OR of exact terms on siret (or siren) becomes a set lookup: batched lookups
    // (siret:A OR siret:B ... a thousand times) stay cheap.
    static NodePtr make_any_of(std::vector<NodePtr> parts) {
        const auto &first = *parts.front();
        const bool identifier = first.field == "siret" || first.field == "siren";  // whole-value equality only
        const bool set_able = identifier && std::all_of(parts.begin(), parts.end(), [&](const NodePtr &p) {
            return p->kind == Node::Kind::term && p->match == Node::Match::exact && p->field == first.field &&
                   words(p->value).size() == 1 && p->value.find_first_of("-'") == std::string::npos;
        });
        auto n = std::make_shared<Node>();
        if (set_able) {
            n->kind = Node::Kind::term_set;
            n->field = first.field;
            for (const auto &p : parts)
                if (n->set.insert(p->value).second) n->values.push_back(p->value);
        } else {
            n->kind = Node::Kind::any_of;
            n->children = std::move(parts);
        }
        return n;
    }

    const std::string &s_;
    const Collection &c_;
    std::size_t pos_ = 0;
    bool in_periode_ = false;
};

}  // namespace

Query Query::parse(const std::string &q, const Collection &collection) {
    Query query;
    query.root_ = Parser(q, collection).parse();
    return query;
}

bool Query::matches(const FieldIndex &record) const { return eval(*root_, record, nullptr); }

const std::vector<std::string> *Query::only_values_of(const std::string &field) const {
    if ((root_->kind == Node::Kind::term_set ||
         (root_->kind == Node::Kind::term && root_->match == Node::Match::exact)) &&
        root_->field == field)
        return &root_->values;
    return nullptr;
}

}  // namespace relais::sirene_emulator
