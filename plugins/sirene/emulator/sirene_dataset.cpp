#include "sirene_dataset.hpp"

#include "sirene_synthetic.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace relais::sirene_emulator {

namespace {

using Json = Poco::JSON::Object::Ptr;

Json parse_file(const std::filesystem::path &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("sirene emulator: cannot read " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));  // keep the recorded key order
    return parser.parse(text.str()).extract<Json>();
}

std::string compact(const Json &o) {
    std::ostringstream out;
    o->stringify(out);
    return out.str();
}

std::string text_of(const Json &o, const std::string &key) {
    const auto v = o->get(key);
    return v.isEmpty() ? std::string() : v.convert<std::string>();
}

// The legal unit a recorded /siret answer describes (its flat `uniteLegale`), in the /siren
// shape with one current period: the recordings have no /siren answer for it.
Json legal_unit_from_establishment(const Json &e) {
    const auto ul = e->getObject("uniteLegale");
    Json o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("siren", e->get("siren"));
    for (const char *k : {"statutDiffusionUniteLegale", "dateCreationUniteLegale", "sigleUniteLegale", "sexeUniteLegale",
                          "prenom1UniteLegale", "prenom2UniteLegale", "prenom3UniteLegale", "prenom4UniteLegale",
                          "prenomUsuelUniteLegale", "pseudonymeUniteLegale", "identifiantAssociationUniteLegale",
                          "trancheEffectifsUniteLegale", "anneeEffectifsUniteLegale", "dateDernierTraitementUniteLegale"})
        o->set(k, ul->get(k));
    o->set("nombrePeriodesUniteLegale", 1);
    o->set("categorieEntreprise", ul->get("categorieEntreprise"));
    o->set("anneeCategorieEntreprise", ul->get("anneeCategorieEntreprise"));
    Json p = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    p->set("dateFin", Poco::Dynamic::Var());
    p->set("dateDebut", ul->get("dateCreationUniteLegale"));
    const auto copy = [&](const char *k) { p->set(k, ul->get(k)); };
    const auto unchanged = [&](const char *k) { p->set(k, false); };
    copy("etatAdministratifUniteLegale");
    unchanged("changementEtatAdministratifUniteLegale");
    copy("nomUniteLegale");
    unchanged("changementNomUniteLegale");
    copy("nomUsageUniteLegale");
    unchanged("changementNomUsageUniteLegale");
    copy("denominationUniteLegale");
    unchanged("changementDenominationUniteLegale");
    copy("denominationUsuelle1UniteLegale");
    copy("denominationUsuelle2UniteLegale");
    copy("denominationUsuelle3UniteLegale");
    unchanged("changementDenominationUsuelleUniteLegale");
    copy("categorieJuridiqueUniteLegale");
    unchanged("changementCategorieJuridiqueUniteLegale");
    copy("activitePrincipaleUniteLegale");
    copy("nomenclatureActivitePrincipaleUniteLegale");
    unchanged("changementActivitePrincipaleUniteLegale");
    copy("nicSiegeUniteLegale");
    unchanged("changementNicSiegeUniteLegale");
    copy("economieSocialeSolidaireUniteLegale");
    unchanged("changementEconomieSocialeSolidaireUniteLegale");
    copy("societeMissionUniteLegale");
    unchanged("changementSocieteMissionUniteLegale");
    copy("caractereEmployeurUniteLegale");
    unchanged("changementCaractereEmployeurUniteLegale");
    Poco::JSON::Array::Ptr periods = new Poco::JSON::Array;
    periods->add(p);
    o->set("periodesUniteLegale", periods);
    return o;
}

void load_recorded(Dataset &d, const std::filesystem::path &dir) {
    const auto establishment = parse_file(dir / "siret_39860733300059.json")->getObject("etablissement");
    d.add_establishment(establishment, true);
    d.add_legal_unit(legal_unit_from_establishment(establishment), true);
    d.add_legal_unit(parse_file(dir / "siren_809893225.json")->getObject("uniteLegale"), true);
    for (const char *page : {"siren_search_post_q_unitePurgee_default_page.json", "siren_search_curseur_star_page1_TRIMMED.json",
                             "siren_search_curseur_page2_TRIMMED.json"}) {
        const auto units = parse_file(dir / page)->getArray("unitesLegales");
        for (unsigned i = 0; units && i < units->size(); ++i) d.add_legal_unit(units->getObject(i), true);
    }
    const auto links = parse_file(dir / "liens_succession_q_predecesseur_39860733300042.json")->getArray("liensSuccession");
    for (unsigned i = 0; links && i < links->size(); ++i) d.add_succession_link(links->getObject(i));
}

}  // namespace

bool luhn_valid(const std::string &digits) {
    if (digits.empty()) return false;
    int sum = 0;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        const char c = digits[digits.size() - 1 - i];
        if (c < '0' || c > '9') return false;
        int v = c - '0';
        if (i % 2 == 1) {
            v *= 2;
            if (v > 9) v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

char luhn_check_digit(const std::string &digits) {
    for (char d = '0'; d <= '9'; ++d)
        if (luhn_valid(digits + d)) return d;
    return '0';  // unreachable for digit strings
}

std::shared_ptr<const Dataset> Dataset::build(const DatasetOptions &options) {
    auto d = std::make_shared<Dataset>();
    if (!options.fixtures_dir.empty()) load_recorded(*d, options.fixtures_dir);
    add_la_poste(*d);
    add_synthetic_companies(*d, options.synthetic_legal_units, options.seed);
    d->finish();
    return d;
}

void Dataset::add_establishment(const Json &e, bool recorded) {
    Record r;
    r.key = text_of(e, "siret");
    r.json = compact(e);
    r.object = e;
    r.index = index_establishment(e);
    r.created = text_of(e, "dateCreationEtablissement");
    r.recorded = recorded;
    establishments_[r.key] = std::move(r);
}

void Dataset::add_legal_unit(const Json &u, bool recorded) {
    Record r;
    r.key = text_of(u, "siren");
    r.json = compact(u);
    r.object = u;
    r.index = index_legal_unit(u);
    r.created = text_of(u, "dateCreationUniteLegale");
    r.recorded = recorded;
    legal_units_[r.key] = std::move(r);
}

void Dataset::add_replacement(const std::string &old_id, const std::string &new_id) { replacements_[old_id] = new_id; }

void Dataset::add_succession_link(const Json &link) {
    Record r;
    r.key = text_of(link, "siretEtablissementPredecesseur");
    r.json = compact(link);
    r.object = link;
    r.index = index_flat(link);
    links_.push_back(std::move(r));
}

void Dataset::finish() {
    establishments_sorted_.clear();
    legal_units_sorted_.clear();
    for (const auto &[k, r] : establishments_) establishments_sorted_.push_back(&r);
    for (const auto &[k, r] : legal_units_) legal_units_sorted_.push_back(&r);
}

const Record *Dataset::establishment(const std::string &siret) const {
    const auto it = establishments_.find(siret);
    return it == establishments_.end() ? nullptr : &it->second;
}

const Record *Dataset::legal_unit(const std::string &siren) const {
    const auto it = legal_units_.find(siren);
    return it == legal_units_.end() ? nullptr : &it->second;
}

std::optional<std::string> Dataset::replacement(const std::string &id) const {
    const auto it = replacements_.find(id);
    if (it == replacements_.end()) return std::nullopt;
    return it->second;
}

std::vector<std::string> Dataset::sirets_where(const std::function<bool(const Json &)> &predicate) const {
    std::vector<std::string> out;
    for (const auto *r : establishments_sorted_)
        if (predicate(r->object)) out.push_back(r->key);
    return out;
}

std::vector<std::string> Dataset::sirens_where(const std::function<bool(const Json &)> &predicate) const {
    std::vector<std::string> out;
    for (const auto *r : legal_units_sorted_)
        if (predicate(r->object)) out.push_back(r->key);
    return out;
}

}  // namespace relais::sirene_emulator
