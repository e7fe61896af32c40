// /api/v1/logs: the latest log lines of the host and its plugins (already redacted, as every
// output), filtered by connector, level and text; and the same as a live Server-Sent Events
// stream, for the console's tail. Admin only: a log line may say more about the setup than a
// client needs.
#include "http/api_error.hpp"
#include "http/api_routes.hpp"

#include "jobs/job_json.hpp"
#include "observability/log_tail.hpp"
#include "observability/logging.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/NumberParser.h>

#include <atomic>
#include <chrono>
#include <sstream>

namespace relais::host::http {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

// Streams at once: each holds one of the API's threads while it lasts.
constexpr int kMaxStreams = 4;
// A stream ends after this long; the page reconnects from the last line it saw (Last-Event-ID
// or ?after=), so a forgotten tab does not hold a thread forever.
constexpr auto kStreamLifetime = std::chrono::minutes(5);
// A comment line this often keeps proxies from closing an idle stream, and finds a gone reader.
constexpr auto kHeartbeat = std::chrono::seconds(10);

LogQuery query_of(const ApiRequest &req, const std::string &last_event_id) {
    LogQuery q;
    const auto number = [](const std::string &text, const std::string &name, uint64_t max) {
        Poco::UInt64 value = 0;
        if (!Poco::NumberParser::tryParseUnsigned64(text, value) || value > max)
            throw ApiError(400, "invalid_input", name + " must be a whole number up to " + std::to_string(max));
        return static_cast<uint64_t>(value);
    };
    for (const auto &[key, value] : req.query) {
        if (key == "after") {
            q.after = number(value, "after", UINT64_MAX / 2);
        } else if (key == "connector") {
            q.connector = value;
        } else if (key == "level") {
            try {
                q.min_level = parse_log_level(value);
            } catch (const std::invalid_argument &e) {
                throw ApiError(400, "invalid_input", std::string("level: ") + e.what());
            }
        } else if (key == "q") {
            q.text = value;
        } else if (key == "limit") {
            q.limit = static_cast<size_t>(number(value, "limit", 1000));
            if (q.limit == 0) throw ApiError(400, "invalid_input", "limit must be 1 to 1000");
        } else {
            throw ApiError(400, "invalid_input", "unknown parameter '" + key + "' (after, connector, level, q, limit)");
        }
    }
    if (!last_event_id.empty() && !req.query.count("after")) q.after = number(last_event_id, "Last-Event-ID", UINT64_MAX / 2);
    return q;
}

Object::Ptr line_json(const LogLine &l) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("seq", l.seq);
    o->set("time", job_time_text(l.time_ms));
    o->set("level", l.level);
    o->set("logger", l.logger);
    if (!l.connector.empty()) o->set("connector", l.connector);
    if (!l.call.empty()) o->set("call", l.call);
    o->set("message", l.message);
    return o;
}

std::atomic<int> streams_open{0};

}  // namespace

void add_log_routes(ApiRouter &router, ApiContext) {
    router.add("GET", "/api/v1/logs", Scope::admin, [](const ApiRequest &req) {
        const auto result = log_tail().read(query_of(req, ""));
        Array::Ptr lines = new Array;
        for (const auto &l : result.lines) lines->add(line_json(l));
        Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        o->set("lines", lines);
        o->set("next_after", result.next_after);
        o->set("missed", result.missed);
        return ApiResponse::json(200, o);
    });
    router.add("GET", "/api/v1/logs/stream", Scope::admin, [](const ApiRequest &req) {
        const auto it = std::find_if(req.headers.begin(), req.headers.end(),
                                     [](const auto &h) { return h.first == "last-event-id"; });
        auto query = query_of(req, it == req.headers.end() ? std::string() : it->second);
        // Without ?after=, the stream starts from now: the page reads the recent lines first.
        if (!req.query.count("after") && it == req.headers.end()) query.after = log_tail().last_seq();
        if (streams_open.fetch_add(1) >= kMaxStreams) {
            streams_open.fetch_sub(1);
            ApiError e(503, "unavailable", std::to_string(kMaxStreams) + " log streams are open already; close one");
            e.headers["Retry-After"] = "5";
            throw e;
        }
        ApiResponse r;
        r.content_type = "text/event-stream; charset=utf-8";
        r.headers["Cache-Control"] = "no-store";
        r.stream = [query](std::ostream &out, const std::function<bool()> &stopping) mutable {
            struct Release {
                ~Release() { streams_open.fetch_sub(1); }
            } release;
            const auto end = std::chrono::steady_clock::now() + kStreamLifetime;
            auto last_write = std::chrono::steady_clock::now();
            out << "retry: 2000\n\n" << std::flush;
            while (out && !stopping() && std::chrono::steady_clock::now() < end) {
                if (log_tail().wait_after(query.after, std::chrono::milliseconds(500))) {
                    const auto result = log_tail().read(query);
                    for (const auto &l : result.lines) {
                        std::ostringstream data;
                        line_json(l)->stringify(data);
                        out << "id: " << l.seq << "\ndata: " << data.str() << "\n\n";
                    }
                    query.after = result.next_after;
                    if (!result.lines.empty()) {
                        out.flush();
                        last_write = std::chrono::steady_clock::now();
                    }
                }
                if (std::chrono::steady_clock::now() - last_write > kHeartbeat) {
                    out << ": still here\n\n" << std::flush;
                    last_write = std::chrono::steady_clock::now();
                }
            }
        };
        return r;
    });
}

}  // namespace relais::host::http
