#include "sirene_lookups.hpp"

#include "sirene_batching.hpp"
#include "sirene_records.hpp"

#include <relais/support/classify.hpp>
#include <relais/support/json.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/String.h>

#include <map>
#include <set>

namespace relais::sirene {

using support::HttpResponse;
using support::object_at;
using support::string_at;

namespace {

std::string said(const HttpResponse &r) {
    const auto message = support::describe_error_body(r);
    return message.empty() ? std::string() : " (INSEE: " + message + ")";
}

bool non_diffusible_refusal(const HttpResponse &r) {
    return r.status == 403 && Poco::toLower(support::describe_error_body(r)).find("non diffusable") != std::string::npos;
}

const char *status_name(relais_status s) {
    switch (s) {
    case RELAIS_OK: return "ok";
    case RELAIS_INVALID_CONFIG: return "invalid_config";
    case RELAIS_INVALID_INPUT: return "invalid_input";
    case RELAIS_UNAUTHORIZED: return "unauthorized";
    case RELAIS_FORBIDDEN: return "forbidden";
    case RELAIS_NOT_FOUND: return "not_found";
    case RELAIS_RATE_LIMITED: return "rate_limited";
    case RELAIS_TRANSIENT: return "transient";
    case RELAIS_PERMANENT: return "permanent";
    case RELAIS_INTERNAL: return "internal";
    case RELAIS_UNSUPPORTED: return "unsupported";
    }
    return "internal";
}

// Errors that no other identifier of the call would escape: the whole call fails with them.
bool fatal_for_the_call(relais_status s) {
    return s == RELAIS_UNAUTHORIZED || s == RELAIS_FORBIDDEN || s == RELAIS_INVALID_CONFIG || s == RELAIS_INTERNAL;
}

}  // namespace

Json record_of(const std::string &record_json, bool include_raw) {
    auto record = support::parse_json_object(record_json, RELAIS_INTERNAL, "a cached record");
    if (!include_raw) record->remove("raw");
    return record;
}

Lookups::Lookups(std::shared_ptr<SireneApi> api, std::shared_ptr<LookupCache> cache, std::size_t batch_size, Host host)
    : api_(std::move(api)), cache_(std::move(cache)), batch_size_(batch_size), host_(host) {}

void Lookups::remember(const Identifier &id, const Outcome &o) {
    if (o.kind == Outcome::Kind::found)
        cache_->put(id.key(), {true, o.record_json, {}});
    else if (o.kind == Outcome::Kind::not_found)
        cache_->put(id.key(), {false, {}, o.message});
}

Json Lookups::lookup(const std::string &input, bool include_raw, Budget &budget) {
    const auto id = require_identifier(input);
    Json detail = new Poco::JSON::Object;
    detail->set("identifier", id.digits);
    if (const auto hit = cache_->get(id.key())) {
        if (!hit->found) {
            detail->set("cached", true);
            throw not_found(hit->message, detail);
        }
        auto record = record_of(hit->record_json, include_raw);
        record->set("cached", true);
        return record;
    }
    const auto outcome = fetch(id, budget);
    remember(id, outcome);
    if (outcome.kind == Outcome::Kind::not_found) throw not_found(outcome.message, detail);
    auto record = record_of(outcome.record_json, include_raw);
    record->set("cached", false);
    return record;
}

Lookups::Outcome Lookups::fetch(const Identifier &id, Budget &budget, int hops) {
    if (id.kind == IdKind::siren) {
        // One request for the usual case: the head office establishment carries the unit's
        // current data and the address a form needs. A unit without one (purged, or with no
        // establishment at INSEE) is then asked for as a legal unit.
        const std::string what = "Sirene lookup of SIREN " + id.digits;
        const auto r = api_->search("siret", {{"q", head_office_query(id.digits)}, {"nombre", "1"}}, what, budget);
        if (r.status == 200) {
            const auto page = parse_search_page(r.json(what), "etablissements");
            const auto matched = match_batch({id}, page.items);
            if (const auto it = matched.find(id.key()); it != matched.end())
                return {Outcome::Kind::found, relais::to_string(normalise_establishment(it->second, true)), {}, RELAIS_OK, {}, false};
        } else if (r.status != 404) {
            api_->fail(r, what);
        }
        return fetch_legal_unit(id, budget, hops);
    }
    const std::string what = "Sirene lookup of SIRET " + id.digits;
    const auto r = api_->get("/siret/" + id.digits, {}, what, budget);
    if (r.status == 200) {
        const auto e = object_at(r.json(what), "etablissement");
        if (!e) throw transient(what + ": INSEE's answer has no etablissement");
        return {Outcome::Kind::found, relais::to_string(normalise_establishment(e, true)), {}, RELAIS_OK, {}, false};
    }
    if (r.status == 404)
        return {Outcome::Kind::not_found, {}, "INSEE knows no establishment with SIRET " + id.digits + said(r), RELAIS_NOT_FOUND, {}, false};
    if (r.status == 301)
        if (auto o = follow_replacement(r, id, budget, hops)) return *o;
    if (non_diffusible_refusal(r))
        return {Outcome::Kind::found, relais::to_string(non_diffusible_record(id.digits)), {}, RELAIS_OK, {}, false};
    api_->fail(r, what);
}

Lookups::Outcome Lookups::fetch_legal_unit(const Identifier &id, Budget &budget, int hops) {
    const std::string what = "Sirene lookup of SIREN " + id.digits;
    const auto r = api_->get("/siren/" + id.digits, {}, what, budget);
    if (r.status == 200) {
        const auto u = object_at(r.json(what), "uniteLegale");
        if (!u) throw transient(what + ": INSEE's answer has no uniteLegale");
        return {Outcome::Kind::found, relais::to_string(normalise_legal_unit(u, true)), {}, RELAIS_OK, {}, false};
    }
    if (r.status == 404)
        return {Outcome::Kind::not_found, {}, "INSEE knows no company with SIREN " + id.digits + said(r), RELAIS_NOT_FOUND, {}, false};
    if (r.status == 301)
        if (auto o = follow_replacement(r, id, budget, hops)) return *o;
    if (non_diffusible_refusal(r))
        return {Outcome::Kind::found, relais::to_string(non_diffusible_record(id.digits)), {}, RELAIS_OK, {}, false};
    api_->fail(r, what);
}

// 301 "doublon": the number was replaced by another; Location names it (on INSEE's backend
// path, so only its last segment is used). Followed once, and said in the record.
std::optional<Lookups::Outcome> Lookups::follow_replacement(const HttpResponse &r, const Identifier &id, Budget &budget,
                                                           int hops) {
    const auto location = r.header("Location").value_or("");
    const auto last = location.substr(location.find_last_of('/') + 1);
    const auto parsed = parse_identifier(support::without_query(last));
    if (!parsed.id || hops > 0) return std::nullopt;
    auto outcome = fetch(*parsed.id, budget, hops + 1);
    if (outcome.kind == Outcome::Kind::found) {
        auto record = support::parse_json_object(outcome.record_json, RELAIS_INTERNAL, "a record");
        Json replaced = new Poco::JSON::Object;
        replaced->set("from", id.digits);
        replaced->set("to", parsed.id->digits);
        replaced->set("message", support::describe_error_body(r));
        record->set("replaced", replaced);
        outcome.record_json = relais::to_string(record);
    }
    return outcome;
}

Json Lookups::lookup_many(const std::vector<std::string> &inputs, bool include_raw, Budget &budget,
                          const std::function<bool()> &cancelled) {
    struct Item {
        std::string input;
        std::optional<Identifier> id;
        std::optional<IdentifierProblem> problem;
    };
    std::vector<Item> items;
    std::vector<Identifier> unique;  // each identifier once, in order of first appearance
    std::set<std::string> seen;
    for (const auto &input : inputs) {
        auto parsed = parse_identifier(input);
        items.push_back({input, parsed.id, parsed.problem});
        if (parsed.id && seen.insert(parsed.id->key()).second) unique.push_back(*parsed.id);
    }
    std::map<std::string, Outcome> outcomes;  // by key()

    // 1. What the cache already knows costs nothing.
    std::vector<Identifier> missing;
    std::size_t from_cache = 0;
    for (const auto &id : unique) {
        if (const auto hit = cache_->get(id.key())) {
            Outcome o;
            o.kind = hit->found ? Outcome::Kind::found : Outcome::Kind::not_found;
            o.record_json = hit->record_json;
            o.message = hit->message;
            o.status = hit->found ? RELAIS_OK : RELAIS_NOT_FOUND;
            o.cached = true;
            outcomes[id.key()] = o;
            ++from_cache;
        } else {
            missing.push_back(id);
        }
    }

    // 2. The rest in batches: "siret:A OR siret:B ...", one request each.
    const auto batches = plan_batches(missing, batch_size_);
    std::vector<Identifier> siren_fallbacks;
    std::optional<Error> stop;  // quota exhausted beyond the budget, or cancelled: the rest fail alike
    std::size_t batches_sent = 0;
    for (const auto &batch : batches) {
        if (!stop && cancelled && cancelled())
            stop = transient("the call was cancelled before this identifier was looked up");
        if (stop) {
            for (const auto &id : batch)
                outcomes[id.key()] = {Outcome::Kind::failed, {}, stop->what(), stop->status(), stop->retry_after(), false};
            continue;
        }
        const std::string what = "Sirene batch lookup of " + std::to_string(batch.size()) + " identifiers";
        try {
            ++batches_sent;
            const int wanted = results_wanted(batch);
            const auto r = api_->search("siret", {{"q", batch_query(batch)}, {"nombre", std::to_string(wanted)}}, what, budget);
            std::vector<Json> found;
            if (r.status == 200) {
                auto page = parse_search_page(r.json(what), "etablissements");
                found = std::move(page.items);
                // More hits than asked for (a SIREN with several head offices in its history):
                // fetch the rest by offset.
                while (static_cast<int64_t>(found.size()) < page.total && static_cast<int64_t>(found.size()) < 10 * wanted) {
                    const auto next = api_->search("siret",
                                                   {{"q", batch_query(batch)},
                                                    {"nombre", std::to_string(wanted)},
                                                    {"debut", std::to_string(found.size())}},
                                                   what, budget);
                    if (next.status != 200) break;
                    auto more = parse_search_page(next.json(what), "etablissements");
                    if (more.items.empty()) break;
                    found.insert(found.end(), more.items.begin(), more.items.end());
                }
            } else if (r.status != 404) {
                api_->fail(r, what);
            }
            const auto matched = match_batch(batch, found);
            for (const auto &id : batch) {
                const auto it = matched.find(id.key());
                if (it != matched.end()) {
                    Outcome o{Outcome::Kind::found, relais::to_string(normalise_establishment(it->second, true)), {}, RELAIS_OK, {}, false};
                    remember(id, o);
                    outcomes[id.key()] = o;
                } else if (id.kind == IdKind::siren) {
                    siren_fallbacks.push_back(id);  // perhaps a legal unit without establishment
                } else {
                    Outcome o{Outcome::Kind::not_found, {}, "INSEE knows no establishment with SIRET " + id.digits, RELAIS_NOT_FOUND, {}, false};
                    remember(id, o);
                    outcomes[id.key()] = o;
                }
            }
        } catch (const Error &e) {
            if (fatal_for_the_call(e.status())) throw;
            host_.warn(what + " failed: " + e.what());
            for (const auto &id : batch)
                outcomes[id.key()] = {Outcome::Kind::failed, {}, e.what(), e.status(), e.retry_after(), false};
            if (e.status() == RELAIS_RATE_LIMITED) stop = e;
        }
    }

    // 3. SIRENs without a head office in the batch answers: as legal units, one by one.
    for (const auto &id : siren_fallbacks) {
        if (!stop && cancelled && cancelled()) stop = transient("the call was cancelled before this identifier was looked up");
        if (stop) {
            outcomes[id.key()] = {Outcome::Kind::failed, {}, stop->what(), stop->status(), stop->retry_after(), false};
            continue;
        }
        try {
            auto o = fetch_legal_unit(id, budget, 0);
            remember(id, o);
            outcomes[id.key()] = o;
        } catch (const Error &e) {
            if (fatal_for_the_call(e.status())) throw;
            outcomes[id.key()] = {Outcome::Kind::failed, {}, e.what(), e.status(), e.retry_after(), false};
            if (e.status() == RELAIS_RATE_LIMITED) stop = e;
        }
    }

    // 4. The answer, in input order.
    Poco::JSON::Array::Ptr out = new Poco::JSON::Array;
    std::size_t found = 0, not_found_count = 0, failed = 0, invalid = 0;
    std::map<std::string, Json> records;  // parsed once per distinct identifier
    for (const auto &item : items) {
        Json o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("input", item.input);
        Json error;
        if (!item.id) {
            ++invalid;
            o->set("identifier", Poco::Dynamic::Var());
            o->set("ok", false);
            error = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            error->set("class", "invalid_input");
            error->set("message", item.problem->message);
            error->set("reason", item.problem->reason);
        } else {
            o->set("identifier", item.id->digits);
            const auto &outcome = outcomes[item.id->key()];
            if (outcome.kind == Outcome::Kind::found) {
                ++found;
                auto &record = records[item.id->key()];
                if (!record) record = record_of(outcome.record_json, include_raw);
                o->set("ok", true);
                o->set("cached", outcome.cached);
                o->set("record", record);
            } else {
                (outcome.kind == Outcome::Kind::not_found ? not_found_count : failed)++;
                o->set("ok", false);
                error = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
                error->set("class", status_name(outcome.status == RELAIS_OK ? RELAIS_INTERNAL : outcome.status));
                error->set("message", outcome.message);
                if (outcome.retry_after.count() > 0) error->set("retry_after_ms", outcome.retry_after.count());
                if (outcome.cached) o->set("cached", true);
            }
        }
        if (error) o->set("error", error);
        out->add(o);
    }
    Json stats = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    stats->set("requested", items.size());
    stats->set("invalid", invalid);
    stats->set("unique", unique.size());
    stats->set("from_cache", from_cache);
    stats->set("found", found);
    stats->set("not_found", not_found_count);
    stats->set("failed", failed);
    stats->set("batches", batches_sent);
    stats->set("upstream_requests", budget.requests);
    Json result = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    result->set("items", out);
    result->set("stats", stats);
    return result;
}

Json Lookups::search(const SearchCriteria &criteria, int limit, const std::string &cursor, bool include_raw, Budget &budget) {
    const auto q = search_query(criteria);
    const std::string what = "Sirene search";
    const auto r = api_->search("siret", {{"q", q}, {"nombre", std::to_string(limit)}, {"curseur", cursor}}, what, budget);
    Poco::JSON::Array::Ptr results = new Poco::JSON::Array;
    Json out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    if (r.status == 404) {  // INSEE answers "no hit" with 404
        out->set("results", results);
        out->set("total", 0);
        out->set("cursor", cursor);
        out->set("next_cursor", Poco::Dynamic::Var());
        out->set("upstream_requests", budget.requests);
        return out;
    }
    // The name goes to INSEE as the caller typed it (quoted), and a cursor other than the first
    // page's is theirs too: INSEE finding either malformed is for them to change. The other
    // criteria were checked here, and a 400 to those alone is the connector's fault.
    const bool callers_text = criteria.name.has_value() || cursor != "*";
    if (r.status != 200) api_->fail(r, what, callers_text ? SireneApi::Blame::caller : SireneApi::Blame::connector);
    const auto page = parse_search_page(r.json(what), "etablissements");
    for (const auto &e : page.items) results->add(normalise_establishment(e, include_raw));
    const bool more = page.next_cursor && page.next_cursor != page.cursor && static_cast<int>(page.items.size()) == limit;
    out->set("results", results);
    out->set("total", page.total);
    out->set("cursor", cursor);
    out->set("next_cursor", more ? Poco::Dynamic::Var(*page.next_cursor) : Poco::Dynamic::Var());
    out->set("upstream_requests", budget.requests);
    return out;
}

TestReport Lookups::check(Budget &budget) {
    TestReport report;
    HttpResponse r;
    try {
        r = api_->get("/informations", {}, "the connection test", budget);
    } catch (const Error &e) {
        report.fail("reach INSEE", e.what(), e.status());
        return report;
    }
    if (r.status == 401 || r.status == 403) {
        report.fail("api key",
                    "INSEE refused the API key: HTTP " + std::to_string(r.status) + said(r) +
                        (r.status == 401 ? "; check api_key (a key from portail-api.insee.fr)"
                                         : "; is the application subscribed to API Sirene?"),
                    r.status == 401 ? RELAIS_UNAUTHORIZED : RELAIS_FORBIDDEN);
        return report;
    }
    if (!r.ok()) {
        support::ClassifyOptions options;
        options.what = "GET " + api_->base_url() + "/informations";
        options.client_error = RELAIS_INTERNAL;  // /informations takes no input: a 400 is the connector's
        const auto c = support::classify(r, options);
        report.fail("reach INSEE", c.message, c.status);
        return report;
    }
    const auto remaining = r.header("X-Rate-Limit-Remaining"), limit = r.header("X-Rate-Limit-Limit");
    report.pass("api key", "INSEE accepted the API key" +
                               (remaining && limit ? " (quota: " + *remaining + " of " + *limit + " requests left in this window)"
                                                   : std::string()));
    Json body;
    try {
        body = r.json("INSEE's /informations answer");
    } catch (const Error &e) {
        report.fail("service state", e.what(), e.status());
        return report;
    }
    const auto state = string_at(body, "etatService").value_or("unknown");
    const auto version = string_at(body, "versionService").value_or("?");
    std::string updated;
    if (const auto dates = support::array_at(body, "datesDernieresMisesAJourDesDonnees"))
        for (std::size_t i = 0; i < dates->size(); ++i) {
            const auto d = support::object_in(dates, i);
            if (const auto when = string_at(d, "dateDerniereMiseADisposition")) {
                updated = " data published " + when->substr(0, 10);
                break;
            }
        }
    if (state == "UP") {
        report.pass("service state", "API Sirene " + version + " is UP;" + updated);
    } else {
        std::string collections;
        if (const auto states = support::array_at(body, "etatsDesServices"))
            for (std::size_t i = 0; i < states->size(); ++i) {
                const auto s = support::object_in(states, i);
                collections += (collections.empty() ? "" : ", ") + string_at(s, "Collection").value_or("?") + " " +
                               string_at(s, "etatCollection").value_or("?");
            }
        report.fail("service state", "API Sirene " + version + " reports etatService " + state +
                                         (collections.empty() ? "" : " (" + collections + ")"),
                    RELAIS_TRANSIENT);
    }
    return report;
}

}  // namespace relais::sirene
