#include "sirene_emulator.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>
#include <Poco/URI.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <mutex>
#include <regex>
#include <sstream>

#ifndef SIRENE_EMULATOR_FIXTURES_DIR
#define SIRENE_EMULATOR_FIXTURES_DIR ""
#endif

namespace relais::sirene_emulator {

using emulator::HttpError;
using emulator::Request;
using emulator::Response;
using Json = Poco::JSON::Object::Ptr;
using namespace std::chrono;

namespace {

constexpr const char *kJsonType = "application/json;charset=utf-8";
constexpr std::size_t kMaxUriBytes = 8192;
// INSEE documents no limit on q; its servers have one, as any server does on a parameter. The
// emulator holds q to the same 8 KiB as a URI, however it is sent, so that a client that
// switches to POST for long queries still has to keep them bounded.
constexpr std::size_t kMaxQueryChars = 8192;
constexpr int kMaxNombre = 1000;
// Where the gateway's Link headers point: the backend path, not the public one (recorded).
constexpr const char *kBackendBase = "https://api.insee.fr/entreprises/sirene/V3.11/publique";

std::string quote(const std::string &s) {
    std::ostringstream out;
    Poco::JSON::Stringifier::formatString(s, out);
    return out.str();
}

// {"header":{"statut":N,"message":"..."}}: every error the API itself sends.
Response envelope(int status, const std::string &message) {
    return Response::json(status, "{\"header\":{\"statut\":" + std::to_string(status) + ",\"message\":" + quote(message) + "}}");
}

[[noreturn]] void refuse(int status, const std::string &message) { throw HttpError(envelope(status, message)); }

bool all_digits(const std::string &s, std::size_t n) {
    return s.size() == n && std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
}

bool valid_date(const std::string &s) {
    static const std::regex date(R"(\d{4}-\d{2}-\d{2})");
    return std::regex_match(s, date);
}

// The request's parameters: the query string, and for POST the form body too.
struct Params {
    emulator::Fields fields;
    std::optional<std::string> get(const std::string &name) const {
        std::optional<std::string> found;
        for (const auto &[n, v] : fields)
            if (n == name) found = v;  // the last one wins
        return found;
    }
};

Params params_of(const Request &r) {
    Params p;
    p.fields = r.query_params;
    if (r.method == "POST") {
        const auto type = Poco::toLower(r.header("Content-Type").value_or(""));
        if (type.rfind("application/x-www-form-urlencoded", 0) != 0)
            refuse(400, "Les paramètres d'une requête POST doivent être envoyés en application/x-www-form-urlencoded");
        p.fields.insert(p.fields.end(), r.form.begin(), r.form.end());
    }
    return p;
}

int integer_param(const Params &p, const char *name, int fallback, int max) {
    const auto v = p.get(name);
    if (!v) return fallback;
    if (v->empty() || v->size() > 9 || !std::all_of(v->begin(), v->end(), [](unsigned char c) { return std::isdigit(c); }))
        refuse(400, std::string("Le paramètre ") + name + " doit être un entier positif");
    const int n = std::stoi(*v);
    if (n > max) refuse(400, std::string("Le paramètre ") + name + " doit être inférieur ou égal à " + std::to_string(max));
    return n;
}

std::optional<std::string> date_param(const Params &p) {
    const auto d = p.get("date");
    if (d && !valid_date(*d)) refuse(400, "Le paramètre date doit être au format AAAA-MM-JJ");
    return d;
}

bool masquer(const Params &p) {
    const auto v = p.get("masquerValeursNulles");
    if (!v) return false;
    if (*v == "true") return true;
    if (*v == "false") return false;
    refuse(400, "Le paramètre masquerValeursNulles doit valoir true ou false");
}

std::set<std::string> champs(const Params &p, const Collection &c, const std::string &id_field) {
    std::set<std::string> out;
    const auto v = p.get("champs");
    if (!v) return out;
    std::string item;
    std::istringstream in(*v);
    while (std::getline(in, item, ',')) {
        Poco::trimInPlace(item);
        if (item.empty()) continue;
        if (!c.fields.count(item) && !c.historised.count(item) && item != id_field)
            refuse(400, "Le paramètre champs contient une variable inconnue : " + item);
        out.insert(item);
    }
    if (!out.empty()) out.insert(id_field);
    return out;
}

enum class Format { json, csv };

Format format_of(const Request &r, bool csv_allowed) {
    const auto accept = Poco::toLower(r.header("Accept").value_or(""));
    if (accept.empty() || accept.find("application/json") != std::string::npos || accept.find("*/*") != std::string::npos ||
        accept.find("application/*") != std::string::npos)
        return Format::json;
    if (csv_allowed && accept.find("text/csv") != std::string::npos) return Format::csv;
    refuse(406, "Le format demandé dans l'en-tête Accept n'est pas disponible : " + accept);
}

// A copy of `o` keeping only `keep` (objects and arrays are kept when something in them is),
// without nulls when `drop_nulls`.
Json filtered(const Json &o, const std::set<std::string> &keep, bool drop_nulls) {
    Json out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto &key : o->getNames()) {
        const auto v = o->get(key);
        if (v.type() == typeid(Json)) {
            auto inner = filtered(v.extract<Json>(), keep, drop_nulls);
            if (inner->size() > 0 || (keep.empty() && !drop_nulls)) out->set(key, inner);
        } else if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
            const auto array = v.extract<Poco::JSON::Array::Ptr>();
            Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
            for (unsigned i = 0; i < array->size(); ++i) {
                const auto item = array->get(i);
                if (item.type() == typeid(Json)) {
                    auto inner = filtered(item.extract<Json>(), keep, drop_nulls);
                    if (inner->size() > 0) items->add(inner);
                } else {
                    items->add(item);
                }
            }
            if (items->size() > 0 || keep.empty()) out->set(key, items);
        } else {
            if (drop_nulls && v.isEmpty()) continue;
            if (!keep.empty() && !keep.count(key)) continue;
            out->set(key, v);
        }
    }
    return out;
}

std::string render(const Record &r, const std::set<std::string> &keep, bool drop_nulls) {
    if (keep.empty() && !drop_nulls) return r.json;
    // Re-parsed, so that no two threads touch the same Poco object while writing.
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    const auto copy = parser.parse(r.json).extract<Json>();
    std::ostringstream out;
    filtered(copy, keep, drop_nulls)->stringify(out);
    return out.str();
}

// Flat columns for text/csv: the record's scalars, its nested objects' and its current period's.
void flatten(const Json &o, std::vector<std::pair<std::string, std::string>> &row, bool first_period_only = true) {
    for (const auto &key : o->getNames()) {
        const auto v = o->get(key);
        if (v.type() == typeid(Json)) {
            flatten(v.extract<Json>(), row, first_period_only);
        } else if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
            const auto a = v.extract<Poco::JSON::Array::Ptr>();
            if (a->size() > 0 && a->get(0).type() == typeid(Json)) flatten(a->getObject(0), row, first_period_only);
        } else {
            row.emplace_back(key, v.isEmpty() ? std::string() : v.convert<std::string>());
        }
    }
}

std::string csv_field(const std::string &s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string to_csv(const std::vector<const Record *> &records) {
    std::string out;
    bool header = true;
    for (const auto *r : records) {
        std::vector<std::pair<std::string, std::string>> row;
        flatten(r->object, row);
        if (header) {
            for (std::size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + row[i].first;
            out += "\n";
            header = false;
        }
        for (std::size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + csv_field(row[i].second);
        out += "\n";
    }
    return out;
}

// Cursors are opaque to clients; here, base64 of a marker and the position of the next item.
std::string encode_cursor(std::size_t position) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder << "\x02\x81" << "pos:" << position;
    encoder.close();
    return out.str();
}

std::optional<std::size_t> decode_cursor(const std::string &cursor) {
    try {
        std::istringstream in(cursor);
        Poco::Base64Decoder decoder(in);
        std::string text((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
        const std::string marker = std::string("\x02\x81") + "pos:";
        if (text.rfind(marker, 0) != 0) return std::nullopt;
        const auto n = text.substr(marker.size());
        if (n.empty() || n.size() > 9 || !std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::isdigit(c); }))
            return std::nullopt;
        return static_cast<std::size_t>(std::stoul(n));
    } catch (const std::exception &) {
        return std::nullopt;
    }
}

std::string link(const std::string &collection, const std::optional<std::string> &q, const std::string &paging,
                 const char *rel) {
    std::string query;
    if (q) {
        std::string encoded;
        Poco::URI::encode(*q, ":/ ", encoded);
        // The recorded Link headers encode the query twice (%3A -> %253A).
        std::string twice;
        Poco::URI::encode(encoded, "%", twice);
        query = "q=" + twice + "&";
    }
    return "<" + std::string(kBackendBase) + "/" + collection + "?" + query + paging + ">; rel=\"" + rel + "\"";
}

struct SearchSpec {
    const Collection &collection;
    std::string list_key;    // "etablissements"
    std::string id_field;    // "siret"
    std::string path;        // "siret" (for Link)
};

}  // namespace

std::filesystem::path SireneEmulator::fixtures_dir() { return SIRENE_EMULATOR_FIXTURES_DIR; }

std::shared_ptr<const Dataset> SireneEmulator::standard_dataset() {
    // Built once per process and never destroyed: tearing down thousands of records at exit
    // would only slow every test process down.
    static std::once_flag once;
    static const std::shared_ptr<const Dataset> *data = nullptr;
    std::call_once(once, [] {
        DatasetOptions options;
        options.fixtures_dir = fixtures_dir();
        data = new std::shared_ptr<const Dataset>(Dataset::build(options));
    });
    return *data;
}

SireneEmulator::SireneEmulator(SireneEmulatorOptions options)
    : options_(std::move(options)),
      dataset_(options_.dataset ? options_.dataset : standard_dataset()),
      server_(options_.server),
      quota_(options_.requests_per_window, options_.window) {
    const std::string base = kBasePath;
    add_route("GET", base + "/siret/{siret}", &SireneEmulator::get_siret);
    add_route("GET", base + "/siren/{siren}", &SireneEmulator::get_siren);
    add_route("GET", base + "/siret", &SireneEmulator::search_siret);
    add_route("POST", base + "/siret", &SireneEmulator::search_siret);
    add_route("GET", base + "/siren", &SireneEmulator::search_siren);
    add_route("POST", base + "/siren", &SireneEmulator::search_siren);
    add_route("GET", base + "/siret/liensSuccession", &SireneEmulator::search_links);
    add_route("POST", base + "/siret/liensSuccession", &SireneEmulator::search_links);
    add_route("GET", base + "/informations", &SireneEmulator::informations);
}

std::size_t SireneEmulator::rate_limited() const {
    std::size_t n = 0;
    for (const auto &r : server_.requests())
        if (r.status == 429 && emulator::path_under(r.path, kBasePath)) ++n;
    return n;
}

void SireneEmulator::add_route(const std::string &method, const std::string &path, Fn fn) {
    server_.route(method, path, [this, fn](const Request &r) { return gateway(r, fn); });
}

void SireneEmulator::refuse_next(int status, std::string message, int count) {
    std::lock_guard lock(refusals_mutex_);
    for (int i = 0; i < count; ++i) refusals_.emplace_back(status, message);
}

// What the gateway does around every call: the key, the quota, the common headers.
Response SireneEmulator::gateway(const Request &request, Fn fn) {
    const auto key = request.header("X-INSEE-Api-Key-Integration");
    if (!key || !options_.api_keys.count(*key))
        // Gravitee's default answer (no X-Rate-Limit-*: the plan is not known yet) [uncertain for INSEE].
        return Response::json(401, R"({"message":"Unauthorized","http_status_code":401})");

    const auto decision = quota_.take(server_.clock().now());
    Response out;
    if (!decision.allowed) {
        const auto ms = duration_cast<milliseconds>(quota_.window()).count();
        const std::string per = ms % 60000 == 0 ? std::to_string(ms / 60000) + " minutes"
                                                 : ms % 1000 == 0 ? std::to_string(ms / 1000) + " seconds"
                                                                  : std::to_string(ms) + " milliseconds";
        out = Response::json(429, "{\"message\":\"Rate limit exceeded ! You reach the limit of " +
                                      std::to_string(decision.limit) + " requests per " + per +
                                      "\",\"http_status_code\":429}");
        if (options_.retry_after_on_429) {
            const auto wait = ceil<seconds>(decision.reset - server_.clock().now()).count();
            out.header("Retry-After", std::to_string(std::max<long long>(1, wait)));
        }
    } else {
        const auto uri_bytes = request.path.size() + request.query.size() + 1;
        try {
            if (uri_bytes > kMaxUriBytes)
                refuse(414, "URI trop longue : utilisez la méthode POST pour les requêtes longues");
            if (!service_up_ && request.path != std::string(kBasePath) + "/informations")
                refuse(503, "Service indisponible : maintenance en cours");
            std::optional<std::pair<int, std::string>> refusal;
            {
                std::lock_guard lock(refusals_mutex_);
                if (!refusals_.empty()) {
                    refusal = refusals_.front();
                    refusals_.pop_front();
                }
            }
            if (refusal) refuse(refusal->first, refusal->second);
            out = (this->*fn)(request);
        } catch (const HttpError &e) {
            out = e.response();
        }
    }
    if (out.headers.has("Content-Type") && out.headers.get("Content-Type") == "application/json")
        out.headers.set("Content-Type", kJsonType);
    const auto id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
    out.header("Cache-Control", "no-cache")
        .header("Expires", "Thu, 01 Jan 1970 00:00:00 GMT")
        .header("Server", "unknown")
        .header("Strict-Transport-Security", "max-age=100000; includeSubDomains")
        .header("Vary", "Accept-Encoding")
        .header("X-Gravitee-Client-Identifier", "emulated-client")
        .header("X-Gravitee-Request-Id", id)
        .header("X-Gravitee-Transaction-Id", id);
    if (decision.limit > 0) {
        out.header("X-Rate-Limit-Limit", std::to_string(decision.limit))
            .header("X-Rate-Limit-Remaining", std::to_string(decision.remaining))
            .header("X-Rate-Limit-Reset",
                    std::to_string(duration_cast<milliseconds>(decision.reset.time_since_epoch()).count()));
    }
    return out;
}

Response SireneEmulator::get_siret(const Request &r) { return lookup(r, "siret", r.param("siret")); }
Response SireneEmulator::get_siren(const Request &r) { return lookup(r, "siren", r.param("siren")); }

Response SireneEmulator::lookup(const Request &r, const std::string &kind, const std::string &id) {
    const bool siret = kind == "siret";
    format_of(r, false);
    if (!all_digits(id, siret ? 14 : 9))
        refuse(400, "Le paramètre " + kind + " doit être composé de " + (siret ? "14" : "9") + " chiffres : " + id);
    const Params p = params_of(r);
    const auto date = date_param(p);
    const auto keep = champs(p, siret ? Collection::establishments() : Collection::legal_units(), kind);
    const bool drop_nulls = masquer(p);

    if (const auto replacement = dataset_->replacement(id)) {
        // "Entreprise doublon": the unit was replaced; Location names the one to ask for.
        auto out = envelope(301, std::string(siret ? "Établissement" : "Unité légale") + " doublon : remplacé par le " +
                                     kind + " " + *replacement);
        out.header("Location", std::string(kBackendBase) + "/" + kind + "/" + *replacement);
        return out;
    }
    const Record *record = siret ? dataset_->establishment(id) : dataset_->legal_unit(id);
    if (!record) refuse(404, "Aucun élément trouvé pour le " + kind + " " + id);
    if (date && *date < record->created)
        refuse(404, "Aucun élément trouvé pour le " + std::string(siret ? "Siret " : "Siren ") + id + " et date " + *date);
    const auto status = record->index.current.find(siret ? "statutDiffusionEtablissement" : "statutDiffusionUniteLegale");
    if (options_.non_diffusible_as_403 && status != record->index.current.end() && status->second != "O")
        refuse(403, siret ? "Établissement non diffusable (" + id + ")" : "Unité légale non diffusable (" + id + ")");

    // Lookups say "ok" for a siret and "OK" for a siren (recorded).
    const std::string header = siret ? R"({"header":{"statut":200,"message":"ok"},"etablissement":)"
                                     : R"({"header":{"statut":200,"message":"OK"},"uniteLegale":)";
    return Response::json(200, header + render(*record, keep, drop_nulls) + "}");
}

namespace {

Response search(const Request &r, const SearchSpec &spec, const std::vector<const Record *> &all, bool hide_non_diffusible,
                const std::function<const Record *(const std::string &)> &by_id) {
    const Params p = params_of(r);
    const auto format = format_of(r, true);
    const auto q = p.get("q");
    const int nombre = integer_param(p, "nombre", 20, kMaxNombre);
    const int debut = integer_param(p, "debut", 0, 1'000'000'000);
    const auto curseur = p.get("curseur");
    const auto date = date_param(p);
    const auto tri = p.get("tri");
    const auto keep = champs(p, spec.collection, spec.id_field);
    const bool drop_nulls = masquer(p);
    if (tri && !spec.collection.fields.count(*tri)) refuse(400, "Le paramètre tri contient une variable inconnue : " + *tri);

    if (q && q->size() > kMaxQueryChars)
        refuse(400, "Nombre incorrect de paramètres ou les paramètres sont mal formatés : le paramètre q fait " +
                        std::to_string(q->size()) + " caractères, au plus " + std::to_string(kMaxQueryChars));
    std::optional<Query> query;
    if (q) {
        try {
            query = Query::parse(*q, spec.collection);
        } catch (const QueryError &e) {
            refuse(400, e.what());
        }
    }

    std::vector<const Record *> hits;
    const auto keep_record = [&](const Record *rec) {
        if (!rec) return;
        if (date && *date < rec->created) return;
        if (hide_non_diffusible) {
            for (const char *k : {"statutDiffusionEtablissement", "statutDiffusionUniteLegale"}) {
                const auto it = rec->index.current.find(k);
                if (it != rec->index.current.end() && it->second != "O") return;
            }
        }
        if (query && !query->matches(rec->index)) return;
        hits.push_back(rec);
    };
    if (const auto *ids = query ? query->only_values_of(spec.id_field) : nullptr) {
        for (const auto &id : *ids) keep_record(by_id(id));
        std::sort(hits.begin(), hits.end(), [](const Record *a, const Record *b) { return a->key < b->key; });
    } else {
        for (const auto *rec : all) keep_record(rec);
    }
    if (tri) {
        std::stable_sort(hits.begin(), hits.end(), [&](const Record *a, const Record *b) {
            const auto va = a->index.current.find(*tri), vb = b->index.current.find(*tri);
            const std::string sa = va == a->index.current.end() ? "" : va->second;
            const std::string sb = vb == b->index.current.end() ? "" : vb->second;
            return sa < sb;
        });
    }
    const auto total = hits.size();
    if (total == 0) refuse(404, "Aucun élément trouvé pour q=" + q.value_or(""));

    std::size_t first = static_cast<std::size_t>(debut);
    if (curseur) {
        if (*curseur == "*") {
            first = 0;
        } else if (const auto position = decode_cursor(*curseur)) {
            first = *position;
        } else {
            refuse(400, "Le paramètre curseur n'est pas valide : " + *curseur);
        }
    }
    std::vector<const Record *> page;
    for (std::size_t i = first; i < total && page.size() < static_cast<std::size_t>(nombre); ++i) page.push_back(hits[i]);

    Response out;
    if (format == Format::csv) {
        out = Response::text(200, to_csv(page));
        out.headers.set("Content-Type", "text/csv;charset=utf-8");
    } else {
        std::string body = "{\"header\":{\"statut\":200,\"message\":\"OK\",\"total\":" + std::to_string(total) +
                           ",\"debut\":" + std::to_string(curseur ? 0 : debut) + ",\"nombre\":" + std::to_string(page.size());
        if (curseur) {
            // Solr's rule: the cursor after the last page is the same cursor.
            const auto next = page.empty() ? *curseur : encode_cursor(first + page.size());
            body += ",\"curseur\":" + quote(*curseur) + ",\"curseurSuivant\":" + quote(next);
        }
        body += "},\"" + spec.list_key + "\":[";
        for (std::size_t i = 0; i < page.size(); ++i) body += (i ? "," : "") + render(*page[i], keep, drop_nulls);
        body += "]}";
        out = Response::json(200, body);
    }
    out.header("X-Total-Count", std::to_string(total));
    const auto n = std::to_string(nombre);
    // The recorded Links repeat q for a GET, not for a POST (its q was in the body).
    const auto link_q = r.method == "GET" ? q : std::nullopt;
    if (curseur) {
        if (!page.empty())
            out.header("Link", link(spec.path, link_q, "curseur=" + encode_cursor(first + page.size()) + "&nombre=" + n, "next"));
        out.header("Link", link(spec.path, link_q, "curseur=*&nombre=" + n, "first"));
    } else {
        if (first + page.size() < total)
            out.header("Link", link(spec.path, link_q, "debut=" + std::to_string(first + page.size()) + "&nombre=" + n, "next"));
        out.header("Link", link(spec.path, link_q, "debut=0&nombre=" + n, "first"));
        if (nombre > 0 && total <= static_cast<std::size_t>(kMaxNombre) * 10) {
            const auto last = (total - 1) / static_cast<std::size_t>(nombre) * static_cast<std::size_t>(nombre);
            out.header("Link", link(spec.path, link_q, "debut=" + std::to_string(last) + "&nombre=" + n, "last"));
        }
    }
    return out;
}

}  // namespace

Response SireneEmulator::search_siret(const Request &r) {
    return search(r, {Collection::establishments(), "etablissements", "siret", "siret"},
                  dataset_->establishments(), options_.non_diffusible_as_403,
                  [this](const std::string &id) { return dataset_->establishment(id); });
}

Response SireneEmulator::search_siren(const Request &r) {
    return search(r, {Collection::legal_units(), "unitesLegales", "siren", "siren"}, dataset_->legal_units(),
                  options_.non_diffusible_as_403, [this](const std::string &id) { return dataset_->legal_unit(id); });
}

Response SireneEmulator::search_links(const Request &r) {
    std::vector<const Record *> links;
    for (const auto &l : dataset_->succession_links()) links.push_back(&l);
    return search(r,
                  {Collection::succession_links(), "liensSuccession", "siretEtablissementPredecesseur",
                   "siret/liensSuccession"},
                  links, false, [&links](const std::string &id) -> const Record * {
                      for (const auto *l : links)
                          if (l->key == id) return l;
                      return nullptr;
                  });
}

Response SireneEmulator::informations(const Request &r) {
    format_of(r, false);
    const bool up = service_up_;
    const auto state = std::string(up ? "UP" : "DOWN");
    // Data dates: this morning on the emulator's clock, as INSEE publishes nightly.
    const auto today = floor<days>(server_.clock().now());
    const year_month_day ymd{today};
    char day[48];
    std::snprintf(day, sizeof(day), "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    const auto dates = [&](const char *collection, const char *made, const char *processed) {
        return std::string("{\"collection\":") + quote(collection) + ",\"dateDerniereMiseADisposition\":\"" + day + "T" +
               made + "\",\"dateDernierTraitementMaximum\":\"" + day + "T" + processed +
               "\",\"dateDernierTraitementDeMasse\":\"" + day + "T" + processed + "\"}";
    };
    const std::string body =
        "{\"header\":{\"statut\":200,\"message\":\"OK\"},\"etatService\":\"" + state +
        "\",\"etatsDesServices\":[{\"Collection\":\"Unités Légales\",\"etatCollection\":\"" + state +
        "\"},{\"Collection\":\"Établissements\",\"etatCollection\":\"" + state +
        "\"},{\"Collection\":\"Liens de succession\",\"etatCollection\":\"" + state +
        "\"}],\"versionService\":\"3.11.22\",\"journalDesModifications\":"
        "\"https://api.insee.fr/registry/resource/_system/governance/apimgt/applicationdata/provider/insee/Sirene/V3.11/documentation/files/changelog%203.11.txt\","
        "\"datesDernieresMisesAJourDesDonnees\":[" +
        dates("Unités Légales", "01:20:02.000", "00:43:50.188") + "," +
        dates("Établissements", "04:27:22.000", "01:16:01.889") + "," +
        dates("Liens de succession", "04:35:50.000", "03:28:21.341") + "]}";
    return Response::json(200, body);
}

}  // namespace relais::sirene_emulator
