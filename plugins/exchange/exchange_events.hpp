// The actions on one mailbox's events, the same for both backends:
//
//   list_events   {mailbox, from, to}: occurrences expanded, UTC with each event's own zone
//   get_event     {mailbox, id}
//   create_event  {mailbox, erp_id, subject, start, end, time_zone, ...}: idempotent on erp_id.
//                 The record (erp/<mailbox>/<erp_id>, phase "creating") is written before
//                 the event is created; a record found in that phase, a lost answer, or no
//                 record at all (a state lost) make the connector look for the ERP's mark
//                 first (find_by_erp_id), so the same erp_id never makes two events. Graph
//                 also gets a transactionId derived from it.
//   update_event  {mailbox, id | erp_id, version, ...}: with the change key / ETag; a stale one
//                 is a `permanent` error with detail {"conflict": true, "current_version"}
//   delete_event  {mailbox, id | erp_id}
#pragma once

#include "exchange_backend.hpp"
#include "exchange_records.hpp"
#include "exchange_settings.hpp"

#include <relais/plugin.hpp>

#include <memory>

namespace relais::exchange {

class Events {
public:
    Events(Settings settings, std::shared_ptr<CalendarBackend> backend, std::shared_ptr<Records> records, Host host);

    Json list(const Json &input, Call &call);
    Json get(const Json &input, Call &call);
    Json create(const Json &input, Call &call);
    Json update(const Json &input, Call &call);
    Json remove(const Json &input, Call &call);

    // For push_planning: the same idempotent create, and an update that records what it wrote.
    Event create_marked(const std::string &mailbox, const EventIn &event, Call &call, bool *created = nullptr);
    Event update_marked(const std::string &mailbox, const Event &current, const EventIn &event, Call &call);
    void delete_marked(const std::string &mailbox, const Event &current, Call &call);

    Gate gate_for(const Call &call) const;
    const std::shared_ptr<CalendarBackend> &backend() const { return backend_; }
    const std::shared_ptr<Records> &records() const { return records_; }
    const Settings &settings() const { return settings_; }

private:
    std::string event_id_of(const Json &input, const std::string &mailbox, const Gate &gate);

    Settings settings_;
    std::shared_ptr<CalendarBackend> backend_;
    std::shared_ptr<Records> records_;
    Host host_;
};

// Helpers the other actions share.
std::string mailbox_of(const Json &input);
Window window_of(const Json &input);  // from, to: dates or date-times, to after from, at most 2 years
Json events_json(const std::vector<Event> &events);

}  // namespace relais::exchange
