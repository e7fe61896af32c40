#include "exchange_ews_time.hpp"

#include <cstdio>
#include <map>

namespace relais::exchange::ews_time {

using namespace std::chrono;

namespace {

const std::map<std::string, Zone> &zones() {
    static const std::map<std::string, Zone> table{
        {"UTC", {0, Dst::none}},
        {"Etc/UTC", {0, Dst::none}},
        {"Coordinated Universal Time", {0, Dst::none}},
        {"GMT Standard Time", {0, Dst::eu}},
        {"Europe/London", {0, Dst::eu}},
        {"Europe/Lisbon", {0, Dst::eu}},
        {"W. Europe Standard Time", {60, Dst::eu}},
        {"Romance Standard Time", {60, Dst::eu}},
        {"Central Europe Standard Time", {60, Dst::eu}},
        {"Central European Standard Time", {60, Dst::eu}},
        {"Europe/Paris", {60, Dst::eu}},
        {"Europe/Berlin", {60, Dst::eu}},
        {"Europe/Brussels", {60, Dst::eu}},
        {"Europe/Madrid", {60, Dst::eu}},
        {"Europe/Rome", {60, Dst::eu}},
        {"Europe/Amsterdam", {60, Dst::eu}},
        {"Europe/Zurich", {60, Dst::eu}},
        {"Europe/Luxembourg", {60, Dst::eu}},
        {"Europe/Warsaw", {60, Dst::eu}},
        {"FLE Standard Time", {120, Dst::eu}},
        {"GTB Standard Time", {120, Dst::eu}},
        {"Europe/Helsinki", {120, Dst::eu}},
        {"Europe/Athens", {120, Dst::eu}},
        {"Eastern Standard Time", {-300, Dst::us}},
        {"America/New_York", {-300, Dst::us}},
        {"Central Standard Time", {-360, Dst::us}},
        {"America/Chicago", {-360, Dst::us}},
        {"Mountain Standard Time", {-420, Dst::us}},
        {"America/Denver", {-420, Dst::us}},
        {"Pacific Standard Time", {-480, Dst::us}},
        {"America/Los_Angeles", {-480, Dst::us}},
        {"Tokyo Standard Time", {540, Dst::none}},
        {"Asia/Tokyo", {540, Dst::none}},
        {"China Standard Time", {480, Dst::none}},
        {"Asia/Shanghai", {480, Dst::none}},
        {"India Standard Time", {330, Dst::none}},
        {"Asia/Kolkata", {330, Dst::none}},
        {"Arabian Standard Time", {240, Dst::none}},
        {"Asia/Dubai", {240, Dst::none}},
    };
    return table;
}

sys_days nth_sunday(int y, unsigned m, int n) {  // n = 0: the last
    if (n == 0) {
        const sys_days last_day = year_month_day_last(year(y) / m / std::chrono::last);
        return last_day - (weekday(last_day) - Sunday);
    }
    return sys_days(year(y) / m / Sunday[static_cast<unsigned>(n)]);
}

}  // namespace

minutes offset_at(const Zone &zone, system_clock::time_point utc) {
    const int y = static_cast<int>(year_month_day(floor<days>(utc)).year());
    const auto standard = minutes(zone.standard_minutes);
    bool summer = false;
    if (zone.dst == Dst::eu)
        summer = utc >= nth_sunday(y, 3, 0) + hours(1) && utc < nth_sunday(y, 10, 0) + hours(1);
    else if (zone.dst == Dst::us)
        summer = utc >= nth_sunday(y, 3, 2) + hours(2) - standard && utc < nth_sunday(y, 11, 1) + hours(1) - standard;
    return standard + (summer ? hours(1) : hours(0));
}

const Zone *zone_named(const std::string &name) {
    const auto it = zones().find(name);
    return it == zones().end() ? nullptr : &it->second;
}

system_clock::time_point local_to_utc(const Zone &zone, system_clock::time_point local) {
    const auto summer = local - minutes(zone.standard_minutes) - hours(1);
    if (summer + offset_at(zone, summer) == local) return summer;
    return local - minutes(zone.standard_minutes);
}

std::optional<system_clock::time_point> parse_time(const std::string &text, bool *zoned) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    const int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s);
    if (n != 3 && n < 5) return std::nullopt;
    const year_month_day date{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
    if (!date.ok()) return std::nullopt;
    if (zoned) *zoned = !text.empty() && (text.back() == 'Z' || text.back() == 'z');
    return sys_days(date) + hours(h) + minutes(mi) + seconds(s);
}

std::string utc_text(system_clock::time_point t) {
    const auto day = floor<days>(t);
    const year_month_day date(day);
    const hh_mm_ss time(floor<seconds>(t - day));
    char out[32];
    std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()));
    return out;
}

std::string date_text(system_clock::time_point t) { return utc_text(t).substr(0, 10); }

}  // namespace relais::exchange::ews_time
