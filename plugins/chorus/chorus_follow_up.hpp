// Following integrated invoices to their end ("récupération des statuts" in the WaveSoft note):
// paid (MISE_EN_PAIEMENT and after), rejected by the buyer (REJETEE and the like), or no
// longer followed after status_follow_max_days.
//
// Each invoice a submission integrated is an open item in plugin state, "follow/open/<id>",
// with the status last seen. A periodic task (follow_invoices, every
// status_follow_interval_minutes) reads the open items, then asks Chorus Pro once for all of
// them: rechercher/fournisseur over the items' deposit dates and, after a first round, only
// the invoices whose current status changed since the previous round (a day before it, as
// the bound is a date), page by page, each page one unit of the connector's quota. Never one
// request per invoice.
//
// Each change seen is one business event, "invoice.status_changed", subject the invoice
// number, data {invoice_id, invoice_number, flux_number, submission_key, old_status,
// new_status, status_changed_at, deposit_date, invoice_date, comment, final}, with the dedupe
// key chorus/<id>/<status>/<status date>: the event is emitted before the item is updated, so
// a round killed in between emits it again and the host drops the copy. An invoice no longer
// followed gets "invoice.follow_up_stopped". Items are written with versions: two rounds at
// once do not undo each other.
#pragma once

#include "chorus_api.hpp"
#include "chorus_queries.hpp"
#include "chorus_submission_store.hpp"

#include <relais/plugin.hpp>

#include <memory>

namespace relais::chorus {

class FollowUp {
public:
    FollowUp(std::shared_ptr<ChorusApi> api, std::shared_ptr<Queries> queries, Host host);

    // The invoices of an integrated submission start being followed (once: an item already
    // open is left as it is).
    void add(const SubmissionRecord &submission);
    // {}: one round; what it saw and did.
    Json run(const Json &input, const Call &call);

private:
    std::shared_ptr<ChorusApi> api_;
    std::shared_ptr<Queries> queries_;
    Host host_;
};

}  // namespace relais::chorus
