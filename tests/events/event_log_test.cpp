// The event log as plugins and the API see it: emitted in order, duplicates dropped by their
// dedupe key, bad events refused with what is wrong, the cursor kept across a reopening of
// relais.db, and old events purged.
#include "events/event_log.hpp"
#include "events/event_rules.hpp"
#include "jobs/sqlite_job_store.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <thread>

using namespace relais::host;
using namespace relais::host::events;

namespace {

constexpr int64_t T0 = 1'780'000'000'000;

// relais.db made and migrated by the job store, as the service does before opening the log.
struct Db {
    relais::test::TempDir dir{"relais-events"};
    Db() { SqliteJobStore store(dir.path()); }
};

std::vector<Event> all(EventLog &log, int64_t after = 0) {
    EventFilter f;
    f.after = after;
    f.limit = 500;
    return log.list(f);
}

}  // namespace

TEST_CASE("events: emitted events come back oldest first, each with its own id and a growing sequence", "[events]") {
    Db db;
    ManualClock clock(T0);
    EventLog log(db.dir.path(), clock);
    CHECK(log.emit("chorus", "invoice.status_changed", "F-1", R"({"status":"DEPOSEE"})"));
    clock.advance(10);
    CHECK(log.emit("chorus", "invoice.paid", "F-1", R"({"amount": 120.5})"));
    CHECK(log.emit("sirene", "company.closed", "123456789", "{}"));

    const auto events = all(log);
    REQUIRE(events.size() == 3);
    CHECK(events[0].type == "invoice.status_changed");
    CHECK(events[0].subject == "F-1");
    CHECK(events[0].data == R"({"status":"DEPOSEE"})");
    CHECK(events[0].created_at == T0);
    CHECK(events[1].created_at == T0 + 10);
    CHECK(events[2].connector == "sirene");
    CHECK(events[0].sequence < events[1].sequence);
    CHECK(events[1].sequence < events[2].sequence);
    std::set<std::string> ids;
    for (const auto &e : events) {
        CHECK(e.id.rfind("evt_", 0) == 0);
        CHECK(e.id.size() == 28);
        ids.insert(e.id);
    }
    CHECK(ids.size() == 3);
    CHECK(log.find(events[1].id)->type == "invoice.paid");
    CHECK_FALSE(log.find("evt_000000000000000000000000"));
}

TEST_CASE("events: a dedupe key seen before drops the event, keys are per connector", "[events]") {
    Db db;
    ManualClock clock(T0);
    EventLog log(db.dir.path(), clock);
    CHECK(log.emit("chorus", "invoice.paid", "F-1", "{}", std::string("chorus/1/paid")));
    CHECK_FALSE(log.emit("chorus", "invoice.paid", "F-1", R"({"again":true})", std::string("chorus/1/paid")));
    CHECK(log.emit("other", "invoice.paid", "F-1", "{}", std::string("chorus/1/paid")));
    // Without a key, nothing is deduplicated.
    CHECK(log.emit("chorus", "invoice.paid", "F-1", "{}"));
    CHECK(log.emit("chorus", "invoice.paid", "F-1", "{}"));
    const auto events = all(log);
    REQUIRE(events.size() == 4);
    CHECK(events[0].data == "{}");
}

TEST_CASE("events: emitted from many threads, each gets a distinct sequence and none is lost", "[events]") {
    Db db;
    ManualClock clock(T0);
    EventLog log(db.dir.path(), clock);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 25; ++i) log.emit("c" + std::to_string(t), "thing.happened", std::to_string(i), "{}",
                                                  std::string("k") + std::to_string(i % 20));
        });
    for (auto &t : threads) t.join();
    const auto events = all(log);
    CHECK(events.size() == 80);  // 20 distinct keys per connector
    std::set<int64_t> sequences;
    for (const auto &e : events) sequences.insert(e.sequence);
    CHECK(sequences.size() == events.size());
}

TEST_CASE("events: bad events are refused with the field and the rule", "[events]") {
    Db db;
    ManualClock clock(T0);
    EventLog log(db.dir.path(), clock);
    const auto refused = [&](const std::string &type, const std::string &data, const std::string &expected,
                             std::optional<std::string> key = std::nullopt, const std::string &subject = "s") {
        try {
            log.emit("chorus", type, subject, data, key);
            FAIL("accepted " << type << " " << data);
        } catch (const std::invalid_argument &e) {
            INFO(e.what());
            CHECK(std::string(e.what()).find("event of connector chorus") != std::string::npos);
            CHECK(std::string(e.what()).find(expected) != std::string::npos);
        }
    };
    refused("Invoice.Paid", "{}", "may hold only lowercase letters");
    refused("invoice paid", "{}", "may hold only lowercase letters");
    refused("", "{}", "type is empty");
    refused("invoice..paid", "{}", "empty segment");
    refused("invoice.paid", "[1,2]", "must be a JSON object");
    refused("invoice.paid", "{oops", "not valid JSON");
    refused("invoice.paid", "{\"x\":\"" + std::string(70 * 1024, 'a') + "\"}", "more than the 65536");
    refused("invoice.paid", "{}", "dedupe key is empty", std::string());
    refused("invoice.paid", "{}", "subject is 501 bytes", std::nullopt, std::string(501, 's'));
    CHECK(all(log).empty());
}

TEST_CASE("events: the list filters by type, prefix and connector, and pages after a cursor", "[events]") {
    Db db;
    ManualClock clock(T0);
    EventLog log(db.dir.path(), clock);
    log.emit("chorus", "invoice.paid", "1", "{}");
    log.emit("chorus", "invoice.rejected", "2", "{}");
    log.emit("chorus", "invoices_other.x", "3", "{}");
    log.emit("sirene", "invoice.paid", "4", "{}");
    log.emit("chorus", "structure.updated", "5", "{}");

    EventFilter f;
    f.types.emplace_back("invoice.*", "type");
    auto page = log.list(f);
    REQUIRE(page.size() == 3);
    CHECK(page[0].subject == "1");
    CHECK(page[2].subject == "4");

    f.types = {TypePattern("invoice.paid", "type"), TypePattern("structure.updated", "type")};
    f.connector = "chorus";
    page = log.list(f);
    REQUIRE(page.size() == 2);
    CHECK(page[0].subject == "1");
    CHECK(page[1].subject == "5");

    EventFilter paging;
    paging.limit = 2;
    std::vector<std::string> subjects;
    for (int i = 0; i < 5; ++i) {
        const auto p = log.list(paging);
        if (p.empty()) break;
        for (const auto &e : p) subjects.push_back(e.subject);
        paging.after = p.back().sequence;
    }
    CHECK(subjects == std::vector<std::string>{"1", "2", "3", "4", "5"});
}

TEST_CASE("events: the cursor survives reopening relais.db, and sequences go on after a purge", "[events]") {
    Db db;
    ManualClock clock(T0);
    std::string cursor;
    {
        EventLog log(db.dir.path(), clock);
        log.emit("chorus", "invoice.paid", "1", "{}");
        log.emit("chorus", "invoice.paid", "2", "{}");
        cursor = cursor_of(all(log).front().sequence);
    }
    SqliteJobStore store(db.dir.path());  // the host starts again: the store opens the file first
    EventLog log(db.dir.path(), clock);
    log.emit("chorus", "invoice.paid", "3", "{}");
    const auto after = parse_cursor(cursor);
    REQUIRE(after);
    const auto rest = all(log, *after);
    REQUIRE(rest.size() == 2);
    CHECK(rest[0].subject == "2");
    CHECK(rest[1].subject == "3");

    // Purged up to the newest: the next event still gets a larger sequence than any given.
    const auto newest = log.last_sequence();
    clock.advance(1000);
    CHECK(log.purge_created_before(clock.now_ms(), 1000) == 3);
    CHECK(all(log).empty());
    CHECK(log.last_sequence() == newest);
    log.emit("chorus", "invoice.paid", "4", "{}");
    CHECK(all(log).at(0).sequence > newest);
}

TEST_CASE("events: retention purges only the events older than the cutoff", "[events]") {
    Db db;
    ManualClock clock(T0);
    EventLog log(db.dir.path(), clock);
    log.emit("chorus", "invoice.paid", "old", "{}");
    clock.advance(86'400'000);
    log.emit("chorus", "invoice.paid", "new", "{}");
    CHECK(log.purge_created_before(T0 + 1, 100) == 1);
    const auto left = all(log);
    REQUIRE(left.size() == 1);
    CHECK(left[0].subject == "new");
}

TEST_CASE("events: cursors and type patterns refuse what they do not know", "[events]") {
    CHECK(parse_cursor(cursor_of(0)) == 0);
    CHECK(parse_cursor(cursor_of(123456789)) == 123456789);
    CHECK_FALSE(parse_cursor("12"));
    CHECK_FALSE(parse_cursor("evc_"));
    CHECK_FALSE(parse_cursor("evc_xyz"));
    CHECK_FALSE(parse_cursor("evc_FF"));
    CHECK(TypePattern("invoice.*", "t").matches("invoice.paid"));
    CHECK_FALSE(TypePattern("invoice.*", "t").matches("invoices.paid"));
    CHECK_FALSE(TypePattern("invoice.*", "t").matches("invoice"));
    CHECK(TypePattern("*", "t").matches("anything.at_all"));
    CHECK(TypePattern("invoice.paid", "t").matches("invoice.paid"));
    CHECK_FALSE(TypePattern("invoice.paid", "t").matches("invoice.paid.late"));
    CHECK_THROWS_WITH(TypePattern("invoice*", "type"), Catch::Contains("type:"));
    CHECK_THROWS_AS(TypePattern(".*", "type"), std::invalid_argument);
}
