// /api/v1/events: the business events after a cursor, the deliveries to endpoints that needed
// more than one attempt, and sending a failed delivery again.
#include "http/api_error.hpp"
#include "http/api_routes.hpp"

#include "events/event_hub.hpp"
#include "events/event_json.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/NumberParser.h>
#include <Poco/Timestamp.h>

#include <set>

namespace relais::host::http {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 500;

events::EventHub &hub(const ApiContext &ctx) {
    if (!ctx.events) throw ApiError(503, "transient", "this host keeps no business events");
    return *ctx.events;
}

// Refuses parameters the endpoint does not know: a typo ("typ=") would otherwise widen the answer.
void only_known(const ApiRequest &req, const std::set<std::string> &known) {
    for (const auto &[name, value] : req.query)
        if (!known.count(name)) throw ApiError(400, "invalid_input", "unknown query parameter '" + name + "'");
}

int limit_of(const ApiRequest &req) {
    const auto it = req.query.find("limit");
    if (it == req.query.end()) return kDefaultLimit;
    int limit = 0;
    if (!Poco::NumberParser::tryParse(it->second, limit) || limit < 1 || limit > kMaxLimit)
        throw ApiError(400, "invalid_input",
                       "limit must be an integer from 1 to " + std::to_string(kMaxLimit) + ", not \"" + it->second + "\"");
    return limit;
}

int64_t after_of(const ApiRequest &req) {
    const auto it = req.query.find("after");
    if (it == req.query.end() || it->second.empty()) return 0;
    const auto sequence = events::parse_cursor(it->second);
    if (!sequence)
        throw ApiError(400, "invalid_input",
                       "after must be a cursor this host returned as next_cursor, not \"" + it->second + "\"");
    return *sequence;
}

// type=invoice.paid,invoice.* : any of them.
std::vector<events::TypePattern> types_of(const ApiRequest &req) {
    std::vector<events::TypePattern> types;
    const auto it = req.query.find("type");
    if (it == req.query.end()) return types;
    const std::string &text = it->second;
    for (std::size_t start = 0; start <= text.size();) {
        auto end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        const auto item = text.substr(start, end - start);
        try {
            types.emplace_back(item, "type");
        } catch (const std::invalid_argument &e) {
            throw ApiError(400, "invalid_input",
                           std::string(e.what()) + " (type takes event types or prefixes such as invoice.*, separated by commas)");
        }
        if (types.size() > 20) throw ApiError(400, "invalid_input", "type takes at most 20 event types");
        start = end + 1;
    }
    return types;
}

std::string iso(int64_t ms) {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(ms * 1000), Poco::DateTimeFormat::ISO8601_FRAC_FORMAT);
}

Object::Ptr delivery_json(const events::DeliveryRecord &d, const std::optional<events::Event> &event) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("endpoint", d.endpoint);
    if (event) {
        o->set("event_id", event->id);
        o->set("event_type", event->type);
    }
    o->set("state", std::string(events::state_name(d.state)));
    o->set("attempts", d.attempts);
    if (d.next_attempt_at) o->set("next_attempt_at", iso(*d.next_attempt_at));
    if (!d.last_error.empty()) o->set("last_error", d.last_error);
    o->set("updated_at", iso(d.updated_at));
    return o;
}

ApiResponse list_events(const ApiContext &ctx, const ApiRequest &req) {
    only_known(req, {"after", "type", "connector", "limit"});
    events::EventFilter filter;
    filter.after = after_of(req);
    filter.types = types_of(req);
    filter.limit = limit_of(req);
    if (const auto it = req.query.find("connector"); it != req.query.end()) {
        if (it->second.empty()) throw ApiError(400, "invalid_input", "connector must name a connector, not be empty");
        filter.connector = it->second;
    }
    const auto page = hub(ctx).log().list(filter);
    Array::Ptr list = new Array;
    for (const auto &e : page) list->add(events::event_to_json(e));
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("events", list);
    // Nothing new: the same cursor, so a poller keeps asking with what it has.
    o->set("next_cursor", events::cursor_of(page.empty() ? filter.after : page.back().sequence));
    return ApiResponse::json(200, o);
}

ApiResponse list_deliveries(const ApiContext &ctx, const ApiRequest &req) {
    only_known(req, {"state", "endpoint", "after", "limit"});
    events::DeliveryFilter filter;
    if (const auto it = req.query.find("state"); it != req.query.end()) {
        filter.state = events::parse_state(it->second);
        if (!filter.state)
            throw ApiError(400, "invalid_input",
                           "state must be retrying, delivered or failed, not \"" + it->second + "\"");
    }
    if (const auto it = req.query.find("endpoint"); it != req.query.end()) filter.endpoint = it->second;
    filter.after_sequence = after_of(req);
    filter.limit = limit_of(req);
    auto &events = hub(ctx);
    auto rows = events.deliveries().list(filter);
    // A page ends on a whole event: the next one starts after it, so none of its endpoints is skipped.
    if (static_cast<int>(rows.size()) == filter.limit && rows.front().sequence != rows.back().sequence) {
        const auto last = rows.back().sequence;
        while (rows.back().sequence == last) rows.pop_back();
    }
    Array::Ptr list = new Array;
    for (const auto &d : rows) list->add(delivery_json(d, events.log().at(d.sequence)));
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("deliveries", list);
    o->set("next_cursor", events::cursor_of(rows.empty() ? filter.after_sequence : rows.back().sequence));
    return ApiResponse::json(200, o);
}

ApiResponse retry_event(const ApiContext &ctx, const ApiRequest &req) {
    auto &events = hub(ctx);
    const auto &id = req.params.at("id");
    const auto event = events.log().find(id);
    if (!event) throw ApiError(404, "not_found", "no event " + id);
    const int count = events.retry_failed(*event);
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("event_id", event->id);
    o->set("retried", count);
    Array::Ptr list = new Array;
    events::DeliveryFilter filter;
    filter.sequence = event->sequence;
    filter.after_sequence = event->sequence - 1;
    for (const auto &d : events.deliveries().list(filter)) list->add(delivery_json(d, event));
    o->set("deliveries", list);
    return ApiResponse::json(200, o);
}

}  // namespace

void add_event_routes(ApiRouter &router, ApiContext ctx) {
    router.add("GET", "/api/v1/events", Scope::any, [ctx](const ApiRequest &req) { return list_events(ctx, req); });
    router.add("GET", "/api/v1/events/deliveries", Scope::any,
               [ctx](const ApiRequest &req) { return list_deliveries(ctx, req); });
    router.add("POST", "/api/v1/events/{id}/retry", Scope::admin,
               [ctx](const ApiRequest &req) { return retry_event(ctx, req); });
}

}  // namespace relais::host::http
