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
// Following: submit_invoice enqueues track_submission, which reads the processing report and
// enqueues itself again (poll_initial_delay, doubling up to poll_max_delay) until the flux is
// final; the last tracking job's result holds the final state and the invoice ids. A rejected
// flux makes that job fail as permanent with Chorus Pro's reasons (dead-lettered). Outages and
// 429s while following only delay the next look; credentials refused stop it (dead-lettered, to
// be retried once fixed). While a deposit is unconfirmed, such a dead letter, or searches that
// keep failing for tracking_max, says what to check on the Chorus Pro portal: the invoice is
// never left without either a followed flux or a message a person can act on.
//
// The file is kept in plugin state until the submission is final, for a new deposit.
// Within one process, one submission is handled by one call at a time. Across hosts sharing a
// job store, the same invoice submitted at the same instant on two hosts is not excluded yet:
// that needs a compare-and-set on the state, which the host does not offer today.
#pragma once

#include "chorus_api.hpp"
#include "chorus_file.hpp"
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
                std::shared_ptr<SubmissionLocks> locks, Host host);

    // {invoice_number, file_base64 | file_path, file_name?, syntax, dematerialisation_code?, track?}
    Json submit(const Json &input, const Call &call);
    // {submission_key}: one look at the submission; see the header comment.
    Json track(const Json &input, const Call &call);
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
    // Enqueues the next tracking job, `at_least` from now or later; its id, or 0 when this
    // host runs no jobs.
    int64_t schedule_next(SubmissionRecord &record, std::chrono::milliseconds at_least = {});
    // The record now follows `flux` (deposited, or found after a lost answer).
    void record_flux(SubmissionRecord &record, const std::string &flux, const std::string &date, bool found_by_search);
    // Deposits the kept file again (after IN_INCIDENTE, or no trace of an uncertain deposit).
    void deposit_again(SubmissionRecord &record, const Call &call);
    // Schedules the next look; the summary, with the next tracking job's id.
    Json look_again(SubmissionRecord &record, std::chrono::milliseconds at_least = {});
    // Among invoices found by number, the flux of the lost deposit: neither one this record
    // already follows nor another submission's; "" when none (`date`: its deposit date).
    std::string unclaimed_flux(const SubmissionRecord &record, const Poco::JSON::Array::Ptr &found, std::string &date);
    // The dead letter's text when a deposit's fate is unknown and could not be found out.
    std::string unconfirmed_message(const SubmissionRecord &record, const std::string &why) const;
    // Final: recorded, and the kept file dropped.
    void finish(SubmissionRecord &record);
    Json follow(SubmissionRecord &record, const Call &call);
    Json summary(const SubmissionRecord &record) const;

    std::shared_ptr<ChorusApi> api_;
    std::shared_ptr<Queries> queries_;
    std::shared_ptr<SubmissionStore> store_;
    std::shared_ptr<SubmissionLocks> locks_;
    Host host_;
};

}  // namespace relais::chorus
