// sync_mailbox and the periodic sync_all.
//
// sync_mailbox {mailbox, full}: what changed in the mailbox's calendar since its last sync,
// from EWS SyncFolderItems or Graph's calendarView/delta, every page read, the state (sync
// state or delta link) kept in the plugin state only once the whole round is read, so that a
// round cut by a failure is read again from the same point. An invalid or expired state
// (ErrorInvalidSyncStateData, Graph's 410) starts a full sync, said in the result
// ("full_resync": true). A recurring series' master (EWS gives masters) is replaced by its
// occurrences in the window, read through the calendar view. As a job a throttled round
// continues later after the wait Exchange asked for.
//
// sync_all: every sync_interval_seconds, a sync_mailbox job per configured mailbox (unique
// per mailbox and run), run at most max_threads at once (the "mailbox_syncs" concurrency).
#pragma once

#include "exchange_events.hpp"

#include <relais/plugin.hpp>

#include <memory>

namespace relais::exchange {

class Sync {
public:
    explicit Sync(std::shared_ptr<Events> events, Host host) : events_(std::move(events)), host_(host) {}

    Json sync_mailbox(const Json &input, Call &call);
    Json sync_all(const Json &input, Call &call);

private:
    std::shared_ptr<Events> events_;
    Host host_;
};

}  // namespace relais::exchange
