// An emulator of the two ways to an Exchange calendar, strict as the reference
// (shared/reference/universign-exchange.md, part B) describes them. EWS and Microsoft Graph
// are two views of the SAME mailboxes: an event created through one is read, changed and
// synchronised through the other, with one change key and one change log.
//
// EWS (ews_url(), POST /EWS/Exchange.asmx), SOAP 1.1, Content-Type text/xml:
//   auth: Basic (user name or UPN), NTLM (the framework's verifier, connection-bound as on
//   IIS, with its limit: a server thread stands for a connection) for the delegated accounts,
//   or "Bearer <token>" from the token endpoint with the outlook.office365.com audience. An
//   application token needs the ExchangeImpersonation header (ConnectingSID with exactly one
//   child: PrimarySmtpAddress, SmtpAddress or PrincipalName; a SID is not resolved) and
//   X-AnchorMailbox naming the same mailbox; an account opens its own mailbox, or one it may impersonate or act as
//   delegate for (DistinguishedFolderId/Mailbox). RequestServerVersion is required and checked. FindItem (CalendarView:
//   StartDate/EndDate, MaxEntriesReturned truncation with TotalItemsInView and IncludesLastItemInRange="false"; no
//   offset paging; without a CalendarView, IndexedPageItemView and a Restriction of one IsEqualTo on item:Subject,
//   calendar:UID or a named String extended property), GetItem,
//   CreateItem (SendMeetingInvitations required, CalendarItem children in schema order or
//   ErrorSchemaValidation), UpdateItem (SetItemField / DeleteItemField; ChangeKey rotated on
//   every update; a stale ChangeKey is ErrorIrresolvableConflict), DeleteItem, SyncFolderItems
//   (SyncState tokens, MaxChangesReturned paging, ErrorInvalidSyncStateData), GetFolder.
//   Errors in the three shapes of B.3: SOAP Fault in HTTP 500 (ErrorServerBusy with
//   BackOffMilliseconds, ErrorExceededConnectionCount, ErrorImpersonateUserDenied,
//   ErrorNonExistentMailbox, ErrorSchemaValidation, ErrorInvalidServerVersion), per-message
//   ResponseClass="Error" in HTTP 200 (ErrorItemNotFound, ErrorServerBusy with
//   BackOffMilliseconds, ErrorInvalidSyncStateData...), HTTP level (503 with Retry-After, 500
//   "Server Error in '/EWS' Application", 302 to the generic error page; 403 once EWS is
//   blocked for the tenant). Concurrency per target mailbox: more than
//   EwsOptions::max_concurrency calls at once get ErrorExceededConnectionCount, more than
//   max_concurrent_syncs SyncFolderItems the ConcurrentSyncCalls ServerBusy message.
//
// OAuth2 (token_url(tenant), POST /{tenant}/oauth2/v2.0/token), client credentials only, scope
//   https://graph.microsoft.com/.default or https://outlook.office365.com/.default; 200
//   {"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token"}; refusals
//   with the AADSTS bodies {"error","error_description","error_codes",...}: 90002 unknown
//   tenant, 700016 unknown client, 7000215 wrong secret, 7000218 no secret, 1002012 a scope
//   without /.default, 500011 an unknown resource, 70003 another grant type. Tokens expire on
//   the emulator's clock; an application may be limited to some mailboxes (RBAC for
//   Applications): ErrorImpersonateUserDenied on EWS, 403 ErrorAccessDenied on Graph.
//
// Microsoft Graph (graph_url(), paths under /v1.0), Bearer with the graph.microsoft.com audience:
//   GET    /users/{mailbox}                              the user
//   GET    /users/{mailbox}/calendarView?startDateTime&endDateTime   paged ($top or
//          Prefer: odata.maxpagesize, default graph_page_size) with @odata.nextLink ($skip)
//   GET    /users/{mailbox}/calendarView/delta?startDateTime&endDateTime, then the links it
//          gives: pages with @odata.nextLink ($skiptoken), then @odata.deltaLink ($deltatoken);
//          the window is fixed by the first call and carried in the tokens; later rounds give
//          changed events and {"id", "@removed": {"reason": "deleted"}} for deleted ones
//          (wherever they were) and for those moved out of the window; an expired token: 410
//   GET    /users/{mailbox}/events[?$filter=singleValueExtendedProperties/Any(ep: ep/id eq
//          '...' and ep/value eq '...')]                 paged likewise
//   POST   /users/{mailbox}/events                      201; transactionId: a second POST with
//          the same one gives the first event back (GraphOptions::duplicate_transaction)
//   GET | PATCH | DELETE /users/{mailbox}/events/{id}   If-Match W/"<changeKey>" checked (412)
//   POST   /users/{mailbox}/events/{id}/cancel          202; the organizer's event is removed
//   $expand=singleValueExtendedProperties($filter=id eq '...') on reads, not on delta (which refuses
//   $expand, $select, $filter, $orderby and $search, as the reference says); quotes doubled in
//   a $filter's literal.
//   Errors {"error":{"code","message"}}; 429 + Retry-After when over 4 requests in flight per
//   mailbox or 10,000 per 10 minutes per mailbox.
//
// Times: EWS speaks UTC (Z); Graph takes {"dateTime", "timeZone"} with UTC or a few Windows
// and IANA zones (exchange_time.hpp) and answers in UTC unless Prefer: outlook.timezone names
// one of those. Recurrences: daily and weekly series (EWS DailyRecurrence, WeeklyRecurrence
// with EndDateRecurrence, NumberedRecurrence or NoEndRecurrence; Graph's pattern and range),
// expanded into occurrences by the calendar views (FindItem CalendarView, calendarView and its
// delta) in the zone of the series' start; a series master appears once elsewhere (events,
// SyncFolderItems). Occurrences are read-only: no exceptions, no single-occurrence deletion.
//
// On top of the framework's clock and request log (tests/emulator).
#pragma once

#include "emulator_server.hpp"

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace relais::exchange_emulator {

// An account of the directory that logs in with Basic or NTLM (Exchange on premises).
struct Account {
    std::string user;  // "alice" (NTLM: CONTOSO\alice or alice@CONTOSO)
    std::string password;
    std::string mailbox;  // its own mailbox
    // Mailboxes it may open besides its own, by impersonation or delegation; "*" for all.
    std::set<std::string> may_open;
};

// A registered application of a tenant (client credentials).
struct Application {
    std::string tenant;  // the tenant's id (a GUID)
    std::string client_id;
    std::string client_secret;
    // The mailboxes its tokens reach (RBAC for Applications); empty for all of them.
    std::set<std::string> mailboxes;
};

struct Tenant {
    std::string id;                    // GUID
    std::vector<std::string> domains;  // also accepted in the token URL
};

struct Mailbox {
    std::string address;
    std::string display_name;
};

// What a stale ChangeKey meets under ConflictResolution="AlwaysOverwrite". The documentation
// says the update wins; the reference only says a stale key gives ErrorIrresolvableConflict.
enum class StaleChangeKey { conflict_always, overwrite_when_always_overwrite };

// What a second POST with a transactionId already used gets (the reference does not say).
enum class DuplicateTransaction { return_existing, conflict_409 };

struct EwsOptions {
    bool allow_basic = true;
    bool allow_ntlm = true;
    bool allow_oauth = true;
    std::string ntlm_domain = "CONTOSO";
    // EXO answers "V2018_01_08"-style values that no client sends.
    std::string server_version_info = "V2018_01_08";
    // EWSMaxConcurrency, per target mailbox. The server's threads (ServerOptions::threads, 8 by
    // default) bound the calls served at once too: raise them to reach this limit.
    int max_concurrency = 27;
    int max_concurrent_syncs = 5;  // ConcurrentSyncCalls (EXO value observed)
    StaleChangeKey stale_change_key = StaleChangeKey::conflict_always;
    // EWS switched off for the tenant (Exchange Online from October 2026): every call gets 403.
    bool blocked = false;
};

struct GraphOptions {
    int page_size = 10;  // calendarView and events, without $top or Prefer
    int max_page_size = 1000;
    int max_concurrent_per_mailbox = 4;   // Outlook's limit
    int requests_per_10_minutes = 10000;  // per mailbox; 0: none
    std::chrono::seconds throttle_retry_after{1};
    DuplicateTransaction duplicate_transaction = DuplicateTransaction::return_existing;
};

struct ExchangeEmulatorOptions {
    emulator::ServerOptions server;
    std::vector<Tenant> tenants{{"7e1a4b0c-55d3-4c1e-9a55-0b7f3c2d1e90", {"contoso.onmicrosoft.com", "contoso.com"}}};
    std::vector<Application> applications{
        {"7e1a4b0c-55d3-4c1e-9a55-0b7f3c2d1e90", "3b5f1d2e-8c44-4f0a-b1d2-6e9a0c7b4f21", "relais-exchange-secret", {}}};
    std::vector<Account> accounts{{"svc-relais", "relais-exchange-password", "svc-relais@contoso.com", {"*"}}};
    std::vector<Mailbox> mailboxes{{"alice@contoso.com", "Alice Martin"},
                                   {"bob@contoso.com", "Bob Durand"},
                                   {"svc-relais@contoso.com", "Relais service"}};
    EwsOptions ews;
    GraphOptions graph;
    std::chrono::seconds token_lifetime{3599};
    // Injected failures: EWS BackOffMilliseconds, and Retry-After (0: no header) of 429/503.
    std::chrono::milliseconds back_off{5000};
    std::chrono::seconds retry_after{2};
    // How long every EWS and Graph call takes (slept, outside any lock): to make concurrency
    // visible to a test. 0 for none.
    std::chrono::milliseconds latency{0};
};

// Failures fail_next() injects. The EWS and Graph shapes of each are listed; a kind without a
// shape for an API is not taken by that API's calls.
enum class Failure {
    server_busy,                // EWS: SOAP Fault ErrorServerBusy, HTTP 500, BackOffMilliseconds
    server_busy_message,        // EWS: ResponseClass="Error" ErrorServerBusy in HTTP 200, with
                                //      BackOffMilliseconds (the ConcurrentSyncCalls text)
    unavailable,                // EWS, Graph, token: HTTP 503, with Retry-After
    too_many_requests,          // Graph: 429 TooManyRequests with Retry-After
    exceeded_connection_count,  // EWS: Fault ErrorExceededConnectionCount (MaxConcurrency 27)
    impersonate_user_denied,    // EWS: Fault ErrorImpersonateUserDenied; Graph: 403 ErrorAccessDenied
    non_existent_mailbox,       // EWS: Fault ErrorNonExistentMailbox; Graph: 404 ErrorNonExistentMailbox
    item_not_found,             // EWS: every message ErrorItemNotFound; Graph: 404 ErrorItemNotFound
    invalid_sync_state,         // EWS: ErrorInvalidSyncStateData; Graph delta: 410 Gone
    server_error,               // EWS: HTTP 500 "Server Error in '/EWS' Application"; Graph, token: 500
    error_page_redirect,        // EWS: 302 to /ews/genericerrorpage.htm?aspxerrorpath=/ews/exchange.asmx
    lose_answer,                // any: carried out, then the connection is reset without an answer
};

// An event as the tests see it (both APIs' fields in one).
struct Attendee {
    std::string address;
    std::string name;
    std::string type = "required";  // required | optional | resource
};

// A daily or weekly series, expanded in the zone of the event's start (so a weekly 09:00 in
// Paris stays at 09:00 local across a daylight saving change).
struct Recurrence {
    enum class Pattern { daily, weekly };
    enum class Range { end_date, numbered, no_end };
    Pattern pattern = Pattern::weekly;
    int interval = 1;
    std::vector<std::chrono::weekday> days;  // weekly: the days of the week it falls on
    std::chrono::sys_days start_date;        // local dates
    Range range = Range::end_date;
    std::chrono::sys_days end_date;  // end_date: the last day it may fall on
    int occurrences = 0;             // numbered
};

struct Event {
    std::string id;
    std::string change_key;
    std::string subject;
    std::string body;
    std::string body_type = "Text";                    // Text | HTML (EWS spelling)
    std::chrono::system_clock::time_point start, end;  // UTC
    bool is_all_day = false;
    std::string start_time_zone = "UTC";  // as given by the client
    std::string end_time_zone = "UTC";
    std::string location;
    std::string show_as = "Busy";  // LegacyFreeBusyStatus spelling
    std::vector<std::string> categories;
    bool reminder_set = true;
    int reminder_minutes = 15;
    std::vector<Attendee> attendees;
    std::string uid;             // iCalUId
    std::string transaction_id;  // Graph's, "" when none
    // Extended properties by Graph id, "String {guid} Name <name>" (guid in lower case).
    std::map<std::string, std::string> extended;
    std::chrono::system_clock::time_point created, modified;
    // A series master carries its recurrence; an occurrence (only ever shown, never stored)
    // the master's id, start and end being the occurrence's own.
    std::optional<Recurrence> recurrence;
    std::string series_master_id;
};

class ExchangeEmulator {
public:
    explicit ExchangeEmulator(ExchangeEmulatorOptions options = {});
    ~ExchangeEmulator();
    ExchangeEmulator(const ExchangeEmulator &) = delete;
    ExchangeEmulator &operator=(const ExchangeEmulator &) = delete;

    void start();
    void stop();
    emulator::EmulatorServer &server() { return server_; }
    emulator::EmulatorClock &clock() { return server_.clock(); }

    std::string base_url() const { return server_.base_url(); }
    // https://localhost:PORT/EWS/Exchange.asmx
    std::string ews_url() const { return server_.base_url() + "/EWS/Exchange.asmx"; }
    // https://localhost:PORT/v1.0
    std::string graph_url() const { return server_.base_url() + "/v1.0"; }
    // https://localhost:PORT/<tenant>/oauth2/v2.0/token
    std::string token_url(const std::string &tenant) const {
        return server_.base_url() + "/" + tenant + "/oauth2/v2.0/token";
    }

    // --- Test switches ---------------------------------------------------------------------
    // The next `count` calls of `operation` get `failure` instead of their answer, after
    // authentication: an EWS operation ("FindItem", "SyncFolderItems"...), a Graph route
    // ("GET /v1.0/users/{mailbox}/calendarView"), "token", or "" for any call the failure has a
    // shape for.
    void fail_next(Failure failure, int count = 1, const std::string &operation = "");
    // The next `count` calls of `operation` (as for fail_next) block after authentication,
    // before anything else, until release_held() or stop(); then they are carried out as any
    // call, their answer written to a client that may have gone meanwhile (a test can kill a
    // host while one of its requests is in flight).
    void hold_next_answers(int count = 1, const std::string &operation = "");
    void release_held();
    std::size_t held_count() const;
    // Every sync state and delta token given so far becomes invalid (all mailboxes, or one).
    void expire_sync_states(const std::string &mailbox = "");
    // Every access token given so far is refused from now on, as expired.
    void expire_tokens();
    void set_ews_blocked(bool blocked);
    // An event put straight into a calendar (a person's own appointment); its id and change
    // key are made here. Returns the stored event.
    Event add_event(const std::string &mailbox, Event event);
    // Changes an event as its owner would in Outlook (the change key rotates); false if unknown.
    bool touch_event(const std::string &mailbox, const std::string &id, const std::string &new_subject);
    bool remove_event(const std::string &mailbox, const std::string &id);

    // --- Counters and inspection -------------------------------------------------------------
    // Calls per EWS operation, per Graph route ("PATCH /v1.0/users/{mailbox}/events/{id}") and
    // "token": every call that got past authentication, refused afterwards or not.
    std::size_t calls(const std::string &operation) const;
    // The most Graph (or EWS) calls on one mailbox that were in flight at once, counting those
    // refused for being over the limit.
    std::size_t peak_graph_concurrency(const std::string &mailbox) const;
    std::size_t peak_ews_concurrency(const std::string &mailbox) const;
    // The most mailboxes that had calls in flight at once (either API): what a connector's
    // limit on mailboxes synchronised at once shows as.
    std::size_t peak_busy_mailboxes() const;
    std::size_t tokens_issued() const;
    std::vector<Event> events(const std::string &mailbox) const;  // by start
    std::optional<Event> event(const std::string &mailbox, const std::string &id) const;

private:
    class State;
    ExchangeEmulatorOptions options_;
    emulator::EmulatorServer server_;
    std::shared_ptr<State> state_;
};

}  // namespace relais::exchange_emulator
