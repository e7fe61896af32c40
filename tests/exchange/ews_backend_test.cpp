// The EWS backend of the Exchange connector, driven through make_ews_backend against the
// Exchange emulator over HTTPS (its test CA as ca_file): Basic, NTLM and OAuth with
// impersonation; create, get, update with a rotating change key, a conflict, delete; a
// weekly series across the spring DST change and the CalendarView truncation; find_by_erp_id;
// SyncFolderItems over creations, changes and deletions and an invalid state; the error
// shapes (Fault with BackOffMilliseconds, the per-message ServerBusy, HTTP 503), impersonation
// denied, a mailbox that does not exist, EWS blocked for the tenant.
#include "temp_dir.hpp"

#include "certificate_authority.hpp"
#include "exchange_backends.hpp"
#include "exchange_emulator.hpp"

#include <relais/support/connection.hpp>

#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>

#include <map>
#include <string>

using namespace relais;
using namespace relais::exchange;
namespace emu = relais::exchange_emulator;
using namespace std::chrono_literals;

namespace {

constexpr const char *kTenant = "7e1a4b0c-55d3-4c1e-9a55-0b7f3c2d1e90";
constexpr const char *kClientId = "3b5f1d2e-8c44-4f0a-b1d2-6e9a0c7b4f21";
constexpr const char *kSecret = "relais-exchange-secret";
constexpr const char *kAlice = "alice@contoso.com";

std::chrono::system_clock::time_point monday() {
    return std::chrono::sys_days(std::chrono::year(2026) / 1 / 12) + std::chrono::hours(8);
}

enum class Auth { basic, ntlm, oauth };

struct Fixture {
    test::TempDir dir{"relais-exchange-ews"};
    emulator::TestCertificateAuthority ca{dir.path()};
    std::shared_ptr<emulator::EmulatorClock> clock = std::make_shared<emulator::EmulatorClock>(monday());
    std::unique_ptr<emu::ExchangeEmulator> server;
    Settings settings;
    std::shared_ptr<support::HttpClient> http;
    std::shared_ptr<TokenSource> tokens;
    std::shared_ptr<CalendarBackend> backend;

    explicit Fixture(Auth auth = Auth::basic, emu::ExchangeEmulatorOptions options = {}) {
        options.server.tls = ca.server_files();
        options.server.clock = clock;
        server = std::make_unique<emu::ExchangeEmulator>(options);
        server->start();
        Json json = new Poco::JSON::Object;
        json->set("enabled", true);
        json->set("backend", "ews");
        json->set("ews_url", server->ews_url());
        json->set("ca_file", ca.ca_file().string());
        if (auth == Auth::oauth) {
            json->set("oauth", true);
            json->set("impersonation", true);
            json->set("tenant_id", kTenant);
            json->set("client_id", kClientId);
            json->set("client_secret", kSecret);
            json->set("login_url", server->base_url());
        } else {
            json->set("auth", auth == Auth::basic ? "basic" : "ntlm");
            json->set("username", auth == Auth::basic ? "svc-relais" : "CONTOSO\\svc-relais");
            json->set("password", "relais-exchange-password");
        }
        settings = read_settings(json);
        http = std::make_shared<support::HttpClient>(support::client_options(settings.connection, "Relais-exchange-test"));
        tokens = std::make_shared<TokenSource>(settings, http);
        backend = make_ews_backend(settings, http, tokens, Host(nullptr, nullptr));
    }
    ~Fixture() { server->stop(); }
};

EventIn appointment(const std::string &erp_id, const std::string &start, const std::string &end,
                    const std::string &zone = "Romance Standard Time") {
    EventIn e;
    e.erp_id = erp_id;
    e.subject = "Chantier " + erp_id;
    e.start = start;
    e.end = end;
    e.time_zone = zone;
    e.location = "Lyon";
    return e;
}

relais_status status_of(const std::function<void()> &f, std::string *message = nullptr, Json *detail = nullptr,
                        std::chrono::milliseconds *wait = nullptr) {
    try {
        f();
    } catch (const Error &e) {
        if (message) *message = e.what();
        if (detail) *detail = e.detail();
        if (wait) *wait = e.retry_after();
        return e.status();
    }
    return RELAIS_OK;
}

void round_trip(Fixture &f) {
    auto created = f.backend->create_event(kAlice, appointment("Q-1", "2026-01-14T09:00:00", "2026-01-14T10:30:00"), {});
    CHECK(created.start == "2026-01-14T08:00:00Z");
    CHECK(created.end == "2026-01-14T09:30:00Z");
    CHECK(created.time_zone == "Romance Standard Time");
    CHECK(created.erp_id == "Q-1");
    CHECK(created.location == "Lyon");
    CHECK(created.type == "single");
    CHECK_FALSE(created.version.empty());
    const auto read = f.backend->get_event(kAlice, created.id, {});
    CHECK(read.subject == "Chantier Q-1");
    CHECK(read.version == created.version);

    auto change = appointment("Q-1", "2026-01-14T11:00:00Z", "2026-01-14T12:00:00Z");
    change.subject = "Moved";
    const auto updated = f.backend->update_event(kAlice, created.id, created.version, change, {});
    CHECK(updated.subject == "Moved");
    CHECK(updated.start == "2026-01-14T11:00:00Z");
    CHECK(updated.version != created.version);

    std::string message;
    Json detail;
    CHECK(status_of([&] { f.backend->update_event(kAlice, created.id, created.version, change, {}); }, &message,
                    &detail) == RELAIS_PERMANENT);
    CHECK(message.find("conflict") != std::string::npos);
    REQUIRE(detail);
    CHECK(detail->getValue<bool>("conflict"));
    CHECK(detail->getValue<std::string>("current_version") == updated.version);
    CHECK(f.server->event(kAlice, created.id)->subject == "Moved");

    f.backend->delete_event(kAlice, created.id, {});
    CHECK(f.server->events(kAlice).empty());
    CHECK(status_of([&] { f.backend->delete_event(kAlice, created.id, {}); }, &message) == RELAIS_NOT_FOUND);
}

}  // namespace

TEST_CASE("ews backend: create, get, update with change keys, conflict, delete (Basic)", "[exchange][ews]") {
    Fixture f(Auth::basic);
    round_trip(f);
}

TEST_CASE("ews backend: the same through NTLM", "[exchange][ews]") {
    Fixture f(Auth::ntlm);
    round_trip(f);
}

TEST_CASE("ews backend: OAuth with impersonation, and impersonation denied", "[exchange][ews]") {
    emu::ExchangeEmulatorOptions options;
    options.applications.front().mailboxes = {kAlice};
    Fixture f(Auth::oauth, options);
    round_trip(f);
    CHECK_FALSE(f.backend->check_token().empty());
    std::string message;
    CHECK(status_of([&] { f.backend->list_events("bob@contoso.com", {"2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z"}, {}); },
                    &message) == RELAIS_FORBIDDEN);
    CHECK(message.find("RBAC for Applications") != std::string::npos);
    CHECK(message.find("bob@contoso.com") != std::string::npos);
}

TEST_CASE("ews backend: a weekly series across the spring DST change, the view truncated", "[exchange][ews]") {
    Fixture f;
    emu::Event series;
    series.subject = "Weekly";
    series.start = std::chrono::sys_days(std::chrono::year(2026) / 3 / 16) + 8h;  // 09:00 Paris
    series.end = series.start + 1h;
    series.start_time_zone = series.end_time_zone = "Romance Standard Time";
    emu::Recurrence r;
    r.days = {std::chrono::Monday};
    r.start_date = std::chrono::sys_days(std::chrono::year(2026) / 3 / 16);
    r.end_date = std::chrono::sys_days(std::chrono::year(2026) / 4 / 13);
    series.recurrence = r;
    f.server->add_event(kAlice, series);
    for (int i = 0; i < 600; ++i) {
        emu::Event e;
        e.subject = "Own " + std::to_string(i);
        e.start = std::chrono::sys_days(std::chrono::year(2026) / 3 / 17) + std::chrono::minutes(i * 5);
        e.end = e.start + 30min;
        f.server->add_event(kAlice, e);
    }
    const auto events = f.backend->list_events(kAlice, {"2026-03-01T00:00:00Z", "2026-04-30T00:00:00Z"}, {});
    CHECK(events.size() == 605);
    CHECK(f.server->calls("FindItem") >= 2);
    std::vector<std::string> weekly;
    for (const auto &e : events)
        if (e.subject == "Weekly") {
            weekly.push_back(e.start);
            CHECK(e.type == "occurrence");
            CHECK(e.time_zone == "Romance Standard Time");
        }
    CHECK(weekly == std::vector<std::string>{"2026-03-16T08:00:00Z", "2026-03-23T08:00:00Z", "2026-03-30T07:00:00Z",
                                             "2026-04-06T07:00:00Z", "2026-04-13T07:00:00Z"});
}

TEST_CASE("ews backend: find_by_erp_id, all-day events", "[exchange][ews]") {
    Fixture f;
    auto day = appointment("D-1", "2026-03-30", "2026-03-31");
    day.is_all_day = true;
    day.start_date = "2026-03-30";
    day.end_date = "2026-03-31";
    const auto created = f.backend->create_event(kAlice, day, {});
    CHECK(created.is_all_day);
    CHECK(created.start_date == "2026-03-30");
    CHECK(created.end_date == "2026-03-31");
    CHECK(f.server->event(kAlice, created.id)->start == std::chrono::sys_days(std::chrono::year(2026) / 3 / 29) + 22h);
    const auto found = f.backend->find_by_erp_id(kAlice, "D-1", {});
    REQUIRE(found);
    CHECK(found->id == created.id);
    CHECK_FALSE(f.backend->find_by_erp_id(kAlice, "D-2", {}));
}

TEST_CASE("ews backend: sync over creations, changes and deletions, then an invalid state", "[exchange][ews]") {
    Fixture f;
    const auto a = f.backend->create_event(kAlice, appointment("S-1", "2026-01-14T09:00:00", "2026-01-14T10:00:00"), {});
    const auto b = f.backend->create_event(kAlice, appointment("S-2", "2026-01-15T09:00:00", "2026-01-15T10:00:00"), {});
    auto first = f.backend->sync(kAlice, "", {}, {});
    CHECK_FALSE(first.more);
    REQUIRE(first.changes.size() == 2);
    CHECK(first.changes.front().kind == Change::Kind::created);
    CHECK(first.changes.front().event.erp_id == "S-1");
    const auto c = f.backend->create_event(kAlice, appointment("S-3", "2026-01-16T09:00:00", "2026-01-16T10:00:00"), {});
    f.server->touch_event(kAlice, a.id, "Changed in Outlook");
    f.backend->delete_event(kAlice, b.id, {});
    auto second = f.backend->sync(kAlice, first.next_state, {}, {});
    std::map<std::string, Change::Kind> kinds;
    for (const auto &c : second.changes) kinds[c.event.id] = c.kind;
    CHECK(kinds[a.id] == Change::Kind::updated);
    CHECK(kinds.count(b.id) == 1);
    CHECK(kinds[b.id] == Change::Kind::deleted);
    CHECK(kinds.count(c.id) == 1);
    CHECK(kinds[c.id] == Change::Kind::created);
    CHECK(f.backend->sync(kAlice, second.next_state, {}, {}).changes.empty());

    f.server->expire_sync_states(kAlice);
    const auto again = f.backend->sync(kAlice, second.next_state, {}, {});
    CHECK(again.full_resync);
    CHECK(again.changes.size() == 2);
}

TEST_CASE("ews backend: the three error shapes, a missing mailbox, EWS blocked", "[exchange][ews]") {
    Fixture f;
    const Window week{"2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z"};
    std::string message;
    std::chrono::milliseconds wait{0};
    f.server->fail_next(emu::Failure::server_busy, 1, "FindItem");
    CHECK(status_of([&] { f.backend->list_events(kAlice, week, {}); }, &message, nullptr, &wait) == RELAIS_RATE_LIMITED);
    CHECK(wait == 5000ms);
    f.server->fail_next(emu::Failure::server_busy_message, 1, "SyncFolderItems");
    CHECK(status_of([&] { f.backend->sync(kAlice, "", {}, {}); }, &message, nullptr, &wait) == RELAIS_RATE_LIMITED);
    CHECK(wait == 5000ms);
    f.server->fail_next(emu::Failure::unavailable, 1, "FindItem");
    CHECK(status_of([&] { f.backend->list_events(kAlice, week, {}); }, &message, nullptr, &wait) == RELAIS_RATE_LIMITED);
    CHECK(wait == 2000ms);
    f.server->fail_next(emu::Failure::exceeded_connection_count, 1, "FindItem");
    CHECK(status_of([&] { f.backend->list_events(kAlice, week, {}); }) == RELAIS_RATE_LIMITED);
    CHECK(status_of([&] { f.backend->list_events("nobody@contoso.com", week, {}); }, &message) == RELAIS_NOT_FOUND);
    CHECK(message.find("nobody@contoso.com") != std::string::npos);
    f.server->fail_next(emu::Failure::lose_answer, 1, "CreateItem");
    CHECK_THROWS_AS(f.backend->create_event(kAlice, appointment("L-1", "2026-01-14T09:00:00Z", "2026-01-14T10:00:00Z"), {}),
                    Uncertain);
    CHECK(f.backend->find_by_erp_id(kAlice, "L-1", {}));
    CHECK(f.backend->check_mailbox(kAlice, {}).find("Calendar") != std::string::npos);
    f.server->set_ews_blocked(true);
    CHECK(status_of([&] { f.backend->check_mailbox(kAlice, {}); }, &message) == RELAIS_FORBIDDEN);
    CHECK(message.find("use backend graph") != std::string::npos);
}

TEST_CASE("ews backend: an expired token renewed once, a wrong password named", "[exchange][ews]") {
    {
        Fixture f(Auth::oauth);
        const Window week{"2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z"};
        CHECK(f.backend->list_events(kAlice, week, {}).empty());
        f.server->expire_tokens();
        CHECK(f.backend->list_events(kAlice, week, {}).empty());
        CHECK(f.server->tokens_issued() == 2);
    }
    Fixture f(Auth::basic);
    Json json = new Poco::JSON::Object;
    json->set("enabled", true);
    json->set("backend", "ews");
    json->set("ews_url", f.server->ews_url());
    json->set("ca_file", f.ca.ca_file().string());
    json->set("auth", "basic");
    json->set("username", "svc-relais");
    json->set("password", "not-the-password");
    const auto settings = read_settings(json);
    auto http = std::make_shared<support::HttpClient>(support::client_options(settings.connection, "Relais-exchange-test"));
    auto backend = make_ews_backend(settings, http, std::make_shared<TokenSource>(settings, http), Host(nullptr, nullptr));
    std::string message;
    CHECK(status_of([&] { backend->check_mailbox(kAlice, {}); }, &message) == RELAIS_UNAUTHORIZED);
    CHECK(message.find("username and password") != std::string::npos);
    CHECK(message.find("not-the-password") == std::string::npos);
}
