#include "exchange_graph_wire.hpp"

#include "exchange_recurrence.hpp"
#include "exchange_time.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>

#include <map>
#include <regex>

namespace relais::exchange_emulator::graph {

using emulator::Request;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const std::map<std::string, std::string> &show_as_names() {
    static const std::map<std::string, std::string> names{{"Free", "free"},
                                                          {"Tentative", "tentative"},
                                                          {"Busy", "busy"},
                                                          {"OOF", "oof"},
                                                          {"WorkingElsewhere", "workingElsewhere"},
                                                          {"NoData", "unknown"}};
    return names;
}

// Every Prefer header's preferences, comma-separated, as name -> value (quotes removed).
std::map<std::string, std::string> preferences(const Request &request) {
    std::map<std::string, std::string> found;
    for (const auto &[name, value] : request.headers) {
        if (Poco::icompare(name, "Prefer") != 0) continue;
        std::size_t start = 0;
        while (start < value.size()) {
            auto end = value.find(',', start);
            if (end == std::string::npos) end = value.size();
            const auto item = Poco::trim(value.substr(start, end - start));
            const auto eq = item.find('=');
            std::string v = eq == std::string::npos ? "" : Poco::trim(item.substr(eq + 1));
            if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
            found[Poco::toLower(Poco::trim(item.substr(0, eq)))] = v;
            start = end + 1;
        }
    }
    return found;
}

Object::Ptr date_time(TimePoint utc, const std::string &zone) {
    Object::Ptr o = new Object;
    o->set("dateTime", graph_local_time(utc_to_local(zone, utc)));
    o->set("timeZone", zone);
    return o;
}

Refusal bad_property(const std::string &name) {
    return {400, "RequestBodyRead",
            "The property '" + name +
                "' does not exist on type 'microsoft.graph.event'. Make sure to only use property names that are "
                "defined by the type or mark the type as open type."};
}

std::string string_of(const Object::Ptr &o, const std::string &name) {
    if (!o->has(name) || o->isNull(name)) return "";
    const auto v = o->get(name);
    if (!v.isString()) throw Refusal{400, "RequestBodyRead", "'" + name + "' must be a string."};
    return v.convert<std::string>();
}

Object::Ptr object_of(const Object::Ptr &o, const std::string &name) {
    auto child = o->getObject(name);
    if (!child) throw Refusal{400, "RequestBodyRead", "'" + name + "' must be an object."};
    return child;
}

TimePoint read_time(const Object::Ptr &o, const std::string &name, std::string &zone_out) {
    const auto dt = object_of(o, name);
    const auto text = string_of(dt, "dateTime");
    const auto zone = string_of(dt, "timeZone");
    if (!known_time_zone(zone))
        throw Refusal{
            400, "TimeZoneNotSupportedException",
            "A valid TimeZone value must be specified. The following TimeZone value is not supported: '" + zone + "'."};
    bool had_zone = false;
    const auto parsed = parse_iso(text, &had_zone);
    if (!parsed)
        throw Refusal{400, "RequestBodyRead",
                      "Cannot convert the literal '" + text + "' to the expected type 'Edm.DateTime'."};
    zone_out = zone;
    return had_zone ? *parsed : local_to_utc(zone, *parsed);
}

Object::Ptr recurrence_json(const Recurrence &r, const std::string &zone) {
    Object::Ptr pattern = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    pattern->set("type", r.pattern == Recurrence::Pattern::daily ? "daily" : "weekly");
    pattern->set("interval", r.interval);
    pattern->set("month", 0);
    pattern->set("dayOfMonth", 0);
    Array::Ptr days = new Array;
    for (const auto d : r.days) days->add(weekday_name(d, false));
    pattern->set("daysOfWeek", days);
    pattern->set("firstDayOfWeek", "sunday");
    pattern->set("index", "first");
    Object::Ptr range = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    range->set("type", r.range == Recurrence::Range::end_date   ? "endDate"
                       : r.range == Recurrence::Range::numbered ? "numbered"
                                                                : "noEnd");
    range->set("startDate", date_text(r.start_date));
    range->set("endDate", r.range == Recurrence::Range::end_date ? date_text(r.end_date) : "0001-01-01");
    range->set("recurrenceTimeZone", zone);
    range->set("numberOfOccurrences", r.occurrences);
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("pattern", pattern);
    o->set("range", range);
    return o;
}

Recurrence read_recurrence(const Object::Ptr &o) {
    Recurrence r;
    const auto pattern = object_of(o, "pattern");
    const auto range = object_of(o, "range");
    const auto type = string_of(pattern, "type");
    if (type == "daily")
        r.pattern = Recurrence::Pattern::daily;
    else if (type == "weekly")
        r.pattern = Recurrence::Pattern::weekly;
    else
        throw Refusal{400, "ErrorInvalidRequest",
                      "The emulator knows only daily and weekly recurrences, not '" + type + "'."};
    r.interval = pattern->has("interval") ? pattern->getValue<int>("interval") : 1;
    if (r.interval < 1) throw Refusal{400, "ErrorInvalidRequest", "The recurrence interval must be at least 1."};
    if (const auto days = pattern->getArray("daysOfWeek"))
        for (const auto &d : *days) {
            const auto day = weekday_named(d.convert<std::string>());
            if (!day)
                throw Refusal{400, "RequestBodyRead", "'" + d.convert<std::string>() + "' is not a day of the week."};
            r.days.push_back(*day);
        }
    if (r.pattern == Recurrence::Pattern::weekly && r.days.empty())
        throw Refusal{400, "ErrorInvalidRequest", "A weekly recurrence needs daysOfWeek."};
    const auto date = [&](const char *name) {
        const auto d = parse_date(string_of(range, name));
        if (!d) throw Refusal{400, "RequestBodyRead", std::string("range.") + name + " must be a date."};
        return *d;
    };
    const auto range_type = string_of(range, "type");
    r.start_date = date("startDate");
    if (range_type == "endDate") {
        r.range = Recurrence::Range::end_date;
        r.end_date = date("endDate");
    } else if (range_type == "numbered") {
        r.range = Recurrence::Range::numbered;
        r.occurrences = range->getValue<int>("numberOfOccurrences");
    } else if (range_type == "noEnd") {
        r.range = Recurrence::Range::no_end;
    } else {
        throw Refusal{400, "RequestBodyRead", "range.type '" + range_type + "' is invalid."};
    }
    return r;
}

}  // namespace

std::string preferred_time_zone(const Request &request) {
    const auto prefs = preferences(request);
    const auto it = prefs.find("outlook.timezone");
    if (it == prefs.end()) return "UTC";
    if (!known_time_zone(it->second))
        throw Refusal{400, "TimeZoneNotSupportedException",
                      "A valid TimeZone value must be specified. The following TimeZone value is not supported: '" +
                          it->second + "'."};
    return it->second;
}

std::optional<int> preferred_page_size(const Request &request) {
    const auto prefs = preferences(request);
    const auto it = prefs.find("odata.maxpagesize");
    int n = 0;
    if (it == prefs.end() || !Poco::NumberParser::tryParse(it->second, n) || n < 1) return std::nullopt;
    return n;
}

std::string normalise_property_id(const std::string &id) {
    static const std::regex form(R"(^\s*String\s+\{([0-9A-Fa-f-]+)\}\s+Name\s+(.+?)\s*$)", std::regex::icase);
    std::smatch m;
    if (!std::regex_match(id, m, form)) return id;
    return "String {" + Poco::toLower(m[1].str()) + "} Name " + m[2].str();
}

std::set<std::string> expanded_properties(const Request &request) {
    const auto expand = request.query_param("$expand");
    std::set<std::string> ids;
    if (!expand) return ids;
    static const std::regex form(R"(^singleValueExtendedProperties\(\$filter=id eq '([^']*)'\)$)");
    std::smatch m;
    if (!std::regex_match(*expand, m, form))
        throw Refusal{
            400, "BadRequest",
            "The emulator expands only singleValueExtendedProperties($filter=id eq '...'), not '" + *expand + "'."};
    ids.insert(normalise_property_id(m[1].str()));
    return ids;
}

Object::Ptr event_json(const Event &event, const Mailbox &organizer, const std::string &time_zone,
                       const std::set<std::string> &expanded) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("@odata.etag", "W/\"" + event.change_key + "\"");
    o->set("id", event.id);
    o->set("createdDateTime", graph_utc_time(event.created));
    o->set("lastModifiedDateTime", graph_utc_time(event.modified));
    o->set("changeKey", event.change_key);
    Array::Ptr categories = new Array;
    for (const auto &c : event.categories) categories->add(c);
    o->set("categories", categories);
    if (event.transaction_id.empty())
        o->set("transactionId", Poco::Dynamic::Var());
    else
        o->set("transactionId", event.transaction_id);
    o->set("originalStartTimeZone", event.start_time_zone);
    o->set("originalEndTimeZone", event.end_time_zone);
    o->set("iCalUId", event.uid);
    o->set("reminderMinutesBeforeStart", event.reminder_minutes);
    o->set("isReminderOn", event.reminder_set);
    o->set("subject", event.subject);
    o->set("isAllDay", event.is_all_day);
    o->set("isCancelled", false);
    o->set("isOrganizer", true);
    const auto show = show_as_names().find(event.show_as);
    o->set("showAs", show == show_as_names().end() ? "busy" : show->second);
    o->set("type", !event.series_master_id.empty() ? "occurrence"
                   : event.recurrence              ? "seriesMaster"
                                                   : "singleInstance");
    if (event.series_master_id.empty())
        o->set("seriesMasterId", Poco::Dynamic::Var());
    else
        o->set("seriesMasterId", event.series_master_id);
    if (event.recurrence)
        o->set("recurrence", recurrence_json(*event.recurrence, event.start_time_zone));
    else
        o->set("recurrence", Poco::Dynamic::Var());
    Object::Ptr body = new Object;
    body->set("contentType", event.body_type == "HTML" ? "html" : "text");
    body->set("content", event.body);
    o->set("body", body);
    // An all-day event is shown in its own zone: its dates are the point.
    o->set("start", date_time(event.start, event.is_all_day ? event.start_time_zone : time_zone));
    o->set("end", date_time(event.end, event.is_all_day ? event.end_time_zone : time_zone));
    Object::Ptr location = new Object;
    location->set("displayName", event.location);
    o->set("location", location);
    Array::Ptr attendees = new Array;
    for (const auto &a : event.attendees) {
        Object::Ptr attendee = new Object;
        attendee->set("type", a.type);
        Object::Ptr status = new Object;
        status->set("response", "none");
        status->set("time", "0001-01-01T00:00:00Z");
        attendee->set("status", status);
        Object::Ptr address = new Object;
        address->set("name", a.name.empty() ? a.address : a.name);
        address->set("address", a.address);
        attendee->set("emailAddress", address);
        attendees->add(attendee);
    }
    o->set("attendees", attendees);
    Object::Ptr organizer_object = new Object;
    Object::Ptr organizer_address = new Object;
    organizer_address->set("name", organizer.display_name);
    organizer_address->set("address", organizer.address);
    organizer_object->set("emailAddress", organizer_address);
    o->set("organizer", organizer_object);
    if (!expanded.empty()) {
        Array::Ptr properties = new Array;
        for (const auto &id : expanded) {
            const auto it = event.extended.find(id);
            if (it == event.extended.end()) continue;
            Object::Ptr p = new Object;
            p->set("id", id);
            p->set("value", it->second);
            properties->add(p);
        }
        // Graph leaves the property out when none matches.
        if (properties->size() > 0) o->set("singleValueExtendedProperties", properties);
    }
    return o;
}

void read_event(const Object::Ptr &body, Event &event, bool creating) {
    static const std::set<std::string> ignored{"@odata.type",     "importance",        "sensitivity",
                                               "isOnlineMeeting", "responseRequested", "allowNewTimeProposals",
                                               "hideAttendees"};
    for (const auto &[name, value] : *body) {
        if (name == "subject") {
            event.subject = string_of(body, name);
        } else if (name == "body") {
            const auto b = object_of(body, name);
            const auto type = Poco::toLower(string_of(b, "contentType"));
            if (type != "text" && type != "html")
                throw Refusal{400, "RequestBodyRead", "body.contentType must be text or html."};
            event.body_type = type == "html" ? "HTML" : "Text";
            event.body = string_of(b, "content");
        } else if (name == "start") {
            event.start = read_time(body, name, event.start_time_zone);
        } else if (name == "end") {
            event.end = read_time(body, name, event.end_time_zone);
        } else if (name == "isAllDay") {
            if (!value.isBoolean()) throw Refusal{400, "RequestBodyRead", "isAllDay must be a boolean."};
            event.is_all_day = value.convert<bool>();
        } else if (name == "location") {
            event.location = string_of(object_of(body, name), "displayName");
        } else if (name == "showAs") {
            const auto text = string_of(body, name);
            bool found = false;
            for (const auto &[ews, g] : show_as_names())
                if (g == text) {
                    event.show_as = ews;
                    found = true;
                }
            if (!found) throw Refusal{400, "RequestBodyRead", "The value '" + text + "' is not valid for showAs."};
        } else if (name == "categories") {
            const auto list = body->getArray(name);
            if (!list) throw Refusal{400, "RequestBodyRead", "categories must be an array."};
            event.categories.clear();
            for (const auto &c : *list) event.categories.push_back(c.convert<std::string>());
        } else if (name == "reminderMinutesBeforeStart") {
            if (!value.isInteger())
                throw Refusal{400, "RequestBodyRead", "reminderMinutesBeforeStart must be an integer."};
            event.reminder_minutes = value.convert<int>();
        } else if (name == "isReminderOn") {
            if (!value.isBoolean()) throw Refusal{400, "RequestBodyRead", "isReminderOn must be a boolean."};
            event.reminder_set = value.convert<bool>();
        } else if (name == "transactionId") {
            if (!creating) throw Refusal{400, "ErrorInvalidProperty", "transactionId can be set only on creation."};
            event.transaction_id = string_of(body, name);
        } else if (name == "attendees") {
            const auto list = body->getArray(name);
            if (!list) throw Refusal{400, "RequestBodyRead", "attendees must be an array."};
            event.attendees.clear();
            for (std::size_t i = 0; i < list->size(); ++i) {
                const auto a = list->getObject(static_cast<unsigned>(i));
                if (!a) throw Refusal{400, "RequestBodyRead", "an attendee must be an object."};
                const auto address = object_of(a, "emailAddress");
                Attendee attendee{string_of(address, "address"), string_of(address, "name"),
                                  a->has("type") ? string_of(a, "type") : "required"};
                if (attendee.type != "required" && attendee.type != "optional" && attendee.type != "resource")
                    throw Refusal{400, "RequestBodyRead", "attendee type '" + attendee.type + "' is invalid."};
                event.attendees.push_back(attendee);
            }
        } else if (name == "singleValueExtendedProperties") {
            const auto list = body->getArray(name);
            if (!list) throw Refusal{400, "RequestBodyRead", "singleValueExtendedProperties must be an array."};
            for (std::size_t i = 0; i < list->size(); ++i) {
                const auto p = list->getObject(static_cast<unsigned>(i));
                if (!p) throw Refusal{400, "RequestBodyRead", "an extended property must be an object."};
                const auto id = normalise_property_id(string_of(p, "id"));
                if (id.rfind("String {", 0) != 0)
                    throw Refusal{400, "ErrorInvalidProperty",
                                  "The emulator knows only named String extended properties, not '" + id + "'."};
                event.extended[id] = string_of(p, "value");
            }
        } else if (name == "recurrence") {
            if (value.isEmpty())
                event.recurrence.reset();
            else
                event.recurrence = read_recurrence(object_of(body, name));
        } else if (!ignored.count(name)) {
            throw bad_property(name);
        }
    }
    if (creating && (!body->has("start") || !body->has("end")))
        throw Refusal{400, "ErrorInvalidRequest", "The emulator needs start and end on a new event."};
    if (event.end < event.start) throw Refusal{400, "ErrorInvalidRequest", "The end of the event is before its start."};
    if (event.is_all_day) {
        const auto local_start = utc_to_local(event.start_time_zone, event.start);
        const auto local_end = utc_to_local(event.end_time_zone, event.end);
        if (local_start != std::chrono::floor<std::chrono::days>(local_start) ||
            local_end != std::chrono::floor<std::chrono::days>(local_end))
            throw Refusal{400, "ErrorInvalidRequest",
                          "Your request can't be completed. If an event is marked as all-day, its start and end "
                          "times must be set to midnight."};
    }
}

}  // namespace relais::exchange_emulator::graph
