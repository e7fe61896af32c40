// Microsoft Graph under /v1.0: the token and the mailbox checked, the per-mailbox limits
// (4 requests in flight, 10,000 per 10 minutes) answered with 429 and Retry-After, the injected
// failures, then calendarView with $skip paging, calendarView/delta with skip and delta
// tokens, and the events' CRUD with If-Match and transactionId.
#include "exchange_graph_wire.hpp"
#include "exchange_recurrence.hpp"
#include "exchange_state.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <regex>

namespace relais::exchange_emulator {

using emulator::Request;
using emulator::Response;
using graph::Refusal;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

std::string encode(const std::string &value) {
    std::string out;
    Poco::URI::encode(value, "!#$&'()*+,/:;=?@[] ", out);
    return out;
}

Response throttled(const std::string &code, const std::string &message, std::chrono::seconds retry_after) {
    auto r = graph_error(429, code, message);
    if (retry_after.count() > 0) r.header("Retry-After", std::to_string(retry_after.count()));
    return r;
}

TimePoint required_time(const Request &r, const char *name) {
    const auto text = r.query_param(name);
    if (!text)
        throw Refusal{400, "ErrorInvalidParameter",
                      "This request requires a time window specified by the query string parameters StartDateTime "
                      "and EndDateTime."};
    const auto t = parse_iso(*text);
    if (!t)
        throw Refusal{400, "ErrorInvalidParameter",
                      "The value '" + *text + "' of " + name + " is not a date and time."};
    return *t;
}

int int_param(const Request &r, const char *name, int fallback) {
    const auto text = r.query_param(name);
    if (!text) return fallback;
    int n = 0;
    if (!Poco::NumberParser::tryParse(*text, n) || n < 0)
        throw Refusal{400, "BadRequest", "Invalid value '" + *text + "' for query option " + name + "."};
    return n;
}

std::string etag_value(std::string text) {
    text = Poco::trim(text);
    if (text.rfind("W/", 0) == 0) text = text.substr(2);
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
    return text;
}

}  // namespace

Response graph_error(int status, const std::string &code, const std::string &message) {
    Object::Ptr error = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    error->set("code", code);
    error->set("message", message);
    Object::Ptr inner = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    inner->set("date", "2026-01-01T00:00:00");
    inner->set("request-id", "00000000-0000-4000-8000-000000000000");
    inner->set("client-request-id", "00000000-0000-4000-8000-000000000000");
    error->set("innerError", inner);
    Object::Ptr body = new Object;
    body->set("error", error);
    return Response::json(status, body);
}

Response ExchangeEmulator::State::graph(const Request &request, const std::string &route, GraphHandler handler) {
    const auto &o = options.graph;
    std::unique_lock lock(mutex);
    std::string why;
    const auto *token = bearer_locked(request, "graph", why);
    if (!token) {
        auto r = graph_error(401, "InvalidAuthenticationToken",
                             why == "the token has expired" ? "Access token has expired or is not yet valid."
                                                            : "Access token validation failure: " + why + ".");
        r.header("WWW-Authenticate",
                 "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/"
                 "common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"");
        return r;
    }
    const auto *application = application_of(*token);
    const auto &mailbox = request.param("mailbox");
    auto *calendar = calendar_locked(mailbox);
    if (!calendar) {
        if (route == "GET /v1.0/users/{mailbox}")
            return graph_error(
                404, "Request_ResourceNotFound",
                "Resource '" + mailbox +
                    "' does not exist or one of its queried reference-property objects are not present.");
        return graph_error(404, "ErrorNonExistentMailbox", "The SMTP address has no mailbox associated with it.");
    }
    if (application && !application->mailboxes.empty()) {
        bool allowed = false;
        for (const auto &m : application->mailboxes) allowed = allowed || mailbox_key(m) == mailbox_key(mailbox);
        if (!allowed)
            return graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
    }
    lock.unlock();
    hold_if_asked(route);
    lock.lock();
    ++calls[route];
    const auto key = mailbox_key(mailbox);

    // The limits, counting this request in flight whatever its answer.
    InFlight in_flight(*this, lock, graph_in_flight, graph_peak, key);
    if (in_flight.now() > o.max_concurrent_per_mailbox)
        return throttled("ApplicationThrottled", "Application is over its MailboxConcurrency limit.",
                         o.throttle_retry_after);
    if (o.requests_per_10_minutes > 0) {
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(clock->now().time_since_epoch()).count();
        const long long window = seconds / 600;
        auto &[current, count] = graph_window[key];
        if (current != window) current = window, count = 0;
        if (count >= o.requests_per_10_minutes)
            return throttled("ApplicationThrottled", "Application is over its MailboxConcurrency limit.",
                             std::chrono::seconds((window + 1) * 600 - seconds));
        ++count;
    }

    bool lose = false;
    if (const auto failure = take_failure_locked(route, Api::graph)) {
        switch (*failure) {
        case Failure::too_many_requests:
            return throttled("TooManyRequests", "The server is busy. Please, try again later.", options.retry_after);
        case Failure::unavailable: {
            auto r = graph_error(503, "ServiceUnavailable", "Service Unavailable");
            if (options.retry_after.count() > 0) r.header("Retry-After", std::to_string(options.retry_after.count()));
            return r;
        }
        case Failure::impersonate_user_denied:
            return graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
        case Failure::non_existent_mailbox:
            return graph_error(404, "ErrorNonExistentMailbox", "The SMTP address has no mailbox associated with it.");
        case Failure::item_not_found:
            return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.");
        case Failure::invalid_sync_state:
            return graph_error(410, "SyncStateNotFound",
                               "The sync state generation is not valid; sync again without a token.");
        case Failure::server_error:
            return graph_error(500, "InternalServerError", "An internal server error occurred.");
        case Failure::lose_answer: lose = true; break;
        default: break;
        }
    }
    lock.unlock();
    sleep_latency();
    lock.lock();
    Response answer;
    try {
        answer = (this->*handler)(request, *calendar);
    } catch (const Refusal &r) {
        answer = graph_error(r.status, r.code, r.message);
    }
    if (lose) throw emulator::DropConnection();
    return answer;
}

Response ExchangeEmulator::State::get_user(const Request &, MailboxCalendar &calendar) {
    Object::Ptr user = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    user->set("@odata.context", base_url() + "/v1.0/$metadata#users/$entity");
    std::string id;
    for (const unsigned char c : mailbox_key(calendar.address())) id += static_cast<char>('a' + c % 6);
    id = (id + "0000000000000000000000000000000000000000").substr(0, 32);
    user->set("id", id.substr(0, 8) + "-" + id.substr(8, 4) + "-4" + id.substr(13, 3) + "-8" + id.substr(17, 3) + "-" +
                        id.substr(20, 12));
    user->set("displayName", calendar.display_name());
    user->set("mail", calendar.address());
    user->set("userPrincipalName", calendar.address());
    return Response::json(200, user);
}

namespace {

// A page of events as Graph lists them, with a nextLink when more follow.
Response event_page(const std::vector<Event> &events, std::size_t skip, std::size_t size, const std::string &context,
                    const std::string &next_base, const Mailbox &organizer, const std::string &zone,
                    const std::set<std::string> &expanded) {
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("@odata.context", context);
    Array::Ptr value = new Array;
    const auto end = std::min(events.size(), skip + size);
    for (auto i = skip; i < end; ++i) value->add(graph::event_json(events[i], organizer, zone, expanded));
    body->set("value", value);
    if (end < events.size()) body->set("@odata.nextLink", next_base + "$skip=" + std::to_string(end));
    return Response::json(200, body);
}

}  // namespace

Response ExchangeEmulator::State::calendar_view(const Request &r, MailboxCalendar &calendar) {
    const auto start = required_time(r, "startDateTime");
    const auto end = required_time(r, "endDateTime");
    if (end < start) throw Refusal{400, "ErrorInvalidParameter", "The end of the window is before its start."};
    const auto zone = graph::preferred_time_zone(r);
    const auto expanded = graph::expanded_properties(r);
    const int top = int_param(r, "$top", graph::preferred_page_size(r).value_or(options.graph.page_size));
    const auto size = static_cast<std::size_t>(std::clamp(top, 1, options.graph.max_page_size));
    const auto skip = static_cast<std::size_t>(int_param(r, "$skip", 0));
    const auto base = base_url() + "/v1.0/users/" + encode(r.param("mailbox")) +
                      "/calendarView?startDateTime=" + encode(*r.query_param("startDateTime")) +
                      "&endDateTime=" + encode(*r.query_param("endDateTime")) +
                      (r.query_param("$top") ? "&$top=" + std::to_string(top) : "") +
                      (r.query_param("$expand") ? "&$expand=" + encode(*r.query_param("$expand")) : "") + "&";
    return event_page(calendar.view(start, end), skip, size,
                      base_url() + "/v1.0/$metadata#users('" + calendar.address() + "')/calendarView", base,
                      {calendar.address(), calendar.display_name()}, zone, expanded);
}

Response ExchangeEmulator::State::list_events(const Request &r, MailboxCalendar &calendar) {
    const auto zone = graph::preferred_time_zone(r);
    const auto expanded = graph::expanded_properties(r);
    std::vector<Event> events;
    for (const auto *e : calendar.all()) events.push_back(e->event);
    if (const auto filter = r.query_param("$filter")) {
        static const std::regex any(
            R"(^singleValueExtendedProperties/Any\((\w+):\s*\1/id eq '([^']*)' and \1/value eq '((?:[^']|'')*)'\)$)");
        std::smatch m;
        if (!std::regex_match(*filter, m, any))
            throw Refusal{400, "BadRequest",
                          "The emulator filters events only with singleValueExtendedProperties/Any(ep: ep/id eq '...' "
                          "and ep/value eq '...'), not '" +
                              *filter + "'."};
        const auto id = graph::normalise_property_id(m[2].str());
        // An OData string literal doubles its quotes.
        const auto value = Poco::replace(m[3].str(), std::string("''"), std::string("'"));
        std::erase_if(events, [&](const Event &e) {
            const auto it = e.extended.find(id);
            return it == e.extended.end() || it->second != value;
        });
    }
    const int top = int_param(r, "$top", graph::preferred_page_size(r).value_or(options.graph.page_size));
    const auto size = static_cast<std::size_t>(std::clamp(top, 1, options.graph.max_page_size));
    std::string base = base_url() + "/v1.0/users/" + encode(r.param("mailbox")) + "/events?";
    for (const char *keep : {"$filter", "$top", "$expand"})
        if (const auto v = r.query_param(keep)) base += std::string(keep) + "=" + encode(*v) + "&";
    return event_page(events, static_cast<std::size_t>(int_param(r, "$skip", 0)), size,
                      base_url() + "/v1.0/$metadata#users('" + calendar.address() + "')/events", base,
                      {calendar.address(), calendar.display_name()}, zone, expanded);
}

Response ExchangeEmulator::State::delta(const Request &r, MailboxCalendar &calendar) {
    // Delta takes no query options besides the window and its tokens (reference B.7).
    for (const char *option : {"$expand", "$select", "$filter", "$orderby", "$search"})
        if (r.query_param(option))
            throw Refusal{400, "BadRequest",
                          std::string("The query option '") + option + "' is not supported with delta on events."};
    SyncToken token;
    const auto skip = r.query_param("$skiptoken");
    const auto delta = r.query_param("$deltatoken");
    if (skip || delta) {
        const auto decoded = decode_token(skip ? *skip : *delta);
        if (!decoded || decoded->kind != (skip ? "skip" : "delta") ||
            decoded->mailbox != mailbox_key(calendar.address()))
            throw Refusal{400, "BadRequest", "The token in the request is not valid."};
        if (decoded->epoch != calendar.epoch() || decoded->seq > calendar.seq())
            throw Refusal{410, "SyncStateNotFound",
                          "The sync state generation is not valid; sync again without a token."};
        token = *decoded;
    } else {
        const auto start = required_time(r, "startDateTime");
        const auto end = required_time(r, "endDateTime");
        if (end < start) throw Refusal{400, "ErrorInvalidParameter", "The end of the window is before its start."};
        token = {"skip",
                 mailbox_key(calendar.address()),
                 calendar.epoch(),
                 0,
                 std::chrono::duration_cast<std::chrono::seconds>(start.time_since_epoch()).count(),
                 std::chrono::duration_cast<std::chrono::seconds>(end.time_since_epoch()).count(),
                 true};
    }
    const TimePoint start{std::chrono::seconds(token.window_start)};
    const TimePoint end{std::chrono::seconds(token.window_end)};
    const auto zone = graph::preferred_time_zone(r);
    const auto size = static_cast<std::size_t>(
        std::clamp(graph::preferred_page_size(r).value_or(options.graph.page_size), 1, options.graph.max_page_size));

    // What this round reports: the first, only the events in the window (a series as its
    // occurrences there); later ones, every change, an event out of the window (or deleted)
    // as removed. The entries of one change stay on one page.
    struct Entry {
        std::uint64_t seq;
        std::optional<Event> event;  // nullopt: removed
        std::string id;
    };
    const auto in_window = [&](const Event &e) {
        return e.start < end && (e.end > start || (e.end == e.start && e.start == start));
    };
    std::vector<Entry> entries;
    for (const auto &c : calendar.changes_since(token.seq)) {
        const Event &e = c.event ? c.event->event : c.tombstone->event;
        std::vector<Event> shown;
        if (e.recurrence)
            shown = occurrences(e, start, end);
        else if (in_window(e))
            shown.push_back(e);
        if (c.event && !shown.empty()) {
            for (auto &o : shown) entries.push_back({c.seq, std::move(o), ""});
        } else if (!token.initial) {
            if (shown.empty()) entries.push_back({c.seq, std::nullopt, e.id});
            for (const auto &o : shown) entries.push_back({c.seq, std::nullopt, o.id});
        }
    }
    Object::Ptr body = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("@odata.context", base_url() + "/v1.0/$metadata#Collection(event)");
    Array::Ptr value = new Array;
    std::size_t count = std::min(entries.size(), size);
    while (count > 0 && count < entries.size() && entries[count].seq == entries[count - 1].seq) ++count;
    for (std::size_t i = 0; i < count; ++i) {
        const auto &e = entries[i];
        if (!e.event) {
            Object::Ptr removed = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
            removed->set("@odata.type", "#microsoft.graph.event");
            removed->set("id", e.id);
            Object::Ptr reason = new Object;
            reason->set("reason", "deleted");
            removed->set("@removed", reason);
            value->add(removed);
        } else {
            value->add(graph::event_json(*e.event, {calendar.address(), calendar.display_name()}, zone, {}));
        }
    }
    body->set("value", value);
    const auto link_base = base_url() + "/v1.0/users/" + encode(r.param("mailbox")) + "/calendarView/delta?";
    SyncToken next = token;
    if (count < entries.size()) {
        next.kind = "skip";
        next.seq = entries[count - 1].seq;
        body->set("@odata.nextLink", link_base + "$skiptoken=" + encode_token(next, true));
    } else {
        next.kind = "delta";
        next.seq = calendar.seq();
        next.initial = false;
        body->set("@odata.deltaLink", link_base + "$deltatoken=" + encode_token(next, true));
    }
    return Response::json(200, body);
}

Response ExchangeEmulator::State::create_event(const Request &r, MailboxCalendar &calendar) {
    Event event;
    graph::read_event(r.json(), event, true);
    const auto zone = graph::preferred_time_zone(r);
    if (!event.transaction_id.empty()) {
        for (const auto *e : calendar.all()) {
            if (e->event.transaction_id != event.transaction_id) continue;
            if (options.graph.duplicate_transaction == DuplicateTransaction::conflict_409)
                throw Refusal{409, "ErrorDuplicateTransactionId",
                              "An event with the transactionId '" + event.transaction_id + "' already exists."};
            return Response::json(201,
                                  graph::event_json(e->event, {calendar.address(), calendar.display_name()}, zone, {}));
        }
    }
    const auto &stored = calendar.create(event, clock->now(), ids);
    auto answer =
        Response::json(201, graph::event_json(stored.event, {calendar.address(), calendar.display_name()}, zone, {}));
    answer.header("Location", base_url() + "/v1.0/users/" + encode(r.param("mailbox")) + "/events/" + stored.event.id);
    return answer;
}

namespace {

StoredEvent &existing(MailboxCalendar &calendar, const Request &r) {
    auto *stored = calendar.find(r.param("id"));
    if (!stored && calendar.find_any(r.param("id")))
        throw Refusal{400, "ErrorInvalidRequest",
                      "The emulator does not change or delete single occurrences of a series."};
    if (!stored) throw Refusal{404, "ErrorItemNotFound", "The specified object was not found in the store."};
    return *stored;
}

void check_if_match(const Request &r, const StoredEvent &stored) {
    const auto match = r.header("If-Match");
    if (!match || Poco::trim(*match) == "*") return;
    if (etag_value(*match) != stored.event.change_key)
        throw Refusal{412, "ErrorIrresolvableConflict",
                      "The send or update operation could not be performed because the change key passed in the "
                      "request does not match the current change key for the item."};
}

}  // namespace

Response ExchangeEmulator::State::get_event(const Request &r, MailboxCalendar &calendar) {
    const auto found = calendar.find_any(r.param("id"));
    if (!found) throw Refusal{404, "ErrorItemNotFound", "The specified object was not found in the store."};
    auto answer = Response::json(200, graph::event_json(*found, {calendar.address(), calendar.display_name()},
                                                        graph::preferred_time_zone(r), graph::expanded_properties(r)));
    answer.header("ETag", "W/\"" + found->change_key + "\"");
    return answer;
}

Response ExchangeEmulator::State::update_event(const Request &r, MailboxCalendar &calendar) {
    auto &stored = existing(calendar, r);
    check_if_match(r, stored);
    Event updated = stored.event;
    graph::read_event(r.json(), updated, false);
    stored.event = std::move(updated);
    calendar.changed(stored, clock->now(), ids);
    auto answer = Response::json(200, graph::event_json(stored.event, {calendar.address(), calendar.display_name()},
                                                        graph::preferred_time_zone(r), {}));
    answer.header("ETag", "W/\"" + stored.event.change_key + "\"");
    return answer;
}

Response ExchangeEmulator::State::delete_event(const Request &r, MailboxCalendar &calendar) {
    const auto &stored = existing(calendar, r);
    check_if_match(r, stored);
    calendar.remove(stored.event.id);
    Response answer;
    answer.status = 204;
    return answer;
}

}  // namespace relais::exchange_emulator

namespace relais::exchange_emulator {

Response ExchangeEmulator::State::cancel_event(const Request &r, MailboxCalendar &calendar) {
    const auto &stored = existing(calendar, r);
    const auto body = r.body.empty() ? Object::Ptr(new Object) : r.json();
    for (const auto &[name, value] : *body)
        if (name != "comment")
            throw Refusal{400, "RequestBodyRead", "cancel takes only a comment, not '" + name + "'."};
    calendar.remove(stored.event.id);
    Response answer;
    answer.status = 202;
    return answer;
}

}  // namespace relais::exchange_emulator
