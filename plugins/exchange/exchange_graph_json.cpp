#include "exchange_graph_json.hpp"

#include <relais/support/bytes.hpp>
#include <relais/support/json.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/String.h>

#include <cctype>

namespace relais::exchange::graph {

namespace {

using support::array_at;
using support::bool_at;
using support::integer_at;
using support::object_at;
using support::object_in;
using support::string_at;

std::string text_at(const Json &o, const std::string &key) { return o ? string_at(o, key).value_or("") : ""; }

Json object() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

bool is_utc_zone(const std::string &zone) {
    return zone.empty() || Poco::icompare(zone, "UTC") == 0 || Poco::icompare(zone, "Etc/UTC") == 0 ||
           Poco::icompare(zone, "Coordinated Universal Time") == 0 ||
           Poco::icompare(zone, "tzone://Microsoft/Utc") == 0;
}

// "2026-03-30T09:00" -> "2026-03-30T09:00:00"; a fraction is kept.
std::string with_seconds(std::string wall) {
    if (wall.size() == 16) wall += ":00";
    return wall;
}

Json date_time(const std::string &value, const std::string &zone) {
    Json o = object();
    if (!value.empty() && value.back() == 'Z') {
        o->set("dateTime", with_seconds(value.substr(0, value.size() - 1)));
        o->set("timeZone", "UTC");
    } else {
        o->set("dateTime", with_seconds(value));
        o->set("timeZone", zone.empty() ? "UTC" : zone);
    }
    return o;
}

std::string type_of(const std::string &graph_type) {
    if (graph_type == "singleInstance") return "single";
    return graph_type;  // occurrence, exception, seriesMaster
}

}  // namespace

std::string utc_time(const std::string &date_time, const std::string &zone) {
    if (date_time.size() == 10) return date_time + "T00:00:00Z";
    if (date_time.size() < 19 || date_time[10] != 'T')
        throw transient("Graph answered a time that is not one: '" + date_time + "'");
    auto rest = date_time.substr(19);  // ".0000000", "Z", "+01:00", ""
    if (!rest.empty() && rest.front() == '.') {
        std::size_t digits = 1;
        while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
        rest = rest.substr(digits);
    }
    if (rest == "Z") return date_time.substr(0, 19) + "Z";
    if (!rest.empty())
        throw internal("Graph answered a time with an offset ('" + date_time + "') where UTC was asked for");
    if (!is_utc_zone(zone))
        throw internal("Graph answered a time in '" + zone +
                       "' although the request asked for UTC (Prefer: "
                       "outlook.timezone)");
    return date_time.substr(0, 19) + "Z";
}

Event event_from_json(const Json &o) {
    Event e;
    e.id = text_at(o, "id");
    if (e.id.empty()) throw transient("Graph answered an event without an id");
    e.version = text_at(o, "@odata.etag");
    if (e.version.empty()) {
        const auto key = text_at(o, "changeKey");
        if (!key.empty()) e.version = "W/\"" + key + "\"";
    }
    e.ical_uid = text_at(o, "iCalUId");
    e.subject = text_at(o, "subject");
    e.location = text_at(object_at(o, "location"), "displayName");
    e.body = text_at(object_at(o, "body"), "content");
    e.is_all_day = bool_at(o, "isAllDay").value_or(false);
    const auto start = object_at(o, "start");
    const auto end = object_at(o, "end");
    e.time_zone = text_at(o, "originalStartTimeZone");
    if (e.time_zone.empty()) e.time_zone = text_at(start, "timeZone");
    if (e.time_zone.empty()) e.time_zone = "UTC";
    if (e.is_all_day) {
        e.start_date = text_at(start, "dateTime").substr(0, 10);
        e.end_date = text_at(end, "dateTime").substr(0, 10);
    } else {
        if (start) e.start = utc_time(text_at(start, "dateTime"), text_at(start, "timeZone"));
        if (end) e.end = utc_time(text_at(end, "dateTime"), text_at(end, "timeZone"));
    }
    e.show_as = text_at(o, "showAs");
    if (const auto list = array_at(o, "categories"))
        for (std::size_t i = 0; i < list->size(); ++i)
            if (list->get(static_cast<unsigned>(i)).isString())
                e.categories.push_back(list->getElement<std::string>(static_cast<unsigned>(i)));
    if (bool_at(o, "isReminderOn").value_or(false))
        if (const auto minutes = integer_at(o, "reminderMinutesBeforeStart"))
            e.reminder_minutes = static_cast<int>(*minutes);
    if (const auto list = array_at(o, "attendees")) {
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto a = object_in(list, i);
            if (!a) continue;
            Attendee attendee;
            const auto address = object_at(a, "emailAddress");
            attendee.email = text_at(address, "address");
            attendee.name = text_at(address, "name");
            if (attendee.name == attendee.email) attendee.name.clear();
            attendee.type = string_at(a, "type").value_or("required");
            attendee.response = text_at(object_at(a, "status"), "response");
            e.attendees.push_back(std::move(attendee));
        }
    }
    e.organizer = text_at(object_at(object_at(o, "organizer"), "emailAddress"), "address");
    e.type = type_of(text_at(o, "type"));
    e.series_id = text_at(o, "seriesMasterId");
    e.last_modified = text_at(o, "lastModifiedDateTime");
    if (const auto properties = array_at(o, "singleValueExtendedProperties")) {
        const auto wanted = Poco::toLower(graph_erp_property_id());
        for (std::size_t i = 0; i < properties->size(); ++i) {
            const auto p = object_in(properties, i);
            if (p && Poco::toLower(text_at(p, "id")) == wanted) e.erp_id = text_at(p, "value");
        }
    }
    return e;
}

Json event_body(const EventIn &e, const std::string &transaction) {
    Json o = object();
    o->set("subject", e.subject);
    Json body = object();
    body->set("contentType", "text");
    body->set("content", e.body);
    o->set("body", body);
    if (e.is_all_day) {
        o->set("start", date_time(e.start_date + "T00:00:00", e.time_zone));
        o->set("end", date_time(e.end_date + "T00:00:00", e.time_zone));
    } else {
        o->set("start", date_time(e.start, e.time_zone));
        o->set("end", date_time(e.end, e.time_zone));
    }
    o->set("isAllDay", e.is_all_day);
    Json location = object();
    location->set("displayName", e.location);
    o->set("location", location);
    Poco::JSON::Array::Ptr attendees = new Poco::JSON::Array;
    for (const auto &a : e.attendees) {
        Json attendee = object();
        Json address = object();
        address->set("address", a.email);
        if (!a.name.empty()) address->set("name", a.name);
        attendee->set("emailAddress", address);
        attendee->set("type", a.type);
        attendees->add(attendee);
    }
    o->set("attendees", attendees);
    o->set("showAs", e.show_as.empty() ? std::string("busy") : e.show_as);
    Poco::JSON::Array::Ptr categories = new Poco::JSON::Array;
    for (const auto &c : e.categories) categories->add(c);
    o->set("categories", categories);
    if (e.reminder_minutes) {
        o->set("isReminderOn", true);
        o->set("reminderMinutesBeforeStart", *e.reminder_minutes);
    }
    if (!e.erp_id.empty()) {
        Poco::JSON::Array::Ptr properties = new Poco::JSON::Array;
        Json mark = object();
        mark->set("id", graph_erp_property_id());
        mark->set("value", e.erp_id);
        properties->add(mark);
        o->set("singleValueExtendedProperties", properties);
    }
    if (!transaction.empty()) o->set("transactionId", transaction);
    return o;
}

std::string transaction_id(const std::string &mailbox, const std::string &erp_id) {
    auto hex = support::sha256_hex("relais-exchange-transaction\n" + Poco::toLower(mailbox) + "\n" + erp_id);
    hex = hex.substr(0, 32);
    hex[12] = '8';  // version 8: custom (RFC 9562 section 5.8), here SHA-256 name-based
    static const char variant[] = "89ab";
    const auto nibble = std::stoi(hex.substr(16, 1), nullptr, 16);
    hex[16] = variant[nibble & 3];  // variant 10xx
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
           hex.substr(20, 12);
}

std::string odata_quote(const std::string &text) {
    std::string out;
    for (const char c : text) {
        out += c;
        if (c == '\'') out += '\'';
    }
    return out;
}

}  // namespace relais::exchange::graph
