// Universign's two APIs behind one shape (shared/reference/universign-exchange.md, part A):
//
//   XML-RPC (universign_xmlrpc_api)  POST <url> with a methodCall, HTTP Basic login:password,
//                                    faults in HTTP 200; one call creates a transaction
//   REST v1 (universign_rest_api)    an API key as Bearer token, form bodies, JSON answers;
//                                    a draft, files uploaded first, fields, signatures, start
//
// Every request first takes a unit of the connector's "requests" quota through the Gate, so
// the host paces every caller together.
#pragma once

#include "universign_model.hpp"
#include "universign_settings.hpp"

#include <relais/plugin.hpp>
#include <relais/support/http_client.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace relais::universign {

// How a request waits for its quota: a synchronous call up to max_wait; a job step briefly,
// then it continues later instead of holding a worker.
struct Gate {
    const Call *call = nullptr;  // null: no quota (the standalone CLI)
    std::chrono::milliseconds max_wait{0};
};

// Takes the unit of the "requests" quota one request needs.
inline void take_request_quota(const Gate &gate) {
    if (gate.call) gate.call->take_quota("requests", "", 1, gate.max_wait);
}

// A creation whose answer was lost: Universign may or may not have created the transaction.
// Look (find_created) before sending it again.
class Uncertain : public Error {
public:
    explicit Uncertain(const std::string &message)
        : Error(RELAIS_TRANSIENT, message, nullptr, std::chrono::seconds(5)) {}
};

class UniversignApi {
public:
    virtual ~UniversignApi() = default;
    virtual Api api() const = 0;
    const char *api_name() const { return api() == Api::xmlrpc ? "XML-RPC" : "REST"; }

    // REST builds a draft before starting it: `progress(draft_id, complete)` is told when the
    // draft exists (complete false) and just before its start (complete true), so that a
    // retry after a failure knows what is there: an incomplete draft is abandoned, a complete
    // one whose start was lost is found again (find_created). XML-RPC never calls it.
    using DraftProgress = std::function<void(const std::string &draft_id, bool complete)>;
    // Creates the transaction and sends it to its signers. Throws Uncertain when the outcome
    // is unknown, relais::Error otherwise.
    virtual Created create(const SignatureRequest &request, const Gate &gate, const DraftProgress &progress) = 0;
    // The transaction an earlier, uncertain create made, if any: XML-RPC asks by customId
    // (getTransactionInfoByCustomId); REST reads the complete draft `known_id` and starts it
    // if it is still a draft. nullopt when none was made.
    virtual std::optional<TransactionView> find_created(const std::string &custom_id, const std::string &known_id,
                                                        const Gate &gate) = 0;
    virtual TransactionView info(const std::string &transaction_id, const Gate &gate) = 0;
    // XML-RPC only (nullopt from REST): the transaction created with that customId.
    virtual std::optional<TransactionView> info_by_custom_id(const std::string &custom_id, const Gate &gate) = 0;
    // The signed documents of a completed transaction, each given to `got` as soon as it is
    // here (index in the transaction, document), so that the caller keeps it before the next
    // is asked for. REST downloads them one by one and skips those `have` marks; XML-RPC
    // gets them all in one getDocuments.
    using DocumentSink = std::function<void(std::size_t index, SignedDocument document)>;
    virtual void documents(const TransactionView &transaction, const std::vector<bool> &have, const DocumentSink &got,
                           const Gate &gate) = 0;
    virtual void cancel(const std::string &transaction_id, const Gate &gate) = 0;
    // Sends the invitation again (XML-RPC relaunchTransaction).
    virtual void remind(const std::string &transaction_id, const Gate &gate) = 0;

    // The ids of the account's transactions still waiting for signers, created at or after
    // `not_before`, one page of at most 1000 from `start` (XML-RPC listTransactions with a
    // status filter). nullopt when the API cannot list (REST).
    struct Listed {
        std::vector<std::string> ids;
        bool more = false;
    };
    virtual std::optional<Listed> list_waiting(int64_t start,
                                               std::optional<std::chrono::system_clock::time_point> not_before,
                                               const Gate &gate) = 0;

    // The Test button: an authenticated call that changes nothing; what answered.
    virtual std::string check_credentials(const Gate &gate) = 0;

    // Requests sent so far (for the periodic task's summary and the bench).
    virtual uint64_t requests_sent() const = 0;
};

std::shared_ptr<UniversignApi> make_xmlrpc_api(const Settings &settings, std::shared_ptr<support::HttpClient> http,
                                               Host host);
std::shared_ptr<UniversignApi> make_rest_api(const Settings &settings, std::shared_ptr<support::HttpClient> http,
                                             Host host);

}  // namespace relais::universign
