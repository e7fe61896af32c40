// The Microsoft Graph backend (reference part B.7): calendars of Exchange Online mailboxes
// through https://graph.microsoft.com/v1.0 with an application token (client credentials,
// scope https://graph.microsoft.com/.default).
//
// - Reads: calendarView over a window (occurrences expanded by Graph), events/{id}, events
//   with a $filter on the ERP's extended property; every page followed (@odata.nextLink,
//   verbatim, only to Graph's own origin); times asked in UTC; the ERP's mark expanded with
//   $expand=singleValueExtendedProperties($filter=id eq '...') (not on delta, which takes no
//   $expand).
// - create_event: POST with a transactionId made from the mailbox and the erp_id, so a
//   create sent twice is one event: Graph answers the first event, or 409, and then the event
//   is found by its mark. No answer after the request was sent: Uncertain (sending it again
//   is safe for the same reason).
// - update_event: PATCH with If-Match; 412 is a conflict (permanent, detail conflict and the
//   current ETag), never overwritten.
// - sync: calendarView/delta, one page per call; the links kept as the state. Removed entries
//   come for deletions and for events that changed outside the window: each is looked up,
//   reported deleted when it is gone, updated when it is (again) in the window, and left out
//   when it lives outside the window. A changed event is "created" when Graph's
//   lastModifiedDateTime is within 2 s of its createdDateTime, "updated" otherwise (or when
//   either is missing): a consumer treats both as "this is the event now". 410 Gone (or a
//   sync state error code) starts a full sync again, reported as full_resync.
// - Every request takes the mailbox's quotas first ("requests", then a "concurrent" slot,
//   released when the request ends whatever happened), and a 401 renews the token once. The
//   quota key is the mailbox in lower case.
// - Token refusals (AADSTS codes) name the setting to fix: tenant_id, client_id, client_secret.
// - Not here: Graph's erp_id in delta changes (delta takes no $expand: sync changes carry the
//   event's id, times and subject, not its mark; get_event or list_events read it).
#include "exchange_backends.hpp"
#include "exchange_graph_json.hpp"

#include <relais/support/classify.hpp>
#include <relais/support/json.hpp>
#include <relais/support/url.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/String.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace relais::exchange {

namespace {

using support::HttpRequest;
using support::HttpResponse;
using support::TransportError;
using support::url_encode;

constexpr int kPageSize = 100;
constexpr int kCheckPageSize = 10;
constexpr std::chrono::seconds kFallbackWait{2};
constexpr int kMaxPages = 100000;  // a loop of links is a bug upstream, not a reason to spin

struct Op {
    std::string name;  // the backend's operation
    std::string mailbox;
    std::string item;  // the event, when there is one
    std::string what() const {
        return "Graph " + name + " for " + mailbox + (item.empty() ? std::string() : " (event " + item + ")");
    }
};

struct GraphError {
    std::string code, message;
};

GraphError graph_error_of(const HttpResponse &response) {
    GraphError e;
    try {
        const auto body = support::parse_json_object(response.body, RELAIS_TRANSIENT, "error");
        const auto error = support::object_at(body, "error");
        e.code = support::string_at(error, "code").value_or("");
        e.message = support::string_at(error, "message").value_or("");
    } catch (const std::exception &) {
    }
    return e;
}

std::string lower(const std::string &s) { return Poco::toLower(s); }



// "2026-01-12T08:00:00.1234567Z" as seconds since the epoch (fraction included); nullopt if
// it is not such a time.
std::optional<double> epoch_seconds(const std::string &text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) return std::nullopt;
    const auto days = std::chrono::sys_days(std::chrono::year(y) / mo / d).time_since_epoch().count();
    double value = static_cast<double>(days) * 86400 + h * 3600 + mi * 60 + s;
    if (text.size() > 20 && text[19] == '.') {
        double scale = 0.1;
        for (std::size_t i = 20; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i, scale /= 10)
            value += (text[i] - '0') * scale;
    }
    return value;
}

std::string iso_utc(std::chrono::system_clock::time_point t) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

// "W/\"abc\"" stays; a bare change key becomes that weak ETag.
std::string etag_of(const std::string &version) {
    if (version.rfind("W/", 0) == 0 || (!version.empty() && version.front() == '"')) return version;
    return "W/\"" + version + "\"";
}

// The first 19 characters of a UTC time, comparable as text ("2026-01-12T08:00:00").
std::string instant(const std::string &utc) { return utc.substr(0, std::min<std::size_t>(19, utc.size())); }

bool in_window(const Event &e, const Window &w) {
    const auto start = e.is_all_day ? e.start_date + "T00:00:00" : instant(e.start);
    const auto end = e.is_all_day ? e.end_date + "T00:00:00" : instant(e.end);
    return start < instant(w.to) && (end > instant(w.from) || (start == end && start == instant(w.from)));
}

std::string sort_key(const Event &e) { return e.is_all_day ? e.start_date + "T00:00:00" : instant(e.start); }

class GraphBackend final : public CalendarBackend {
public:
    GraphBackend(const Settings &settings, std::shared_ptr<support::HttpClient> http,
                 std::shared_ptr<TokenSource> tokens, Host host)
        : settings_(settings), http_(std::move(http)), tokens_(std::move(tokens)), host_(host) {
        if (!http_) throw internal("the Graph backend needs an HTTP client");
        if (!tokens_) throw internal("the Graph backend needs a token source");
        try {
            origin_ = support::parse_origin(settings_.graph_url).key();
        } catch (const std::invalid_argument &) {
            throw invalid_config("graph_url: not an absolute http(s) URL: " + settings_.graph_url);
        }
    }

    const char *name() const override { return "graph"; }

    std::vector<Event> list_events(const std::string &mailbox, const Window &window, const Gate &gate) override {
        const Op op{"list_events", mailbox, ""};
        check_window(op, window);
        std::vector<Event> events;
        for (const auto &value : pages(op, view_url(mailbox, "calendarView", window) + "&" + expand(), gate))
            events.push_back(parse(op, value));
        std::stable_sort(events.begin(), events.end(),
                         [](const Event &a, const Event &b) { return sort_key(a) < sort_key(b); });
        return events;
    }

    Event get_event(const std::string &mailbox, const std::string &id, const Gate &gate) override {
        const Op op{"get_event", mailbox, id};
        if (id.empty()) throw invalid_input(op.what() + ": the event id is empty");
        const auto response = send(op, get(event_url(mailbox, id) + "?" + expand()), gate);
        if (!response.ok()) fail(op, response);
        return parse(op, body_of(op, response));
    }

    std::optional<Event> find_by_erp_id(const std::string &mailbox, const std::string &erp_id,
                                        const Gate &gate) override {
        const Op op{"find_by_erp_id", mailbox, ""};
        if (erp_id.empty()) throw invalid_input(op.what() + ": the erp_id is empty");
        const auto filter = "singleValueExtendedProperties/Any(ep: ep/id eq '" + graph_erp_property_id() +
                            "' and ep/value eq '" + graph::odata_quote(erp_id) + "')";
        std::vector<Event> found;
        for (const auto &value :
             pages(op, users(mailbox) + "/events?$filter=" + url_encode(filter) + "&" + expand(), gate)) {
            auto e = parse(op, value);
            if (e.erp_id == erp_id) found.push_back(std::move(e));
        }
        if (found.empty()) return std::nullopt;
        if (found.size() > 1)
            host_.warn(op.what() + ": " + std::to_string(found.size()) + " events carry erp_id " + erp_id +
                       "; the first one is used (" + found.front().id + ")");
        return found.front();
    }

    Event create_event(const std::string &mailbox, const EventIn &event, const Gate &gate) override {
        const Op op{"create_event", mailbox, ""};
        if (event.erp_id.empty())
            throw invalid_input(op.what() +
                                ": erp_id is required (it marks the event as the ERP's and makes creating "
                                "it idempotent)");
        auto request = HttpRequest::post(users(mailbox) + "/events");
        request.json(graph::event_body(event, graph::transaction_id(mailbox, event.erp_id)));
        prefer(request, false);
        const auto response = send(op, request, gate, true);
        if (response.status == 201 || response.status == 200) {
            auto created = parse(op, body_of(op, response));
            if (created.erp_id.empty()) created.erp_id = event.erp_id;  // POST answers do not expand it
            return created;
        }
        if (response.status == 409) {
            // The transactionId was used before: that create happened. Its event, by its mark.
            const auto said = graph_error_of(response);
            if (auto existing = find_by_erp_id(mailbox, event.erp_id, gate)) {
                host_.debug(op.what() + ": erp_id " + event.erp_id + " was created before (" + said.code + "), event " +
                            existing->id);
                return *existing;
            }
            Json detail = error_detail(op, response, said);
            throw permanent(op.what() + ": Graph refused the transactionId of erp_id " + event.erp_id + " as used (" +
                                said.code + ": " + said.message + ") but no event carries that erp_id",
                            detail);
        }
        if (support::applied_for_status(response.status) == support::Classification::Applied::unknown)
            throw Uncertain(op.what() + ": Graph answered HTTP " + std::to_string(response.status) +
                            ", which does not say whether the event of erp_id " + event.erp_id +
                            " was created; sending it again is safe (same transactionId, and the ERP's mark finds it)");
        fail(op, response);
    }

    Event update_event(const std::string &mailbox, const std::string &id, const std::string &version,
                       const EventIn &event, const Gate &gate) override {
        const Op op{"update_event", mailbox, id};
        if (id.empty()) throw invalid_input(op.what() + ": the event id is empty");
        HttpRequest request;
        request.method = "PATCH";
        request.url = event_url(mailbox, id);
        request.json(graph::event_body(event, ""));
        if (!version.empty()) request.header("If-Match", etag_of(version));
        prefer(request, false);
        const auto response = send(op, request, gate);
        if (response.ok()) {
            // A PATCH answer does not show the mark: the one sent, or the one it keeps, read.
            if (event.erp_id.empty()) return get_event(mailbox, id, gate);
            auto updated = parse(op, body_of(op, response));
            updated.erp_id = event.erp_id;
            return updated;
        }
        if (response.status == 412) {
            std::string current;
            try {
                current = get_event(mailbox, id, gate).version;
            } catch (const Error &e) {
                host_.debug(op.what() + ": the current version could not be read: " + e.what());
            }
            Json detail = error_detail(op, response, graph_error_of(response));
            detail->set("conflict", true);
            if (current.empty())
                detail->set("current_version", Poco::Dynamic::Var());
            else
                detail->set("current_version", current);
            throw permanent(op.what() + ": conflict: the event changed since version " + version +
                                (current.empty() ? std::string() : " (it is now at " + current + ")") +
                                "; nothing was overwritten: read it again and apply the change to what it is now",
                            detail);
        }
        fail(op, response);
    }

    void delete_event(const std::string &mailbox, const std::string &id, const Gate &gate) override {
        const Op op{"delete_event", mailbox, id};
        if (id.empty()) throw invalid_input(op.what() + ": the event id is empty");
        HttpRequest request;
        request.method = "DELETE";
        request.url = event_url(mailbox, id);
        const auto response = send(op, request, gate);
        if (!response.ok()) fail(op, response);
    }

    SyncPage sync(const std::string &mailbox, const std::string &state, const Window &window,
                  const Gate &gate) override {
        const Op op{"sync", mailbox, ""};
        SyncPage page;
        bool initial = state.empty();
        if (!initial && !ours(state)) {
            host_.warn(op.what() + ": the kept state is not a link of " + origin_ + " (" +
                       support::without_query(state) + "): starting over with a full sync");
            initial = true;
            page.full_resync = true;
        }
        if (initial) check_window(op, window);
        HttpResponse response;
        for (;;) {
            const auto url = initial ? view_url(mailbox, "calendarView/delta", window) : state;
            response = send(op, get(url, true), gate);
            if (response.ok()) break;
            if (!initial && expired(response)) {
                host_.info(op.what() + ": Graph no longer knows the delta link (HTTP " +
                           std::to_string(response.status) + " " + graph_error_of(response).code +
                           "): starting over with a full sync");
                initial = true;
                page.full_resync = true;
                check_window(op, window);
                continue;
            }
            fail(op, response);
        }
        const auto body = body_of(op, response);
        const auto value = support::array_at(body, "value");
        for (std::size_t i = 0; value && i < value->size(); ++i) {
            const auto entry = support::object_in(value, i);
            if (!entry) continue;
            if (entry->has("@removed")) {
                removed(op, support::string_at(entry, "id").value_or(""), window, gate, page.changes);
                continue;
            }
            Change change;
            change.event = parse(op, entry);
            const auto created = epoch_seconds(support::string_at(entry, "createdDateTime").value_or(""));
            const auto modified = epoch_seconds(support::string_at(entry, "lastModifiedDateTime").value_or(""));
            change.kind =
                created && modified && *modified - *created < 2.0 ? Change::Kind::created : Change::Kind::updated;
            page.changes.push_back(std::move(change));
        }
        if (const auto next = support::string_at(body, "@odata.nextLink")) {
            same_origin(op, *next);
            page.next_state = *next;
            page.more = true;
        } else if (const auto delta = support::string_at(body, "@odata.deltaLink")) {
            same_origin(op, *delta);
            page.next_state = *delta;
        } else {
            throw transient(op.what() +
                            ": Graph answered a delta page with neither @odata.nextLink nor @odata.deltaLink");
        }
        return page;
    }

    std::string check_mailbox(const std::string &mailbox, const Gate &gate) override {
        const Op op{"check_mailbox", mailbox, ""};
        const auto now = std::chrono::system_clock::now();
        const Window day{iso_utc(now), iso_utc(now + std::chrono::hours(24))};
        auto request = HttpRequest::get(view_url(mailbox, "calendarView", day));
        prefer(request, true, kCheckPageSize);
        const auto response = send(op, request, gate);
        if (!response.ok()) fail(op, response);
        const auto body = body_of(op, response);
        const auto value = support::array_at(body, "value");
        const auto count = value ? value->size() : 0;
        const bool more = support::string_at(body, "@odata.nextLink").has_value();
        return "the calendar of " + mailbox +
               " was read through Microsoft Graph as the application: " + (more ? "more than " : "") +
               std::to_string(count) + " event" + (count == 1 && !more ? "" : "s") + " in the next 24 hours";
    }

    std::string check_token() override {
        try {
            return tokens_->check();
        } catch (const Error &e) {
            throw token_error("Graph token check", e);
        }
    }

    uint64_t requests_sent() const override { return sent_.load(); }

private:
    std::string users(const std::string &mailbox) const {
        return settings_.graph_url + "/users/" + url_encode(mailbox);
    }
    std::string event_url(const std::string &mailbox, const std::string &id) const {
        return users(mailbox) + "/events/" + url_encode(id);
    }
    std::string view_url(const std::string &mailbox, const std::string &view, const Window &w) const {
        return users(mailbox) + "/" + view + "?startDateTime=" + url_encode(w.from) +
               "&endDateTime=" + url_encode(w.to);
    }
    static std::string expand() {
        return "$expand=" +
               url_encode("singleValueExtendedProperties($filter=id eq '" + graph_erp_property_id() + "')");
    }

    static void prefer(HttpRequest &request, bool paged, int page_size = kPageSize) {
        // Times in UTC, bodies as text, and ids that stay the same when an event moves
        // between folders (ImmutableId), for reads and writes alike.
        std::string value = "outlook.timezone=\"UTC\", outlook.body-content-type=\"text\", IdType=\"ImmutableId\"";
        if (paged) value += ", odata.maxpagesize=" + std::to_string(page_size);
        request.header("Prefer", value);
        request.header("Accept", "application/json");
    }
    static HttpRequest get(const std::string &url, bool paged = false) {
        auto request = HttpRequest::get(url);
        prefer(request, paged);
        return request;
    }

    static void check_window(const Op &op, const Window &w) {
        if (w.from.empty() || w.to.empty()) throw invalid_input(op.what() + ": the window needs from and to");
        if (w.to < w.from)
            throw invalid_input(op.what() + ": the window ends (" + w.to + ") before it starts (" + w.from + ")");
    }

    bool ours(const std::string &link) const {
        try {
            return support::parse_origin(link).key() == origin_ &&
                   link.find("/calendarView/delta") != std::string::npos;
        } catch (const std::invalid_argument &) {
            return false;
        }
    }
    void same_origin(const Op &op, const std::string &link) const {
        try {
            if (support::parse_origin(link).key() == origin_) return;
        } catch (const std::invalid_argument &) {
        }
        throw permanent(op.what() + ": Graph gave a link elsewhere (" + support::without_query(link) +
                        "): not followed, the token is for " + origin_ + " only");
    }

    static bool expired(const HttpResponse &response) {
        if (response.status == 410) return true;
        if (response.status != 400 && response.status != 404) return false;
        const auto code = lower(graph_error_of(response).code);
        return code == "syncstatenotfound" || code == "syncstateinvalid" || code == "resyncrequired" ||
               code == "invalidsyncstate";
    }

    // Every page's entries, the links followed.
    std::vector<Json> pages(const Op &op, std::string url, const Gate &gate) {
        std::vector<Json> entries;
        for (int n = 0;; ++n) {
            if (n >= kMaxPages)
                throw transient(op.what() + ": Graph gave more than " + std::to_string(kMaxPages) + " pages");
            const auto response = send(op, get(url, true), gate);
            if (!response.ok()) fail(op, response);
            const auto body = body_of(op, response);
            if (const auto value = support::array_at(body, "value"))
                for (std::size_t i = 0; i < value->size(); ++i)
                    if (const auto entry = support::object_in(value, i)) entries.push_back(entry);
            const auto next = support::string_at(body, "@odata.nextLink");
            if (!next) return entries;
            same_origin(op, *next);
            url = *next;
        }
    }

    // A removed entry of a delta round: a deletion, or an event that changed outside the window.
    void removed(const Op &op, const std::string &id, const Window &window, const Gate &gate,
                 std::vector<Change> &changes) {
        if (id.empty()) return;
        const Op lookup{op.name, op.mailbox, id};
        const auto response = send(lookup, get(event_url(op.mailbox, id) + "?" + expand()), gate);
        if (response.status == 404) {
            Change change;
            change.kind = Change::Kind::deleted;
            change.event.id = id;
            changes.push_back(std::move(change));
            return;
        }
        if (!response.ok()) fail(lookup, response);
        auto event = parse(lookup, body_of(lookup, response));
        if (!in_window(event, window)) {
            host_.debug(lookup.what() + ": removed from the delta but still there, outside the window: left out");
            return;
        }
        Change change;
        change.kind = Change::Kind::updated;
        change.event = std::move(event);
        changes.push_back(std::move(change));
    }

    Event parse(const Op &op, const Json &value) {
        try {
            return graph::event_from_json(value);
        } catch (const Error &e) {
            throw Error(e.status(), op.what() + ": " + e.what(), e.detail(), e.retry_after());
        }
    }

    static Json body_of(const Op &op, const HttpResponse &response) {
        return response.json("the answer of " + op.what());
    }

    std::optional<std::string> authorization(const Op &op) {
        try {
            return tokens_->authorization();
        } catch (const Error &e) {
            throw token_error(op.what(), e);
        }
    }

    Error token_error(const std::string &what, const Error &e) const { return token_refusal(settings_, what, e); }

    // One request: the token, the quotas, the request sent (again once after a 401 with a new
    // token). `creating`: a failure after the request was sent is Uncertain.
    HttpResponse send(const Op &op, const HttpRequest &request, const Gate &gate, bool creating = false) {
        auto auth = authorization(op);
        for (int attempt = 0;; ++attempt) {
            HttpRequest r = request;
            if (auth) r.header("Authorization", *auth);
            HttpResponse response;
            {
                MailboxSlot slot(op.mailbox, op.what(), gate);
                ++sent_;
                const auto started = std::chrono::steady_clock::now();
                try {
                    response = http_->send(r);
                } catch (const TransportError &e) {
                    const auto c = support::classify(e, op.what());
                    if (creating && c.uncertain())
                        throw Uncertain(op.what() + ": no answer after the request was sent (" + e.what() +
                                        "): the event may have been created; sending it again is safe (same "
                                        "transactionId, and the ERP's mark finds it)");
                    throw c.to_error(detail_of(op));
                }
                if (host_.log_enabled(RELAIS_LOG_DEBUG))
                    host_.debug(op.what() + ": " + r.method + " " + support::without_query(r.url) + " -> " +
                                std::to_string(response.status) + " in " +
                                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                   std::chrono::steady_clock::now() - started)
                                                   .count()) +
                                " ms");
            }
            if (response.status == 401 && auth && attempt == 0) {
                tokens_->refused(*auth);
                auth = authorization(op);
                continue;
            }
            return response;
        }
    }

    static Json detail_of(const Op &op) {
        Json d = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        d->set("backend", "graph");
        d->set("operation", op.name);
        d->set("mailbox", op.mailbox);
        if (!op.item.empty()) d->set("id", op.item);
        return d;
    }
    static Json error_detail(const Op &op, const HttpResponse &response, const GraphError &error) {
        auto d = detail_of(op);
        d->set("http_status", response.status);
        if (!error.code.empty()) d->set("graph_code", error.code);
        return d;
    }

    [[noreturn]] void fail(const Op &op, const HttpResponse &response) {
        const auto error = graph_error_of(response);
        Json detail = error_detail(op, response, error);
        const auto status = response.status;
        const std::string said = error.code.empty()
                                     ? std::string()
                                     : " (" + error.code + (error.message.empty() ? "" : ": " + error.message) + ")";
        const std::string http = "HTTP " + std::to_string(status) + said;
        const auto code = lower(error.code);
        if (status == 400 || status == 422)
            throw invalid_input(op.what() + ": Graph refused the request: " + http, detail);
        if (status == 401)
            throw unauthorized(
                op.what() + ": Graph refused the application's token, a new one too: " + http +
                    "; check that the application (client_id " + settings_.client_id +
                    ") has the Calendars.ReadWrite application permission with admin consent in tenant " +
                    settings_.tenant_id,
                detail);
        if (status == 403)
            throw forbidden(
                op.what() + ": access denied to the mailbox " + op.mailbox + ": " + http +
                    "; the application may not open it: grant it Calendars.ReadWrite (application permission, "
                    "admin consent), and make sure the Exchange application access policy or the RBAC for "
                    "Applications management scope that restricts it includes this mailbox",
                detail);
        if (status == 404) {
            const bool mailbox = code == "errornonexistentmailbox" || code == "request_resourcenotfound" ||
                                 code == "mailboxnotenabledforrestapi" || code == "resourcenotfound" ||
                                 code == "errorinvaliduser" || op.item.empty();
            if (mailbox)
                throw not_found(op.what() + ": no mailbox " + op.mailbox + ": " + http +
                                    "; check the address (the user's primary SMTP address or user principal name) and "
                                    "that the user has an Exchange Online mailbox",
                                detail);
            throw not_found(op.what() + ": no event " + op.item + " in the calendar of " + op.mailbox + ": " + http,
                            detail);
        }
        if (status == 412) {
            detail->set("conflict", true);
            throw permanent(op.what() + ": conflict: the event changed meanwhile: " + http, detail);
        }
        if (status == 429 || status == 503) {
            const auto header = response.header("Retry-After");
            std::optional<std::chrono::milliseconds> told;
            if (header) told = support::parse_retry_after(*header, std::chrono::system_clock::now());
            const auto wait = told.value_or(std::chrono::milliseconds(kFallbackWait));
            if (told) host_.quota_report("requests", lower(op.mailbox), wait);
            detail->set("retry_after_ms", static_cast<Poco::Int64>(wait.count()));
            throw rate_limited(op.what() + ": Graph is throttling the mailbox: " + http + "; retry in " +
                                   std::to_string((wait.count() + 999) / 1000) + " s" +
                                   (told ? std::string() : " (no Retry-After given)"),
                               wait, detail);
        }
        if (status == 408 || status >= 500) {
            std::chrono::milliseconds wait{0};
            if (const auto header = response.header("Retry-After"))
                wait = support::parse_retry_after(*header, std::chrono::system_clock::now()).value_or(wait);
            throw transient(op.what() + ": Graph failed: " + http, detail, wait);
        }
        throw permanent(op.what() + ": Graph answered " + http, detail);
    }

    Settings settings_;
    std::shared_ptr<support::HttpClient> http_;
    std::shared_ptr<TokenSource> tokens_;
    Host host_;
    std::string origin_;
    std::atomic<uint64_t> sent_{0};
};

}  // namespace

std::shared_ptr<CalendarBackend> make_graph_backend(const Settings &settings, std::shared_ptr<support::HttpClient> http,
                                                    std::shared_ptr<TokenSource> tokens, Host host) {
    return std::make_shared<GraphBackend>(settings, std::move(http), std::move(tokens), host);
}

}  // namespace relais::exchange
