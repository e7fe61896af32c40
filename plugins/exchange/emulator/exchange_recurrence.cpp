#include "exchange_recurrence.hpp"

#include <Poco/String.h>

#include <algorithm>
#include <array>
#include <cstdio>

namespace relais::exchange_emulator {

using namespace std::chrono;

namespace {

constexpr std::size_t kMaxOccurrences = 5000;

std::string compact_date(sys_days day) {
    const year_month_day d(day);
    char out[16];
    std::snprintf(out, sizeof out, "%04d%02u%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                  static_cast<unsigned>(d.day()));
    return out;
}

// The series' local dates in order, calling `each` until it returns false.
template <typename F>
void for_each_date(const Recurrence &r, F each) {
    const int interval = std::max(1, r.interval);
    int counted = 0;
    const auto in_range = [&](sys_days d) {
        if (r.range == Recurrence::Range::end_date && d > r.end_date) return false;
        if (r.range == Recurrence::Range::numbered && counted >= r.occurrences) return false;
        return true;
    };
    if (r.pattern == Recurrence::Pattern::daily) {
        for (sys_days d = r.start_date;; d += days(interval)) {
            if (!in_range(d)) return;
            ++counted;
            if (!each(d)) return;
        }
    }
    if (r.days.empty()) return;
    // Weeks begin on Sunday (EWS's and Graph's default firstDayOfWeek).
    const sys_days week0 = r.start_date - (weekday(r.start_date) - Sunday);
    for (sys_days week = week0;; week += days(7 * interval)) {
        for (unsigned wd = 0; wd < 7; ++wd) {
            const sys_days d = week + days(wd);
            if (d < r.start_date) continue;
            if (std::find(r.days.begin(), r.days.end(), weekday(wd)) == r.days.end()) continue;
            if (!in_range(d)) return;
            ++counted;
            if (!each(d)) return;
        }
    }
}

Event occurrence_on(const Event &master, sys_days date) {
    const auto local_start = utc_to_local(master.start_time_zone, master.start);
    const auto time_of_day = local_start - floor<days>(local_start);
    Event occurrence = master;
    occurrence.recurrence.reset();
    occurrence.series_master_id = master.id;
    occurrence.id = master.id + "OC" + compact_date(date);
    occurrence.start = local_to_utc(master.start_time_zone, TimePoint(date) + time_of_day);
    occurrence.end = occurrence.start + (master.end - master.start);
    return occurrence;
}

}  // namespace

std::vector<Event> occurrences(const Event &master, TimePoint start, TimePoint end) {
    std::vector<Event> found;
    if (!master.recurrence) return found;
    std::size_t seen = 0;
    for_each_date(*master.recurrence, [&](sys_days date) {
        if (++seen > kMaxOccurrences * 10) return false;
        auto occurrence = occurrence_on(master, date);
        if (occurrence.start >= end) return false;
        const bool ends_after =
            occurrence.end > start || (occurrence.end == occurrence.start && occurrence.start == start);
        if (ends_after) found.push_back(std::move(occurrence));
        return found.size() < kMaxOccurrences;
    });
    return found;
}

std::optional<std::string> master_of(const std::string &occurrence_id) {
    if (occurrence_id.size() <= 10 || occurrence_id.compare(occurrence_id.size() - 10, 2, "OC") != 0)
        return std::nullopt;
    for (std::size_t i = occurrence_id.size() - 8; i < occurrence_id.size(); ++i)
        if (occurrence_id[i] < '0' || occurrence_id[i] > '9') return std::nullopt;
    return occurrence_id.substr(0, occurrence_id.size() - 10);
}

std::optional<Event> occurrence_by_id(const Event &master, const std::string &occurrence_id) {
    if (!master.recurrence || master_of(occurrence_id) != master.id) return std::nullopt;
    const auto compact = occurrence_id.substr(occurrence_id.size() - 8);
    const auto date = parse_date(compact.substr(0, 4) + "-" + compact.substr(4, 2) + "-" + compact.substr(6, 2));
    if (!date) return std::nullopt;
    std::optional<Event> found;
    for_each_date(*master.recurrence, [&](sys_days d) {
        if (d == *date) found = occurrence_on(master, d);
        return d < *date;
    });
    return found;
}

std::optional<weekday> weekday_named(const std::string &name) {
    static const std::array<const char *, 7> names{"sunday",   "monday", "tuesday", "wednesday",
                                                   "thursday", "friday", "saturday"};
    const auto lower = Poco::toLower(name);
    for (unsigned i = 0; i < names.size(); ++i)
        if (lower == names[i]) return weekday(i);
    return std::nullopt;
}

std::string weekday_name(weekday day, bool capitalised) {
    static const std::array<const char *, 7> names{"sunday",   "monday", "tuesday", "wednesday",
                                                   "thursday", "friday", "saturday"};
    std::string name = names[day.c_encoding()];
    if (capitalised) name[0] = static_cast<char>(name[0] - 'a' + 'A');
    return name;
}

std::optional<sys_days> parse_date(const std::string &text) {
    if (text.size() < 10) return std::nullopt;
    const auto t = parse_iso(text.substr(0, 10));
    if (!t) return std::nullopt;
    return floor<days>(*t);
}

std::string date_text(sys_days day) { return ews_time(TimePoint(day)).substr(0, 10); }

}  // namespace relais::exchange_emulator
