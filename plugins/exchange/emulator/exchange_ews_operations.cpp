#include "exchange_ews_operations.hpp"

#include <Poco/NumberParser.h>

#include <algorithm>
#include <cstdio>
#include <functional>

namespace relais::exchange_emulator::ews {

using emulator::Response;

namespace {

constexpr const char *kConflictText =
    "The send or update operation could not be performed because the change key passed in the request does not "
    "match the current change key for the item.";

// A Restriction the emulator evaluates: one IsEqualTo between item:Subject, calendar:UID or a
// named String extended property and a Constant.
std::function<bool(const Event &)> equality(const xml::Element &restriction) {
    const auto *equal = restriction.child(kTypes, "IsEqualTo");
    const auto *constant = equal && equal->child(kTypes, "FieldURIOrConstant")
                               ? equal->child(kTypes, "FieldURIOrConstant")->child(kTypes, "Constant")
                               : nullptr;
    if (!equal || !constant || restriction.elements().size() != 1)
        throw MessageError{"ErrorInvalidRestriction",
                           "The emulator evaluates only one IsEqualTo with a Constant in a Restriction.",
                           {}};
    const auto value = constant->attribute("Value").value_or("");
    if (const auto *extended = equal->child(kTypes, "ExtendedFieldURI")) {
        const auto id = extended_id(*extended);
        return [id, value](const Event &e) {
            const auto it = e.extended.find(id);
            return it != e.extended.end() && it->second == value;
        };
    }
    const auto *field = equal->child(kTypes, "FieldURI");
    const auto uri = field ? field->attribute("FieldURI").value_or("") : "";
    if (uri == "item:Subject") return [value](const Event &e) { return e.subject == value; };
    if (uri == "calendar:UID") return [value](const Event &e) { return e.uid == value; };
    throw MessageError{"ErrorInvalidRestriction", "The emulator does not restrict on '" + uri + "'.", {}};
}

MessageError occurrence_refused() {
    return {"ErrorInvalidRequest", "The emulator does not change or delete single occurrences of a series.", {}};
}

int int_attribute(const xml::Element &e, const char *name, int fallback, int min, int max) {
    const auto text = e.attribute(name);
    if (!text) return fallback;
    int value = 0;
    if (!Poco::NumberParser::tryParse(*text, value) || value < min || value > max)
        throw schema_violation(&e, "The '" + std::string(name) + "' attribute is invalid - The value '" + *text +
                                       "' is invalid according to its datatype");
    return value;
}

const std::string &required_attribute(const xml::Element &e, const char *name, std::string &holder,
                                      std::initializer_list<const char *> allowed) {
    const auto value = e.attribute(name);
    if (!value) throw schema_violation(&e, "The required attribute '" + std::string(name) + "' is missing.");
    holder = *value;
    if (allowed.size() != 0 && std::none_of(allowed.begin(), allowed.end(), [&](const char *a) { return holder == a; }))
        throw schema_violation(&e, "The '" + std::string(name) + "' attribute is invalid - The value '" + holder +
                                       "' is invalid according to its datatype");
    return holder;
}

struct Call {
    OperationContext &cx;
    const xml::Element &op;
    std::string name;

    Response answer(const std::function<void(xml::Writer &)> &messages) {
        return envelope_response(cx.options.server_version_info, [&](xml::Writer &w) {
            w.start("m:" + name + "Response").start("m:ResponseMessages");
            messages(w);
            w.end().end();
        });
    }

    // A folder reference (DistinguishedFolderId calendar, or the calendar's FolderId) inside
    // `parent`, as every operation here takes.
    void check_calendar_folder(const char *parent) {
        const auto *holder = op.child(kMessages, parent);
        if (!holder) throw schema_violation(&op, "The element '" + name + "' is missing its child '" + parent + "'.");
        const auto *folder = holder->first_child();
        if (!folder) throw schema_violation(holder, std::string(parent) + " is empty");
        if (folder->is(kTypes, "DistinguishedFolderId")) {
            const auto id = folder->attribute("Id").value_or("");
            if (id != "calendar")
                throw MessageError{
                    "ErrorFolderNotFound", "The emulator has only the calendar folder, not '" + id + "'.", {}};
        } else if (folder->is(kTypes, "FolderId")) {
            if (folder->attribute("Id").value_or("") != calendar_folder_id(cx.calendar))
                throw MessageError{"ErrorFolderNotFound", "The specified folder could not be found in the store.", {}};
        } else {
            throw schema_violation(folder, "a folder id was expected in " + std::string(parent));
        }
    }

    std::vector<const xml::Element *> item_ids() {
        const auto *ids = op.child(kMessages, "ItemIds");
        if (!ids) throw schema_violation(&op, "The element '" + name + "' is missing its child 'ItemIds'.");
        std::vector<const xml::Element *> found;
        for (const auto &e : ids->elements()) {
            if (!e.is(kTypes, "ItemId")) throw schema_violation(&e, "only t:ItemId is supported in ItemIds");
            if (!e.attribute("Id")) throw schema_violation(&e, "The required attribute 'Id' is missing.");
            found.push_back(&e);
        }
        return found;
    }

    bool injected(Failure f) const { return cx.failure && *cx.failure == f; }

    // --- FindItem ---------------------------------------------------------------------------
    Response find_item() {
        const auto shape = read_shape(op.child(kMessages, "ItemShape"));
        return answer([&](xml::Writer &w) {
            try {
                if (injected(Failure::server_busy_message)) throw server_busy_message(cx.back_off_ms);
                check_calendar_folder("ParentFolderIds");
                const auto *restriction = op.child(kMessages, "Restriction");
                if (restriction && op.child(kMessages, "CalendarView"))
                    throw MessageError{
                        "ErrorInvalidRestriction", "Restrictions are not supported with a CalendarView.", {}};
                std::vector<Event> matching;
                const auto masters = [&] {
                    std::vector<Event> events;
                    for (const auto *e : cx.calendar.all()) events.push_back(e->event);
                    return events;
                };
                std::size_t max = SIZE_MAX;
                std::optional<int> offset;
                if (const auto *view = op.child(kMessages, "CalendarView")) {
                    const auto start = parse_iso(view->attribute("StartDate").value_or(""));
                    const auto end = parse_iso(view->attribute("EndDate").value_or(""));
                    if (!start || !end)
                        throw schema_violation(view, "CalendarView needs StartDate and EndDate (xs:dateTime)");
                    if (*end < *start)
                        throw MessageError{
                            "ErrorCalendarEndDateIsEarlierThanStartDate", "EndDate is earlier than StartDate", {}};
                    if (*end - *start > std::chrono::hours(24 * (365 * 2 + 1)))
                        throw MessageError{"ErrorCalendarViewRangeTooBig",
                                           "The calendar view range is too big (more than two years).",
                                           {}};
                    max = static_cast<std::size_t>(int_attribute(*view, "MaxEntriesReturned", 1000000, 1, 1000000));
                    matching = cx.calendar.view(*start, *end);
                } else if (const auto *paged = op.child(kMessages, "IndexedPageItemView")) {
                    max = static_cast<std::size_t>(int_attribute(*paged, "MaxEntriesReturned", 1000, 1, 1000));
                    offset = int_attribute(*paged, "Offset", 0, 0, 1000000);
                    matching = masters();
                } else {
                    matching = masters();
                }
                if (restriction) {
                    const auto keep = equality(*restriction);
                    std::erase_if(matching, [&](const Event &e) { return !keep(e); });
                }
                const std::size_t first =
                    offset ? std::min<std::size_t>(static_cast<std::size_t>(*offset), matching.size()) : 0;
                const std::size_t count = std::min(max, matching.size() - first);
                const bool last = first + count == matching.size();
                start_success_message(w, name);
                w.start("m:RootFolder");
                if (offset) w.attribute("IndexedPagingOffset", std::to_string(first + count));
                w.attribute("TotalItemsInView", std::to_string(matching.size()))
                    .attribute("IncludesLastItemInRange", last ? "true" : "false");
                w.start("t:Items");
                for (std::size_t i = first; i < first + count; ++i)
                    write_calendar_item(w, matching[i], cx.calendar.address(), shape);
                w.end().end().end();
            } catch (const MessageError &e) {
                write_error_message(w, name, e);
            }
        });
    }

    // --- GetItem ----------------------------------------------------------------------------
    Response get_item() {
        auto shape = read_shape(op.child(kMessages, "ItemShape"));
        const auto ids = item_ids();
        return answer([&](xml::Writer &w) {
            for (const auto *id : ids) {
                try {
                    if (injected(Failure::server_busy_message)) throw server_busy_message(cx.back_off_ms);
                    const auto found = cx.calendar.find_any(*id->attribute("Id"));
                    if (!found || injected(Failure::item_not_found)) throw item_not_found();
                    start_success_message(w, name);
                    w.start("m:Items");
                    write_calendar_item(w, *found, cx.calendar.address(), shape);
                    w.end().end();
                } catch (const MessageError &e) {
                    write_error_message(w, name, e);
                }
            }
        });
    }

    // --- CreateItem -------------------------------------------------------------------------
    Response create_item() {
        const auto *items = op.child(kMessages, "Items");
        if (!items) throw schema_violation(&op, "The element 'CreateItem' is missing its child 'Items'.");
        const auto invitations = op.attribute("SendMeetingInvitations");
        if (invitations && *invitations != "SendToNone" && *invitations != "SendOnlyToAll" &&
            *invitations != "SendToAllAndSaveCopy")
            throw schema_violation(&op, "SendMeetingInvitations '" + *invitations + "' is invalid");
        // Parsed (schema) before anything is stored, as EWS validates the whole request first.
        std::vector<std::pair<const xml::Element *, Event>> parsed;
        for (const auto &item : items->elements()) {
            if (!item.is(kTypes, "CalendarItem"))
                throw schema_violation(&item, "the emulator creates only t:CalendarItem");
            parsed.emplace_back(&item, Event{});
        }
        return answer([&](xml::Writer &w) {
            bool folder_ok = true;
            MessageError folder_error;
            try {
                if (op.child(kMessages, "SavedItemFolderId")) check_calendar_folder("SavedItemFolderId");
            } catch (const MessageError &e) {
                folder_ok = false;
                folder_error = e;
            }
            for (auto &[element, event] : parsed) {
                try {
                    if (injected(Failure::server_busy_message)) throw server_busy_message(cx.back_off_ms);
                    if (!folder_ok) throw folder_error;
                    if (!invitations)
                        throw MessageError{"ErrorSendMeetingInvitationsRequired",
                                           "SendMeetingInvitations attribute is required for calendar items.",
                                           {}};
                    read_calendar_item(*element, event);
                    if (!element->child(kTypes, "Start") || !element->child(kTypes, "End"))
                        throw MessageError{
                            "ErrorInvalidRequest", "The emulator needs Start and End on a calendar item.", {}};
                    if (event.end < event.start)
                        throw MessageError{"ErrorCalendarEndDateIsEarlierThanStartDate",
                                           "The end date is earlier than the start date.",
                                           {}};
                    const auto &stored = cx.calendar.create(event, cx.now, cx.ids);
                    start_success_message(w, name);
                    w.start("m:Items").start("t:CalendarItem");
                    write_item_id(w, stored.event);
                    w.end().end().end();
                } catch (const MessageError &e) {
                    write_error_message(w, name, e);
                }
            }
        });
    }

    // --- UpdateItem -------------------------------------------------------------------------
    Response update_item() {
        std::string conflict, invitations;
        required_attribute(op, "ConflictResolution", conflict, {"NeverOverwrite", "AutoResolve", "AlwaysOverwrite"});
        const bool has_invitations = op.attribute("SendMeetingInvitationsOrCancellations").has_value();
        if (has_invitations)
            required_attribute(op, "SendMeetingInvitationsOrCancellations", invitations,
                               {"SendToNone", "SendOnlyToAll", "SendOnlyToChanged", "SendToAllAndSaveCopy",
                                "SendToChangedAndSaveCopy"});
        const auto *changes = op.child(kMessages, "ItemChanges");
        if (!changes) throw schema_violation(&op, "The element 'UpdateItem' is missing its child 'ItemChanges'.");
        return answer([&](xml::Writer &w) {
            for (const auto *change : changes->children(kTypes, "ItemChange")) {
                try {
                    if (injected(Failure::server_busy_message)) throw server_busy_message(cx.back_off_ms);
                    const auto *id = change->child(kTypes, "ItemId");
                    const auto *updates = change->child(kTypes, "Updates");
                    if (!id || !updates) throw schema_violation(change, "ItemChange needs ItemId and Updates");
                    auto *stored = cx.calendar.find(id->attribute("Id").value_or(""));
                    if (!stored && cx.calendar.find_any(id->attribute("Id").value_or(""))) throw occurrence_refused();
                    if (!stored || injected(Failure::item_not_found)) throw item_not_found();
                    if (!has_invitations)
                        throw MessageError{"ErrorSendMeetingInvitationsOrCancellationsRequired",
                                           "SendMeetingInvitationsOrCancellations attribute is required for calendar "
                                           "items.",
                                           {}};
                    const auto key = id->attribute("ChangeKey");
                    const bool overwrite =
                        conflict == "AlwaysOverwrite" &&
                        cx.options.stale_change_key == StaleChangeKey::overwrite_when_always_overwrite;
                    if (key && *key != stored->event.change_key && !overwrite)
                        throw MessageError{"ErrorIrresolvableConflict", kConflictText, {}};
                    Event updated = stored->event;
                    for (const auto &u : updates->elements()) {
                        if (u.is(kTypes, "SetItemField"))
                            set_field(u, updated);
                        else if (u.is(kTypes, "DeleteItemField"))
                            delete_field(u, updated);
                        else
                            throw MessageError{
                                "ErrorInvalidRequest", "The emulator does not do " + u.local_name() + ".", {}};
                    }
                    if (updated.end < updated.start)
                        throw MessageError{"ErrorCalendarEndDateIsEarlierThanStartDate",
                                           "The end date is earlier than the start date.",
                                           {}};
                    stored->event = std::move(updated);
                    cx.calendar.changed(*stored, cx.now, cx.ids);
                    start_success_message(w, name);
                    w.start("m:Items").start("t:CalendarItem");
                    write_item_id(w, stored->event);
                    w.end().end();
                    w.start("m:ConflictResults").element("t:Count", "0").end();
                    w.end();
                } catch (const MessageError &e) {
                    write_error_message(w, name, e);
                }
            }
        });
    }

    // --- DeleteItem -------------------------------------------------------------------------
    Response delete_item() {
        std::string type;
        required_attribute(op, "DeleteType", type, {"HardDelete", "SoftDelete", "MoveToDeletedItems"});
        const auto cancellations = op.attribute("SendMeetingCancellations");
        const auto ids = item_ids();
        return answer([&](xml::Writer &w) {
            for (const auto *id : ids) {
                try {
                    if (injected(Failure::server_busy_message)) throw server_busy_message(cx.back_off_ms);
                    const auto item = *id->attribute("Id");
                    if (!cx.calendar.find(item) && cx.calendar.find_any(item)) throw occurrence_refused();
                    if (!cx.calendar.find(item) || injected(Failure::item_not_found)) throw item_not_found();
                    if (!cancellations)
                        throw MessageError{"ErrorSendMeetingCancellationsRequired",
                                           "SendMeetingCancellations attribute is required for calendar items.",
                                           {}};
                    cx.calendar.remove(item);
                    start_success_message(w, name);
                    w.end();
                } catch (const MessageError &e) {
                    write_error_message(w, name, e);
                }
            }
        });
    }

    // --- SyncFolderItems --------------------------------------------------------------------
    Response sync_folder_items() {
        const auto shape = read_shape(op.child(kMessages, "ItemShape"));
        const auto *max_element = op.child(kMessages, "MaxChangesReturned");
        int max = 0;
        if (!max_element || !Poco::NumberParser::tryParse(max_element->text(xml::Trim::yes), max) || max < 1 ||
            max > 512)
            throw schema_violation(max_element ? max_element : &op, "MaxChangesReturned must be 1 to 512");
        const auto state_text = op.child_text(kMessages, "SyncState").value_or("");
        return answer([&](xml::Writer &w) {
            const auto fail = [&](const MessageError &e) {
                write_error_message(w, name, e, true);
                w.element("m:SyncState", "").element("m:IncludesLastItemInRange", "true").end();
            };
            try {
                if (injected(Failure::server_busy_message)) throw server_busy_message(cx.back_off_ms);
                check_calendar_folder("SyncFolderId");
                std::uint64_t since = 0;
                if (!state_text.empty()) {
                    const auto token = decode_token(state_text);
                    if (!token || token->kind != "ews" || token->mailbox != mailbox_key(cx.calendar.address()) ||
                        token->epoch != cx.calendar.epoch() || token->seq > cx.calendar.seq() ||
                        injected(Failure::invalid_sync_state))
                        throw invalid_sync_state();
                    since = token->seq;
                } else if (injected(Failure::invalid_sync_state)) {
                    throw invalid_sync_state();
                }
                const auto changes = cx.calendar.changes_since(since);
                const auto count = std::min(changes.size(), static_cast<std::size_t>(max));
                const bool last = count == changes.size();
                SyncToken next{"ews",
                               mailbox_key(cx.calendar.address()),
                               cx.calendar.epoch(),
                               last ? cx.calendar.seq() : changes[count - 1].seq,
                               0,
                               0,
                               false};
                start_success_message(w, name);
                w.element("m:SyncState", encode_token(next, false));
                w.element("m:IncludesLastItemInRange", last ? "true" : "false");
                w.start("m:Changes");
                for (std::size_t i = 0; i < count; ++i) {
                    const auto &c = changes[i];
                    if (c.kind == Change::Kind::deleted) {
                        w.start("t:Delete")
                            .start("t:ItemId")
                            .attribute("Id", c.tombstone->id)
                            .attribute("ChangeKey", c.tombstone->change_key)
                            .end()
                            .end();
                        continue;
                    }
                    w.start(c.kind == Change::Kind::created ? "t:Create" : "t:Update");
                    write_calendar_item(w, c.event->event, cx.calendar.address(), shape);
                    w.end();
                }
                w.end().end();
            } catch (const MessageError &e) {
                fail(e);
            }
        });
    }

    // --- GetFolder --------------------------------------------------------------------------
    Response get_folder() {
        return answer([&](xml::Writer &w) {
            try {
                if (injected(Failure::server_busy_message)) throw server_busy_message(cx.back_off_ms);
                check_calendar_folder("FolderIds");
                start_success_message(w, name);
                w.start("m:Folders").start("t:CalendarFolder");
                w.start("t:FolderId")
                    .attribute("Id", calendar_folder_id(cx.calendar))
                    .attribute("ChangeKey", "AgAAABYAAAA" + std::to_string(cx.calendar.seq()))
                    .end();
                w.element("t:DisplayName", "Calendar");
                w.element("t:TotalCount", std::to_string(cx.calendar.all().size()));
                w.element("t:ChildFolderCount", "0");
                w.end().end().end();
            } catch (const MessageError &e) {
                write_error_message(w, name, e);
            }
        });
    }
};

}  // namespace

bool known_operation(const std::string &name) {
    return name == "FindItem" || name == "GetItem" || name == "CreateItem" || name == "UpdateItem" ||
           name == "DeleteItem" || name == "SyncFolderItems" || name == "GetFolder";
}

std::string calendar_folder_id(const MailboxCalendar &calendar) {
    std::string id = "AQMkAD";
    for (const unsigned char c : mailbox_key(calendar.address())) {
        char hex[3];
        std::snprintf(hex, sizeof hex, "%02x", c);
        id += hex;
    }
    return id + "AAAAEGAAAA";
}

Response run_operation(OperationContext &context, const xml::Element &operation) {
    Call call{context, operation, operation.local_name()};
    const auto &n = call.name;
    if (n == "FindItem") return call.find_item();
    if (n == "GetItem") return call.get_item();
    if (n == "CreateItem") return call.create_item();
    if (n == "UpdateItem") return call.update_item();
    if (n == "DeleteItem") return call.delete_item();
    if (n == "SyncFolderItems") return call.sync_folder_items();
    if (n == "GetFolder") return call.get_folder();
    throw Fault{"ErrorInvalidRequest", "The emulator does not serve " + n + ".", {}};
}

}  // namespace relais::exchange_emulator::ews
