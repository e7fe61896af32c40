#include "chorus_wire.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

namespace relais::chorus_emulator::wire {

using emulator::HttpError;
using emulator::Request;
using emulator::Response;
using namespace std::chrono;

Json object() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

Json success(const std::string &libelle) {
    auto body = object();
    body->set("codeRetour", 0);
    body->set("libelle", libelle);
    return body;
}

Response answer(const Json &body, int status) {
    auto response = Response::json(status, body);
    response.headers.set("Content-Type", "application/json;charset=UTF-8");
    return response;
}

Response failure(int status, int code, const std::string &message) {
    auto body = object();
    body->set("codeRetour", code);
    body->set("libelle", std::to_string(code) + " - " + message);
    return answer(body, status);
}

void refuse(int status, int code, const std::string &message) { throw HttpError(failure(status, code, message)); }

Json body_of(const Request &request) {
    try {
        const auto parsed = Poco::JSON::Parser().parse(request.body);
        if (parsed.type() == typeid(Json)) {
            if (auto body = parsed.extract<Json>()) return body;
        }
    } catch (const Poco::Exception &e) {
        refuse(400, kInvalidField, "Le corps de la requete n'est pas un JSON valide : " + e.message());
    }
    refuse(400, kInvalidField, "Le corps de la requete doit etre un objet JSON");
}

namespace {

[[noreturn]] void wrong_type(const std::string &name, const char *expected) {
    refuse(400, kInvalidField, "Le champ " + name + " doit etre " + expected);
}

}  // namespace

std::optional<std::string> text_field(const Json &body, const std::string &name) {
    if (!body->has(name) || body->isNull(name)) return std::nullopt;
    const auto value = body->get(name);
    if (!value.isString()) wrong_type(name, "une chaine de caracteres");
    return value.extract<std::string>();
}

std::optional<std::int64_t> integer_field(const Json &body, const std::string &name) {
    if (!body->has(name) || body->isNull(name)) return std::nullopt;
    const auto value = body->get(name);
    if (value.isString()) {
        const auto text = value.extract<std::string>();
        if (text.empty() || text.size() > 18 ||
            !std::all_of(text.begin(), text.end(), [](unsigned char c) { return c >= '0' && c <= '9'; }))
            wrong_type(name, "un entier");
        return std::stoll(text);
    }
    if (!value.isInteger()) wrong_type(name, "un entier");
    return value.convert<std::int64_t>();
}

std::optional<bool> bool_field(const Json &body, const std::string &name) {
    if (!body->has(name) || body->isNull(name)) return std::nullopt;
    const auto value = body->get(name);
    if (!value.isBoolean()) wrong_type(name, "un booleen (true ou false)");
    return value.extract<bool>();
}

Json object_field(const Json &body, const std::string &name) {
    if (!body->has(name) || body->isNull(name)) return nullptr;
    const auto value = body->get(name);
    if (value.type() != typeid(Json)) wrong_type(name, "un objet");
    return value.extract<Json>();
}

Page page_of(const Json &body, std::initializer_list<const char *> names, int max_size) {
    Page page;
    for (const char *name : names) {
        const auto block = object_field(body, name);
        if (!block) continue;
        const auto positive = [&](const char *field) -> std::optional<int> {
            const auto n = integer_field(block, field);
            if (!n) return std::nullopt;
            if (*n < 1 || *n > 1'000'000'000)
                refuse(400, kInvalidField, std::string(name) + "." + field + " doit etre un entier positif");
            return static_cast<int>(*n);
        };
        page.number = positive("pageResultatDemandee").value_or(1);
        page.size = std::min(positive("nbResultatsParPage").value_or(10), max_size);
        break;
    }
    return page;
}

Slice slice(const Page &page, std::size_t total) {
    const auto size = static_cast<std::size_t>(page.size);
    Slice s;
    s.begin = std::min(total, (static_cast<std::size_t>(page.number) - 1) * size);
    s.end = std::min(total, s.begin + size);
    s.parametres_retour = object();
    s.parametres_retour->set("nbResultatsParPage", page.size);
    s.parametres_retour->set("pageCourante", page.number);
    s.parametres_retour->set("pages", static_cast<int>((total + size - 1) / size));
    s.parametres_retour->set("total", static_cast<int>(total));
    return s;
}

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

}  // namespace

std::optional<std::string> decode_base64(const std::string &text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        int v[4];
        int padding = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = text[i + static_cast<std::size_t>(k)];
            if (c == '=' && last && k >= 2) {
                v[k] = 0;
                ++padding;
                continue;
            }
            if (padding > 0) return std::nullopt;  // data after '='
            v[k] = sextet(c);
            if (v[k] < 0) return std::nullopt;
        }
        const unsigned triple = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                                (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
        out += static_cast<char>((triple >> 16) & 0xFF);
        if (padding < 2) out += static_cast<char>((triple >> 8) & 0xFF);
        if (padding < 1) out += static_cast<char>(triple & 0xFF);
    }
    return out;
}

std::string encode_base64(const std::string &bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const auto byte = [&](std::size_t k) { return k < bytes.size() ? static_cast<unsigned char>(bytes[k]) : 0u; };
        const unsigned triple = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out += kAlphabet[(triple >> 18) & 0x3F];
        out += kAlphabet[(triple >> 12) & 0x3F];
        out += i + 1 < bytes.size() ? kAlphabet[(triple >> 6) & 0x3F] : '=';
        out += i + 2 < bytes.size() ? kAlphabet[triple & 0x3F] : '=';
    }
    return out;
}

namespace {

struct Civil {
    year_month_day date;
    hh_mm_ss<milliseconds> time;
};

Civil civil(sys_time<milliseconds> t) {
    const auto d = floor<days>(t);
    return {year_month_day{d}, hh_mm_ss<milliseconds>{t - d}};
}

// Europe/Paris: UTC+1, and UTC+2 from the last Sunday of March to the last Sunday of October,
// switching at 01:00 UTC (the EU rule since 1996).
minutes paris_offset(sys_time<milliseconds> t) {
    const auto y = year_month_day{floor<days>(t)}.year();
    const auto switch_at = [&](month m) { return sys_days{year_month_weekday_last{y, m, Sunday[last]}} + hours(1); };
    return t >= switch_at(March) && t < switch_at(October) ? minutes(120) : minutes(60);
}

}  // namespace

std::string day(time_point t) {
    const auto c = civil(floor<milliseconds>(t));
    char text[16];
    std::snprintf(text, sizeof(text), "%04d-%02u-%02u", static_cast<int>(c.date.year()),
                  static_cast<unsigned>(c.date.month()), static_cast<unsigned>(c.date.day()));
    return text;
}

std::string day_minute(time_point t) {
    const auto c = civil(floor<milliseconds>(t));
    char text[16];
    std::snprintf(text, sizeof(text), " %02ld:%02ld", static_cast<long>(c.time.hours().count()),
                  static_cast<long>(c.time.minutes().count()));
    return day(t) + text;
}

std::string iso_paris(time_point t) {
    const auto utc = floor<milliseconds>(t);
    const auto offset = paris_offset(utc);
    const auto c = civil(utc + offset);
    char text[48];
    std::snprintf(text, sizeof(text), "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ld+%02ld:%02ld",
                  static_cast<int>(c.date.year()), static_cast<unsigned>(c.date.month()),
                  static_cast<unsigned>(c.date.day()), static_cast<long>(c.time.hours().count()),
                  static_cast<long>(c.time.minutes().count()), static_cast<long>(c.time.seconds().count()),
                  static_cast<long>(c.time.subseconds().count()), static_cast<long>(offset.count() / 60),
                  static_cast<long>(offset.count() % 60));
    return text;
}

bool valid_day(const std::string &text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (text[i] < '0' || text[i] > '9') return false;
    const year_month_day d{year(std::stoi(text.substr(0, 4))), month(static_cast<unsigned>(std::stoi(text.substr(5, 2)))),
                           std::chrono::day(static_cast<unsigned>(std::stoi(text.substr(8, 2))))};
    return d.ok();
}

namespace {

// Digits at [at, at + count) of `text` as a number; nullopt when any is not a digit.
std::optional<int> digits(const std::string &text, std::size_t at, std::size_t count) {
    if (at + count > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

}  // namespace

std::optional<time_point> bound(const std::string &text, bool upper) {
    if (text.size() < 10 || !valid_day(text.substr(0, 10))) return std::nullopt;
    const year_month_day d{year(*digits(text, 0, 4)), month(static_cast<unsigned>(*digits(text, 5, 2))),
                           std::chrono::day(static_cast<unsigned>(*digits(text, 8, 2)))};
    const sys_days midnight{d};
    if (text.size() == 10) return upper ? time_point(midnight + days(1) - milliseconds(1)) : time_point(midnight);
    // YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+HH:MM|-HH:MM]
    if (text[10] != 'T' && text[10] != ' ') return std::nullopt;
    const auto h = digits(text, 11, 2), m = digits(text, 14, 2);
    if (!h || !m || text.size() < 16 || text[13] != ':' || *h > 23 || *m > 59) return std::nullopt;
    milliseconds t = hours(*h) + minutes(*m);
    std::size_t at = 16;
    if (at < text.size() && text[at] == ':') {
        const auto sec = digits(text, at + 1, 2);
        if (!sec || *sec > 59) return std::nullopt;
        t += seconds(*sec);
        at += 3;
        if (at < text.size() && text[at] == '.') {
            std::size_t end = at + 1;
            while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
            if (end == at + 1) return std::nullopt;
            const auto ms = text.substr(at + 1, 3);
            t += milliseconds(std::stoi((ms + "00").substr(0, 3)));
            at = end;
        }
    }
    minutes offset{0};
    if (at < text.size()) {
        if (text[at] == 'Z' && at + 1 == text.size()) {
            ++at;
        } else if ((text[at] == '+' || text[at] == '-') && text.size() == at + 6 && text[at + 3] == ':') {
            const auto oh = digits(text, at + 1, 2), om = digits(text, at + 4, 2);
            if (!oh || !om) return std::nullopt;
            offset = hours(*oh) + minutes(*om);
            if (text[at] == '-') offset = -offset;
            at = text.size();
        } else {
            return std::nullopt;
        }
    }
    return time_point(midnight + t - offset);
}

}  // namespace relais::chorus_emulator::wire
