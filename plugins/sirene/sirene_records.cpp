#include "sirene_records.hpp"

#include <relais/support/json.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/String.h>

#include <algorithm>
#include <initializer_list>

namespace relais::sirene {

using support::array_at;
using support::bool_at;
using support::integer_at;
using support::object_at;
using support::object_in;
using support::string_at;

namespace {

constexpr const char *kMasked = "[ND]";

Json ordered() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

Poco::Dynamic::Var or_null(const std::optional<std::string> &v) {
    return v ? Poco::Dynamic::Var(*v) : Poco::Dynamic::Var();
}

// Reads text values: trimmed (INSEE pads some), empty as absent, "[ND]" as absent. A masked
// value is noted against the record fields it feeds; masked_in() lists those of them that the
// record leaves empty: a masked value another one stood in for (a birth name for a masked usage
// name, a commune for a masked CEDEX label) masks nothing.
class Reader {
public:
    std::optional<std::string> text(const Json &o, const std::string &key, std::initializer_list<const char *> feeds) {
        auto v = string_at(o, key);
        if (!v) return std::nullopt;
        Poco::trimInPlace(*v);
        if (v->empty()) return std::nullopt;
        if (*v == kMasked) {
            for (const char *field : feeds) note(field);
            return std::nullopt;
        }
        return v;
    }
    std::optional<std::string> text(const Json &o, const std::string &key, const char *feeds) {
        return text(o, key, {feeds});
    }
    void note(const std::string &field) {
        if (std::find(masked_.begin(), masked_.end(), field) == masked_.end()) masked_.push_back(field);
    }
    // The noted fields that are empty in `record` ("address.city": record.address.city). A
    // field under an absent object (person for a company) is not the record's. A list (the
    // address lines) is made of parts: listed when a part was masked.
    Poco::JSON::Array::Ptr masked_in(const Json &record) const {
        Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
        for (const auto &field : masked_)
            if (empty_in(record, field)) a->add(field);
        return a;
    }

private:
    static bool empty_in(Json object, const std::string &path) {
        std::size_t start = 0;
        for (;;) {
            const auto dot = path.find('.', start);
            const auto key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
            if (dot == std::string::npos) {
                if (!object->has(key) || object->isNull(key)) return true;
                return object->get(key).type() == typeid(Poco::JSON::Array::Ptr);
            }
            object = object_at(object, key);
            if (!object) return false;
            start = dot + 1;
        }
    }

    std::vector<std::string> masked_;
};

// Whether INSEE masked `key`: it had a value, not given.
bool masked(const Json &o, const std::string &key) {
    const auto v = string_at(o, key);
    return v && Poco::trim(*v) == kMasked;
}

std::string join(const std::vector<std::optional<std::string>> &parts, const std::string &separator = " ") {
    std::string out;
    for (const auto &p : parts)
        if (p && !p->empty()) out += (out.empty() ? "" : separator) + *p;
    return out;
}

std::optional<std::string> non_empty(std::string s) {
    if (s.empty()) return std::nullopt;
    return s;
}

// The current period: the one without an end date (the first, newest, otherwise).
Json current_period(const Json &record, const char *key) {
    const auto periods = array_at(record, key);
    if (!periods) return nullptr;
    for (std::size_t i = 0; i < periods->size(); ++i) {
        const auto p = object_in(periods, i);
        if (p && p->isNull("dateFin")) return p;
    }
    return object_in(periods, 0);
}

std::string diffusion_of(const std::optional<std::string> &status) {
    if (!status || *status == "O") return "public";
    if (*status == "P") return "partial";
    if (*status == "N") return "non_diffusible";
    return "public";
}

// Spelled-out repetition index: 12 B -> 12 BIS.
std::string repetition(const std::string &index) {
    if (index == "B") return "BIS";
    if (index == "T") return "TER";
    if (index == "Q") return "QUATER";
    if (index == "C") return "QUINQUIES";
    return index;
}

// "PARIS 2", "LYON 3EME", "MARSEILLE 8": the arrondissement is in the postal code already,
// and La Poste wants the city alone on the last line.
std::string postal_city(const std::string &commune) {
    for (const char *city : {"PARIS", "LYON", "MARSEILLE"}) {
        const std::string c(city);
        if (commune.size() > c.size() + 1 && commune.compare(0, c.size() + 1, c + " ") == 0) {
            const auto rest = commune.substr(c.size() + 1);
            if (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest[0]))) return c;
        }
    }
    return commune;
}

// The postal address. A CEDEX (code and label) replaces the postal code and commune, as La
// Poste wants it; half a CEDEX is no address, so with its label masked or missing the
// geographic postal code and commune are used, and the CEDEX code only when nothing else is
// known. A part INSEE masked is listed as masked only when the field it would have filled is
// empty.
Json address_of(const Json &a, Reader &read) {
    if (!a) return nullptr;
    const auto line_part = [&](const char *name) {
        return read.text(a, std::string(name) + "Etablissement", "address.lines");
    };
    const auto complement = line_part("complementAdresse");
    auto number = line_part("numeroVoie");
    const auto last_number = line_part("dernierNumeroVoie");
    const auto index = line_part("indiceRepetition");
    const auto type = line_part("typeVoie");
    const auto street = line_part("libelleVoie");
    const auto special = line_part("distributionSpeciale");
    const auto postal_code = read.text(a, "codePostalEtablissement", "address.postal_code");
    const auto commune = read.text(a, "libelleCommuneEtablissement", {"address.city", "address.commune"});
    const auto foreign_commune = read.text(a, "libelleCommuneEtrangerEtablissement", {"address.city", "address.commune"});
    const auto commune_code = read.text(a, "codeCommuneEtablissement", "address.commune_code");
    const auto cedex_code = read.text(a, "codeCedexEtablissement", "address.postal_code");
    const auto cedex_label = read.text(a, "libelleCedexEtablissement", "address.city");
    const auto country_code = read.text(a, "codePaysEtrangerEtablissement", "address.insee_country_code");
    const auto country = read.text(a, "libellePaysEtrangerEtablissement", "address.country");

    if (number && last_number) number = *number + "-" + *last_number;
    const auto street_line = non_empty(join({number, index ? std::optional(repetition(*index)) : std::nullopt,
                                             type ? std::optional(street_type_label(*type)) : std::nullopt, street}));
    Poco::JSON::Array::Ptr lines = new Poco::JSON::Array;
    for (const auto &line : {complement, street_line, special})
        if (line) lines->add(*line);

    Json out = ordered();
    out->set("lines", lines);
    // Abroad when INSEE gives a foreign country, even a masked one.
    const bool has_country = country_code || masked(a, "codePaysEtrangerEtablissement");
    const bool foreign = foreign_commune || masked(a, "libelleCommuneEtrangerEtablissement");
    const bool abroad = has_country || (foreign && !commune.has_value());
    if (abroad) {
        out->set("postal_code", or_null(postal_code));
        out->set("city", or_null(foreign_commune));
        out->set("country", or_null(country));
        out->set("country_code", Poco::Dynamic::Var());  // INSEE's country codes (99131) are not ISO ones
        out->set("insee_country_code", or_null(country_code));
        out->set("commune_code", Poco::Dynamic::Var());
        out->set("cedex", false);
    } else {
        const bool cedex = cedex_code && (cedex_label || (!postal_code && !commune));
        out->set("postal_code", or_null(cedex ? cedex_code : postal_code));
        out->set("city", cedex ? or_null(cedex_label) : (commune ? Poco::Dynamic::Var(postal_city(*commune)) : Poco::Dynamic::Var()));
        out->set("country", "FRANCE");
        out->set("country_code", "FR");
        out->set("commune_code", or_null(commune_code));
        out->set("cedex", cedex);
    }
    out->set("commune", or_null(abroad ? foreign_commune : commune));
    return out;
}

struct Names {
    bool individual = false;
    std::optional<std::string> name, denomination, acronym;
    Json person;
};

// Names from the values wherever they live (flat uniteLegale, or /siren's top level and
// current period), per the rules in the header.
Names names_of(Reader &read, const std::optional<std::string> &category, const Json &person_fields,
               const Json &name_fields, const std::optional<std::string> &trade_name) {
    Names n;
    n.denomination = read.text(name_fields, "denominationUniteLegale", {"denomination", "name"});
    const auto usual1 = read.text(name_fields, "denominationUsuelle1UniteLegale", "name");
    n.acronym = read.text(person_fields, "sigleUniteLegale", {"acronym", "name"});
    const auto last = read.text(name_fields, "nomUniteLegale", {"person.last_name", "person.birth_name", "name"});
    const auto usage = read.text(name_fields, "nomUsageUniteLegale", {"person.last_name", "name"});
    const auto first1 = read.text(person_fields, "prenom1UniteLegale", {"person.first_name", "name"});
    const auto usual_first = read.text(person_fields, "prenomUsuelUniteLegale", {"person.first_name", "name"});
    const auto gender = read.text(person_fields, "sexeUniteLegale", "person.gender");

    const bool masked_name_fields = masked(name_fields, "nomUniteLegale") || masked(name_fields, "denominationUniteLegale");
    n.individual = category ? *category == "1000" : (!n.denomination && (last || masked_name_fields));
    if (n.individual) {
        const auto first = usual_first ? usual_first : first1;
        const auto family = usage ? usage : last;
        const auto full = join({first, family});
        if (!full.empty()) n.name = full;
        n.person = ordered();
        n.person->set("first_name", or_null(first));
        n.person->set("last_name", or_null(family));
        n.person->set("birth_name", or_null(last));
        n.person->set("gender", or_null(gender));
    } else {
        n.name = n.denomination ? n.denomination : usual1 ? usual1 : n.acronym ? n.acronym : trade_name;
    }
    return n;
}

Json activity(const std::optional<std::string> &code, const std::optional<std::string> &nomenclature) {
    if (!code) return nullptr;
    Json o = ordered();
    o->set("code", *code);
    o->set("nomenclature", or_null(nomenclature));
    return o;
}

Json legal_form(const std::optional<std::string> &code) {
    if (!code) return nullptr;
    Json o = ordered();
    o->set("code", *code);
    o->set("label", legal_form_label(*code));
    return o;
}

}  // namespace

Json normalise_establishment(const Json &e, bool include_raw) {
    Reader read;
    const auto ul = object_at(e, "uniteLegale");
    const auto period = current_period(e, "periodesEtablissement");
    const auto siren = read.text(e, "siren", "siren");
    const auto nic = read.text(e, "nic", "nic");
    const auto category = read.text(ul, "categorieJuridiqueUniteLegale", "legal_form");
    // The trade name stands in for a company's name: a masked one may leave the name empty.
    const auto sign = read.text(period, "enseigne1Etablissement", {"trade_name", "name"});
    const auto usual_name = read.text(period, "denominationUsuelleEtablissement", {"trade_name", "name"});
    const auto trade_name = sign ? sign : usual_name;
    const auto names = names_of(read, category, ul, ul, trade_name);
    const auto address = address_of(object_at(e, "adresseEtablissement"), read);

    const auto state = read.text(period, "etatAdministratifEtablissement", "state");
    const auto unit_state = read.text(ul, "etatAdministratifUniteLegale", "legal_unit_state");
    const bool closed = state == std::optional<std::string>("F");
    const bool ceased = unit_state == std::optional<std::string>("C");
    const auto nic_siege = read.text(ul, "nicSiegeUniteLegale", "head_office_siret");

    Json r = ordered();
    r->set("siret", or_null(read.text(e, "siret", "siret")));
    r->set("siren", or_null(siren));
    r->set("nic", or_null(nic));
    r->set("source", "establishment");
    r->set("name", or_null(names.name));
    r->set("individual", names.individual);
    r->set("person", names.person ? Poco::Dynamic::Var(names.person) : Poco::Dynamic::Var());
    r->set("denomination", or_null(names.denomination));
    r->set("acronym", or_null(names.acronym));
    r->set("trade_name", or_null(trade_name));
    r->set("legal_form", legal_form(category));
    r->set("activity", activity(read.text(period, "activitePrincipaleEtablissement", "activity"),
                                read.text(period, "nomenclatureActivitePrincipaleEtablissement", "activity.nomenclature")));
    r->set("legal_unit_activity", activity(read.text(ul, "activitePrincipaleUniteLegale", "legal_unit_activity"),
                                           read.text(ul, "nomenclatureActivitePrincipaleUniteLegale", "legal_unit_activity.nomenclature")));
    r->set("head_office", bool_at(e, "etablissementSiege").value_or(false));
    r->set("head_office_siret", siren && nic_siege ? Poco::Dynamic::Var(*siren + *nic_siege) : Poco::Dynamic::Var());
    r->set("address", address);
    r->set("active", !closed && !ceased);
    r->set("state", closed || ceased ? "closed" : "active");
    r->set("closed_on", closed ? or_null(read.text(period, "dateDebut", "closed_on")) : Poco::Dynamic::Var());
    r->set("legal_unit_state", ceased ? "ceased" : "active");
    r->set("legal_unit_ceased_on", Poco::Dynamic::Var());  // /siret carries no period of the unit
    r->set("created_on", or_null(read.text(e, "dateCreationEtablissement", "created_on")));
    r->set("legal_unit_created_on", or_null(read.text(ul, "dateCreationUniteLegale", "legal_unit_created_on")));
    r->set("category", or_null(read.text(ul, "categorieEntreprise", "category")));
    r->set("employees_band", or_null(read.text(e, "trancheEffectifsEtablissement", "employees_band")));
    r->set("diffusion", diffusion_of(string_at(e, "statutDiffusionEtablissement")));
    r->set("masked_fields", read.masked_in(r));
    if (include_raw) r->set("raw", e);
    return r;
}

Json normalise_legal_unit(const Json &u, bool include_raw) {
    Reader read;
    const auto period = current_period(u, "periodesUniteLegale");
    const auto siren = read.text(u, "siren", "siren");
    const auto category = read.text(period, "categorieJuridiqueUniteLegale", "legal_form");
    const auto names = names_of(read, category, u, period, std::nullopt);
    const auto unit_state = read.text(period, "etatAdministratifUniteLegale", "legal_unit_state");
    const bool ceased = unit_state == std::optional<std::string>("C");
    const auto ceased_on = ceased ? read.text(period, "dateDebut", "closed_on") : std::nullopt;
    const auto nic_siege = read.text(period, "nicSiegeUniteLegale", "head_office_siret");
    const auto code = read.text(period, "activitePrincipaleUniteLegale", {"activity", "legal_unit_activity"});
    const auto nomenclature = read.text(period, "nomenclatureActivitePrincipaleUniteLegale",
                                        {"activity.nomenclature", "legal_unit_activity.nomenclature"});

    Json r = ordered();
    r->set("siret", Poco::Dynamic::Var());
    r->set("siren", or_null(siren));
    r->set("nic", Poco::Dynamic::Var());
    r->set("source", "legal_unit");
    r->set("name", or_null(names.name));
    r->set("individual", names.individual);
    r->set("person", names.person ? Poco::Dynamic::Var(names.person) : Poco::Dynamic::Var());
    r->set("denomination", or_null(names.denomination));
    r->set("acronym", or_null(names.acronym));
    r->set("trade_name", Poco::Dynamic::Var());
    r->set("legal_form", legal_form(category));
    r->set("activity", activity(code, nomenclature));
    r->set("legal_unit_activity", activity(code, nomenclature));
    r->set("head_office", false);
    r->set("head_office_siret", siren && nic_siege ? Poco::Dynamic::Var(*siren + *nic_siege) : Poco::Dynamic::Var());
    r->set("address", Poco::Dynamic::Var());
    r->set("active", !ceased);
    r->set("state", ceased ? "closed" : "active");
    r->set("closed_on", or_null(ceased_on));
    r->set("legal_unit_state", ceased ? "ceased" : "active");
    r->set("legal_unit_ceased_on", or_null(ceased_on));
    r->set("created_on", or_null(read.text(u, "dateCreationUniteLegale", "created_on")));
    r->set("legal_unit_created_on", or_null(read.text(u, "dateCreationUniteLegale", "legal_unit_created_on")));
    r->set("category", or_null(read.text(u, "categorieEntreprise", "category")));
    r->set("employees_band", or_null(read.text(u, "trancheEffectifsUniteLegale", "employees_band")));
    r->set("diffusion", diffusion_of(string_at(u, "statutDiffusionUniteLegale")));
    r->set("purged", bool_at(u, "unitePurgeeUniteLegale").value_or(false));
    r->set("masked_fields", read.masked_in(r));
    if (include_raw) r->set("raw", u);
    return r;
}

Json non_diffusible_record(const std::string &id) {
    Json r = ordered();
    const bool siret = id.size() == 14;
    r->set("siret", siret ? Poco::Dynamic::Var(id) : Poco::Dynamic::Var());
    r->set("siren", id.substr(0, 9));
    r->set("nic", siret ? Poco::Dynamic::Var(id.substr(9)) : Poco::Dynamic::Var());
    r->set("source", siret ? "establishment" : "legal_unit");
    r->set("name", Poco::Dynamic::Var());
    r->set("diffusion", "non_diffusible");
    Poco::JSON::Array::Ptr masked = new Poco::JSON::Array;
    masked->add("*");
    r->set("masked_fields", masked);
    return r;
}

SearchPage parse_search_page(const Json &answer, const std::string &list_key) {
    const auto header = object_at(answer, "header");
    const auto items = array_at(answer, list_key);
    if (!header || !items)
        throw transient("INSEE's search answer has no header or no " + list_key + " list");
    SearchPage page;
    page.total = integer_at(header, "total").value_or(0);
    page.cursor = string_at(header, "curseur");
    page.next_cursor = string_at(header, "curseurSuivant");
    for (std::size_t i = 0; i < items->size(); ++i)
        if (auto item = object_in(items, i)) page.items.push_back(item);
    return page;
}

std::string upstream_message(const Json &answer) {
    return string_at(object_at(answer, "header"), "message").value_or("");
}

}  // namespace relais::sirene
