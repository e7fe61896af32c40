// sirene: INSEE's API Sirene 3.11, which finds a French company by its SIREN or SIRET number,
// for autofill while a user fills a customer or prospect form in the ERP.
//
// Actions:
//   lookup       one SIRET or SIREN -> a normalised record (sirene_records.hpp) + the raw one
//   lookup_many  up to 10,000 identifiers, batched into multi-criteria requests
//                (sirene_batching.hpp), results in input order with per-item errors
//   search       by name, postal code, NAF code, SIREN; paged by cursor, 100 per page at most
// The "Test" button calls /informations with the key: key accepted, service UP.
//
// Quota: INSEE allows 30 requests a minute. The descriptor declares that window and takes it
// per request (quota_per_request), so the host paces every caller of the connector, jobs and
// synchronous calls alike; quota_per_minute and quota_window_seconds replace it through
// configure's answer. What INSEE says (X-Rate-Limit-*, a 429's reset) goes back to the host
// (sirene_api.hpp). Numbers are checked locally first (sirene_identifiers.hpp): a typo costs
// no quota. Lookups are cached (sirene_cache.hpp).
//
// Files: settings (sirene_settings), identifiers, records (parsing and normalisation, labels),
// queries (q expressions), batching, cache, api (HTTP), lookups (the actions);
// this file is the plugin glue. HTTP, TLS and error classes come from the SDK's support library.
#include "sirene_lookups.hpp"
#include "sirene_settings.hpp"

#include <relais/plugin.hpp>
#include <relais/support/connection.hpp>
#include <relais/support/http_client.hpp>
#include <relais/support/state_store.hpp>
#include <relais/support/test_steps.hpp>

#include <Poco/JSON/Array.h>

#include <memory>
#include <string>

namespace relais::sirene {
namespace {

struct Runtime {
    Settings settings;
    std::shared_ptr<support::HttpClient> http;
    std::shared_ptr<LookupCache> cache;
    std::shared_ptr<Lookups> lookups;
};

const char *const kLookupInput = R"json({
  "type": "object",
  "required": ["identifier"],
  "properties": {
    "identifier": {"type": "string", "description": "SIRET (14 digits) or SIREN (9 digits); spaces are allowed"},
    "include_raw": {"type": "boolean", "default": true, "description": "Add INSEE's record as received, under raw"}
  },
  "additionalProperties": false
})json";

const char *const kLookupManyInput = R"json({
  "type": "object",
  "required": ["identifiers"],
  "properties": {
    "identifiers": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 10000,
                    "description": "SIRETs or SIRENs; results come back in this order, duplicates included"},
    "include_raw": {"type": "boolean", "default": false, "description": "Add INSEE's record to each result, under raw"}
  },
  "additionalProperties": false
})json";

const char *const kSearchInput = R"json({
  "type": "object",
  "properties": {
    "name": {"type": "string", "minLength": 2, "maxLength": 200, "description": "Words of the name, sign or usual name"},
    "postal_code": {"type": "string", "pattern": "^[0-9]{5}$"},
    "naf": {"type": "string", "description": "NAF rev. 2 activity code, 56.10C or 5610C"},
    "siren": {"type": "string", "description": "The establishments of one company"},
    "head_office_only": {"type": "boolean", "default": false},
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    "cursor": {"type": "string", "default": "*", "description": "next_cursor of the previous page; * for the first"},
    "include_raw": {"type": "boolean", "default": false}
  },
  "anyOf": [{"required": ["name"]}, {"required": ["postal_code"]}, {"required": ["naf"]}, {"required": ["siren"]}],
  "additionalProperties": false
})json";

bool flag(const Json &input, const char *key, bool fallback) {
    if (!input->has(key)) return fallback;
    const auto v = input->get(key);
    if (!v.isBoolean()) throw invalid_input(std::string(key) + " must be true or false");
    return v.extract<bool>();
}

std::optional<std::string> text(const Json &input, const char *key) {
    if (!input->has(key) || input->isNull(key)) return std::nullopt;
    const auto v = input->get(key);
    if (!v.isString()) throw invalid_input(std::string(key) + " must be a string");
    return v.extract<std::string>();
}

class Sirene {
public:
    static Definition<Sirene> definition() {
        return Definition<Sirene>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION,
                                  "INSEE API Sirene: French company data by SIREN or SIRET, for autofill")
            .settings_schema(settings_map().schema())
            .action("lookup", "Finds one company by SIRET or SIREN and returns it ready for a form", kLookupInput,
                    &Sirene::lookup)
            .action("lookup_many", "Looks up to 10,000 SIRETs or SIRENs at once, batched; per-item results in order",
                    kLookupManyInput, &Sirene::lookup_many)
            .action("search", "Searches establishments by name, postal code, NAF code or SIREN, page by page",
                    kSearchInput, &Sirene::search)
            .quota_window("requests", 30, std::chrono::seconds(60))
            .quota_per_request();
    }

    explicit Sirene(Host host) : host_(host) {}

    // Answers the quota window of the settings, which replaces the declared one.
    Json configure(const Json &json) {
        Settings s = read_settings(json);
        const auto previous = runtime_.get();
        Runtime next;

        // Keep what the new settings do not change: the connection pool (the keeper's job) and
        // the cached companies. The quota already spent is the host's: a reconfiguration keeps it.
        next.http = clients_.client(s.connection, std::string("Relais-") + RELAIS_PLUGIN_NAME + "/" + RELAIS_PLUGIN_VERSION,
                                    connection_block());
        const bool same_cache = previous && previous->settings.connection.base_url == s.connection.base_url &&
                                previous->settings.cache_ttl == s.cache_ttl &&
                                previous->settings.cache_max_entries == s.cache_max_entries &&
                                previous->settings.cache_in_state == s.cache_in_state;
        if (same_cache) {
            next.cache = previous->cache;
        } else {
            std::shared_ptr<support::StateStore> store;
            if (s.cache_in_state && s.cache_ttl.count() > 0) {
                if (support::host_offers_state(host_))
                    store = support::host_state(host_);
                else
                    host_.warn("cache_in_state is set, but this host offers no plugin state: the cache stays in memory");
            }
            next.cache = std::make_shared<LookupCache>(static_cast<std::size_t>(s.cache_max_entries), s.cache_ttl, store);
        }
        const auto quota = std::to_string(s.quota_per_minute) + " requests per " + std::to_string(s.quota_window.count()) + " s";
        auto api = std::make_shared<SireneApi>(s.connection.base_url, s.api_key, next.http, quota, host_);
        next.lookups = std::make_shared<Lookups>(api, next.cache, static_cast<std::size_t>(s.batch_size), host_);
        next.settings = std::move(s);
        host_.debug(std::string("configured") + (next.settings.enabled ? "" : " (disabled)") + ", " +
                    std::to_string(next.settings.quota_per_minute) + " requests per " +
                    std::to_string(next.settings.quota_window.count()) + " s");
        const auto answer = quota_answer(next.settings);
        runtime_.set(std::move(next));
        return answer;
    }

    TestReport test(Call &call) {
        TestReport report;
        const auto rt = runtime_.get();
        support::TestSteps steps(report);
        if (!steps.configuration(rt != nullptr, rt && rt->settings.enabled, rt ? "enabled, base_url " + rt->settings.connection.base_url : ""))
            return report;
        auto budget = budget_for(*rt, call);
        const auto checked = rt->lookups->check(budget);
        // Merge the steps: the report type only appends.
        const auto steps_done = parse_object(checked.to_json(), RELAIS_INTERNAL, "test steps")->getArray("steps");
        for (unsigned i = 0; steps_done && i < steps_done->size(); ++i) {
            const auto step = steps_done->getObject(i);
            if (step->getValue<bool>("ok"))
                report.pass(step->getValue<std::string>("name"), step->getValue<std::string>("message"));
            else
                report.fail(step->getValue<std::string>("name"), step->getValue<std::string>("message"), checked.status());
        }
        return report;
    }

    Json lookup(const Json &input, Call &call) {
        const auto rt = usable();
        const auto identifier = text(input, "identifier");
        if (!identifier) throw invalid_input("identifier is required: a SIRET (14 digits) or a SIREN (9 digits)");
        auto budget = budget_for(*rt, call);
        return rt->lookups->lookup(*identifier, flag(input, "include_raw", true), budget);
    }

    Json lookup_many(const Json &input, Call &call) {
        const auto rt = usable();
        const auto list = input->getArray("identifiers");
        if (!list) throw invalid_input("identifiers is required: an array of SIRETs or SIRENs");
        if (list->size() > 10000) throw invalid_input("identifiers has " + std::to_string(list->size()) + " items; at most 10000");
        std::vector<std::string> inputs;
        for (unsigned i = 0; i < list->size(); ++i) {
            const auto v = list->get(i);
            // The input's shape is the caller's error as a whole (the host's schema check says
            // the same); only the numbers themselves get per-item errors.
            if (!v.isString())
                throw invalid_input("identifiers[" + std::to_string(i) + "] must be a string (a SIRET or SIREN)");
            inputs.push_back(v.extract<std::string>());
        }
        auto budget = budget_for(*rt, call);
        return rt->lookups->lookup_many(inputs, flag(input, "include_raw", false), budget,
                                        [&call] { return call.cancelled(); });
    }

    Json search(const Json &input, Call &call) {
        const auto rt = usable();
        SearchCriteria criteria;
        criteria.name = text(input, "name");
        criteria.postal_code = text(input, "postal_code");
        criteria.naf = text(input, "naf");
        criteria.siren = text(input, "siren");
        criteria.head_office_only = flag(input, "head_office_only", false);
        const auto limit = input->optValue<int>("limit", 20);
        if (limit < 1 || limit > 100) throw invalid_input("limit must be between 1 and 100");
        const auto cursor = text(input, "cursor").value_or("*");
        if (cursor.empty()) throw invalid_input("cursor must not be empty: use * for the first page");
        auto budget = budget_for(*rt, call);
        return rt->lookups->search(criteria, limit, cursor, flag(input, "include_raw", false), budget);
    }

private:
    // {"quota_windows":[{"scope":"requests","count":N,"window_seconds":S}]}
    static Json quota_answer(const Settings &s) {
        Json window = new Poco::JSON::Object;
        window->set("scope", "requests");
        window->set("count", s.quota_per_minute);
        window->set("window_seconds", static_cast<int64_t>(s.quota_window.count()));
        Poco::JSON::Array::Ptr windows = new Poco::JSON::Array;
        windows->add(window);
        Json answer = new Poco::JSON::Object;
        answer->set("quota_windows", windows);
        return answer;
    }

    std::shared_ptr<const Runtime> usable() const {
        auto rt = runtime_.get();
        support::require_usable(RELAIS_PLUGIN_NAME, rt != nullptr, rt && rt->settings.enabled);
        return rt;
    }

    static Budget budget_for(const Runtime &rt, const Call &call) {
        Budget b;
        b.call = &call;
        b.wait = std::chrono::duration_cast<std::chrono::milliseconds>(rt.settings.rate_limit_wait);
        const auto remaining = call.remaining();
        if (remaining != std::chrono::milliseconds::max()) b.call_deadline = std::chrono::steady_clock::now() + remaining;
        return b;
    }

    Host host_;
    support::ClientKeeper clients_;
    Snapshot<Runtime> runtime_;
};

}  // namespace
}  // namespace relais::sirene

RELAIS_PLUGIN(relais::sirene::Sirene)
