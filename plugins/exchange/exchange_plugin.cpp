// exchange: the ERP's planning kept in step with Outlook calendars (Akuiteo console guide,
// section 2.3), through Microsoft Graph (Office 365) or Exchange Web Services (on premises:
// Exchange 2016, 2019, Subscription Edition; Exchange Online only until EWS is switched off on
// 1 April 2027, and only for tenants that opted in since 1 October 2026).
//
// Actions, the same on both backends:
//   list_events, get_event, create_event (idempotent on erp_id), update_event (change key or
//   ETag: a stale one is a conflict, never overwritten), delete_event     (exchange_events.hpp)
//   sync_mailbox, and the periodic sync_all                                (exchange_sync.hpp)
//   push_planning: the ERP's planning of a window as the desired state     (exchange_planning.hpp)
// The "Test" button: the token, then the test mailbox opened and its calendar read.
//
// Quotas, per mailbox: Graph's 10,000 requests in any 10 minutes and 4 at once (the
// "requests" and "concurrent" scopes, keyed by mailbox); sync_all's mailboxes at most
// max_threads at once ("mailbox_syncs").
#include "exchange_auth.hpp"
#include "exchange_backends.hpp"
#include "exchange_events.hpp"
#include "exchange_planning.hpp"
#include "exchange_records.hpp"
#include "exchange_settings.hpp"
#include "exchange_sync.hpp"

#include <relais/plugin.hpp>
#include <relais/support/connection.hpp>
#include <relais/support/state_store.hpp>
#include <relais/support/test_steps.hpp>

#include <Poco/JSON/Array.h>

#include <memory>
#include <string>

namespace relais::exchange {
namespace {

const char *const kEventProperties = R"json(
    "subject": {"type": "string"},
    "start": {"type": "string", "description": "Wall-clock time in time_zone (2026-03-30T09:00:00), or UTC with Z; a date for an all-day event"},
    "end": {"type": "string", "description": "As start; for an all-day event the day after the last"},
    "time_zone": {"type": "string", "description": "Windows time-zone name (Romance Standard Time) or UTC", "default": "UTC"},
    "is_all_day": {"type": "boolean", "default": false},
    "location": {"type": "string"}, "body": {"type": "string"},
    "attendees": {"type": "array", "items": {"type": "object", "properties": {
      "email": {"type": "string"}, "name": {"type": "string"}, "type": {"type": "string", "enum": ["required", "optional", "resource"]}},
      "required": ["email"], "additionalProperties": false}},
    "show_as": {"type": "string", "enum": ["free", "tentative", "busy", "oof", "workingElsewhere", "unknown"]},
    "categories": {"type": "array", "items": {"type": "string"}},
    "reminder_minutes": {"type": "integer", "minimum": 0})json";

std::string schema(const std::string &properties, const std::string &required) {
    return R"({"type": "object", "properties": {"mailbox": {"type": "string", "description": "SMTP address of the calendar's owner"},)" +
           properties + R"(}, "required": [)" + required + R"(]})";
}

const std::string kWindow = R"(
    "from": {"type": "string", "description": "A date or a UTC time"},
    "to": {"type": "string", "description": "A date or a UTC time, at most 2 years after from"})";

Json configure_answer(const Settings &s) {
    Poco::JSON::Array::Ptr windows = new Poco::JSON::Array;
    const auto add = [&](const char *scope, int64_t count, int64_t seconds, bool per_key) {
        Json w = new Poco::JSON::Object;
        w->set("scope", scope);
        w->set("count", count);
        w->set("window_seconds", seconds);
        w->set("per_key", per_key);
        windows->add(w);
    };
    add("requests", s.requests_per_10_minutes, 600, true);
    add("concurrent", s.concurrent_per_mailbox, 0, true);
    add("mailbox_syncs", s.max_threads, 0, false);
    Poco::JSON::Array::Ptr tasks = new Poco::JSON::Array;
    Json t = new Poco::JSON::Object;
    t->set("name", "sync_all");
    t->set("interval_seconds", s.sync_interval_seconds);
    tasks->add(t);
    Json answer = new Poco::JSON::Object;
    answer->set("quota_windows", windows);
    answer->set("periodic_tasks", tasks);
    return answer;
}

struct Runtime {
    Settings settings;
    std::shared_ptr<TokenSource> tokens;
    std::shared_ptr<CalendarBackend> backend;
    std::shared_ptr<Events> events;
    std::shared_ptr<Sync> sync;
};

class Exchange {
public:
    static Definition<Exchange> definition() {
        return Definition<Exchange>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION,
                                    "Microsoft Exchange and Office 365 calendars, through Microsoft Graph or EWS")
            .settings_schema(settings_map().schema())
            .action("list_events", "The events of a mailbox between two times, recurring series expanded",
                    schema(kWindow, R"("mailbox", "from", "to")"), &Exchange::list_events)
            .action("get_event", "One event", schema(R"("id": {"type": "string"})", R"("mailbox", "id")"),
                    &Exchange::get_event)
            .action("create_event", "Creates the ERP's event, once per erp_id",
                    schema(std::string(R"("erp_id": {"type": "string", "description": "The ERP's id of the appointment"},)") +
                               kEventProperties,
                           R"("mailbox", "erp_id", "subject", "start", "end")"),
                    &Exchange::create_event)
            .action("update_event", "Changes an event if it is still at the version given",
                    schema(std::string(R"("id": {"type": "string"}, "erp_id": {"type": "string"},
                                          "version": {"type": "string", "description": "The change key (EWS) or ETag (Graph) read"},)") +
                               kEventProperties,
                           R"("mailbox", "subject", "start", "end")"),
                    &Exchange::update_event)
            .action("delete_event", "Deletes an event",
                    schema(R"("id": {"type": "string"}, "erp_id": {"type": "string"})", R"("mailbox")"),
                    &Exchange::delete_event)
            .action("sync_mailbox", "What changed in a mailbox's calendar since its last sync",
                    schema(R"("full": {"type": "boolean", "default": false, "description": "Start over with a full sync"})",
                           R"("mailbox")"),
                    &Exchange::sync_mailbox)
            .action("push_planning",
                    "The ERP's planning of a window as the desired state: only the ERP's events are created, changed "
                    "or deleted",
                    schema(kWindow + R"(, "events": {"type": "array", "items": {"type": "object"}})",
                           R"("mailbox", "from", "to", "events")"),
                    &Exchange::push_planning)
            .action("sync_all", "Queues a sync_mailbox job for every configured mailbox", R"({"type": "object"})",
                    &Exchange::sync_all)
            .periodic("sync_all", "sync_all", 900, 30)
            .quota_window("requests", 10000, std::chrono::minutes(10), true)
            .concurrency("concurrent", 4, true)
            .concurrency("mailbox_syncs", 4)
            .quota_per_request();
    }

    explicit Exchange(Host host) : host_(host) {}

    Json configure(const Json &json) {
        Settings s = read_settings(json);
        const auto http = clients_.client(s.connection, std::string("Relais-") + RELAIS_PLUGIN_NAME + "/" +
                                                            RELAIS_PLUGIN_VERSION,
                                          connection_block());
        if (!state_)
            state_ = support::versioned_plugin_state(host_, "the record of the ERP's events and the sync states");
        auto next = std::make_shared<Runtime>();
        next->tokens = std::make_shared<TokenSource>(s, http);
        // A connector nobody enabled may be saved half-filled: its backend is built once enabled.
        if (s.enabled)
            next->backend = s.backend == Backend::graph ? make_graph_backend(s, http, next->tokens, host_)
                                                        : make_ews_backend(s, http, next->tokens, host_);
        if (next->backend) next->events = std::make_shared<Events>(s, next->backend, std::make_shared<Records>(state_), host_);
        next->sync = std::make_shared<Sync>(next->events, host_);
        next->settings = std::move(s);
        const auto &kept = next->settings;
        host_.debug(std::string("configured for ") + (kept.backend == Backend::graph ? "graph" : "ews") + " at " +
                    kept.connection.base_url + (kept.enabled ? "" : " (disabled)"));
        auto answer = configure_answer(next->settings);
        runtime_.set(std::move(*next));
        return answer;
    }

    TestReport test(Call &call) {
        TestReport report;
        const auto rt = runtime_.get();
        support::TestSteps steps(report);
        if (!steps.configuration(rt != nullptr, rt && rt->settings.enabled,
                                 rt && rt->backend ? std::string(rt->backend->name()) + " at " + rt->settings.connection.base_url : ""))
            return report;
        const Gate gate{&call, std::chrono::seconds(10)};
        if (rt->tokens->oauth())
            steps.run("token", "OAuth application (tenant_id, client_id, client_secret)",
                      [&] { return rt->backend->check_token(); });
        steps.run("mailbox",
                  rt->tokens->oauth() ? "OAuth application (tenant_id, client_id, client_secret)"
                                      : "delegated user (username, password)",
                  [&] {
                      if (rt->settings.test_mailbox.empty())
                          throw invalid_config("test_mailbox is not set: name a mailbox the connector must reach");
                      return rt->backend->check_mailbox(rt->settings.test_mailbox, gate);
                  });
        return report;
    }

    Json list_events(const Json &input, Call &call) { return usable()->events->list(input, call); }
    Json get_event(const Json &input, Call &call) { return usable()->events->get(input, call); }
    Json create_event(const Json &input, Call &call) { return usable()->events->create(input, call); }
    Json update_event(const Json &input, Call &call) { return usable()->events->update(input, call); }
    Json delete_event(const Json &input, Call &call) { return usable()->events->remove(input, call); }
    Json sync_mailbox(const Json &input, Call &call) { return usable()->sync->sync_mailbox(input, call); }
    Json sync_all(const Json &input, Call &call) { return usable()->sync->sync_all(input, call); }
    Json push_planning(const Json &input, Call &call) {
        return exchange::push_planning(*usable()->events, input, call);
    }

private:
    std::shared_ptr<const Runtime> usable() const {
        auto rt = runtime_.get();
        support::require_usable(RELAIS_PLUGIN_NAME, rt != nullptr, rt && rt->settings.enabled && rt->backend);
        return rt;
    }

    Host host_;
    support::ClientKeeper clients_;
    std::shared_ptr<support::StateStore> state_;
    Snapshot<Runtime> runtime_;
};

}  // namespace
}  // namespace relais::exchange

RELAIS_PLUGIN(relais::exchange::Exchange)
