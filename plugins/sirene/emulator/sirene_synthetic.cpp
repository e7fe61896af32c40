#include "sirene_synthetic.hpp"

#include <Poco/JSON/Array.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <set>

namespace relais::sirene_emulator {

namespace {

using Json = Poco::JSON::Object::Ptr;
using Var = Poco::Dynamic::Var;

const Var null;

// splitmix64: tiny, and the same sequence everywhere (std:: distributions are not portable).
class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
    bool percent(unsigned p) { return below(100) < p; }
    template <class T, std::size_t N>
    const T &pick(const std::array<T, N> &items) { return items[below(N)]; }

private:
    std::uint64_t state_;
};

Json object() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

std::string digits(Rng &rng, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += static_cast<char>('0' + rng.below(10));
    return s;
}

std::string date(Rng &rng, int from_year, int to_year) {
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", from_year + static_cast<int>(rng.below(static_cast<std::size_t>(to_year - from_year + 1))),
                  1 + static_cast<int>(rng.below(12)), 1 + static_cast<int>(rng.below(28)));
    return buf;
}

// A date strictly after `d` (same format), within `years`.
std::string date_after(Rng &rng, const std::string &d, int years) {
    const int year = std::stoi(d.substr(0, 4));
    for (;;) {
        auto next = date(rng, year, std::min(year + years, 2024));
        if (next > d) return next;
    }
}

std::string processed(Rng &rng) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%sT%02d:%02d:%02d.%03d", date(rng, 2023, 2024).c_str(), static_cast<int>(rng.below(24)),
                  static_cast<int>(rng.below(60)), static_cast<int>(rng.below(60)), static_cast<int>(rng.below(1000)));
    return buf;
}

std::string fresh_siren(Rng &rng, std::set<std::string> &taken, const Dataset &dataset) {
    for (;;) {
        // First digit 3 to 9, never 356...: clear of La Poste and of most recorded units.
        auto body = std::to_string(3 + rng.below(7)) + digits(rng, 7);
        auto siren = body + luhn_check_digit(body);
        if (siren.rfind("356", 0) == 0 || dataset.legal_unit(siren)) continue;
        if (taken.insert(siren).second) return siren;
    }
}

// The day before `d` (AAAA-MM-JJ): a period ends the day before the next one starts.
std::string day_before(const std::string &d) {
    using namespace std::chrono;
    const year_month_day ymd{year(std::stoi(d.substr(0, 4))), month(static_cast<unsigned>(std::stoi(d.substr(5, 2)))),
                             day(static_cast<unsigned>(std::stoi(d.substr(8, 2))))};
    const year_month_day before{sys_days(ymd) - days(1)};
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", static_cast<int>(before.year()),
                  static_cast<unsigned>(before.month()), static_cast<unsigned>(before.day()));
    return buf;
}

struct Place {
    const char *postal_code, *commune, *commune_code;
};
const std::array<Place, 25> kPlaces = {{
    {"75001", "PARIS 1", "75101"},         {"75008", "PARIS 8", "75108"},       {"75011", "PARIS 11", "75111"},
    {"75015", "PARIS 15", "75115"},        {"69003", "LYON 3EME", "69383"},     {"13008", "MARSEILLE 8", "13208"},
    {"31000", "TOULOUSE", "31555"},        {"33000", "BORDEAUX", "33063"},      {"44000", "NANTES", "44109"},
    {"59000", "LILLE", "59350"},           {"67000", "STRASBOURG", "67482"},    {"06000", "NICE", "06088"},
    {"35000", "RENNES", "35238"},          {"34000", "MONTPELLIER", "34172"},   {"21000", "DIJON", "21231"},
    {"37000", "TOURS", "37261"},           {"63000", "CLERMONT-FERRAND", "63113"}, {"76000", "ROUEN", "76540"},
    {"51100", "REIMS", "51454"},           {"87000", "LIMOGES", "87085"},       {"29200", "BREST", "29019"},
    {"80000", "AMIENS", "80021"},          {"45000", "ORLEANS", "45234"},       {"25000", "BESANCON", "25056"},
    {"97490", "SAINT-DENIS", "97411"},
}};
const std::array<const char *, 12> kStreetTypes = {"RUE", "RUE", "RUE", "AV", "BD", "PL", "CHE", "IMP", "ALL", "RTE", "QUAI", "CRS"};
const std::array<const char *, 24> kStreetNames = {
    "DE LA REPUBLIQUE", "VICTOR HUGO", "JEAN JAURES", "DU GENERAL DE GAULLE", "PASTEUR", "DES LILAS", "DE LA GARE",
    "DU MOULIN", "DES ECOLES", "GAMBETTA", "DE PARIS", "NATIONALE", "DU COMMERCE", "DES TILLEULS", "SAINT-MICHEL",
    "DE L'EGLISE", "FOCH", "CARNOT", "DES ROSES", "DU PORT", "DE BRETAGNE", "MARCEL PAGNOL", "DES ARTISANS",
    "DE LA LIBERATION"};
const std::array<const char *, 6> kComplements = {"BATIMENT A", "ZI DES PINS", "RESIDENCE LES LILAS", "2EME ETAGE",
                                                  "ZA DU MOULIN", "CENTRE COMMERCIAL"};
const std::array<const char *, 20> kLastNames = {"MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT",
                                                 "DURAND", "LEROY", "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL",
                                                 "GARCIA", "DAVID", "BERTRAND", "ROUX", "VINCENT", "FOURNIER"};
const std::array<const char *, 12> kMaleNames = {"JEAN", "PIERRE", "MICHEL", "ANDRE", "PHILIPPE", "NICOLAS",
                                                 "LUC", "THOMAS", "JULIEN", "ALAIN", "BERNARD", "FRANCOIS"};
const std::array<const char *, 12> kFemaleNames = {"MARIE", "NATHALIE", "ISABELLE", "SYLVIE", "CATHERINE", "SOPHIE",
                                                   "JULIE", "CAMILLE", "ANNE", "CHRISTINE", "LAURA", "EMMA"};

struct Trade {
    const char *word, *naf;
};
const std::array<Trade, 16> kTrades = {{
    {"BOULANGERIE", "10.71C"}, {"TRANSPORTS", "49.41A"}, {"CONSEIL", "70.22Z"},       {"RESTAURANT", "56.10A"},
    {"GARAGE", "45.20A"},      {"PLOMBERIE", "43.22A"},  {"INFORMATIQUE", "62.01Z"},  {"PHARMACIE", "47.73Z"},
    {"COIFFURE", "96.02A"},    {"BATIMENT", "41.20A"},   {"ELECTRICITE", "43.21A"},   {"FLEURS", "47.76Z"},
    {"AUTO-ECOLE", "85.53Z"},  {"IMPRIMERIE", "18.12Z"}, {"ARCHITECTURE", "71.11Z"},  {"NETTOYAGE", "81.21Z"},
}};

struct Form {
    const char *code;
    unsigned weight;
};
// Legal forms of the synthetic companies, weighted roughly as in the register.
const std::array<Form, 9> kForms = {{{"5710", 28}, {"5499", 24}, {"5720", 10}, {"5498", 10}, {"6540", 9}, {"9220", 8},
                                     {"5599", 5}, {"6599", 4}, {"5202", 2}}};

const char *pick_form(Rng &rng) {
    unsigned total = 0;
    for (const auto &f : kForms) total += f.weight;
    auto r = static_cast<unsigned>(rng.below(total));
    for (const auto &f : kForms) {
        if (r < f.weight) return f.code;
        r -= f.weight;
    }
    return kForms[0].code;
}

struct Address {
    Var complement, number, repeat, street_type, street, postal_code, commune, foreign_commune, special, commune_code,
        cedex_code, cedex_label, country_code, country, address_id, x, y;
};

Address make_address(Rng &rng) {
    Address a;
    if (rng.percent(1)) {  // abroad
        a.number = std::to_string(1 + rng.below(120));
        a.street = "RUE DE LA LOI";
        a.foreign_commune = "BRUXELLES";
        a.country_code = "99131";
        a.country = "BELGIQUE";
        return a;
    }
    const auto &place = rng.pick(kPlaces);
    a.number = std::to_string(1 + rng.below(180));
    if (rng.percent(5)) a.repeat = rng.percent(50) ? "B" : "T";
    a.street_type = std::string(rng.pick(kStreetTypes));
    a.street = std::string(rng.pick(kStreetNames));
    a.postal_code = std::string(place.postal_code);
    a.commune = std::string(place.commune);
    a.commune_code = std::string(place.commune_code);
    if (rng.percent(10)) a.complement = std::string(rng.pick(kComplements));
    if (rng.percent(4)) a.special = "BP " + std::to_string(10 + rng.below(900));
    if (rng.percent(4)) {
        a.cedex_code = std::string(place.postal_code).substr(0, 2) + std::to_string(700 + rng.below(299));
        a.cedex_label = std::string(place.commune) + " CEDEX";
    }
    a.address_id = std::string(place.commune_code) + "_" + digits(rng, 4) + "_" + digits(rng, 5);
    a.x = std::to_string(600000 + rng.below(400000)) + "." + digits(rng, 2);
    a.y = std::to_string(6200000 + rng.below(800000)) + "." + digits(rng, 2);
    return a;
}

struct Establishment {
    std::string nic;
    bool head_office = false;
    std::string created;
    bool closed = false;
    std::string closed_on;
    Address address;
    Var sign;  // enseigne1
    Var usual_name;
    std::string naf;
    std::optional<std::pair<std::string, std::string>> previous_naf;  // (naf, until)
    bool employer = false;
};

struct Unit {
    std::string siren;
    bool individual = false;
    std::string form;
    Var denomination, acronym, last_name, usage_name, first_name1, first_name2, usual_first_name, sex;
    std::string naf;
    std::string created;
    bool ceased = false;
    std::string ceased_on;
    bool partial = false;  // statutDiffusion "P"
    Var category, category_year, size_band, size_year;
    std::vector<Establishment> establishments;
    std::string processed;
};

const Var nd("[ND]");

// A masked value for partially diffusible units: "[ND]" where there was something.
Var mask(bool partial, const Var &v) { return partial && !v.isEmpty() ? nd : v; }

Json establishment_json(const Unit &u, const Establishment &e, Rng &rng) {
    const bool p = u.partial;
    Json o = object();
    o->set("siren", u.siren);
    o->set("nic", e.nic);
    o->set("siret", u.siren + e.nic);
    o->set("statutDiffusionEtablissement", p ? "P" : "O");
    o->set("dateCreationEtablissement", e.created);
    o->set("trancheEffectifsEtablissement", e.employer ? Var(std::string("01")) : null);
    o->set("anneeEffectifsEtablissement", e.employer ? Var(std::string("2021")) : null);
    o->set("activitePrincipaleRegistreMetiersEtablissement", null);
    o->set("dateDernierTraitementEtablissement", processed(rng));
    o->set("etablissementSiege", e.head_office);
    o->set("nombrePeriodesEtablissement", static_cast<int>(1 + (e.closed ? 1 : 0) + (e.previous_naf ? 1 : 0)));

    Json ul = object();
    ul->set("etatAdministratifUniteLegale", u.ceased ? "C" : "A");
    ul->set("statutDiffusionUniteLegale", p ? "P" : "O");
    ul->set("dateCreationUniteLegale", u.created);
    ul->set("categorieJuridiqueUniteLegale", u.form);
    ul->set("denominationUniteLegale", mask(p, u.denomination));
    ul->set("sigleUniteLegale", mask(p, u.acronym));
    ul->set("denominationUsuelle1UniteLegale", null);
    ul->set("denominationUsuelle2UniteLegale", null);
    ul->set("denominationUsuelle3UniteLegale", null);
    ul->set("sexeUniteLegale", mask(p, u.sex));
    ul->set("nomUniteLegale", mask(p, u.last_name));
    ul->set("nomUsageUniteLegale", mask(p, u.usage_name));
    ul->set("prenom1UniteLegale", mask(p, u.first_name1));
    ul->set("prenom2UniteLegale", mask(p, u.first_name2));
    ul->set("prenom3UniteLegale", null);
    ul->set("prenom4UniteLegale", null);
    ul->set("prenomUsuelUniteLegale", mask(p, u.usual_first_name));
    ul->set("pseudonymeUniteLegale", null);
    ul->set("activitePrincipaleUniteLegale", u.naf);
    ul->set("nomenclatureActivitePrincipaleUniteLegale", "NAFRev2");
    ul->set("identifiantAssociationUniteLegale", null);
    ul->set("economieSocialeSolidaireUniteLegale", u.form == "9220" ? Var(std::string("O")) : Var(std::string("N")));
    ul->set("societeMissionUniteLegale", u.individual ? null : Var(std::string("N")));
    ul->set("caractereEmployeurUniteLegale", e.employer ? "O" : "N");
    ul->set("trancheEffectifsUniteLegale", u.size_band);
    ul->set("anneeEffectifsUniteLegale", u.size_year);
    ul->set("nicSiegeUniteLegale", u.establishments.front().nic);
    ul->set("dateDernierTraitementUniteLegale", u.processed);
    ul->set("categorieEntreprise", u.category);
    ul->set("anneeCategorieEntreprise", u.category_year);
    o->set("uniteLegale", ul);

    const auto &a = e.address;
    Json ad = object();
    ad->set("complementAdresseEtablissement", mask(p, a.complement));
    ad->set("numeroVoieEtablissement", mask(p, a.number));
    ad->set("indiceRepetitionEtablissement", mask(p, a.repeat));
    ad->set("dernierNumeroVoieEtablissement", null);
    ad->set("indiceRepetitionDernierNumeroVoieEtablissement", null);
    ad->set("typeVoieEtablissement", mask(p, a.street_type));
    ad->set("libelleVoieEtablissement", mask(p, a.street));
    ad->set("codePostalEtablissement", a.postal_code);
    ad->set("libelleCommuneEtablissement", a.commune);
    ad->set("libelleCommuneEtrangerEtablissement", a.foreign_commune);
    ad->set("distributionSpecialeEtablissement", mask(p, a.special));
    ad->set("codeCommuneEtablissement", a.commune_code);
    // The CEDEX is a distribution detail like the street: masked, where the commune is kept.
    ad->set("codeCedexEtablissement", mask(p, a.cedex_code));
    ad->set("libelleCedexEtablissement", mask(p, a.cedex_label));
    ad->set("codePaysEtrangerEtablissement", a.country_code);
    ad->set("libellePaysEtrangerEtablissement", a.country);
    ad->set("identifiantAdresseEtablissement", mask(p, a.address_id));
    ad->set("coordonneeLambertAbscisseEtablissement", mask(p, a.x));
    ad->set("coordonneeLambertOrdonneeEtablissement", mask(p, a.y));
    o->set("adresseEtablissement", ad);

    Json ad2 = object();
    for (const char *k : {"complementAdresse2Etablissement", "numeroVoie2Etablissement", "indiceRepetition2Etablissement",
                          "typeVoie2Etablissement", "libelleVoie2Etablissement", "codePostal2Etablissement",
                          "libelleCommune2Etablissement", "libelleCommuneEtranger2Etablissement",
                          "distributionSpeciale2Etablissement", "codeCommune2Etablissement", "codeCedex2Etablissement",
                          "libelleCedex2Etablissement", "codePaysEtranger2Etablissement",
                          "libellePaysEtranger2Etablissement"})
        ad2->set(k, null);
    o->set("adresse2Etablissement", ad2);

    // Periods, newest first: closure, then the current activity, then an older one.
    Poco::JSON::Array::Ptr periods = new Poco::JSON::Array;
    const auto period = [&](const Var &end, const std::string &start, const char *state, bool state_changed,
                            const std::string &naf, bool naf_changed) {
        Json x = object();
        x->set("dateFin", end);
        x->set("dateDebut", start);
        x->set("etatAdministratifEtablissement", state);
        x->set("changementEtatAdministratifEtablissement", state_changed);
        x->set("enseigne1Etablissement", mask(p, e.sign));
        x->set("enseigne2Etablissement", null);
        x->set("enseigne3Etablissement", null);
        x->set("changementEnseigneEtablissement", false);
        x->set("denominationUsuelleEtablissement", mask(p, e.usual_name));
        x->set("changementDenominationUsuelleEtablissement", false);
        x->set("activitePrincipaleEtablissement", naf);
        x->set("nomenclatureActivitePrincipaleEtablissement", "NAFRev2");
        x->set("changementActivitePrincipaleEtablissement", naf_changed);
        x->set("caractereEmployeurEtablissement", e.employer ? "O" : "N");
        x->set("changementCaractereEmployeurEtablissement", false);
        periods->add(x);
    };
    std::string active_from = e.created;
    if (e.previous_naf) active_from = e.previous_naf->second;
    if (e.closed) {
        period(null, e.closed_on, "F", true, e.naf, false);
        period(Var(day_before(e.closed_on)), active_from, "A", false, e.naf, e.previous_naf.has_value());
    } else {
        period(null, active_from, "A", false, e.naf, e.previous_naf.has_value());
    }
    if (e.previous_naf)
        period(Var(day_before(e.previous_naf->second)), e.created, "A", false, e.previous_naf->first, false);
    o->set("periodesEtablissement", periods);
    return o;
}

Json legal_unit_json(const Unit &u) {
    const bool p = u.partial;
    Json o = object();
    o->set("siren", u.siren);
    o->set("statutDiffusionUniteLegale", p ? "P" : "O");
    o->set("dateCreationUniteLegale", u.created);
    o->set("sigleUniteLegale", mask(p, u.acronym));
    o->set("sexeUniteLegale", mask(p, u.sex));
    o->set("prenom1UniteLegale", mask(p, u.first_name1));
    o->set("prenom2UniteLegale", mask(p, u.first_name2));
    o->set("prenom3UniteLegale", null);
    o->set("prenom4UniteLegale", null);
    o->set("prenomUsuelUniteLegale", mask(p, u.usual_first_name));
    o->set("pseudonymeUniteLegale", null);
    o->set("identifiantAssociationUniteLegale", null);
    o->set("trancheEffectifsUniteLegale", u.size_band);
    o->set("anneeEffectifsUniteLegale", u.size_year);
    o->set("dateDernierTraitementUniteLegale", u.processed);
    o->set("nombrePeriodesUniteLegale", u.ceased ? 2 : 1);
    o->set("categorieEntreprise", u.category);
    o->set("anneeCategorieEntreprise", u.category_year);
    Poco::JSON::Array::Ptr periods = new Poco::JSON::Array;
    const auto period = [&](const Var &end, const std::string &start, const char *state, bool changed) {
        Json x = object();
        x->set("dateFin", end);
        x->set("dateDebut", start);
        x->set("etatAdministratifUniteLegale", state);
        x->set("changementEtatAdministratifUniteLegale", changed);
        x->set("nomUniteLegale", mask(p, u.last_name));
        x->set("changementNomUniteLegale", false);
        x->set("nomUsageUniteLegale", mask(p, u.usage_name));
        x->set("changementNomUsageUniteLegale", false);
        x->set("denominationUniteLegale", mask(p, u.denomination));
        x->set("changementDenominationUniteLegale", false);
        x->set("denominationUsuelle1UniteLegale", null);
        x->set("denominationUsuelle2UniteLegale", null);
        x->set("denominationUsuelle3UniteLegale", null);
        x->set("changementDenominationUsuelleUniteLegale", false);
        x->set("categorieJuridiqueUniteLegale", u.form);
        x->set("changementCategorieJuridiqueUniteLegale", false);
        x->set("activitePrincipaleUniteLegale", u.naf);
        x->set("nomenclatureActivitePrincipaleUniteLegale", "NAFRev2");
        x->set("changementActivitePrincipaleUniteLegale", false);
        x->set("nicSiegeUniteLegale", u.establishments.front().nic);
        x->set("changementNicSiegeUniteLegale", false);
        x->set("economieSocialeSolidaireUniteLegale", u.form == "9220" ? Var(std::string("O")) : Var(std::string("N")));
        x->set("changementEconomieSocialeSolidaireUniteLegale", false);
        x->set("societeMissionUniteLegale", u.individual ? null : Var(std::string("N")));
        x->set("changementSocieteMissionUniteLegale", false);
        x->set("caractereEmployeurUniteLegale", null);
        x->set("changementCaractereEmployeurUniteLegale", false);
        periods->add(x);
    };
    if (u.ceased) {
        period(null, u.ceased_on, "C", true);
        period(Var(day_before(u.ceased_on)), u.created, "A", false);
    } else {
        period(null, u.created, "A", false);
    }
    o->set("periodesUniteLegale", periods);
    return o;
}

// A NIC (4 digits + check digit) that makes siren+nic a Luhn-valid SIRET.
std::string nic_for(const std::string &siren, int sequence) {
    char four[24];
    std::snprintf(four, sizeof(four), "%04d", sequence);
    return std::string(four) + luhn_check_digit(siren + four);
}

Unit make_unit(Rng &rng, std::set<std::string> &taken, const Dataset &dataset) {
    Unit u;
    u.siren = fresh_siren(rng, taken, dataset);
    u.individual = rng.percent(30);
    const auto &trade = rng.pick(kTrades);
    u.naf = trade.naf;
    u.created = date(rng, 1975, 2023);
    u.processed = processed(rng);
    if (u.individual) {
        u.form = "1000";
        const bool woman = rng.percent(45);
        u.sex = std::string(woman ? "F" : "M");
        const std::string first = woman ? rng.pick(kFemaleNames) : rng.pick(kMaleNames);
        u.first_name1 = first;
        u.usual_first_name = first;
        if (rng.percent(40)) u.first_name2 = std::string(woman ? rng.pick(kFemaleNames) : rng.pick(kMaleNames));
        u.last_name = std::string(rng.pick(kLastNames));
        if (woman && rng.percent(30)) u.usage_name = std::string(rng.pick(kLastNames));
        u.partial = rng.percent(8);
    } else {
        u.form = pick_form(rng);
        std::string name = trade.word;
        switch (rng.below(4)) {
        case 0: name += std::string(" ") + rng.pick(kLastNames); break;
        case 1: name += std::string(" DU ") + (rng.percent(50) ? "CENTRE" : "PORT"); break;
        case 2: name = std::string(rng.pick(kLastNames)) + " " + name; break;
        default: name += " " + std::string(rng.pick(kPlaces).commune); break;
        }
        if (u.form == "6540") name = "SCI " + std::string(rng.pick(kLastNames)) + " " + std::to_string(1 + rng.below(9));
        if (u.form == "9220") name = "ASSOCIATION " + name;
        u.denomination = name;
        if (rng.percent(15)) u.acronym = name.substr(0, 3);
        u.category = std::string(rng.percent(85) ? "PME" : "ETI");
        u.category_year = std::string("2021");
        u.size_band = std::string(rng.percent(50) ? "02" : "11");
        u.size_year = std::string("2021");
    }
    u.ceased = rng.percent(10);
    if (u.ceased) u.ceased_on = date_after(rng, u.created, 20);

    const std::size_t count = rng.percent(35) ? 2 + rng.below(2) : 1;
    int sequence = 1 + static_cast<int>(rng.below(40));
    for (std::size_t i = 0; i < count; ++i) {
        Establishment e;
        e.nic = nic_for(u.siren, sequence);
        sequence += 1 + static_cast<int>(rng.below(30));
        e.head_office = i == 0;
        e.created = i == 0 ? u.created : date_after(rng, u.created, 15);
        e.naf = u.naf;
        e.employer = !u.individual && rng.percent(60);
        e.address = make_address(rng);
        if (rng.percent(30)) e.sign = std::string(u.individual ? "CHEZ " : "") + std::string(rng.pick(kTrades).word) + " " +
                                      std::string(rng.pick(kStreetNames));
        if (rng.percent(10)) {
            e.previous_naf = std::make_pair(std::string(rng.pick(kTrades).naf), date_after(rng, e.created, 10));
        }
        const std::string active_from = e.previous_naf ? e.previous_naf->second : e.created;
        if (u.ceased) {
            e.closed = true;
            e.closed_on = u.ceased_on > active_from ? u.ceased_on : date_after(rng, active_from, 5);
        } else if (rng.percent(i == 0 ? 2 : 15)) {
            e.closed = true;
            e.closed_on = date_after(rng, active_from, 10);
        }
        u.establishments.push_back(std::move(e));
    }
    return u;
}

}  // namespace

void add_synthetic_companies(Dataset &dataset, std::size_t legal_units, std::uint64_t seed) {
    Rng rng(seed);
    std::set<std::string> taken;
    std::vector<Unit> units;
    for (std::size_t i = 0; i < legal_units; ++i) units.push_back(make_unit(rng, taken, dataset));
    for (const auto &u : units) {
        dataset.add_legal_unit(legal_unit_json(u));
        for (const auto &e : u.establishments) dataset.add_establishment(establishment_json(u, e, rng));
    }
    // A few duplicates: an old SIREN (and its head office SIRET) replaced by a live unit.
    for (std::size_t i = 0; i < 3 && i < units.size(); ++i) {
        const auto &target = units[units.size() - 1 - i];
        const auto old_siren = fresh_siren(rng, taken, dataset);
        dataset.add_replacement(old_siren, target.siren);
        dataset.add_replacement(old_siren + nic_for(old_siren, 1), target.siren + target.establishments.front().nic);
    }
}

void add_la_poste(Dataset &dataset) {
    Rng rng(356000000);
    Unit u;
    u.siren = "356000000";
    u.form = "5510";
    u.denomination = std::string("LA POSTE");
    u.naf = "53.10Z";
    u.created = "1991-01-01";
    u.processed = "2024-03-22T14:26:06.000";
    u.category = std::string("GE");
    u.category_year = std::string("2021");
    u.size_band = std::string("53");
    u.size_year = std::string("2021");
    // The head office, an ordinary Luhn number.
    Establishment head;
    head.nic = "00048";
    head.head_office = true;
    head.created = "1991-01-01";
    head.naf = "53.10Z";
    head.employer = true;
    head.address.number = std::string("9");
    head.address.street_type = std::string("RUE");
    head.address.street = std::string("DU COLONEL PIERRE AVIA");
    head.address.postal_code = std::string("75015");
    head.address.commune = std::string("PARIS 15");
    head.address.commune_code = std::string("75115");
    u.establishments.push_back(head);
    // Post offices: NICs whose SIRET digit sum is a multiple of 5 (La Poste's rule), Luhn or not.
    // 35600000049837 is the reference's test vector.
    std::vector<std::string> nics = {"49837"};
    for (int n = 100; nics.size() < 24; n += 7) {
        char nic[24];
        std::snprintf(nic, sizeof(nic), "%05d", n);
        int sum = 3 + 5 + 6;
        for (const char *c = nic; *c; ++c) sum += *c - '0';
        if (sum % 5 == 0) nics.push_back(nic);
    }
    for (const auto &nic : nics) {
        Establishment e;
        e.nic = nic;
        e.created = date(rng, 1991, 2015);
        e.naf = "53.10Z";
        e.employer = true;
        e.address = make_address(rng);
        e.usual_name = std::string("BUREAU DE POSTE");
        if (rng.percent(15)) {
            e.closed = true;
            e.closed_on = date_after(rng, e.created, 8);
        }
        u.establishments.push_back(std::move(e));
    }
    dataset.add_legal_unit(legal_unit_json(u));
    for (const auto &e : u.establishments) dataset.add_establishment(establishment_json(u, e, rng));
}

}  // namespace relais::sirene_emulator
