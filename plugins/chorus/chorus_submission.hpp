// Submitting invoices, exactly once, and following them to their final state.
//
// One submission is one invoice file under one invoice number; its key is a hash of both, so
// the same file sent again under the same number is recognised, whatever job carries it. Its
// record lives in the host's durable plugin state ("submission/<key>"), written before and
// after each deposit:
//
//   new ──deposit──▶ depositing ──answer──▶ deposited ──report final──▶ final
//                        │                     │  IN_INCIDENTE: deposited again (bounded)
//                        └─timeout / reset──▶ uncertain ──invoice found──▶ deposited
//                                                │ not found after uncertain_deposit_wait
//                                                └──────────▶ deposited again
//
// A record found in "depositing" means a deposit was under way when the process died: it is
// treated as uncertain, never re-sent blindly. Before depositing again after an uncertain
// outcome, the supplier's invoices are searched for the invoice number (Chorus Pro has no
// search by file; an invoice shows up once its flux is integrated), which is why the wait is
// there: long enough for a flux that did arrive to be integrated.
//
// Following: submit_invoice is one job. Its first step deposits (or picks up the record a
// crashed first step left); each later step reads the processing report once, then asks the
// host to run it again later (poll_initial_delay, doubling up to poll_max_delay) until the flux
// is final. The job's result is the final outcome: integrated with the invoice ids, partially
// integrated, or the job ends dead (permanent) with Chorus Pro's reasons. Its checkpoint (what
// the ERP sees as progress) holds the submission key, the flux number, the state and the next
// look, nothing secret; the record in plugin state stays the truth, so a step run twice after
// a crash repeats one look at most and never deposits twice. Outages and 429s while following
// only delay the next look; credentials refused fail the step (the job's retries, then dead).
// While a deposit is unconfirmed, such a dead job, or searches that keep failing for
// tracking_max, says what to check on the Chorus Pro portal: the invoice is never left without
// either a followed flux or a message a person can act on. A final record keeps its outcome,
// so another job for the same submission gets the same result at once.
//
// track_submission is what the previous version enqueued to follow a deposit: a pending one
// found after an upgrade follows its submission to the end the same way (one waiting job).
//
// Once integrated, each invoice is handed to the status follow-up (chorus_follow_up.hpp).
//
// The file is kept in plugin state until the submission is final, for a new deposit.
// Within one process, one submission is handled by one call at a time. Across hosts sharing a
// job store, the same invoice submitted at the same instant on two hosts is not excluded yet:
// that needs a compare-and-set on the state, which the host does not offer today.
#pragma once

#include "chorus_api.hpp"
#include "chorus_file.hpp"
#include "chorus_follow_up.hpp"
#include "chorus_queries.hpp"
#include "chorus_submission_store.hpp"

#include <relais/plugin.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>

namespace relais::chorus {

class Submissions {
public:
    Submissions(std::shared_ptr<ChorusApi> api, std::shared_ptr<Queries> queries, std::shared_ptr<SubmissionStore> store,
                std::shared_ptr<SubmissionLocks> locks, Host host, std::shared_ptr<FollowUp> follow_up);

    // {invoice_number, file_base64 | file_path, file_name?, syntax, dematerialisation_code?, track?}:
    // one step of the submission job (see the header comment).
    Json submit(const Json &input, Call &call);
    // {submission_key}: the deprecated tracking job; follows the submission to its end.
    Json track(const Json &input, Call &call);
    // {submission_key} or {invoice_number, file_sha256}: what is recorded, without asking
    // Chorus Pro.
    Json status(const Json &input, const Call &call);

    // The key of an invoice number and file hash.
    static std::string key_of(const std::string &invoice_number, const std::string &file_sha256);

private:
    std::optional<SubmissionRecord> load(const std::string &key);
    void save(const SubmissionRecord &record);
    // Deposits `file`; leaves the record deposited, uncertain, or as it was (and throws) when
    // Chorus Pro refused or could not be reached.
    void deposit(SubmissionRecord &record, const InvoiceFile &file, const Call &call);
    // How long until the next look, `at_least` or more; counts the look in the record.
    std::chrono::milliseconds next_delay(SubmissionRecord &record, std::chrono::milliseconds at_least = {});
    // Ends the step: the job runs again after the next delay, from the record's progress.
    Json wait(SubmissionRecord &record, Call &call, std::chrono::milliseconds at_least = {},
              const std::string &last_error = {});
    // The progress the ERP sees while the job waits (no secrets).
    Json progress(const SubmissionRecord &record, int64_t next_look_at_ms) const;
    // One step past the deposit: a look, then the final outcome or a wait.
    Json step(SubmissionRecord &record, Call &call);
    // The job's result for a final record: the summary, or the permanent error it ended with.
    Json outcome(const SubmissionRecord &record) const;
    // The record now follows `flux` (deposited, or found after a lost answer).
    void record_flux(SubmissionRecord &record, const std::string &flux, const std::string &date, bool found_by_search);
    // Deposits the kept file again (after IN_INCIDENTE, or no trace of an uncertain deposit).
    void deposit_again(SubmissionRecord &record, const Call &call);
    // Among invoices found by number, the flux of the lost deposit: neither one this record
    // already follows nor another submission's; "" when none (`date`: its deposit date).
    std::string unclaimed_flux(const SubmissionRecord &record, const Poco::JSON::Array::Ptr &found, std::string &date);
    // The dead letter's text when a deposit's fate is unknown and could not be found out.
    std::string unconfirmed_message(const SubmissionRecord &record, const std::string &why) const;
    // Final: recorded (with an expiry where the host keeps one), the kept file dropped, and the
    // invoices handed to the status follow-up. `error`: the permanent failure it ends with.
    void finish(SubmissionRecord &record, const std::string &error = {});
    // One look; true when the record is final afterwards.
    bool follow(SubmissionRecord &record, const Call &call);
    Json summary(const SubmissionRecord &record) const;

    std::shared_ptr<ChorusApi> api_;
    std::shared_ptr<Queries> queries_;
    std::shared_ptr<SubmissionStore> store_;
    std::shared_ptr<SubmissionLocks> locks_;
    Host host_;
    std::shared_ptr<FollowUp> follow_up_;
};

}  // namespace relais::chorus
