// What every Chorus Pro answer and request has in common: the {codeRetour, libelle} envelope,
// JSON bodies read strictly (a field of the wrong type is the client's mistake, answered 400),
// the paging blocks, Base64 and the three date formats the API mixes.
#pragma once

#include "emulator_clock.hpp"
#include "http_message.hpp"

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

namespace relais::chorus_emulator::wire {

using Json = Poco::JSON::Object::Ptr;
using time_point = emulator::EmulatorClock::time_point;

// Success libelles: the reference lists these two, per endpoint.
constexpr const char *kTransverseOk = "TRA_MSG_00.000";  // transverses, searches
constexpr const char *kGestionOk = "GCU_MSG_01_000";     // deposer/flux, historique, structures/consulter

// codeRetour of the refusals. Only 20001 for an unknown flux (with its libelle) is documented;
// the real per-service tables live in the "Annexe mode API" the reference could not read, so
// the other numbers are the emulator's own, in the same 200xx range.
constexpr int kNotFound = 20001;
constexpr int kInvalidField = 20002;
constexpr int kFileTooLarge = 20003;  // the reference's code for an over-10 MB attachment
constexpr int kUnknownSyntax = 20004;
constexpr int kBadFileName = 20005;
constexpr int kNotSupportedHere = 20006;  // what the real API takes but the emulator does not do
// A search with no result: the code and libelle Pastell sees (reference section 5).
constexpr int kNoResult = 20000;
constexpr const char *kNoResultLibelle = "TRA_MSG_00.015 - La recherche n'a retourne aucun resultat";

// An empty object whose keys keep their insertion order (answers read like the reference's).
Json object();
// {"codeRetour":0,"libelle":libelle}; the caller adds the endpoint's fields.
Json success(const std::string &libelle);
// `body` as JSON, Content-Type application/json;charset=UTF-8 as the API's Spring stack sends.
emulator::Response answer(const Json &body, int status = 200);
// HTTP `status` with {"codeRetour":code,"libelle":"<code> - <message>"}. The libelle's prefix
// is the numeric code: the real message ids for these cases are not known.
emulator::Response failure(int status, int code, const std::string &message);
[[noreturn]] void refuse(int status, int code, const std::string &message);

// The body as a JSON object; 400 (kInvalidField) otherwise.
Json body_of(const emulator::Request &request);
// Fields of a request body: absent and null read as nullopt; another type is a 400 naming the
// field. integer_field takes a JSON integer or a string of digits (clients send both).
std::optional<std::string> text_field(const Json &body, const std::string &name);
std::optional<std::int64_t> integer_field(const Json &body, const std::string &name);
std::optional<bool> bool_field(const Json &body, const std::string &name);
Json object_field(const Json &body, const std::string &name);

// A paging request block ({pageResultatDemandee, nbResultatsParPage}), looked for under each of
// `names` in turn. Defaults: page 1, 10 per page (the documented default). A page size over
// `max_size` is lowered to it (the answer's parametresRetour says so); zero or negative is 400.
struct Page {
    int number = 1;
    int size = 10;
};
Page page_of(const Json &body, std::initializer_list<const char *> names, int max_size);

// The items of `page` among `total`: [begin, end), and the parametresRetour block
// {nbResultatsParPage, pageCourante, pages, total}. A page past the last is empty.
struct Slice {
    std::size_t begin = 0;
    std::size_t end = 0;
    Json parametres_retour;
};
Slice slice(const Page &page, std::size_t total);

// Standard alphabet, padded, nothing else (no line breaks): nullopt when `text` is not that.
std::optional<std::string> decode_base64(const std::string &text);
std::string encode_base64(const std::string &bytes);

// The API's date formats.
std::string day(time_point t);           // 2026-07-30 (UTC)
std::string day_minute(time_point t);    // 2026-07-30 14:05 (UTC)
std::string iso_paris(time_point t);     // 2026-07-30T16:05:09.123+02:00 (Paris time, with its offset)
// A real calendar date written YYYY-MM-DD.
bool valid_day(const std::string &text);
// A search bound: YYYY-MM-DD (the day, UTC: from its first instant for a lower bound, to its
// last for an upper one) or an ISO 8601 date and time as the API writes them
// (2026-07-30T16:05:09.123+02:00; seconds, fraction and offset optional, Z for UTC).
// nullopt when `text` is neither.
std::optional<time_point> bound(const std::string &text, bool upper);

}  // namespace relais::chorus_emulator::wire
