// collect_signatures, the seed's background task ("Intervalle de récupération des
// signatures"): every poll_interval_seconds it walks the open transactions this connector
// created and settles those that changed, checking each at most once per run.
//
//   XML-RPC  listTransactions with the status filter ready (0): the ids still waiting, 1,000 a
//            call; an open transaction missing from that list changed, and only those are
//            read (getTransactionInfo). 1,000 open transactions cost one call, not 1,000.
//   REST     no listing request exists: each open transaction is read, 200 a step (a job
//            continues later between steps, so that one run never holds a worker for long).
//
// A changed transaction's job is woken (it re-reads and ends). One created without a job (a
// synchronous request_signature) is settled here: its signed documents are fetched once,
// written to output_directory, and an event "signature.<state>" tells the ERP.
//
// Pushes (the "status" webhook) name one transaction: its job is woken, or, when none waits,
// collect_signatures {"transaction_id"} is queued to settle just that one.
#pragma once

#include "universign_signatures.hpp"

#include <relais/plugin.hpp>

#include <memory>

namespace relais::universign {

class Collector {
public:
    Collector(std::shared_ptr<Signatures> signatures, Host host);

    Json run(const Json &input, Call &call);

    // A push for `transaction_id`; `hint` (the pushed status, or the event id) makes the
    // queued check unique per push. {"transaction_id", "known", "woken", "queued"}.
    Json on_push(const std::string &transaction_id, const std::string &hint) const;

private:
    struct Tally {
        int64_t open = 0, checked = 0, changed = 0, woken = 0, finished = 0, api_calls = 0, listed = 0;
        Json to_json() const;
        static Tally from(const Json &json);
    };
    void settle(const Records::Open &open, std::optional<TransactionView> view, Tally &tally, const Gate &gate) const;
    Json run_xmlrpc(Call &call, Tally &tally);
    Json run_rest(const Json &checkpoint, Call &call, Tally &tally);

    std::shared_ptr<Signatures> signatures_;
    Host host_;
};

}  // namespace relais::universign
