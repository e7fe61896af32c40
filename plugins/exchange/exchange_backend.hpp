// The two ways to an Exchange calendar behind one shape: EWS (SOAP, on premises or Exchange
// Online until April 2027) and Microsoft Graph. Each is strict about its own wire format
// (shared/reference/universign-exchange.md, part B) and answers in exchange_model's terms.
//
// Errors are relais::Error with the classes the connector promises: unauthorized (a refused
// token or password), forbidden (impersonation denied, EWS blocked for the tenant), not_found
// (no such mailbox or item), rate_limited with the wait Exchange asked for (ErrorServerBusy's
// BackOffMilliseconds, Retry-After) or a fallback, transient (5xx, timeouts), permanent with
// detail {"conflict": true, "current_version": "..."} for a stale change key / ETag, and
// invalid_input for what Exchange refuses in the request. Every message names the operation
// and the mailbox. A create whose answer was lost throws Uncertain.
#pragma once

#include "exchange_model.hpp"

#include <relais/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace relais::exchange {

// How a request waits for its quota: every request takes one unit of "requests" for its
// mailbox (Graph's 10,000 per 10 minutes per mailbox) and a slot of "concurrent" (4 at once
// per mailbox), held until the request ends; a call with no Call (tests of the codec) takes none.
struct Gate {
    const Call *call = nullptr;
    std::chrono::milliseconds max_wait{std::chrono::seconds(30)};
};

// The quotas of one request to `mailbox`: a unit of "requests" and a "concurrent" slot, keyed
// by the mailbox in lower case; the slot is given back when the request ends, whatever happened.
// A refusal is rethrown prefixed by `what`.
class MailboxSlot {
public:
    MailboxSlot(const std::string &mailbox, const std::string &what, const Gate &gate);
    ~MailboxSlot();
    MailboxSlot(const MailboxSlot &) = delete;
    MailboxSlot &operator=(const MailboxSlot &) = delete;

private:
    const Gate &gate_;
    std::string key_;
    bool held_ = false;
};

class Uncertain : public Error {
public:
    explicit Uncertain(const std::string &message)
        : Error(RELAIS_TRANSIENT, message, nullptr, std::chrono::seconds(2)) {}
};

// A window of time, UTC ISO 8601 with Z.
struct Window {
    std::string from, to;
};

struct SyncPage {
    std::vector<Change> changes;
    std::string next_state;   // EWS SyncState / Graph deltaLink or nextLink, to keep
    bool more = false;        // another page follows at once (call sync again with next_state)
    bool full_resync = false; // the state given was invalid or expired: this starts over
};

class CalendarBackend {
public:
    virtual ~CalendarBackend() = default;
    virtual const char *name() const = 0;  // "graph" or "ews"

    // Occurrences of recurring series expanded, ordered by start; every page read.
    virtual std::vector<Event> list_events(const std::string &mailbox, const Window &window, const Gate &gate) = 0;
    virtual Event get_event(const std::string &mailbox, const std::string &id, const Gate &gate) = 0;
    // The ERP's event carrying that erp_id, if any (searched by the extended property).
    virtual std::optional<Event> find_by_erp_id(const std::string &mailbox, const std::string &erp_id,
                                                const Gate &gate) = 0;
    virtual Event create_event(const std::string &mailbox, const EventIn &event, const Gate &gate) = 0;
    // Changes the event if it is still at `version` (empty: whatever it is).
    virtual Event update_event(const std::string &mailbox, const std::string &id, const std::string &version,
                               const EventIn &event, const Gate &gate) = 0;
    virtual void delete_event(const std::string &mailbox, const std::string &id, const Gate &gate) = 0;
    // One page of changes since `state` ("" for a first, full sync over `window`).
    virtual SyncPage sync(const std::string &mailbox, const std::string &state, const Window &window,
                          const Gate &gate) = 0;
    // The Test button: the mailbox opened and its calendar read; what was found.
    virtual std::string check_mailbox(const std::string &mailbox, const Gate &gate) = 0;
    // Only the token (Graph, EWS with OAuth): what the token endpoint said; "" without OAuth.
    virtual std::string check_token() = 0;

    virtual uint64_t requests_sent() const = 0;
};

}  // namespace relais::exchange
