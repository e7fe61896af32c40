// EWS items (exchange_ews_wire.hpp): ItemShape, CalendarItem written and read in schema
// order, recurrences, UpdateItem's fields, the server versions.
#include "exchange_ews_wire.hpp"

#include "exchange_recurrence.hpp"
#include "exchange_time.hpp"

#include <Poco/String.h>

#include <algorithm>
#include <array>
#include <sstream>

namespace relais::exchange_emulator::ews {

// --- Shapes and extended properties --------------------------------------------------------

namespace {

const std::array<const char *, 21> kAllFields{"item:Subject",
                                              "item:Body",
                                              "item:Categories",
                                              "item:DateTimeCreated",
                                              "item:ReminderIsSet",
                                              "item:ReminderMinutesBeforeStart",
                                              "item:LastModifiedTime",
                                              "calendar:UID",
                                              "calendar:Start",
                                              "calendar:End",
                                              "calendar:IsAllDayEvent",
                                              "calendar:LegacyFreeBusyStatus",
                                              "calendar:Location",
                                              "calendar:CalendarItemType",
                                              "calendar:Organizer",
                                              "calendar:RequiredAttendees",
                                              "calendar:OptionalAttendees",
                                              "calendar:StartTimeZone",
                                              "calendar:EndTimeZone",
                                              "calendar:IsRecurring",
                                              "calendar:Recurrence"};

const std::array<const char *, 9> kDefaultFields{"item:Subject",
                                                 "calendar:Start",
                                                 "calendar:End",
                                                 "calendar:IsAllDayEvent",
                                                 "calendar:LegacyFreeBusyStatus",
                                                 "calendar:Location",
                                                 "calendar:CalendarItemType",
                                                 "calendar:Organizer",
                                                 "calendar:UID"};

std::string lower(std::string text) { return Poco::toLower(text); }

}  // namespace

std::string extended_id(const xml::Element &field_uri) {
    static const std::map<std::string, std::string> distinguished{
        {"PublicStrings", "00020329-0000-0000-c000-000000000046"},
        {"Common", "00062008-0000-0000-c000-000000000046"},
        {"Appointment", "00062002-0000-0000-c000-000000000046"},
        {"InternetHeaders", "00020386-0000-0000-c000-000000000046"}};
    const auto type = field_uri.attribute("PropertyType").value_or("");
    const auto name = field_uri.attribute("PropertyName");
    std::string guid;
    if (const auto set = field_uri.attribute("PropertySetId")) {
        guid = lower(*set);
        if (!guid.empty() && guid.front() == '{') guid = guid.substr(1, guid.size() - 2);
    } else if (const auto d = field_uri.attribute("DistinguishedPropertySetId")) {
        const auto it = distinguished.find(*d);
        if (it == distinguished.end()) throw schema_violation(&field_uri, "unknown DistinguishedPropertySetId " + *d);
        guid = it->second;
    }
    if (type != "String" || !name || guid.empty())
        throw Fault{"ErrorInvalidRequest",
                    "The emulator knows only named String extended properties (PropertySetId or "
                    "DistinguishedPropertySetId, PropertyName, PropertyType=\"String\").",
                    {}};
    return "String {" + guid + "} Name " + *name;
}

Shape read_shape(const xml::Element *item_shape) {
    Shape shape;
    if (!item_shape) return shape;
    const auto base = item_shape->child_text(kTypes, "BaseShape").value_or("");
    if (base == "AllProperties")
        shape.fields.insert(kAllFields.begin(), kAllFields.end());
    else if (base == "Default")
        shape.fields.insert(kDefaultFields.begin(), kDefaultFields.end());
    else if (base != "IdOnly")
        throw schema_violation(item_shape, "BaseShape must be IdOnly, Default or AllProperties, not '" + base + "'");
    if (const auto *extra = item_shape->child(kTypes, "AdditionalProperties")) {
        for (const auto &field : extra->elements()) {
            if (field.is(kTypes, "FieldURI")) {
                shape.fields.insert(field.attribute("FieldURI").value_or(""));
            } else if (field.is(kTypes, "ExtendedFieldURI")) {
                std::vector<std::pair<std::string, std::string>> attributes;
                for (const auto &a : field.attributes()) attributes.emplace_back(a.local, a.value);
                shape.extended[extended_id(field)] = attributes;
            }
        }
    }
    return shape;
}

void write_item_id(xml::Writer &w, const Event &event) {
    w.start("t:ItemId").attribute("Id", event.id).attribute("ChangeKey", event.change_key).end();
}

namespace {

void write_mailbox(xml::Writer &w, const std::string &name, const std::string &address) {
    w.start("t:Mailbox")
        .element("t:Name", name)
        .element("t:EmailAddress", address)
        .element("t:RoutingType", "SMTP")
        .end();
}

void write_attendees(xml::Writer &w, const char *element, const Event &event, const std::string &type) {
    bool any = false;
    for (const auto &a : event.attendees) any = any || a.type == type;
    if (!any) return;
    w.start(element);
    for (const auto &a : event.attendees) {
        if (a.type != type) continue;
        w.start("t:Attendee");
        write_mailbox(w, a.name.empty() ? a.address : a.name, a.address);
        w.element("t:ResponseType", "Unknown");
        w.end();
    }
    w.end();
}

void write_recurrence(xml::Writer &w, const Recurrence &r) {
    w.start("t:Recurrence");
    if (r.pattern == Recurrence::Pattern::daily) {
        w.start("t:DailyRecurrence").element("t:Interval", std::to_string(r.interval)).end();
    } else {
        std::string days;
        for (const auto d : r.days) days += (days.empty() ? "" : " ") + weekday_name(d, true);
        w.start("t:WeeklyRecurrence")
            .element("t:Interval", std::to_string(r.interval))
            .element("t:DaysOfWeek", days)
            .end();
    }
    if (r.range == Recurrence::Range::end_date)
        w.start("t:EndDateRecurrence")
            .element("t:StartDate", date_text(r.start_date))
            .element("t:EndDate", date_text(r.end_date))
            .end();
    else if (r.range == Recurrence::Range::numbered)
        w.start("t:NumberedRecurrence")
            .element("t:StartDate", date_text(r.start_date))
            .element("t:NumberOfOccurrences", std::to_string(r.occurrences))
            .end();
    else
        w.start("t:NoEndRecurrence").element("t:StartDate", date_text(r.start_date)).end();
    w.end();
}

}  // namespace

void write_calendar_item(xml::Writer &w, const Event &event, const std::string &organizer, const Shape &shape) {
    const auto has = [&](const char *field) { return shape.fields.count(field) != 0; };
    w.start("t:CalendarItem");
    write_item_id(w, event);
    if (has("item:Subject")) w.element("t:Subject", event.subject);
    if (has("item:Body")) w.start("t:Body").attribute("BodyType", event.body_type).text(event.body).end();
    if (has("item:Categories") && !event.categories.empty()) {
        w.start("t:Categories");
        for (const auto &c : event.categories) w.element("t:String", c);
        w.end();
    }
    if (has("item:DateTimeCreated")) w.element("t:DateTimeCreated", ews_time(event.created));
    if (has("item:ReminderIsSet")) w.element("t:ReminderIsSet", event.reminder_set ? "true" : "false");
    if (has("item:ReminderMinutesBeforeStart"))
        w.element("t:ReminderMinutesBeforeStart", std::to_string(event.reminder_minutes));
    for (const auto &[id, attributes] : shape.extended) {
        const auto value = event.extended.find(id);
        if (value == event.extended.end()) continue;
        w.start("t:ExtendedProperty").start("t:ExtendedFieldURI");
        for (const auto &[name, v] : attributes) w.attribute(name, v);
        w.end().element("t:Value", value->second).end();
    }
    if (has("item:LastModifiedTime")) w.element("t:LastModifiedTime", ews_time(event.modified));
    if (has("calendar:UID")) w.element("t:UID", event.uid);
    if (has("calendar:Start")) w.element("t:Start", ews_time(event.start));
    if (has("calendar:End")) w.element("t:End", ews_time(event.end));
    if (has("calendar:IsAllDayEvent")) w.element("t:IsAllDayEvent", event.is_all_day ? "true" : "false");
    if (has("calendar:LegacyFreeBusyStatus")) w.element("t:LegacyFreeBusyStatus", event.show_as);
    if (has("calendar:Location")) w.element("t:Location", event.location);
    if (has("calendar:IsRecurring"))
        w.element("t:IsRecurring", event.recurrence || !event.series_master_id.empty() ? "true" : "false");
    if (has("calendar:CalendarItemType"))
        w.element("t:CalendarItemType", !event.series_master_id.empty() ? "Occurrence"
                                        : event.recurrence              ? "RecurringMaster"
                                                                        : "Single");
    if (has("calendar:Organizer")) {
        w.start("t:Organizer");
        write_mailbox(w, organizer, organizer);
        w.end();
    }
    if (has("calendar:RequiredAttendees")) write_attendees(w, "t:RequiredAttendees", event, "required");
    if (has("calendar:OptionalAttendees")) write_attendees(w, "t:OptionalAttendees", event, "optional");
    if (has("calendar:Recurrence") && event.recurrence) write_recurrence(w, *event.recurrence);
    if (has("calendar:StartTimeZone")) w.start("t:StartTimeZone").attribute("Id", event.start_time_zone).end();
    if (has("calendar:EndTimeZone")) w.start("t:EndTimeZone").attribute("Id", event.end_time_zone).end();
    w.end();
}

// --- Reading a CalendarItem ----------------------------------------------------------------

namespace {

// ItemType then CalendarItemType children, in the order of the EWS schema (types.xsd).
const std::vector<std::string> &schema_order() {
    static const std::vector<std::string> order{"MimeContent",
                                                "ItemId",
                                                "ParentFolderId",
                                                "ItemClass",
                                                "Subject",
                                                "Sensitivity",
                                                "Body",
                                                "Attachments",
                                                "DateTimeReceived",
                                                "Size",
                                                "Categories",
                                                "Importance",
                                                "InReplyTo",
                                                "IsSubmitted",
                                                "IsDraft",
                                                "IsFromMe",
                                                "IsResend",
                                                "IsUnmodified",
                                                "InternetMessageHeaders",
                                                "DateTimeSent",
                                                "DateTimeCreated",
                                                "ResponseObjects",
                                                "ReminderDueBy",
                                                "ReminderIsSet",
                                                "ReminderNextTime",
                                                "ReminderMinutesBeforeStart",
                                                "DisplayCc",
                                                "DisplayTo",
                                                "HasAttachments",
                                                "ExtendedProperty",
                                                "Culture",
                                                "UID",
                                                "RecurrenceId",
                                                "DateTimeStamp",
                                                "Start",
                                                "End",
                                                "OriginalStart",
                                                "IsAllDayEvent",
                                                "LegacyFreeBusyStatus",
                                                "Location",
                                                "When",
                                                "IsMeeting",
                                                "IsCancelled",
                                                "IsRecurring",
                                                "MeetingRequestWasSent",
                                                "IsResponseRequested",
                                                "CalendarItemType",
                                                "MyResponseType",
                                                "Organizer",
                                                "RequiredAttendees",
                                                "OptionalAttendees",
                                                "Resources",
                                                "ConflictingMeetingCount",
                                                "AdjacentMeetingCount",
                                                "ConflictingMeetings",
                                                "AdjacentMeetings",
                                                "Duration",
                                                "TimeZone",
                                                "AppointmentReplyTime",
                                                "AppointmentSequenceNumber",
                                                "AppointmentState",
                                                "Recurrence",
                                                "FirstOccurrence",
                                                "LastOccurrence",
                                                "ModifiedOccurrences",
                                                "DeletedOccurrences",
                                                "MeetingTimeZone",
                                                "StartTimeZone",
                                                "EndTimeZone",
                                                "ConferenceType",
                                                "AllowNewTimeProposal",
                                                "IsOnlineMeeting",
                                                "MeetingWorkspaceUrl",
                                                "NetShowUrl"};
    return order;
}

const std::string kTypesText(kTypes);

Fault invalid_child(const xml::Element &child, const std::string &parent) {
    return schema_violation(&child, "The element '" + parent + "' in namespace '" + kTypesText +
                                        "' has invalid child element '" + child.local_name() + "' in namespace '" +
                                        child.ns() + "'.");
}

bool read_bool(const xml::Element &e) {
    const auto text = e.text(xml::Trim::yes);
    if (text == "true" || text == "1") return true;
    if (text == "false" || text == "0") return false;
    throw schema_violation(&e, "The '" + e.local_name() + "' element is invalid - The value '" + text +
                                   "' is invalid according to its datatype 'boolean'");
}

TimePoint read_time(const xml::Element &e) {
    const auto text = e.text(xml::Trim::yes);
    const auto t = parse_iso(text);
    if (!t)
        throw schema_violation(&e, "The '" + e.local_name() + "' element is invalid - The value '" + text +
                                       "' is invalid according to its datatype 'dateTime'");
    return *t;
}

void read_attendees(const xml::Element &list, const std::string &type, Event &event) {
    event.attendees.erase(std::remove_if(event.attendees.begin(), event.attendees.end(),
                                         [&](const Attendee &a) { return a.type == type; }),
                          event.attendees.end());
    for (const auto *attendee : list.children(kTypes, "Attendee")) {
        const auto *mailbox = attendee->child(kTypes, "Mailbox");
        const auto address = mailbox ? mailbox->child_text(kTypes, "EmailAddress") : std::nullopt;
        if (!address) throw schema_violation(attendee, "an Attendee needs Mailbox/EmailAddress");
        event.attendees.push_back({*address, mailbox->child_text(kTypes, "Name").value_or(""), type});
    }
}

Recurrence read_recurrence(const xml::Element &e) {
    Recurrence r;
    const auto *pattern = e.first_child();
    const auto interval = [&](const xml::Element &p) {
        int n = 0;
        try {
            n = std::stoi(p.child_text(kTypes, "Interval").value_or(""));
        } catch (const std::exception &) {
        }
        if (n < 1) throw schema_violation(&p, "Interval must be a positive integer");
        return n;
    };
    if (pattern && pattern->is(kTypes, "DailyRecurrence")) {
        r.pattern = Recurrence::Pattern::daily;
        r.interval = interval(*pattern);
    } else if (pattern && pattern->is(kTypes, "WeeklyRecurrence")) {
        r.pattern = Recurrence::Pattern::weekly;
        r.interval = interval(*pattern);
        std::istringstream names(pattern->child_text(kTypes, "DaysOfWeek").value_or(""));
        for (std::string name; names >> name;) {
            const auto day = weekday_named(name);
            if (!day) throw schema_violation(pattern, "DaysOfWeek '" + name + "' is invalid");
            r.days.push_back(*day);
        }
        if (r.days.empty()) throw schema_violation(pattern, "WeeklyRecurrence needs DaysOfWeek");
    } else {
        throw MessageError{"ErrorInvalidRequest", "The emulator knows only DailyRecurrence and WeeklyRecurrence.", {}};
    }
    const xml::Element *range = nullptr;
    for (const auto &child : e.elements())
        if (&child != pattern) range = &child;
    const auto date = [&](const char *name) {
        const auto d = range ? parse_date(range->child_text(kTypes, name).value_or("")) : std::nullopt;
        if (!d) throw schema_violation(range ? range : &e, std::string(name) + " must be a date");
        return *d;
    };
    if (range && range->is(kTypes, "EndDateRecurrence")) {
        r.range = Recurrence::Range::end_date;
        r.start_date = date("StartDate");
        r.end_date = date("EndDate");
    } else if (range && range->is(kTypes, "NumberedRecurrence")) {
        r.range = Recurrence::Range::numbered;
        r.start_date = date("StartDate");
        try {
            r.occurrences = std::stoi(range->child_text(kTypes, "NumberOfOccurrences").value_or(""));
        } catch (const std::exception &) {
            throw schema_violation(range, "NumberOfOccurrences must be an integer");
        }
    } else if (range && range->is(kTypes, "NoEndRecurrence")) {
        r.range = Recurrence::Range::no_end;
        r.start_date = date("StartDate");
    } else {
        throw schema_violation(&e, "Recurrence needs EndDateRecurrence, NumberedRecurrence or NoEndRecurrence");
    }
    return r;
}

// One child of a CalendarItem into the event (CreateItem, and SetItemField's value).
void apply(const xml::Element &e, Event &event) {
    const auto &name = e.local_name();
    if (name == "Subject") {
        event.subject = e.text();
    } else if (name == "Body") {
        const auto type = e.attribute("BodyType").value_or("");
        if (type != "Text" && type != "HTML") throw schema_violation(&e, "Body needs BodyType Text or HTML");
        event.body_type = type;
        event.body = e.text();
    } else if (name == "Categories") {
        event.categories.clear();
        for (const auto *s : e.children(kTypes, "String")) event.categories.push_back(s->text(xml::Trim::yes));
    } else if (name == "ReminderIsSet") {
        event.reminder_set = read_bool(e);
    } else if (name == "ReminderMinutesBeforeStart") {
        try {
            event.reminder_minutes = std::stoi(e.text(xml::Trim::yes));
        } catch (const std::exception &) {
            throw schema_violation(&e, "ReminderMinutesBeforeStart must be an integer");
        }
    } else if (name == "ExtendedProperty") {
        const auto *uri = e.child(kTypes, "ExtendedFieldURI");
        const auto value = e.child_text(kTypes, "Value", xml::Trim::no);
        if (!uri || !value) throw schema_violation(&e, "ExtendedProperty needs ExtendedFieldURI and Value");
        event.extended[extended_id(*uri)] = *value;
    } else if (name == "UID") {
        event.uid = e.text(xml::Trim::yes);
    } else if (name == "Start") {
        event.start = read_time(e);
    } else if (name == "End") {
        event.end = read_time(e);
    } else if (name == "IsAllDayEvent") {
        event.is_all_day = read_bool(e);
    } else if (name == "LegacyFreeBusyStatus") {
        static const std::set<std::string> statuses{"Free", "Tentative", "Busy", "OOF", "WorkingElsewhere", "NoData"};
        const auto status = e.text(xml::Trim::yes);
        if (!statuses.count(status)) throw schema_violation(&e, "LegacyFreeBusyStatus '" + status + "' is invalid");
        event.show_as = status;
    } else if (name == "Location") {
        event.location = e.text();
    } else if (name == "RequiredAttendees") {
        read_attendees(e, "required", event);
    } else if (name == "OptionalAttendees") {
        read_attendees(e, "optional", event);
    } else if (name == "Resources") {
        read_attendees(e, "resource", event);
    } else if (name == "StartTimeZone" || name == "EndTimeZone") {
        const auto id = e.attribute("Id").value_or("");
        if (!known_time_zone(id))
            throw MessageError{"ErrorTimeZone", "The emulator does not know the time zone '" + id + "'.", {}};
        (name == "StartTimeZone" ? event.start_time_zone : event.end_time_zone) = id;
    } else if (name == "Recurrence") {
        event.recurrence = read_recurrence(e);
    }
    // The other schema elements are accepted and not kept.
}

std::string field_element(const std::string &field_uri) {
    const auto colon = field_uri.find(':');
    return colon == std::string::npos ? field_uri : field_uri.substr(colon + 1);
}

}  // namespace

void read_calendar_item(const xml::Element &item, Event &event) {
    const auto &order = schema_order();
    std::size_t last = 0;
    bool first = true;
    for (const auto &child : item.elements()) {
        const auto at = std::find(order.begin(), order.end(), child.local_name());
        if (child.ns() != kTypes || at == order.end()) throw invalid_child(child, "CalendarItem");
        const auto index = static_cast<std::size_t>(at - order.begin());
        const bool repeatable = child.local_name() == "ExtendedProperty";
        if (!first && (index < last || (index == last && !repeatable))) throw invalid_child(child, "CalendarItem");
        first = false;
        last = index;
        apply(child, event);
    }
}

void set_field(const xml::Element &change, Event &event) {
    const auto *uri = change.child(kTypes, "FieldURI");
    const auto *extended = change.child(kTypes, "ExtendedFieldURI");
    const auto *item = change.child(kTypes, "CalendarItem");
    if (!item) throw schema_violation(&change, "SetItemField needs a CalendarItem");
    if (extended) {
        const auto id = extended_id(*extended);
        const auto *property = item->child(kTypes, "ExtendedProperty");
        const auto value = property ? property->child_text(kTypes, "Value", xml::Trim::no) : std::nullopt;
        if (!value) throw schema_violation(item, "SetItemField on an ExtendedFieldURI needs its ExtendedProperty");
        event.extended[id] = *value;
        return;
    }
    if (!uri) throw schema_violation(&change, "SetItemField needs a FieldURI or an ExtendedFieldURI");
    const auto field = uri->attribute("FieldURI").value_or("");
    const auto name = field_element(field);
    static const std::set<std::string> settable{"Subject",
                                                "Body",
                                                "Categories",
                                                "ReminderIsSet",
                                                "ReminderMinutesBeforeStart",
                                                "Start",
                                                "End",
                                                "IsAllDayEvent",
                                                "LegacyFreeBusyStatus",
                                                "Location",
                                                "RequiredAttendees",
                                                "OptionalAttendees",
                                                "Resources",
                                                "StartTimeZone",
                                                "EndTimeZone",
                                                "Recurrence"};
    if (!settable.count(name))
        throw MessageError{"ErrorInvalidPropertySet", "The emulator cannot set the field '" + field + "'.", {}};
    const auto *value = item->child(kTypes, name);
    if (!value || item->elements().size() != 1)
        throw MessageError{"ErrorIncorrectUpdatePropertyCount",
                           "An object within a change description must contain one and only one property to modify.",
                           {}};
    apply(*value, event);
}

void delete_field(const xml::Element &change, Event &event) {
    if (const auto *extended = change.child(kTypes, "ExtendedFieldURI")) {
        event.extended.erase(extended_id(*extended));
        return;
    }
    const auto *uri = change.child(kTypes, "FieldURI");
    const auto field = uri ? uri->attribute("FieldURI").value_or("") : "";
    if (field == "calendar:RequiredAttendees" || field == "calendar:OptionalAttendees" ||
        field == "calendar:Resources") {
        const std::string type = field == "calendar:RequiredAttendees"   ? "required"
                                 : field == "calendar:OptionalAttendees" ? "optional"
                                                                         : "resource";
        event.attendees.erase(std::remove_if(event.attendees.begin(), event.attendees.end(),
                                             [&](const Attendee &a) { return a.type == type; }),
                              event.attendees.end());
    } else if (field == "calendar:Location") {
        event.location.clear();
    } else if (field == "calendar:Recurrence") {
        event.recurrence.reset();
    } else if (field == "item:Body") {
        event.body.clear();
    } else if (field == "item:Categories") {
        event.categories.clear();
    } else {
        throw MessageError{"ErrorInvalidPropertyDelete", "The emulator cannot delete the field '" + field + "'.", {}};
    }
}

bool known_server_version(const std::string &version) {
    // The request values of types.xsd; the "V2018_01_08" kind is what EXO answers, not asked.
    static const std::set<std::string> versions{"Exchange2007",     "Exchange2007_SP1", "Exchange2010",
                                                "Exchange2010_SP1", "Exchange2010_SP2", "Exchange2013",
                                                "Exchange2013_SP1", "Exchange2015",     "Exchange2016"};
    return versions.count(version) != 0;
}

}  // namespace relais::exchange_emulator::ews
