#include "exchange_model.hpp"

#include <relais/support/json.hpp>

#include <Poco/JSON/Array.h>

#include <regex>

namespace relais::exchange {

namespace {

using support::string_at;

std::string text(const Json &o, const std::string &key, const std::string &where, const std::string &fallback = {}) {
    if (!o->has(key) || o->isNull(key)) return fallback;
    const auto value = string_at(o, key);
    if (!value) throw invalid_input(where + "." + key + " must be a string");
    return *value;
}

bool is_date(const std::string &s) {
    static const std::regex date(R"(\d{4}-\d{2}-\d{2})");
    return std::regex_match(s, date);
}

// "2026-03-30T09:00:00" (wall clock in time_zone), with optional seconds' fraction, or the
// same ending in Z (UTC).
bool is_date_time(const std::string &s) {
    static const std::regex time(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?Z?)");
    return std::regex_match(s, time);
}

}  // namespace

std::string graph_erp_property_id() {
    return std::string("String {") + kPublicStringsGuid + "} Name " + kErpIdProperty;
}

Json Event::to_json() const {
    Json o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("id", id);
    o->set("version", version);
    if (!erp_id.empty()) o->set("erp_id", erp_id);
    o->set("subject", subject);
    o->set("is_all_day", is_all_day);
    if (is_all_day) {
        o->set("start_date", start_date);
        o->set("end_date", end_date);
    } else {
        o->set("start", start);
        o->set("end", end);
    }
    o->set("time_zone", time_zone);
    if (!location.empty()) o->set("location", location);
    if (!body.empty()) o->set("body", body);
    if (!show_as.empty()) o->set("show_as", show_as);
    if (!categories.empty()) {
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto &c : categories) list->add(c);
        o->set("categories", list);
    }
    if (reminder_minutes) o->set("reminder_minutes", *reminder_minutes);
    if (!attendees.empty()) {
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto &a : attendees) {
            Json j = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            j->set("email", a.email);
            if (!a.name.empty()) j->set("name", a.name);
            j->set("type", a.type);
            if (!a.response.empty()) j->set("response", a.response);
            list->add(j);
        }
        o->set("attendees", list);
    }
    if (!organizer.empty()) o->set("organizer", organizer);
    if (!type.empty()) o->set("type", type);
    if (!series_id.empty()) o->set("series_id", series_id);
    if (!ical_uid.empty()) o->set("ical_uid", ical_uid);
    if (!last_modified.empty()) o->set("last_modified", last_modified);
    return o;
}

EventIn parse_event_in(const Json &input, const std::string &where, bool require_erp_id) {
    if (!input) throw invalid_input(where + " must be an object");
    EventIn e;
    e.erp_id = text(input, "erp_id", where);
    if (require_erp_id && e.erp_id.empty())
        throw invalid_input(where + ".erp_id is required (the ERP's id of the appointment: it marks the event as "
                                    "the ERP's and makes creating it idempotent)");
    if (e.erp_id.size() > 200) throw invalid_input(where + ".erp_id is longer than 200 characters");
    e.subject = text(input, "subject", where);
    if (e.subject.empty()) throw invalid_input(where + ".subject is required");
    e.location = text(input, "location", where);
    e.body = text(input, "body", where);
    e.is_all_day = support::bool_at(input, "is_all_day").value_or(false);
    e.time_zone = text(input, "time_zone", where, "UTC");
    e.start = text(input, "start", where);
    e.end = text(input, "end", where);
    if (e.is_all_day) {
        // Dates, end exclusive; "2026-03-30T00:00:00" is taken as its date.
        e.start_date = e.start.substr(0, 10);
        e.end_date = e.end.substr(0, 10);
        if (!is_date(e.start_date)) throw invalid_input(where + ".start: an all-day event starts on a date (YYYY-MM-DD)");
        if (e.end.empty()) throw invalid_input(where + ".end is required (the day after the last, as Exchange counts)");
        if (!is_date(e.end_date)) throw invalid_input(where + ".end: an all-day event ends on a date (YYYY-MM-DD)");
        if (e.end_date <= e.start_date)
            throw invalid_input(where + ".end: an all-day event ends the day after its last day at the earliest");
    } else {
        if (!is_date_time(e.start)) throw invalid_input(where + ".start: expected YYYY-MM-DDTHH:MM[:SS], found '" + e.start + "'");
        if (!is_date_time(e.end)) throw invalid_input(where + ".end: expected YYYY-MM-DDTHH:MM[:SS], found '" + e.end + "'");
        if (e.end <= e.start) throw invalid_input(where + ".end must come after start");
    }
    e.show_as = text(input, "show_as", where, "busy");
    static const char *kShowAs[] = {"free", "tentative", "busy", "oof", "workingElsewhere", "unknown"};
    if (std::none_of(std::begin(kShowAs), std::end(kShowAs), [&](const char *v) { return e.show_as == v; }))
        throw invalid_input(where + ".show_as: '" + e.show_as + "' is not free, tentative, busy, oof, workingElsewhere or unknown");
    if (const auto cats = support::array_at(input, "categories"))
        for (std::size_t i = 0; i < cats->size(); ++i) e.categories.push_back(cats->getElement<std::string>(i));
    if (const auto r = support::integer_at(input, "reminder_minutes")) {
        if (*r < 0 || *r > 40320) throw invalid_input(where + ".reminder_minutes must be 0 to 40320");
        e.reminder_minutes = static_cast<int>(*r);
    }
    if (const auto list = support::array_at(input, "attendees")) {
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto a = support::object_in(list, i);
            const auto at = where + ".attendees[" + std::to_string(i) + "]";
            if (!a) throw invalid_input(at + " must be an object");
            Attendee attendee;
            attendee.email = text(a, "email", at);
            attendee.name = text(a, "name", at);
            attendee.type = text(a, "type", at, "required");
            if (attendee.email.find('@') == std::string::npos) throw invalid_input(at + ".email is not an e-mail address");
            if (attendee.type != "required" && attendee.type != "optional" && attendee.type != "resource")
                throw invalid_input(at + ".type is required, optional or resource");
            e.attendees.push_back(std::move(attendee));
        }
    }
    return e;
}

}  // namespace relais::exchange
