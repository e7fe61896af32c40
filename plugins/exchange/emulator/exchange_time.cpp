#include "exchange_time.hpp"

#include <cctype>
#include <cstdio>
#include <map>

namespace relais::exchange_emulator {

using namespace std::chrono;

namespace {

enum class Dst { none, eu, us };

struct Zone {
    int standard_minutes;  // offset east of UTC
    Dst dst;
};

const std::map<std::string, Zone> &zones() {
    static const std::map<std::string, Zone> table{
        {"UTC", {0, Dst::none}},
        {"Etc/UTC", {0, Dst::none}},
        {"Coordinated Universal Time", {0, Dst::none}},
        {"GMT Standard Time", {0, Dst::eu}},
        {"Europe/London", {0, Dst::eu}},
        {"W. Europe Standard Time", {60, Dst::eu}},
        {"Romance Standard Time", {60, Dst::eu}},
        {"Europe/Paris", {60, Dst::eu}},
        {"Europe/Berlin", {60, Dst::eu}},
        {"Eastern Standard Time", {-300, Dst::us}},
        {"America/New_York", {-300, Dst::us}},
        {"Pacific Standard Time", {-480, Dst::us}},
        {"America/Los_Angeles", {-480, Dst::us}},
    };
    return table;
}

// The n-th (1-based; 0: the last) Sunday of a month.
sys_days sunday(int y, unsigned month, int n) {
    if (n == 0) {
        const sys_days final_day = year_month_day_last(year(y) / month / std::chrono::last);
        return final_day - (weekday(final_day) - Sunday);
    }
    return sys_days(year(y) / month / Sunday[static_cast<unsigned>(n)]);
}

bool in_dst(const Zone &zone, TimePoint utc) {
    const int y = static_cast<int>(year_month_day(floor<days>(utc)).year());
    if (zone.dst == Dst::eu) {
        // From the last Sunday of March to the last Sunday of October, at 01:00 UTC.
        return utc >= sunday(y, 3, 0) + hours(1) && utc < sunday(y, 10, 0) + hours(1);
    }
    if (zone.dst == Dst::us) {
        // From the second Sunday of March, 02:00 standard time, to the first Sunday of
        // November, 02:00 daylight time (01:00 standard).
        const auto standard = minutes(zone.standard_minutes);
        return utc >= sunday(y, 3, 2) + hours(2) - standard && utc < sunday(y, 11, 1) + hours(1) - standard;
    }
    return false;
}

minutes offset_at(const std::string &name, TimePoint utc) {
    const auto it = zones().find(name);
    if (it == zones().end()) return minutes(0);
    return minutes(it->second.standard_minutes) + (in_dst(it->second, utc) ? hours(1) : hours(0));
}

}  // namespace

std::optional<TimePoint> parse_iso(const std::string &text, bool *had_zone) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, used = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10) return std::nullopt;
    std::size_t pos = 10;
    long long fraction_ns = 0;
    if (pos < text.size()) {
        if (text[pos] != 'T' && text[pos] != 't') return std::nullopt;
        if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d:%2d%n", &h, &mi, &s, &used) != 3 || used != 8)
            return std::nullopt;
        pos += 9;
        if (pos < text.size() && text[pos] == '.') {
            long long scale = 100000000;
            ++pos;
            if (pos >= text.size() || !std::isdigit(static_cast<unsigned char>(text[pos]))) return std::nullopt;
            while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
                fraction_ns += (text[pos] - '0') * scale;
                scale /= 10;
                ++pos;
            }
        }
    }
    const year_month_day date{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
    if (!date.ok() || h > 23 || mi > 59 || s > 59) return std::nullopt;
    TimePoint t = sys_days(date) + hours(h) + minutes(mi) + seconds(s) +
                  duration_cast<system_clock::duration>(nanoseconds(fraction_ns));
    bool zone = false;
    if (pos < text.size()) {
        const char c = text[pos];
        if ((c == 'Z' || c == 'z') && pos + 1 == text.size()) {
            zone = true;
        } else if ((c == '+' || c == '-') && text.size() - pos == 6 && text[pos + 3] == ':') {
            int oh = 0, om = 0;
            if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
            const auto offset = hours(oh) + minutes(om);
            t = c == '+' ? t - offset : t + offset;
            zone = true;
        } else {
            return std::nullopt;
        }
    }
    if (had_zone) *had_zone = zone;
    return t;
}

namespace {

std::string format(TimePoint t, const char *suffix, bool fraction) {
    const auto day = floor<days>(t);
    const year_month_day date(day);
    const hh_mm_ss time(floor<microseconds>(t - day));
    char out[64];
    const auto tenth_us = static_cast<long long>(time.subseconds().count()) * 10;
    if (fraction)
        std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.%07lld%s", static_cast<int>(date.year()),
                      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                      static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                      static_cast<int>(time.seconds().count()), tenth_us, suffix);
    else
        std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d%s", static_cast<int>(date.year()),
                      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                      static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                      static_cast<int>(time.seconds().count()), suffix);
    return out;
}

}  // namespace

std::string ews_time(TimePoint t) { return format(t, "Z", false); }
std::string graph_local_time(TimePoint local) { return format(local, "", true); }
std::string graph_utc_time(TimePoint t) { return format(t, "Z", true); }

bool known_time_zone(const std::string &zone) { return zones().count(zone) != 0; }

TimePoint utc_to_local(const std::string &zone, TimePoint utc) { return utc + offset_at(zone, utc); }

TimePoint local_to_utc(const std::string &zone, TimePoint local) {
    const auto it = zones().find(zone);
    if (it == zones().end()) return local;
    // Try the standard offset, then the daylight one; the earlier instant that reads back
    // as `local` wins, and in a gap the standard reading.
    const TimePoint daylight = local - minutes(it->second.standard_minutes) - hours(1);
    if (utc_to_local(zone, daylight) == local) return daylight;
    return local - minutes(it->second.standard_minutes);
}

}  // namespace relais::exchange_emulator
