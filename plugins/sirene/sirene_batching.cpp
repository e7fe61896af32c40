#include "sirene_batching.hpp"

#include "sirene_queries.hpp"

#include <relais/support/json.hpp>

#include <algorithm>

namespace relais::sirene {

std::vector<std::vector<Identifier>> plan_batches(const std::vector<Identifier> &ids, std::size_t size) {
    std::vector<std::vector<Identifier>> batches;
    size = std::max<std::size_t>(1, size);
    std::vector<Identifier> batch;
    std::size_t length = 0;  // of batch_query(batch)
    for (const auto &id : ids) {
        const auto term = batch_term(id).size();
        if (!batch.empty() && (batch.size() >= size || length + kBatchSeparator.size() + term > kMaxBatchQuery)) {
            batches.push_back(std::move(batch));
            batch.clear();
            length = 0;
        }
        length += (batch.empty() ? 0 : kBatchSeparator.size()) + term;
        batch.push_back(id);
    }
    if (!batch.empty()) batches.push_back(std::move(batch));
    return batches;
}

int results_wanted(const std::vector<Identifier> &batch) {
    std::size_t n = 0;
    for (const auto &id : batch) n += id.kind == IdKind::siret ? 1 : 2;
    return static_cast<int>(std::min<std::size_t>(1000, std::max<std::size_t>(1, n)));
}

std::map<std::string, Json> match_batch(const std::vector<Identifier> &batch, const std::vector<Json> &etablissements) {
    std::map<std::string, Json> by_siret, head_office_by_siren;
    for (const auto &e : etablissements) {
        const auto siret = support::string_at(e, "siret");
        if (!siret) continue;
        by_siret[*siret] = e;
        if (support::bool_at(e, "etablissementSiege").value_or(false)) head_office_by_siren[siret->substr(0, 9)] = e;
    }
    std::map<std::string, Json> matched;
    for (const auto &id : batch) {
        const auto &index = id.kind == IdKind::siret ? by_siret : head_office_by_siren;
        if (const auto it = index.find(id.digits); it != index.end()) matched[id.key()] = it->second;
    }
    return matched;
}

}  // namespace relais::sirene
