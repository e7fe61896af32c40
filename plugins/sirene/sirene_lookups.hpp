// The connector's actions, independent of the plugin glue: lookup, lookup_many, search, and
// the connection check, on top of SireneApi (quota, errors) and LookupCache.
#pragma once

#include "sirene_api.hpp"
#include "sirene_cache.hpp"
#include "sirene_identifiers.hpp"
#include "sirene_queries.hpp"

#include <relais/plugin.hpp>

#include <memory>
#include <optional>
#include <string>

namespace relais::sirene {

class Lookups {
public:
    Lookups(std::shared_ptr<SireneApi> api, std::shared_ptr<LookupCache> cache, std::size_t batch_size, Host host);

    // One SIRET or SIREN. Throws invalid_input (before any request), not_found, and the rest.
    Json lookup(const std::string &input, bool include_raw, Budget &budget);
    // Many, batched; per-item errors; `cancelled` is asked between batches.
    Json lookup_many(const std::vector<std::string> &inputs, bool include_raw, Budget &budget,
                     const std::function<bool()> &cancelled);
    Json search(const SearchCriteria &criteria, int limit, const std::string &cursor, bool include_raw, Budget &budget);
    // GET /informations: the key's validity and the service's state, as test steps.
    TestReport check(Budget &budget);

    SireneApi &api() { return *api_; }
    LookupCache &cache() { return *cache_; }

private:
    struct Outcome {
        enum class Kind { found, not_found, failed } kind = Kind::failed;
        std::string record_json;  // found: the normalised record, raw included
        std::string message;
        relais_status status = RELAIS_OK;
        std::chrono::milliseconds retry_after{0};
        bool cached = false;
    };
    Outcome fetch(const Identifier &id, Budget &budget, int hops = 0);
    Outcome fetch_legal_unit(const Identifier &id, Budget &budget, int hops);
    std::optional<Outcome> follow_replacement(const support::HttpResponse &r, const Identifier &id, Budget &budget,
                                              int hops);
    void remember(const Identifier &id, const Outcome &outcome);

    std::shared_ptr<SireneApi> api_;
    std::shared_ptr<LookupCache> cache_;
    std::size_t batch_size_;
    Host host_;
};

// The record of a found outcome, with or without its raw upstream object.
Json record_of(const std::string &record_json, bool include_raw);

}  // namespace relais::sirene
