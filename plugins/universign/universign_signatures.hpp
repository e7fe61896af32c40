// The signature actions: request_signature from the request to the signed PDFs, and the
// actions on one transaction (status, fetch, cancel, remind).
//
// One transaction per custom_id, whatever happens. Before a transaction is requested its
// record is written (phase "sending", compare-and-set, so two callers cannot both send).
// A record found in that phase, or "uncertain" after a lost answer, means an earlier
// attempt may have created it: the API is asked first (XML-RPC getTransactionInfoByCustomId;
// REST reads the draft it was told of) and what it finds is adopted. A customId Universign
// says is already used is adopted the same way.
//
// As a job, request_signature then waits (continue later, progress: the signers and their
// URLs) until the transaction is final, woken by pushes and the periodic task and looking
// by itself every job_recheck_seconds. Once completed it fetches the signed documents, keeps
// each in the state as it comes (a step repeated after a crash does not fetch it again),
// writes them to output_directory, and ends with them. Refused, canceled, expired or failed:
// it ends dead with the reason. Documents being restored from the archive (73070): it waits
// restore_retry_seconds and tries again.
#pragma once

#include "universign_api.hpp"
#include "universign_records.hpp"
#include "universign_request.hpp"

#include <relais/plugin.hpp>

#include <memory>

namespace relais::universign {

class Signatures {
public:
    Signatures(Settings settings, std::shared_ptr<UniversignApi> api, std::shared_ptr<Records> records, Host host);

    Json request(const Json &input, Call &call);
    Json status(const Json &input, Call &call);
    Json fetch_signed(const Json &input, Call &call);
    Json cancel(const Json &input, Call &call);
    Json remind(const Json &input, Call &call);

    // The view of a transaction with what the record knows and the API does not say (REST:
    // the signers' names and roles; XML-RPC: the roles).
    TransactionView enriched(TransactionView view, const Record *record) const;

    // The signed documents: those kept in the state, the others from Universign (kept as
    // they come).
    std::vector<SignedDocument> documents_of(const TransactionView &view, const Gate &gate);
    // Into output_directory (nothing when unset); the paths written.
    std::vector<std::string> write_files(const std::string &custom_id, const std::vector<SignedDocument> &documents) const;

    // Wakes the jobs waiting on the record's transaction; how many were.
    std::size_t wake_jobs(const Record &record) const;

    const std::shared_ptr<UniversignApi> &api() const { return api_; }
    const std::shared_ptr<Records> &records() const { return records_; }
    const Settings &settings() const { return settings_; }

private:
    struct Found {
        TransactionView view;
        bool created = false;
    };
    Found ensure_created(const SignatureRequest &request, Call &call, const Gate &gate);
    std::optional<Found> adopt_existing(const Records::Versioned &current, const SignatureRequest &request,
                                        Call &call, const Gate &gate);
    Found send_new(const SignatureRequest &request, uint64_t version, Call &call, const Gate &gate);
    void opened(const std::string &custom_id, const TransactionView &view, Call &call);

    Json wait_step(const Json &checkpoint, Call &call);
    Json finish(const TransactionView &view, Call &call);
    [[noreturn]] void ended_badly(const TransactionView &view) const;

    TransactionView resolve(const TransactionRef &ref, const Gate &gate, std::optional<Record> *record = nullptr);
    Json progress(const TransactionView &view, const std::string &stage) const;
    Gate gate_for(const Call &call) const;

    Settings settings_;
    std::shared_ptr<UniversignApi> api_;
    std::shared_ptr<Records> records_;
    Host host_;
};

// A file name from a custom_id: characters outside [A-Za-z0-9._-] become '_'.
std::string file_stem(const std::string &custom_id);

}  // namespace relais::universign
