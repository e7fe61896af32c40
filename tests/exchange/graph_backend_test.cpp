// The Graph backend of the Exchange connector, driven through make_graph_backend against the
// Exchange emulator over HTTPS (its test CA passed as ca_file): events created with the ERP's
// mark and read back in UTC with their own zone, a create repeated (both answers Graph may
// give to a used transactionId) and a lost answer, a weekly series across the spring DST
// change, paging, delta rounds over creations, changes and deletions, an expired delta link,
// an ETag conflict, throttling with and without Retry-After, the token endpoint's refusals,
// mailboxes that do not exist or are out of the application's scope, and the per-mailbox
// quotas taken and given back on every path. Time moves by advancing the emulator's clock.
#include "temp_dir.hpp"

#include "certificate_authority.hpp"
#include "exchange_backends.hpp"
#include "exchange_emulator.hpp"
#include "exchange_graph_json.hpp"

#include <relais/support/connection.hpp>

#include <catch2/catch.hpp>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Object.h>
#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

using namespace relais;
using namespace relais::exchange;
namespace emu = relais::exchange_emulator;
using namespace std::chrono_literals;

namespace {

constexpr const char *kTenant = "7e1a4b0c-55d3-4c1e-9a55-0b7f3c2d1e90";
constexpr const char *kClientId = "3b5f1d2e-8c44-4f0a-b1d2-6e9a0c7b4f21";
constexpr const char *kSecret = "relais-exchange-secret";
constexpr const char *kAlice = "alice@contoso.com";
constexpr const char *kPost = "POST /v1.0/users/{mailbox}/events";
constexpr const char *kView = "GET /v1.0/users/{mailbox}/calendarView";
constexpr const char *kDelta = "GET /v1.0/users/{mailbox}/calendarView/delta";

// 2026-01-12 08:00:00 UTC, a Monday in winter (Paris is UTC+1).
std::chrono::system_clock::time_point monday() {
    return std::chrono::sys_days(std::chrono::year(2026) / 1 / 12) + std::chrono::hours(8);
}

const Window kWeeks{"2026-01-12T00:00:00Z", "2026-01-26T00:00:00Z"};

// The host's quota services, as far as the backend uses them: "concurrent" slots capped per
// key (the host's concurrency limit), takes and releases counted, quota reports kept.
struct FakeHost {
    std::mutex mutex;
    std::condition_variable freed;
    std::size_t cap = 4;
    std::map<std::string, std::size_t> in_use;
    std::size_t peak = 0, takes = 0, releases = 0, request_units = 0;
    struct Report {
        std::string scope, key;
        uint64_t retry_after_ms;
    };
    std::vector<Report> reports;
    relais_host_services services{};

    FakeHost() {
        services.struct_size = sizeof(relais_host_services);
        services.abi_version = 1;
        services.capabilities = RELAIS_CAP_QUOTA;
        services.quota_take = [](relais_call_ctx *call, const char *scope, const char *key, uint32_t,
                                 uint64_t max_wait_ms, uint64_t *) -> relais_status {
            auto &self = *reinterpret_cast<FakeHost *>(call);
            std::unique_lock lock(self.mutex);
            if (std::string(scope) == "requests") return ++self.request_units, RELAIS_OK;
            auto &used = self.in_use[key];
            if (!self.freed.wait_for(lock, std::chrono::milliseconds(max_wait_ms), [&] { return used < self.cap; }))
                return RELAIS_RATE_LIMITED;
            ++used;
            ++self.takes;
            self.peak = std::max(self.peak, used);
            return RELAIS_OK;
        };
        services.quota_release = [](relais_call_ctx *call, const char *scope, const char *key) {
            auto &self = *reinterpret_cast<FakeHost *>(call);
            std::lock_guard lock(self.mutex);
            if (std::string(scope) != "concurrent") return;
            --self.in_use[key];
            ++self.releases;
            self.freed.notify_all();
        };
        services.quota_report = [](relais_host_ctx *host, const char *scope, const char *key, uint64_t retry_after_ms,
                                   int64_t, uint64_t) {
            auto &self = *reinterpret_cast<FakeHost *>(host);
            std::lock_guard lock(self.mutex);
            self.reports.push_back({scope ? scope : "", key ? key : "", retry_after_ms});
        };
    }
    Host host() { return Host(&services, reinterpret_cast<relais_host_ctx *>(this)); }
    relais_call_ctx *call_context() { return reinterpret_cast<relais_call_ctx *>(this); }
};

struct Fixture {
    test::TempDir dir{"relais-exchange-graph"};
    emulator::TestCertificateAuthority ca{dir.path()};
    std::shared_ptr<emulator::EmulatorClock> clock = std::make_shared<emulator::EmulatorClock>(monday());
    std::unique_ptr<emu::ExchangeEmulator> server;
    FakeHost fake;
    Settings settings;
    std::shared_ptr<support::HttpClient> http;
    std::shared_ptr<TokenSource> tokens;
    std::shared_ptr<CalendarBackend> backend;

    explicit Fixture(emu::ExchangeEmulatorOptions options = {},
                     const std::map<std::string, std::string> &overrides = {}) {
        options.server.tls = ca.server_files();
        options.server.clock = clock;
        server = std::make_unique<emu::ExchangeEmulator>(options);
        server->start();
        Json json = new Poco::JSON::Object;
        json->set("enabled", true);
        json->set("backend", "graph");
        json->set("oauth", true);
        json->set("tenant_id", kTenant);
        json->set("client_id", kClientId);
        json->set("client_secret", kSecret);
        json->set("login_url", server->base_url());
        json->set("graph_url", server->graph_url());
        json->set("ca_file", ca.ca_file().string());
        for (const auto &[key, value] : overrides) json->set(key, value);
        settings = read_settings(json);
        http =
            std::make_shared<support::HttpClient>(support::client_options(settings.connection, "Relais-exchange-test"));
        tokens = std::make_shared<TokenSource>(settings, http);
        backend = make_graph_backend(settings, http, tokens, fake.host());
    }
    ~Fixture() { server->stop(); }

    emu::Event add(const std::string &subject, std::chrono::system_clock::time_point start,
                   std::chrono::minutes length = 60min) {
        emu::Event e;
        e.subject = subject;
        e.start = start;
        e.end = start + length;
        return server->add_event(kAlice, e);
    }
};

EventIn appointment(const std::string &erp_id, const std::string &start, const std::string &end,
                    const std::string &zone = "Romance Standard Time") {
    EventIn e;
    e.erp_id = erp_id;
    e.subject = "Chantier " + erp_id;
    e.start = start;
    e.end = end;
    e.time_zone = zone;
    return e;
}

// Every page of a sync from `state`: the changes, and the last page's state.
struct Round {
    std::vector<Change> changes;
    std::string state;
    int pages = 0;
    bool full_resync = false;
};
Round sync_all(CalendarBackend &backend, std::string state, const Window &window = kWeeks) {
    Round round;
    for (;;) {
        auto page = backend.sync(kAlice, state, window, {});
        ++round.pages;
        round.full_resync = round.full_resync || page.full_resync;
        for (auto &c : page.changes) round.changes.push_back(std::move(c));
        state = page.next_state;
        REQUIRE(round.pages < 50);
        if (!page.more) break;
    }
    round.state = state;
    return round;
}

relais_status status_of(const std::function<void()> &f, std::string *message = nullptr, Json *detail = nullptr,
                        std::chrono::milliseconds *retry_after = nullptr) {
    try {
        f();
    } catch (const Error &e) {
        if (message) *message = e.what();
        if (detail) *detail = e.detail();
        if (retry_after) *retry_after = e.retry_after();
        return e.status();
    }
    return RELAIS_OK;
}

}  // namespace

TEST_CASE("graph backend: the ERP's event created, read back in UTC with its zone, found by its mark",
          "[exchange][graph]") {
    Fixture f;
    auto e = appointment("ERP-1", "2026-01-14T09:00", "2026-01-14T10:30:00");
    e.location = "Site A";
    e.body = "From the ERP";
    e.show_as = "tentative";
    e.categories = {"ERP", "Chantier"};
    e.reminder_minutes = 30;
    e.attendees.push_back({"bob@contoso.com", "Bob Durand", "optional", ""});
    const auto created = f.backend->create_event(kAlice, e, {});
    CHECK(created.start == "2026-01-14T08:00:00Z");  // 09:00 in Paris in winter
    CHECK(created.end == "2026-01-14T09:30:00Z");
    CHECK(created.time_zone == "Romance Standard Time");
    CHECK(created.erp_id == "ERP-1");
    CHECK(created.type == "single");
    CHECK_FALSE(created.version.empty());
    CHECK(created.show_as == "tentative");
    CHECK(created.reminder_minutes == 30);
    CHECK(created.categories == std::vector<std::string>{"ERP", "Chantier"});
    REQUIRE(created.attendees.size() == 1);
    CHECK(created.attendees[0].email == "bob@contoso.com");
    CHECK(created.attendees[0].type == "optional");
    CHECK(created.organizer == kAlice);

    // On the server: the mark in PS_PUBLIC_STRINGS, and the transactionId made from the erp_id.
    const auto stored = f.server->event(kAlice, created.id);
    REQUIRE(stored);
    CHECK(stored->extended.at("String {00020329-0000-0000-c000-000000000046} Name RelaisErpId") == "ERP-1");
    CHECK(stored->transaction_id == graph::transaction_id(kAlice, "ERP-1"));
    CHECK(std::regex_match(stored->transaction_id,
                           std::regex("[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
    CHECK(graph::transaction_id("Alice@Contoso.com", "ERP-1") == stored->transaction_id);
    CHECK(graph::transaction_id(kAlice, "ERP-2") != stored->transaction_id);
    CHECK(graph::transaction_id("bob@contoso.com", "ERP-1") != stored->transaction_id);

    const auto got = f.backend->get_event(kAlice, created.id, {});
    CHECK(got.erp_id == "ERP-1");
    CHECK(got.subject == "Chantier ERP-1");
    CHECK(got.location == "Site A");
    CHECK(got.body == "From the ERP");
    CHECK(got.version == created.version);

    // An all-day event stays dates; one given in UTC is sent as UTC.
    EventIn day = appointment("ERP-2", "2026-01-15", "2026-01-16");
    day.is_all_day = true;
    day.start_date = "2026-01-15";
    day.end_date = "2026-01-16";
    const auto all_day = f.backend->create_event(kAlice, day, {});
    CHECK(all_day.is_all_day);
    CHECK(all_day.start_date == "2026-01-15");
    CHECK(all_day.end_date == "2026-01-16");
    CHECK(all_day.time_zone == "Romance Standard Time");
    const auto utc =
        f.backend->create_event(kAlice, appointment("ERP-3", "2026-01-16T12:00:00Z", "2026-01-16T13:00:00Z"), {});
    CHECK(utc.start == "2026-01-16T12:00:00Z");
    CHECK(utc.time_zone == "UTC");

    // A person's own appointment, earlier than the others: no mark.
    f.add("Dentist", monday() + 2h);
    const auto listed = f.backend->list_events(kAlice, kWeeks, {});
    REQUIRE(listed.size() == 4);
    CHECK(listed[0].subject == "Dentist");
    CHECK(listed[0].erp_id.empty());
    CHECK(listed[0].start == "2026-01-12T10:00:00Z");
    CHECK(listed[1].erp_id == "ERP-1");
    CHECK(listed[2].erp_id == "ERP-2");
    CHECK(listed[3].erp_id == "ERP-3");

    const auto found = f.backend->find_by_erp_id(kAlice, "ERP-1", {});
    REQUIRE(found);
    CHECK(found->id == created.id);
    CHECK_FALSE(f.backend->find_by_erp_id(kAlice, "ERP-404", {}));
    // An erp_id with a quote, in the $filter's literal.
    const auto quoted =
        f.backend->create_event(kAlice, appointment("O'Brien-1", "2026-02-02T09:00:00", "2026-02-02T10:00:00"), {});
    CHECK(f.backend->find_by_erp_id(kAlice, "O'Brien-1", {})->id == quoted.id);
    CHECK_FALSE(f.backend->find_by_erp_id("bob@contoso.com", "ERP-1", {}));
    CHECK(f.backend->requests_sent() == 10);
}

TEST_CASE("graph backend: the same erp_id created twice is one event, whatever Graph answers the second time",
          "[exchange][graph]") {
    for (const auto mode : {emu::DuplicateTransaction::return_existing, emu::DuplicateTransaction::conflict_409}) {
        emu::ExchangeEmulatorOptions options;
        options.graph.duplicate_transaction = mode;
        Fixture f(options);
        const auto e = appointment("ERP-7", "2026-01-14T09:00:00", "2026-01-14T10:00:00");
        const auto first = f.backend->create_event(kAlice, e, {});
        const auto second = f.backend->create_event(kAlice, e, {});
        CHECK(second.id == first.id);
        CHECK(second.erp_id == "ERP-7");
        CHECK(f.server->events(kAlice).size() == 1);
        CHECK(f.server->calls(kPost) == 2);
        // 409: the event is found by its mark.
        CHECK(f.server->calls("GET /v1.0/users/{mailbox}/events") ==
              (mode == emu::DuplicateTransaction::conflict_409 ? 1u : 0u));

        // The answer lost after the event was made: Uncertain; sending it again finds it.
        f.server->fail_next(emu::Failure::lose_answer, 1, kPost);
        const auto lost = appointment("ERP-8", "2026-01-15T09:00:00", "2026-01-15T10:00:00");
        bool uncertain = false;
        try {
            f.backend->create_event(kAlice, lost, {});
        } catch (const Uncertain &u) {
            uncertain = true;
            CHECK(u.status() == RELAIS_TRANSIENT);
            CHECK(std::string(u.what()).find(kAlice) != std::string::npos);
        }
        CHECK(uncertain);
        REQUIRE(f.server->events(kAlice).size() == 2);
        const auto again = f.backend->create_event(kAlice, lost, {});
        CHECK(again.erp_id == "ERP-8");
        CHECK(f.server->events(kAlice).size() == 2);
        CHECK(f.backend->find_by_erp_id(kAlice, "ERP-8", {})->id == again.id);
    }
}

TEST_CASE("graph backend: a weekly 09:00 Paris series stays at 09:00 across the spring change",
          "[exchange][graph][dst]") {
    Fixture f;
    emu::Event weekly;
    weekly.subject = "Weekly";
    weekly.start = std::chrono::sys_days(std::chrono::year(2026) / 3 / 16) + 8h;  // 09:00 in Paris
    weekly.end = weekly.start + 30min;
    weekly.start_time_zone = weekly.end_time_zone = "Romance Standard Time";
    emu::Recurrence r;
    r.pattern = emu::Recurrence::Pattern::weekly;
    r.days = {std::chrono::Monday};
    r.start_date = std::chrono::sys_days(std::chrono::year(2026) / 3 / 16);
    r.range = emu::Recurrence::Range::end_date;
    r.end_date = std::chrono::sys_days(std::chrono::year(2026) / 4 / 6);
    weekly.recurrence = r;
    const auto master = f.server->add_event(kAlice, weekly);

    const Window spring{"2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z"};
    const auto listed = f.backend->list_events(kAlice, spring, {});
    REQUIRE(listed.size() == 4);
    const std::vector<std::string> starts{"2026-03-16T08:00:00Z", "2026-03-23T08:00:00Z", "2026-03-30T07:00:00Z",
                                          "2026-04-06T07:00:00Z"};
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(listed[i].start == starts[i]);
        CHECK(listed[i].type == "occurrence");
        CHECK(listed[i].series_id == master.id);
        CHECK(listed[i].time_zone == "Romance Standard Time");
    }
    // The delta gives the occurrences too.
    const auto round = sync_all(*f.backend, "", spring);
    REQUIRE(round.changes.size() == 4);
    CHECK(round.changes[2].event.start == "2026-03-30T07:00:00Z");
    // The master itself, read by id.
    CHECK(f.backend->get_event(kAlice, master.id, {}).type == "seriesMaster");
    // The series deleted: each occurrence, deleted.
    f.backend->delete_event(kAlice, master.id, {});
    const auto gone = sync_all(*f.backend, round.state, spring);
    REQUIRE(gone.changes.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(gone.changes[i].kind == Change::Kind::deleted);
        CHECK(gone.changes[i].event.id == listed[i].id);
    }

    // And back in autumn, the series' wall clock kept.
    // Europe changes on 25 October, the United States on 1 November.
    for (const auto &[zone, first, second, third] :
         {std::tuple{"W. Europe Standard Time", "2026-10-19T07:00:00Z", "2026-10-26T08:00:00Z", "2026-11-02T08:00:00Z"},
          std::tuple{"Eastern Standard Time", "2026-10-19T13:00:00Z", "2026-10-26T13:00:00Z",
                     "2026-11-02T14:00:00Z"}}) {
        emu::Event autumn;
        autumn.subject = std::string("Autumn in ") + zone;
        const bool europe = std::string(zone).rfind("W. Europe", 0) == 0;
        autumn.start = std::chrono::sys_days(std::chrono::year(2026) / 10 / 19) + (europe ? 7h : 13h);
        autumn.end = autumn.start + 1h;
        autumn.start_time_zone = autumn.end_time_zone = zone;
        emu::Recurrence weeks = r;
        weeks.start_date = std::chrono::sys_days(std::chrono::year(2026) / 10 / 19);
        weeks.end_date = std::chrono::sys_days(std::chrono::year(2026) / 11 / 2);
        autumn.recurrence = weeks;
        const auto series = f.server->add_event(kAlice, autumn);
        std::vector<Event> occurrences;
        for (auto &e : f.backend->list_events(kAlice, {"2026-10-01T00:00:00Z", "2026-12-01T00:00:00Z"}, {}))
            if (e.series_id == series.id) occurrences.push_back(e);
        REQUIRE(occurrences.size() == 3);
        CHECK(occurrences[0].start == first);
        CHECK(occurrences[1].start == second);
        CHECK(occurrences[2].start == third);
        CHECK(occurrences.back().time_zone == zone);
    }
}

TEST_CASE("graph backend: every page of a calendarView, in order", "[exchange][graph]") {
    emu::ExchangeEmulatorOptions options;
    options.graph.max_page_size = 3;  // what the backend's odata.maxpagesize is cut to
    Fixture f(options);
    for (int i = 6; i >= 0; --i) f.add("Slot " + std::to_string(i), monday() + std::chrono::hours(i));
    const auto listed = f.backend->list_events(kAlice, kWeeks, {});
    REQUIRE(listed.size() == 7);
    for (int i = 0; i < 7; ++i) CHECK(listed[static_cast<std::size_t>(i)].subject == "Slot " + std::to_string(i));
    CHECK(f.server->calls(kView) == 3);
    CHECK(f.backend->requests_sent() == 3);
}

TEST_CASE("graph backend: delta rounds over creations, changes and deletions, outside the window left out",
          "[exchange][graph][sync]") {
    emu::ExchangeEmulatorOptions options;
    options.graph.max_page_size = 3;
    Fixture f(options);
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i)
        ids.push_back(f.add("In " + std::to_string(i), monday() + std::chrono::hours(24 * i)).id);
    const auto outside = f.add("Next month", monday() + std::chrono::hours(24 * 40)).id;

    const auto first = sync_all(*f.backend, "");
    CHECK(first.pages == 2);
    CHECK_FALSE(first.full_resync);
    REQUIRE(first.changes.size() == 4);
    for (const auto &c : first.changes) CHECK(c.kind == Change::Kind::created);
    CHECK(first.state.find("$deltatoken=") != std::string::npos);

    // Nothing changed.
    const auto quiet = sync_all(*f.backend, first.state);
    CHECK(quiet.changes.empty());

    f.clock->advance(1h);
    const auto made =
        f.backend->create_event(kAlice, appointment("ERP-5", "2026-01-20T09:00:00", "2026-01-20T10:00:00"), {});
    f.clock->advance(1h);
    f.server->touch_event(kAlice, ids[0], "In 0, changed");
    f.server->remove_event(kAlice, ids[1]);
    f.server->touch_event(kAlice, outside, "Still next month");
    const auto lookups_before = f.server->calls("GET /v1.0/users/{mailbox}/events/{id}");
    const auto round = sync_all(*f.backend, quiet.state);
    CHECK_FALSE(round.full_resync);
    std::map<std::string, const Change *> by_id;
    for (const auto &c : round.changes) by_id[c.event.id] = &c;
    REQUIRE(round.changes.size() == 3);
    REQUIRE(by_id.count(made.id));
    CHECK(by_id[made.id]->kind == Change::Kind::created);
    CHECK(by_id[made.id]->event.start == "2026-01-20T08:00:00Z");
    REQUIRE(by_id.count(ids[0]));
    CHECK(by_id[ids[0]]->kind == Change::Kind::updated);
    CHECK(by_id[ids[0]]->event.subject == "In 0, changed");
    REQUIRE(by_id.count(ids[1]));
    CHECK(by_id[ids[1]]->kind == Change::Kind::deleted);
    CHECK_FALSE(by_id.count(outside));  // removed from the delta, but alive outside the window
    // Each removed entry looked up once.
    CHECK(f.server->calls("GET /v1.0/users/{mailbox}/events/{id}") - lookups_before == 2);

    CHECK(sync_all(*f.backend, round.state).changes.empty());
}

TEST_CASE("graph backend: an expired or foreign delta link starts over with a full sync", "[exchange][graph][sync]") {
    Fixture f;
    for (int i = 0; i < 3; ++i) f.add("In " + std::to_string(i), monday() + std::chrono::hours(24 * i));
    const auto first = sync_all(*f.backend, "");
    REQUIRE(first.changes.size() == 3);

    f.server->expire_sync_states();
    const auto again = sync_all(*f.backend, first.state);
    CHECK(again.full_resync);
    CHECK(again.changes.size() == 3);

    f.server->fail_next(emu::Failure::invalid_sync_state, 1, kDelta);
    const auto injected = f.backend->sync(kAlice, again.state, kWeeks, {});
    CHECK(injected.full_resync);
    CHECK(injected.changes.size() == 3);
    CHECK_FALSE(injected.more);

    const auto foreign = f.backend->sync(
        kAlice, "https://graph.example.net/v1.0/users/alice@contoso.com/calendarView/delta?$deltatoken=abc", kWeeks,
        {});
    CHECK(foreign.full_resync);
    CHECK(foreign.changes.size() == 3);
    CHECK(foreign.next_state.rfind(f.server->graph_url(), 0) == 0);
}

TEST_CASE("graph backend: an update at a stale ETag is a conflict with the current version, nothing overwritten",
          "[exchange][graph]") {
    Fixture f;
    auto e = appointment("ERP-9", "2026-01-14T09:00:00", "2026-01-14T10:00:00");
    const auto created = f.backend->create_event(kAlice, e, {});
    e.subject = "Moved";
    e.start = "2026-01-14T11:00:00";
    e.end = "2026-01-14T12:00:00";
    const auto updated = f.backend->update_event(kAlice, created.id, created.version, e, {});
    CHECK(updated.subject == "Moved");
    CHECK(updated.start == "2026-01-14T10:00:00Z");
    CHECK(updated.erp_id == "ERP-9");
    CHECK(updated.version != created.version);

    e.subject = "Lost";
    std::string message;
    Json detail;
    CHECK(status_of([&] { f.backend->update_event(kAlice, created.id, created.version, e, {}); }, &message, &detail) ==
          RELAIS_PERMANENT);
    REQUIRE(detail);
    CHECK(detail->getValue<bool>("conflict"));
    CHECK(detail->getValue<std::string>("current_version") == updated.version);
    CHECK(message.find("conflict") != std::string::npos);
    CHECK(message.find(kAlice) != std::string::npos);
    CHECK(f.server->event(kAlice, created.id)->subject == "Moved");

    // Without a version: whatever it is. Without an erp_id: the mark kept, read back.
    e.subject = "Forced";
    CHECK(f.backend->update_event(kAlice, created.id, "", e, {}).subject == "Forced");
    e.erp_id.clear();
    e.subject = "Unmarked update";
    CHECK(f.backend->update_event(kAlice, created.id, "", e, {}).erp_id == "ERP-9");

    f.backend->delete_event(kAlice, created.id, {});
    CHECK(f.server->events(kAlice).empty());
    CHECK(status_of([&] { f.backend->delete_event(kAlice, created.id, {}); }, &message) == RELAIS_NOT_FOUND);
    CHECK(message.find("no event") != std::string::npos);
    CHECK(status_of([&] { f.backend->get_event(kAlice, created.id, {}); }) == RELAIS_NOT_FOUND);
    CHECK(status_of([&] { f.backend->update_event(kAlice, created.id, "", e, {}); }) == RELAIS_NOT_FOUND);
}

TEST_CASE("graph backend: throttling with and without Retry-After, and the other failures", "[exchange][graph]") {
    SECTION("Retry-After given: that wait, reported to the host") {
        emu::ExchangeEmulatorOptions options;
        options.retry_after = 3s;
        Fixture f(options);
        std::chrono::milliseconds wait{0};
        std::string message;
        f.server->fail_next(emu::Failure::too_many_requests, 1);
        CHECK(status_of([&] { f.backend->list_events(kAlice, kWeeks, {}); }, &message, nullptr, &wait) ==
              RELAIS_RATE_LIMITED);
        CHECK(wait == 3000ms);
        CHECK(message.find("list_events for alice@contoso.com") != std::string::npos);
        f.server->fail_next(emu::Failure::unavailable, 1);
        CHECK(status_of([&] { f.backend->get_event(kAlice, "x", {}); }, nullptr, nullptr, &wait) ==
              RELAIS_RATE_LIMITED);
        CHECK(wait == 3000ms);
        REQUIRE(f.fake.reports.size() == 2);
        CHECK(f.fake.reports[0].scope == "requests");
        CHECK(f.fake.reports[0].key == kAlice);
        CHECK(f.fake.reports[0].retry_after_ms == 3000);
        // And then it works.
        CHECK(f.backend->list_events(kAlice, kWeeks, {}).empty());
    }
    SECTION("no Retry-After: the fallback, nothing reported") {
        emu::ExchangeEmulatorOptions options;
        options.retry_after = 0s;
        Fixture f(options);
        std::chrono::milliseconds wait{0};
        f.server->fail_next(emu::Failure::too_many_requests, 1);
        CHECK(status_of([&] { f.backend->list_events(kAlice, kWeeks, {}); }, nullptr, nullptr, &wait) ==
              RELAIS_RATE_LIMITED);
        CHECK(wait == 2000ms);
        CHECK(f.fake.reports.empty());
        f.server->fail_next(emu::Failure::server_error, 1);
        CHECK(status_of([&] { f.backend->list_events(kAlice, kWeeks, {}); }) == RELAIS_TRANSIENT);
        // A 500 to a create may have created it.
        f.server->fail_next(emu::Failure::server_error, 1, kPost);
        CHECK_THROWS_AS(
            f.backend->create_event(kAlice, appointment("ERP-1", "2026-01-14T09:00:00", "2026-01-14T10:00:00"), {}),
            Uncertain);
        // What Graph refuses in the request.
        std::string message;
        EventIn bad = appointment("ERP-2", "2026-01-14T09:00:00", "2026-01-14T10:00:00", "Mars/Olympus_Mons");
        CHECK(status_of([&] { f.backend->create_event(kAlice, bad, {}); }, &message) == RELAIS_INVALID_INPUT);
        CHECK(message.find("TimeZoneNotSupportedException") != std::string::npos);
    }
}

TEST_CASE("graph backend: the token endpoint's refusals name the setting, an expired token is renewed once",
          "[exchange][graph][oauth]") {
    SECTION("unknown tenant") {
        Fixture f({}, {{"tenant_id", "no-such-tenant.example"}});
        std::string message;
        Json detail;
        CHECK(status_of([&] { f.backend->list_events(kAlice, kWeeks, {}); }, &message, &detail) ==
              RELAIS_INVALID_CONFIG);
        CHECK(message.find("tenant_id") != std::string::npos);
        CHECK(message.find("no-such-tenant.example") != std::string::npos);
        CHECK(message.find("AADSTS90002") != std::string::npos);
        CHECK(message.find("list_events for alice@contoso.com") != std::string::npos);
        CHECK(detail->getValue<std::string>("setting") == "tenant_id");
        CHECK(status_of([&] { f.backend->check_token(); }) == RELAIS_INVALID_CONFIG);
        CHECK(f.backend->requests_sent() == 0);
    }
    SECTION("wrong secret") {
        Fixture f({}, {{"client_secret", "not-the-secret-42"}});
        std::string message;
        CHECK(status_of([&] { f.backend->check_token(); }, &message) == RELAIS_UNAUTHORIZED);
        CHECK(message.find("client_secret") != std::string::npos);
        CHECK(message.find("AADSTS7000215") != std::string::npos);
        CHECK(message.find("not-the-secret-42") == std::string::npos);
    }
    SECTION("a token refused again after its renewal") {
        emu::ExchangeEmulatorOptions options;
        options.token_lifetime = 0s;  // every token the emulator gives has already expired
        Fixture f(options);
        std::string message;
        CHECK(status_of([&] { f.backend->get_event(kAlice, "AAMk-1", {}); }, &message) == RELAIS_UNAUTHORIZED);
        CHECK(message.find("InvalidAuthenticationToken") != std::string::npos);
        CHECK(message.find("Calendars.ReadWrite") != std::string::npos);
        CHECK(f.server->tokens_issued() == 2);
        CHECK(f.backend->requests_sent() == 2);
    }
    SECTION("an expired token, renewed once") {
        Fixture f;
        CHECK(f.backend->check_token().find("https://graph.microsoft.com/.default") != std::string::npos);
        f.server->expire_tokens();
        CHECK(f.backend->list_events(kAlice, kWeeks, {}).empty());
        CHECK(f.server->tokens_issued() == 2);
        CHECK(f.backend->requests_sent() == 2);
    }
}

TEST_CASE("graph backend: the Test button's mailbox: found, unknown, out of the application's scope",
          "[exchange][graph]") {
    emu::ExchangeEmulatorOptions options;
    options.applications[0].mailboxes = {kAlice, "nobody@contoso.com"};
    Fixture f(options);
    CHECK(f.backend->check_mailbox(kAlice, {}).find("the calendar of alice@contoso.com was read") != std::string::npos);
    std::string message;
    CHECK(status_of([&] { f.backend->check_mailbox("nobody@contoso.com", {}); }, &message) == RELAIS_NOT_FOUND);
    CHECK(message.find("no mailbox nobody@contoso.com") != std::string::npos);
    CHECK(message.find("ErrorNonExistentMailbox") != std::string::npos);
    CHECK(status_of([&] { f.backend->check_mailbox("bob@contoso.com", {}); }, &message) == RELAIS_FORBIDDEN);
    CHECK(message.find("bob@contoso.com") != std::string::npos);
    CHECK(message.find("RBAC for Applications") != std::string::npos);
    CHECK(message.find("ErrorAccessDenied") != std::string::npos);
    f.server->fail_next(emu::Failure::non_existent_mailbox, 1);
    CHECK(status_of([&] { f.backend->list_events(kAlice, kWeeks, {}); }) == RELAIS_NOT_FOUND);
}

TEST_CASE("graph backend: the per-mailbox slots are held during each request and always given back",
          "[exchange][graph][quota]") {
    emu::ExchangeEmulatorOptions options;
    options.latency = 200ms;
    options.server.threads = 16;
    Fixture f(options);
    f.add("Busy", monday());
    Call call("test-call", f.fake.call_context(), &f.fake.services);
    const Gate gate{&call, std::chrono::seconds(20)};
    f.backend->check_token();  // the token first: the injected 500 would take the token request too
    // A few requests fail (500, 429, 404): their slots come back too.
    f.server->fail_next(emu::Failure::server_error, 2);
    f.server->fail_next(emu::Failure::too_many_requests, 1);
    f.server->fail_next(emu::Failure::non_existent_mailbox, 1);
    std::vector<std::future<relais_status>> calls;
    for (int i = 0; i < 12; ++i)
        calls.push_back(std::async(std::launch::async,
                                   [&] { return status_of([&] { f.backend->list_events(kAlice, kWeeks, gate); }); }));
    int ok = 0;
    for (auto &c : calls) ok += c.get() == RELAIS_OK;
    CHECK(ok == 8);
    CHECK(f.server->peak_graph_concurrency(kAlice) <= 4);
    CHECK(f.fake.peak == 4);
    CHECK(f.fake.takes == 12);
    CHECK(f.fake.releases == 12);
    CHECK(f.fake.request_units == 12);
    CHECK(f.fake.in_use[kAlice] == 0);
}

TEST_CASE("graph backend: without the host's slots, Graph refuses a fifth request in flight",
          "[exchange][graph][quota]") {
    emu::ExchangeEmulatorOptions options;
    options.latency = 2000ms;
    options.server.threads = 16;
    Fixture f(options);
    f.backend->check_token();
    std::vector<std::future<relais_status>> slow;
    for (int i = 0; i < 4; ++i)
        slow.push_back(std::async(std::launch::async,
                                  [&] { return status_of([&] { f.backend->list_events(kAlice, kWeeks, {}); }); }));
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (f.server->peak_graph_concurrency(kAlice) < 4 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    REQUIRE(f.server->peak_graph_concurrency(kAlice) == 4);
    std::string message;
    std::chrono::milliseconds wait{0};
    CHECK(status_of([&] { f.backend->list_events(kAlice, kWeeks, {}); }, &message, nullptr, &wait) ==
          RELAIS_RATE_LIMITED);
    CHECK(message.find("ApplicationThrottled") != std::string::npos);
    CHECK(wait == 1000ms);
    REQUIRE(f.fake.reports.size() == 1);
    CHECK(f.fake.reports[0].key == kAlice);
    for (auto &s : slow) CHECK(s.get() == RELAIS_OK);
}

TEST_CASE("graph backend: what a less tidy Graph could answer", "[exchange][graph]") {
    Fixture f;  // its token endpoint; Graph's answers scripted below
    std::mutex mutex;
    std::deque<emulator::Response> script;
    emulator::ServerOptions options;
    options.tls = f.ca.server_files();
    emulator::EmulatorServer stranger(options);
    for (const char *path : {"/v1.0/users/{mailbox}/calendarView", "/v1.0/users/{mailbox}/calendarView/delta"})
        stranger.route("GET", path, [&](const emulator::Request &) {
            std::lock_guard lock(mutex);
            if (script.empty()) return emulator::Response::text(599, "no answer scripted");  // fails the check
            auto next = script.front();
            script.pop_front();
            return next;
        });
    stranger.start();
    auto settings = f.settings;
    settings.graph_url = stranger.base_url() + "/v1.0";
    const auto backend = make_graph_backend(settings, f.http, f.tokens, f.fake.host());
    const auto answer = [&](emulator::Response r) {
        std::lock_guard lock(mutex);
        script.push_back(std::move(r));
    };
    const auto page = [](const std::string &extra) {
        return emulator::Response::json(200, R"({"value":[{"id":"AAMk-1","subject":"One","isAllDay":false,)"
                                             R"("start":{"dateTime":"2026-01-12T09:00:00.0000000","timeZone":"UTC"},)"
                                             R"("end":{"dateTime":"2026-01-12T10:00:00.0000000","timeZone":"UTC"}}])" +
                                                 extra + "}");
    };
    std::string message;
    std::chrono::milliseconds wait{0};

    // A next link to another host is not followed: the token is for Graph only.
    answer(page(R"(,"@odata.nextLink":"https://graph.example.net/v1.0/users/alice/calendarView?$skip=1")"));
    CHECK(status_of([&] { backend->list_events(kAlice, kWeeks, {}); }, &message) == RELAIS_PERMANENT);
    CHECK(message.find("not followed") != std::string::npos);
    CHECK(stranger.count("GET", "/v1.0/users/alice@contoso.com/calendarView") == 1);

    // Retry-After as an HTTP date, and a 503 without one.
    auto throttled = emulator::Response::json(429, R"({"error":{"code":"TooManyRequests","message":"Slow down"}})");
    throttled.header("Retry-After", Poco::DateTimeFormatter::format(Poco::Timestamp() + Poco::Timespan(30, 0),
                                                                    Poco::DateTimeFormat::HTTP_FORMAT));
    answer(throttled);
    CHECK(status_of([&] { backend->list_events(kAlice, kWeeks, {}); }, &message, nullptr, &wait) ==
          RELAIS_RATE_LIMITED);
    CHECK(wait > 25s);
    CHECK(wait <= 31s);
    REQUIRE(f.fake.reports.size() == 1);
    CHECK(f.fake.reports[0].retry_after_ms == static_cast<uint64_t>(wait.count()));
    answer(emulator::Response::json(503, R"({"error":{"code":"ServiceUnavailable","message":"Later"}})"));
    CHECK(status_of([&] { backend->list_events(kAlice, kWeeks, {}); }, nullptr, nullptr, &wait) == RELAIS_RATE_LIMITED);
    CHECK(wait == 2000ms);

    // A refusal of the request: Graph's code and message.
    answer(emulator::Response::json(400, R"({"error":{"code":"ErrorInvalidParameter","message":"Bad window"}})"));
    CHECK(status_of([&] { backend->list_events(kAlice, kWeeks, {}); }, &message) == RELAIS_INVALID_INPUT);
    CHECK(message.find("ErrorInvalidParameter: Bad window") != std::string::npos);

    // Times in a zone that was not asked for; a body that is not JSON; a delta page without links.
    answer(emulator::Response::json(
        200,
        R"({"value":[{"id":"AAMk-2","start":{"dateTime":"2026-01-12T09:00:00","timeZone":"Pacific Standard Time"},)"
        R"("end":{"dateTime":"2026-01-12T10:00:00","timeZone":"Pacific Standard Time"}}]})"));
    CHECK(status_of([&] { backend->list_events(kAlice, kWeeks, {}); }, &message) == RELAIS_INTERNAL);
    CHECK(message.find("Pacific Standard Time") != std::string::npos);
    answer(emulator::Response::text(200, "<html>proxy login</html>"));
    CHECK(status_of([&] { backend->list_events(kAlice, kWeeks, {}); }) == RELAIS_TRANSIENT);
    answer(page(""));
    CHECK(status_of([&] { backend->sync(kAlice, "", kWeeks, {}); }, &message) == RELAIS_TRANSIENT);
    CHECK(message.find("deltaLink") != std::string::npos);
    stranger.stop();
}
