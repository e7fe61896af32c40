// The EWS operations on one mailbox's calendar, for exchange_ews_api.cpp: FindItem, GetItem,
// CreateItem, UpdateItem, DeleteItem, SyncFolderItems and GetFolder. Called locked.
#pragma once

#include "exchange_calendar.hpp"
#include "exchange_ews_wire.hpp"

#include <optional>
#include <string>

namespace relais::exchange_emulator::ews {

struct OperationContext {
    MailboxCalendar &calendar;
    IdMaker &ids;
    TimePoint now;
    const EwsOptions &options;
    // An injected failure for this call with a per-message shape (item_not_found,
    // invalid_sync_state, server_busy_message), if any.
    std::optional<Failure> failure;
    long long back_off_ms = 0;
};

// The operation's answer; Fault for what EWS answers with a SOAP Fault. `operation` is the
// Body's first element (m:FindItem...).
emulator::Response run_operation(OperationContext &context, const xml::Element &operation);

// Whether the emulator serves that operation.
bool known_operation(const std::string &name);

// The id GetFolder gives the mailbox's calendar.
std::string calendar_folder_id(const MailboxCalendar &calendar);

}  // namespace relais::exchange_emulator::ews
