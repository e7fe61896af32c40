// The EWS backend (reference part B.1-B.5): calendars of Exchange on premises (Basic or NTLM
// from the connection settings, done by the HttpClient) or of Exchange Online until April 2027
// (an application token, with the ExchangeImpersonation header and X-AnchorMailbox).
//
// - Every request: POST ews_url, text/xml; charset=utf-8, SOAP 1.1 with RequestServerVersion,
//   ExchangeImpersonation/ConnectingSID/PrimarySmtpAddress when impersonating (else the
//   mailbox in DistinguishedFolderId/Mailbox: delegate access), TimeZoneContext UTC so times
//   come back in UTC. Answers read with the SDK's SOAP codec (no DOCTYPE, no entities).
// - list_events: FindItem CalendarView; while IncludesLastItemInRange="false", StartDate moves
//   to the last item's start and the view is asked again, items de-duplicated by ItemId.
// - create_event: CreateItem; no answer after the request was sent is Uncertain.
// - update_event: UpdateItem NeverOverwrite with the ChangeKey (AutoResolve without one); a
//   stale key is a conflict: permanent, detail {"conflict": true, "current_version"}.
// - sync: SyncFolderItems, one page per call; series masters come as seriesMaster.
// - Errors in the three shapes of B.3: a SOAP Fault, a ResponseClass="Error" message (even in
//   HTTP 200), and HTTP statuses (503 + Retry-After, 401, 403 when EWS is blocked).
// - Times: a wall clock in time_zone is turned into UTC with the zones this file knows (the
//   common Windows names and their IANA equivalents, EU and US daylight saving rules); an
//   unknown zone needs its times in UTC (Z).
#include "exchange_backends.hpp"
#include "exchange_ews_time.hpp"

#include <relais/support/classify.hpp>
#include <relais/support/soap.hpp>
#include <relais/support/xml.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/String.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>

namespace relais::exchange {

namespace {

namespace soap = support::soap;
namespace xml = support::xml;
using support::HttpRequest;
using support::HttpResponse;
using support::TransportError;
using namespace std::chrono;
using namespace ews_time;

constexpr std::string_view kM = "http://schemas.microsoft.com/exchange/services/2006/messages";
constexpr std::string_view kT = "http://schemas.microsoft.com/exchange/services/2006/types";
constexpr std::string_view kE = "http://schemas.microsoft.com/exchange/services/2006/errors";
constexpr int kViewPage = 500;
constexpr int kSyncPage = 200;
constexpr milliseconds kFallbackWait{2000};
constexpr const char *kImpersonationHint =
    "grant the application RBAC for Applications (Exchange Online removed ApplicationImpersonation in February "
    "2025) or the ApplicationImpersonation role on premises";
constexpr const char *kBlockedHint =
    "EWS is off for this tenant (Exchange Online blocks it since 1 October 2026 and switches it off on 1 April "
    "2027): use backend graph";

// --- Operations, wire names ----------------------------------------------------------------

struct Op {
    std::string name, mailbox, item;
    std::string what() const {
        return "EWS " + name + " for " + mailbox + (item.empty() ? std::string() : " (item " + item + ")");
    }
};

std::string lower(const std::string &s) { return Poco::toLower(s); }

std::string show_as_wire(const std::string &show_as) {
    if (show_as == "free") return "Free";
    if (show_as == "tentative") return "Tentative";
    if (show_as == "oof") return "OOF";
    if (show_as == "workingElsewhere") return "WorkingElsewhere";
    if (show_as == "unknown") return "NoData";
    return "Busy";
}
std::string show_as_model(const std::string &wire) {
    if (wire == "Free") return "free";
    if (wire == "Tentative") return "tentative";
    if (wire == "OOF") return "oof";
    if (wire == "WorkingElsewhere") return "workingElsewhere";
    if (wire == "NoData") return "unknown";
    return "busy";
}
std::string type_model(const std::string &wire) {
    if (wire == "Occurrence") return "occurrence";
    if (wire == "Exception") return "exception";
    if (wire == "RecurringMaster") return "seriesMaster";
    return "single";
}

void erp_field_uri(xml::Writer &w) {
    w.start("t:ExtendedFieldURI")
        .attribute("PropertySetId", kPublicStringsGuid)
        .attribute("PropertyName", kErpIdProperty)
        .attribute("PropertyType", "String")
        .end();
}


// A response message's error.
struct MessageError {
    std::string code, text;
    std::optional<long long> back_off_ms;
};

std::optional<long long> back_off_in(const xml::Element *message_xml) {
    if (!message_xml) return std::nullopt;
    const auto *v = message_xml->child_where(kT, "Value", "Name", "BackOffMilliseconds");
    if (!v) return std::nullopt;
    try {
        return std::stoll(v->text(xml::Trim::yes));
    } catch (const std::exception &) {
        return std::nullopt;
    }
}

// A parsed answer and its response messages.
struct Answer {
    std::optional<soap::Envelope> envelope;
    std::vector<const xml::Element *> messages;
};

class EwsBackend final : public CalendarBackend {
public:
    EwsBackend(const Settings &settings, std::shared_ptr<support::HttpClient> http, std::shared_ptr<TokenSource> tokens,
               Host host)
        : settings_(settings), http_(std::move(http)), tokens_(std::move(tokens)), host_(host) {
        if (!http_) throw internal("the EWS backend needs an HTTP client");
        if (settings_.ews_url.empty()) throw invalid_config("ews_url is required for the EWS backend");
        version_ = settings_.server_version.empty() ? "Exchange2016" : settings_.server_version;
    }

    const char *name() const override { return "ews"; }

    std::vector<Event> list_events(const std::string &mailbox, const Window &window, const Gate &gate) override {
        const Op op{"list_events", mailbox, ""};
        check_window(op, window);
        std::vector<Event> events;
        std::set<std::string> seen;
        std::string from = window.from;
        for (int round = 0;; ++round) {
            if (round > 10000) throw transient(op.what() + ": the calendar view does not end");
            const auto answer = call(op, gate, "FindItem", [&](xml::Writer &w) {
                w.start("m:FindItem").attribute("Traversal", "Shallow");
                item_shape(w, "IdOnly", true);
                w.start("m:CalendarView")
                    .attribute("MaxEntriesReturned", std::to_string(kViewPage))
                    .attribute("StartDate", from)
                    .attribute("EndDate", window.to)
                    .end();
                w.start("m:ParentFolderIds");
                folder(w, mailbox);
                w.end().end();
            });
            const auto &message = single(op, answer);
            const auto *root = message.child(kM, "RootFolder");
            if (!root) throw transient(op.what() + ": FindItem answered without RootFolder");
            std::size_t added = 0;
            std::string last_start;
            if (const auto *items = root->child(kT, "Items"))
                for (const auto *item : items->children(kT, "CalendarItem")) {
                    auto e = event_of(*item);
                    last_start = item->child_text(kT, "Start").value_or("");
                    if (!seen.insert(e.id).second) continue;
                    ++added;
                    events.push_back(std::move(e));
                }
            if (root->attribute("IncludesLastItemInRange").value_or("true") != "false") break;
            if (last_start.empty() || (added == 0 && last_start == from))
                throw transient(op.what() + ": the calendar view was truncated at " + from +
                                " and moving its start does not advance (more than " + std::to_string(kViewPage) +
                                " items start at the same time)");
            from = last_start;
        }
        std::stable_sort(events.begin(), events.end(), [](const Event &a, const Event &b) { return key(a) < key(b); });
        return events;
    }

    Event get_event(const std::string &mailbox, const std::string &id, const Gate &gate) override {
        const Op op{"get_event", mailbox, id};
        if (id.empty()) throw invalid_input(op.what() + ": the event id is empty");
        const auto answer = call(op, gate, "GetItem", [&](xml::Writer &w) {
            w.start("m:GetItem");
            item_shape(w, "AllProperties", false);
            w.start("m:ItemIds").start("t:ItemId").attribute("Id", id).end().end().end();
        });
        return first_item(op, single(op, answer), "Items");
    }

    std::optional<Event> find_by_erp_id(const std::string &mailbox, const std::string &erp_id,
                                        const Gate &gate) override {
        const Op op{"find_by_erp_id", mailbox, ""};
        if (erp_id.empty()) throw invalid_input(op.what() + ": the erp_id is empty");
        const auto answer = call(op, gate, "FindItem", [&](xml::Writer &w) {
            w.start("m:FindItem").attribute("Traversal", "Shallow");
            item_shape(w, "IdOnly", true);
            w.start("m:IndexedPageItemView")
                .attribute("MaxEntriesReturned", "10")
                .attribute("Offset", "0")
                .attribute("BasePoint", "Beginning")
                .end();
            w.start("m:Restriction").start("t:IsEqualTo");
            erp_field_uri(w);
            w.start("t:FieldURIOrConstant").start("t:Constant").attribute("Value", erp_id).end().end();
            w.end().end();
            w.start("m:ParentFolderIds");
            folder(w, mailbox);
            w.end().end();
        });
        const auto &message = single(op, answer);
        std::vector<Event> found;
        if (const auto *root = message.child(kM, "RootFolder"))
            if (const auto *items = root->child(kT, "Items"))
                for (const auto *item : items->children(kT, "CalendarItem")) {
                    auto e = event_of(*item);
                    if (e.erp_id == erp_id) found.push_back(std::move(e));
                }
        if (found.empty()) return std::nullopt;
        if (found.size() > 1)
            host_.warn(op.what() + ": " + std::to_string(found.size()) + " events carry erp_id " + erp_id +
                       "; the first one is used (" + found.front().id + ")");
        return found.front();
    }

    Event create_event(const std::string &mailbox, const EventIn &event, const Gate &gate) override {
        const Op op{"create_event", mailbox, ""};
        if (event.erp_id.empty())
            throw invalid_input(op.what() + ": erp_id is required (it marks the event as the ERP's)");
        const auto times = times_of(op, event);
        const auto answer = call(
            op, gate, "CreateItem",
            [&](xml::Writer &w) {
                w.start("m:CreateItem")
                    .attribute("SendMeetingInvitations", event.attendees.empty() ? "SendToNone" : "SendToAllAndSaveCopy");
                w.start("m:SavedItemFolderId");
                folder(w, mailbox);
                w.end();
                w.start("m:Items").start("t:CalendarItem");
                w.element("t:Subject", event.subject);
                w.start("t:Body").attribute("BodyType", "Text").text(event.body).end();
                if (!event.categories.empty()) {
                    w.start("t:Categories");
                    for (const auto &c : event.categories) w.element("t:String", c);
                    w.end();
                }
                w.element("t:ReminderIsSet", event.reminder_minutes ? "true" : "false");
                if (event.reminder_minutes)
                    w.element("t:ReminderMinutesBeforeStart", std::to_string(*event.reminder_minutes));
                w.start("t:ExtendedProperty");
                erp_field_uri(w);
                w.element("t:Value", event.erp_id).end();
                w.element("t:Start", times.first).element("t:End", times.second);
                w.element("t:IsAllDayEvent", event.is_all_day ? "true" : "false");
                w.element("t:LegacyFreeBusyStatus", show_as_wire(event.show_as));
                if (!event.location.empty()) w.element("t:Location", event.location);
                attendees(w, event);
                zone_elements(w, event.time_zone);
                w.end().end().end();
            },
            true);
        auto created = first_item(op, single(op, answer), "Items");
        // CreateItem answers the ItemId only: the event as stored.
        try {
            auto stored = get_event(mailbox, created.id, gate);
            if (stored.erp_id.empty()) stored.erp_id = event.erp_id;
            return stored;
        } catch (const Error &e) {
            host_.debug(op.what() + ": created " + created.id + " but not read back: " + e.what());
            created.erp_id = event.erp_id;
            return created;
        }
    }

    Event update_event(const std::string &mailbox, const std::string &id, const std::string &version,
                       const EventIn &event, const Gate &gate) override {
        const Op op{"update_event", mailbox, id};
        if (id.empty()) throw invalid_input(op.what() + ": the event id is empty");
        const auto times = times_of(op, event);
        const auto set = [](xml::Writer &w, const char *uri, const std::function<void(xml::Writer &)> &value) {
            w.start("t:SetItemField").start("t:FieldURI").attribute("FieldURI", uri).end().start("t:CalendarItem");
            value(w);
            w.end().end();
        };
        const auto answer = call(op, gate, "UpdateItem", [&](xml::Writer &w) {
            w.start("m:UpdateItem")
                .attribute("MessageDisposition", "SaveOnly")
                .attribute("ConflictResolution", version.empty() ? "AutoResolve" : "NeverOverwrite")
                .attribute("SendMeetingInvitationsOrCancellations",
                           event.attendees.empty() ? "SendToNone" : "SendToChangedAndSaveCopy");
            w.start("m:ItemChanges").start("t:ItemChange").start("t:ItemId").attribute("Id", id);
            if (!version.empty()) w.attribute("ChangeKey", version);
            w.end().start("t:Updates");
            set(w, "item:Subject", [&](xml::Writer &x) { x.element("t:Subject", event.subject); });
            set(w, "item:Body",
                [&](xml::Writer &x) { x.start("t:Body").attribute("BodyType", "Text").text(event.body).end(); });
            if (event.categories.empty()) {
                w.start("t:DeleteItemField").start("t:FieldURI").attribute("FieldURI", "item:Categories").end().end();
            } else {
                set(w, "item:Categories", [&](xml::Writer &x) {
                    x.start("t:Categories");
                    for (const auto &c : event.categories) x.element("t:String", c);
                    x.end();
                });
            }
            set(w, "item:ReminderIsSet",
                [&](xml::Writer &x) { x.element("t:ReminderIsSet", event.reminder_minutes ? "true" : "false"); });
            if (event.reminder_minutes)
                set(w, "item:ReminderMinutesBeforeStart", [&](xml::Writer &x) {
                    x.element("t:ReminderMinutesBeforeStart", std::to_string(*event.reminder_minutes));
                });
            if (!event.erp_id.empty()) {
                w.start("t:SetItemField");
                erp_field_uri(w);
                w.start("t:CalendarItem").start("t:ExtendedProperty");
                erp_field_uri(w);
                w.element("t:Value", event.erp_id).end().end().end();
            }
            set(w, "calendar:Start", [&](xml::Writer &x) { x.element("t:Start", times.first); });
            set(w, "calendar:End", [&](xml::Writer &x) { x.element("t:End", times.second); });
            set(w, "calendar:IsAllDayEvent",
                [&](xml::Writer &x) { x.element("t:IsAllDayEvent", event.is_all_day ? "true" : "false"); });
            set(w, "calendar:LegacyFreeBusyStatus",
                [&](xml::Writer &x) { x.element("t:LegacyFreeBusyStatus", show_as_wire(event.show_as)); });
            if (event.location.empty())
                w.start("t:DeleteItemField").start("t:FieldURI").attribute("FieldURI", "calendar:Location").end().end();
            else
                set(w, "calendar:Location", [&](xml::Writer &x) { x.element("t:Location", event.location); });
            for (const auto &[type, uri, element] :
                 {std::tuple{"required", "calendar:RequiredAttendees", "t:RequiredAttendees"},
                  std::tuple{"optional", "calendar:OptionalAttendees", "t:OptionalAttendees"},
                  std::tuple{"resource", "calendar:Resources", "t:Resources"}}) {
                const bool any = std::any_of(event.attendees.begin(), event.attendees.end(),
                                             [&](const Attendee &a) { return a.type == type; });
                if (!any) {
                    w.start("t:DeleteItemField").start("t:FieldURI").attribute("FieldURI", uri).end().end();
                    continue;
                }
                set(w, uri, [&](xml::Writer &x) { attendee_list(x, event, type, element); });
            }
            if (!modern_zones()) {
                set(w, "calendar:MeetingTimeZone", [&](xml::Writer &x) {
                    x.start("t:MeetingTimeZone").attribute("TimeZoneName", event.time_zone).end();
                });
            } else {
                set(w, "calendar:StartTimeZone",
                    [&](xml::Writer &x) { x.start("t:StartTimeZone").attribute("Id", event.time_zone).end(); });
                set(w, "calendar:EndTimeZone",
                    [&](xml::Writer &x) { x.start("t:EndTimeZone").attribute("Id", event.time_zone).end(); });
            }
            w.end().end().end().end();
        });
        const auto &message = answer.messages.empty() ? throw_empty(op) : *answer.messages.front();
        if (const auto error = error_of(message)) {
            if (error->code == "ErrorIrresolvableConflict" || error->code == "ErrorChangeKeyRequiredForWriteOperations" ||
                error->code == "ErrorStaleObject") {
                std::string current;
                try {
                    current = get_event(mailbox, id, gate).version;
                } catch (const Error &e) {
                    host_.debug(op.what() + ": the current change key could not be read: " + e.what());
                }
                Json detail = detail_of(op);
                detail->set("conflict", true);
                detail->set("ews_code", error->code);
                if (current.empty())
                    detail->set("current_version", Poco::Dynamic::Var());
                else
                    detail->set("current_version", current);
                throw permanent(op.what() + ": conflict: the event changed since change key " + version +
                                    (current.empty() ? std::string() : " (it is now at " + current + ")") + " (" +
                                    error->code +
                                    "); nothing was overwritten: read it again and apply the change to what it is now",
                                detail);
            }
            message_failure(op, *error);
        }
        auto updated = get_event(mailbox, id, gate);
        if (updated.erp_id.empty()) updated.erp_id = event.erp_id;
        return updated;
    }

    void delete_event(const std::string &mailbox, const std::string &id, const Gate &gate) override {
        const Op op{"delete_event", mailbox, id};
        if (id.empty()) throw invalid_input(op.what() + ": the event id is empty");
        const auto answer = call(op, gate, "DeleteItem", [&](xml::Writer &w) {
            w.start("m:DeleteItem")
                .attribute("DeleteType", "MoveToDeletedItems")
                .attribute("SendMeetingCancellations", "SendToNone");
            w.start("m:ItemIds").start("t:ItemId").attribute("Id", id).end().end().end();
        });
        single(op, answer);
    }

    SyncPage sync(const std::string &mailbox, const std::string &state, const Window &, const Gate &gate) override {
        const Op op{"sync", mailbox, ""};
        SyncPage page;
        std::string from = state;
        for (int attempt = 0;; ++attempt) {
            const auto answer = call(op, gate, "SyncFolderItems", [&](xml::Writer &w) {
                w.start("m:SyncFolderItems");
                item_shape(w, "IdOnly", true);
                w.start("m:SyncFolderId");
                folder(w, mailbox);
                w.end();
                if (!from.empty()) w.element("m:SyncState", from);
                w.element("m:MaxChangesReturned", std::to_string(kSyncPage));
                w.element("m:SyncScope", "NormalItems");
                w.end();
            });
            if (answer.messages.empty()) throw_empty(op);
            const auto &message = *answer.messages.front();
            if (const auto error = error_of(message)) {
                if (error->code == "ErrorInvalidSyncStateData" && !from.empty() && attempt == 0) {
                    host_.info(op.what() + ": EWS refused the kept sync state (" + error->code +
                               "): starting over with a full sync");
                    from.clear();
                    page.full_resync = true;
                    continue;
                }
                message_failure(op, *error);
            }
            page.next_state = message.child_text(kM, "SyncState").value_or("");
            page.more = message.child_text(kM, "IncludesLastItemInRange").value_or("true") == "false";
            if (const auto *changes = message.child(kM, "Changes"))
                for (const auto &c : changes->elements()) {
                    Change change;
                    if (c.is(kT, "Delete")) {
                        change.kind = Change::Kind::deleted;
                        const auto *id = c.child(kT, "ItemId");
                        change.event.id = id ? id->attribute("Id").value_or("") : "";
                        if (change.event.id.empty()) continue;
                        page.changes.push_back(std::move(change));
                        continue;
                    }
                    if (!c.is(kT, "Create") && !c.is(kT, "Update")) continue;  // ReadFlagChange
                    const auto *item = c.child(kT, "CalendarItem");
                    if (!item) continue;
                    change.kind = c.is(kT, "Create") ? Change::Kind::created : Change::Kind::updated;
                    change.event = event_of(*item);
                    // SyncFolderItems gives a series once, as its master.
                    if (item->child_text(kT, "IsRecurring").value_or("false") == "true" &&
                        change.event.type != "occurrence" && change.event.type != "exception")
                        change.event.type = "seriesMaster";
                    page.changes.push_back(std::move(change));
                }
            return page;
        }
    }

    std::string check_mailbox(const std::string &mailbox, const Gate &gate) override {
        const Op op{"check_mailbox", mailbox, ""};
        const auto folder_answer = call(op, gate, "GetFolder", [&](xml::Writer &w) {
            w.start("m:GetFolder").start("m:FolderShape").element("t:BaseShape", "Default").end();
            w.start("m:FolderIds");
            folder(w, mailbox);
            w.end().end();
        });
        const auto &message = single(op, folder_answer);
        std::string name = "Calendar";
        if (const auto *folders = message.child(kM, "Folders"))
            if (const auto *f = folders->first_child()) name = f->child_text(kT, "DisplayName").value_or(name);
        const auto now = system_clock::now();
        const Window day{utc_text(now), utc_text(now + hours(24))};
        const auto view = call(op, gate, "FindItem", [&](xml::Writer &w) {
            w.start("m:FindItem").attribute("Traversal", "Shallow");
            w.start("m:ItemShape").element("t:BaseShape", "IdOnly").end();
            w.start("m:CalendarView")
                .attribute("MaxEntriesReturned", "100")
                .attribute("StartDate", day.from)
                .attribute("EndDate", day.to)
                .end();
            w.start("m:ParentFolderIds");
            folder(w, mailbox);
            w.end().end();
        });
        const auto &found = single(op, view);
        std::string count = "0";
        if (const auto *root = found.child(kM, "RootFolder"))
            count = root->attribute("TotalItemsInView").value_or("0");
        return "the folder '" + name + "' of " + mailbox + " was opened through EWS" +
               (settings_.impersonation ? " by impersonation" : "") + ": " + count + " event" +
               (count == "1" ? "" : "s") + " in the next 24 hours";
    }

    std::string check_token() override {
        if (!tokens_ || !tokens_->oauth()) return {};
        try {
            return tokens_->check();
        } catch (const Error &e) {
            throw token_refusal(settings_, "EWS token check", e);
        }
    }

    uint64_t requests_sent() const override { return sent_.load(); }

private:
    bool modern_zones() const { return version_.rfind("Exchange2007", 0) != 0; }

    static std::string key(const Event &e) { return e.is_all_day ? e.start_date + "T00:00:00Z" : e.start; }

    static void check_window(const Op &op, const Window &w) {
        if (!parse_time(w.from) || !parse_time(w.to))
            throw invalid_input(op.what() + ": the window needs from and to as UTC times");
        if (w.to < w.from) throw invalid_input(op.what() + ": the window ends before it starts");
    }

    // Start and End as written: UTC with Z (a wall clock converted from time_zone).
    std::pair<std::string, std::string> times_of(const Op &op, const EventIn &e) const {
        const auto *zone = zone_named(e.time_zone);
        const auto convert = [&](const std::string &text, const char *field) {
            bool zoned = false;
            const auto t = parse_time(text, &zoned);
            if (!t) throw invalid_input(op.what() + ": " + field + " is not a time: '" + text + "'");
            if (zoned) return utc_text(*t);
            if (!zone)
                throw invalid_input(op.what() + ": the EWS backend does not know the time zone '" + e.time_zone +
                                    "': give " + field + " in UTC (ending with Z), or a Windows zone name such as "
                                    "'Romance Standard Time'");
            return utc_text(local_to_utc(*zone, *t));
        };
        if (e.is_all_day) return {convert(e.start_date + "T00:00:00", "start"), convert(e.end_date + "T00:00:00", "end")};
        return {convert(e.start, "start"), convert(e.end, "end")};
    }

    void zone_elements(xml::Writer &w, const std::string &zone) const {
        if (!modern_zones()) {
            w.start("t:MeetingTimeZone").attribute("TimeZoneName", zone).end();
            return;
        }
        w.start("t:StartTimeZone").attribute("Id", zone).end();
        w.start("t:EndTimeZone").attribute("Id", zone).end();
    }

    static void attendee_list(xml::Writer &w, const EventIn &e, const std::string &type, const char *element) {
        w.start(element);
        for (const auto &a : e.attendees) {
            if (a.type != type) continue;
            w.start("t:Attendee").start("t:Mailbox");
            if (!a.name.empty()) w.element("t:Name", a.name);
            w.element("t:EmailAddress", a.email).end().end();
        }
        w.end();
    }
    static void attendees(xml::Writer &w, const EventIn &e) {
        for (const auto &[type, element] : {std::pair{"required", "t:RequiredAttendees"},
                                            std::pair{"optional", "t:OptionalAttendees"},
                                            std::pair{"resource", "t:Resources"}})
            if (std::any_of(e.attendees.begin(), e.attendees.end(), [&](const Attendee &a) { return a.type == type; }))
                attendee_list(w, e, type, element);
    }

    void item_shape(xml::Writer &w, const char *base, bool fields) const {
        w.start("m:ItemShape").element("t:BaseShape", base).start("t:AdditionalProperties");
        if (fields)
            for (const char *f : {"item:Subject", "calendar:Start", "calendar:End", "calendar:IsAllDayEvent",
                                  "calendar:Location", "calendar:LegacyFreeBusyStatus", "calendar:CalendarItemType",
                                  "calendar:UID", "calendar:IsRecurring",
                                  modern_zones() ? "calendar:StartTimeZone" : "calendar:MeetingTimeZone"})
                w.start("t:FieldURI").attribute("FieldURI", f).end();
        erp_field_uri(w);
        w.end().end();
    }

    void folder(xml::Writer &w, const std::string &mailbox) const {
        w.start("t:DistinguishedFolderId").attribute("Id", "calendar");
        if (!settings_.impersonation) w.start("t:Mailbox").element("t:EmailAddress", mailbox).end();
        w.end();
    }

    std::string envelope(const std::string &mailbox, const soap::Content &body) const {
        return soap::write_envelope(
            {{"m", std::string(kM)}, {"t", std::string(kT)}},
            [&](xml::Writer &w) {
                w.start("t:RequestServerVersion").attribute("Version", version_).end();
                if (settings_.impersonation)
                    w.start("t:ExchangeImpersonation")
                        .start("t:ConnectingSID")
                        .element("t:PrimarySmtpAddress", mailbox)
                        .end()
                        .end();
                w.start("t:TimeZoneContext").start("t:TimeZoneDefinition").attribute("Id", "UTC").end().end();
            },
            body);
    }

    // --- Reading ----------------------------------------------------------------------------

    static Event event_of(const xml::Element &item) {
        Event e;
        if (const auto *id = item.child(kT, "ItemId")) {
            e.id = id->attribute("Id").value_or("");
            e.version = id->attribute("ChangeKey").value_or("");
        }
        e.subject = item.child_text(kT, "Subject", xml::Trim::no).value_or("");
        if (const auto *body = item.child(kT, "Body")) e.body = body->text();
        if (const auto *cats = item.child(kT, "Categories"))
            for (const auto *s : cats->children(kT, "String")) e.categories.push_back(s->text(xml::Trim::yes));
        if (item.child_text(kT, "ReminderIsSet").value_or("false") == "true")
            if (const auto m = item.child_text(kT, "ReminderMinutesBeforeStart")) try {
                    e.reminder_minutes = std::stoi(*m);
                } catch (const std::exception &) {
                }
        for (const auto *p : item.children(kT, "ExtendedProperty")) {
            const auto *uri = p->child(kT, "ExtendedFieldURI");
            if (uri && uri->attribute("PropertyName").value_or("") == kErpIdProperty &&
                lower(uri->attribute("PropertySetId").value_or("")) == lower(kPublicStringsGuid))
                e.erp_id = p->child_text(kT, "Value", xml::Trim::no).value_or("");
        }
        e.last_modified = item.child_text(kT, "LastModifiedTime").value_or("");
        e.ical_uid = item.child_text(kT, "UID").value_or("");
        if (const auto *z = item.child(kT, "StartTimeZone")) e.time_zone = z->attribute("Id").value_or("UTC");
        if (const auto z = item.child_text(kT, "StartTimeZoneId")) e.time_zone = *z;
        if (const auto *z = item.child(kT, "MeetingTimeZone"))
            e.time_zone = z->attribute("TimeZoneName").value_or(e.time_zone);
        if (e.time_zone.empty()) e.time_zone = "UTC";
        e.is_all_day = item.child_text(kT, "IsAllDayEvent").value_or("false") == "true";
        const auto start = parse_time(item.child_text(kT, "Start").value_or(""));
        const auto end = parse_time(item.child_text(kT, "End").value_or(""));
        if (e.is_all_day) {
            const auto *zone = zone_named(e.time_zone);
            const auto local = [&](system_clock::time_point t) { return zone ? t + offset_at(*zone, t) : t; };
            if (start) e.start_date = date_text(local(*start));
            if (end) e.end_date = date_text(local(*end));
        } else {
            if (start) e.start = utc_text(*start);
            if (end) e.end = utc_text(*end);
        }
        e.location = item.child_text(kT, "Location", xml::Trim::no).value_or("");
        if (const auto s = item.child_text(kT, "LegacyFreeBusyStatus")) e.show_as = show_as_model(*s);
        if (const auto t = item.child_text(kT, "CalendarItemType")) e.type = type_model(*t);
        if (const auto *o = item.child(kT, "Organizer"))
            if (const auto *m = o->child(kT, "Mailbox")) e.organizer = m->child_text(kT, "EmailAddress").value_or("");
        for (const auto &[type, element] : {std::pair{"required", "RequiredAttendees"},
                                            std::pair{"optional", "OptionalAttendees"},
                                            std::pair{"resource", "Resources"}})
            if (const auto *list = item.child(kT, element))
                for (const auto *a : list->children(kT, "Attendee")) {
                    Attendee attendee;
                    attendee.type = type;
                    if (const auto *m = a->child(kT, "Mailbox")) {
                        attendee.email = m->child_text(kT, "EmailAddress").value_or("");
                        attendee.name = m->child_text(kT, "Name").value_or("");
                        if (attendee.name == attendee.email) attendee.name.clear();
                    }
                    attendee.response = a->child_text(kT, "ResponseType").value_or("");
                    e.attendees.push_back(std::move(attendee));
                }
        return e;
    }

    static std::optional<MessageError> error_of(const xml::Element &message) {
        if (message.attribute("ResponseClass").value_or("Success") != "Error") return std::nullopt;
        MessageError e;
        e.code = message.child_text(kM, "ResponseCode").value_or("");
        e.text = message.child_text(kM, "MessageText").value_or("");
        e.back_off_ms = back_off_in(message.child(kM, "MessageXml"));
        return e;
    }

    [[noreturn]] static const xml::Element &throw_empty(const Op &op) {
        throw transient(op.what() + ": EWS answered without a response message");
    }

    // The only message, checked.
    const xml::Element &single(const Op &op, const Answer &answer) {
        if (answer.messages.empty()) throw_empty(op);
        const auto &message = *answer.messages.front();
        if (const auto error = error_of(message)) message_failure(op, *error);
        return message;
    }

    Event first_item(const Op &op, const xml::Element &message, const char *holder) {
        const auto *items = message.child(kM, holder);
        const auto *item = items ? items->first_child() : nullptr;
        if (!item) throw transient(op.what() + ": EWS answered without the item");
        return event_of(*item);
    }

    // --- Sending ----------------------------------------------------------------------------

    Answer call(const Op &op, const Gate &gate, const std::string &operation, const soap::Content &body,
                bool creating = false) {
        HttpRequest request = HttpRequest::post(settings_.ews_url);
        request.content_type = "text/xml; charset=utf-8";
        request.body = envelope(op.mailbox, body);
        request.header("Accept", "text/xml");
        if (settings_.impersonation) request.header("X-AnchorMailbox", op.mailbox);
        std::optional<std::string> auth;
        if (tokens_ && tokens_->oauth()) auth = authorization(op);
        HttpResponse response;
        for (int attempt = 0;; ++attempt) {
            HttpRequest r = request;
            if (auth) r.header("Authorization", *auth);
            {
                MailboxSlot slot(op.mailbox, op.what(), gate);
                ++sent_;
                try {
                    response = http_->send(r);
                } catch (const TransportError &e) {
                    const auto c = support::classify(e, op.what());
                    if (creating && c.uncertain())
                        throw Uncertain(op.what() + ": no answer after the request was sent (" + e.what() +
                                        "): the event may have been created; look for it by its erp_id before "
                                        "creating it again");
                    throw c.to_error(detail_of(op));
                }
            }
            if (response.status == 401 && auth && attempt == 0) {
                tokens_->refused(*auth);
                auth = authorization(op);
                continue;
            }
            break;
        }
        return read(op, operation, response, creating);
    }

    std::optional<std::string> authorization(const Op &op) {
        try {
            return tokens_->authorization();
        } catch (const Error &e) {
            throw token_refusal(settings_, op.what() + ": the token", e);
        }
    }

    Answer read(const Op &op, const std::string &operation, const HttpResponse &response, bool creating) {
        Json detail = detail_of(op);
        detail->set("http_status", response.status);
        const auto status = response.status;
        if (status == 401) {
            const std::string who =
                tokens_ && tokens_->oauth()
                    ? "the application's token (client_id " + settings_.client_id +
                          ", a new one too): check that the application has full_access_as_app (Office 365 Exchange "
                          "Online) with admin consent in tenant " + settings_.tenant_id
                    : (response.refused_credentials.empty() ? std::string("the credentials")
                                                            : response.refused_credentials) +
                          ": check username and password (and auth basic or ntlm)";
            throw unauthorized(op.what() + ": EWS refused " + who, detail);
        }
        if (status == 403)
            throw forbidden(op.what() + ": EWS answered HTTP 403: " + kBlockedHint, detail);
        if (status == 503 || status == 429) {
            std::optional<milliseconds> told;
            if (const auto h = response.header("Retry-After"))
                told = support::parse_retry_after(*h, system_clock::now());
            throttled(op, "HTTP " + std::to_string(status), told, detail);
        }
        const auto type = lower(response.content_type());
        const bool xml_body = type.find("xml") != std::string::npos ||
                              response.body.find("Envelope") != std::string::npos;
        if (!(status >= 200 && status < 300) && !(status == 500 && xml_body)) {
            if (creating && support::applied_for_status(status) == support::Classification::Applied::unknown)
                throw Uncertain(op.what() + ": EWS answered HTTP " + std::to_string(status) +
                                ", which does not say whether the event was created");
            if (status >= 500 || status == 302)
                throw transient(op.what() + ": EWS failed: HTTP " + std::to_string(status), detail);
            throw permanent(op.what() + ": EWS answered HTTP " + std::to_string(status), detail);
        }
        Answer answer;
        answer.envelope.emplace(soap::parse_envelope(response.body, RELAIS_TRANSIENT, "the answer of " + op.what()));
        if (const auto &fault = answer.envelope->fault()) {
            std::string code = fault->code.local;
            if (const auto c = fault->detail_text(kE, "ResponseCode")) code = *c;
            MessageError e{code, fault->string, std::nullopt};
            if (const auto *d = fault->detail ? &*fault->detail : nullptr)
                e.back_off_ms = back_off_in(d->child(kT, "MessageXml"));
            message_failure(op, e);
        }
        const auto *content = answer.envelope->content();
        const auto *messages = content ? content->child(kM, "ResponseMessages") : nullptr;
        if (!content || content->local_name() != operation + "Response" || !messages)
            throw transient(op.what() + ": EWS answered something else than m:" + operation + "Response");
        for (const auto &m : messages->elements()) answer.messages.push_back(&m);
        return answer;
    }

    [[noreturn]] void throttled(const Op &op, const std::string &said, std::optional<milliseconds> told, Json detail) {
        const auto wait = told.value_or(kFallbackWait);
        host_.quota_report("requests", lower(op.mailbox), wait);
        detail->set("retry_after_ms", static_cast<Poco::Int64>(wait.count()));
        throw rate_limited(op.what() + ": EWS is throttling the mailbox (" + said + "); retry in " +
                               std::to_string((wait.count() + 999) / 1000) + " s" +
                               (told ? std::string() : " (no back-off given)"),
                           wait, detail);
    }

    [[noreturn]] void message_failure(const Op &op, const MessageError &e) {
        Json detail = detail_of(op);
        detail->set("ews_code", e.code);
        const std::string said = e.code + (e.text.empty() ? "" : ": " + e.text);
        if (e.code == "ErrorServerBusy" || e.code == "ErrorExceededConnectionCount" ||
            e.code == "ErrorTooManyObjectsOpened" || e.code == "ErrorExceededSubscriptionCount")
            throttled(op, said, e.back_off_ms ? std::optional<milliseconds>(milliseconds(*e.back_off_ms)) : std::nullopt,
                      detail);
        if (e.code == "ErrorImpersonateUserDenied")
            throw forbidden(op.what() + ": impersonating " + op.mailbox + " was denied (" + said + "): " +
                                kImpersonationHint,
                            detail);
        if (e.code == "ErrorAccessDenied" || e.code == "ErrorDelegateNoUser")
            throw forbidden(op.what() + ": access to " + op.mailbox + " was denied (" + said + ")", detail);
        if (e.code == "ErrorNonExistentMailbox" || e.code == "ErrorMailboxNotFound" || e.code == "ErrorInvalidSmtpAddress")
            throw not_found(op.what() + ": no mailbox " + op.mailbox + " (" + said + "): check the address", detail);
        if (e.code == "ErrorItemNotFound" || e.code == "ErrorInvalidIdMalformed" || e.code == "ErrorInvalidIdNotAnItemAttachmentId")
            throw not_found(op.what() + ": no such event in the calendar of " + op.mailbox + " (" + said + ")", detail);
        if (e.code == "ErrorInternalServerTransientError" || e.code == "ErrorTimeoutExpired" ||
            e.code == "ErrorMailboxMoveInProgress" || e.code == "ErrorMailboxStoreUnavailable" ||
            e.code == "ErrorInternalServerError" || e.code == "ErrorBatchProcessingStopped")
            throw transient(op.what() + ": EWS failed (" + said + ")", detail);
        if (e.code == "ErrorInvalidServerVersion" || e.code == "ErrorIncorrectSchemaVersion" ||
            e.code == "ErrorInvalidSchemaVersionForMailboxVersion")
            throw invalid_config(op.what() + ": EWS refused server_version " + version_ + " (" + said + ")", detail);
        if (e.code == "ErrorIrresolvableConflict" || e.code == "ErrorStaleObject") {
            detail->set("conflict", true);
            throw permanent(op.what() + ": conflict (" + said + ")", detail);
        }
        if (e.code == "ErrorInvalidExchangeImpersonationHeaderData")
            throw invalid_config(op.what() + ": EWS refused the impersonation header (" + said + ")", detail);
        throw invalid_input(op.what() + ": EWS refused the request (" + said + ")", detail);
    }

    static Json detail_of(const Op &op) {
        Json d = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        d->set("backend", "ews");
        d->set("operation", op.name);
        d->set("mailbox", op.mailbox);
        if (!op.item.empty()) d->set("id", op.item);
        return d;
    }

    Settings settings_;
    std::shared_ptr<support::HttpClient> http_;
    std::shared_ptr<TokenSource> tokens_;
    Host host_;
    std::string version_;
    std::atomic<uint64_t> sent_{0};
};

}  // namespace

std::shared_ptr<CalendarBackend> make_ews_backend(const Settings &settings, std::shared_ptr<support::HttpClient> http,
                                                  std::shared_ptr<TokenSource> tokens, Host host) {
    return std::make_shared<EwsBackend>(settings, std::move(http), std::move(tokens), host);
}

}  // namespace relais::exchange
