// The exchange connector's event actions through the plugin as the host runs it, on both
// backends against the emulator: create_event idempotent on erp_id (twice, after a lost
// answer, after a timeout), update_event with a stale version (a conflict, nothing
// overwritten), a weekly Paris series across the spring DST change, and the inputs refused
// before any request.
#include "exchange_harness.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <thread>

using namespace relais;
using namespace relais::test;
using namespace std::chrono;
using namespace std::chrono_literals;
namespace ee = relais::exchange_emulator;

namespace {

std::string appointment(const std::string &mailbox, const std::string &erp_id, system_clock::time_point start,
                        system_clock::time_point end, const std::string &subject = "",
                        const std::string &extra = "") {
    return R"({"mailbox":)" + json_string(mailbox) + R"(,"erp_id":)" + json_string(erp_id) + R"(,"subject":)" +
           json_string(subject.empty() ? "Chantier " + erp_id : subject) + R"(,"start":")" + utc_text(start) +
           R"(","end":")" + utc_text(end) + "\"" + extra + "}";
}

// The emulator's events of `mailbox` that carry `erp_id` as the ERP's mark.
std::vector<ee::Event> marked(ExchangeHarness &h, const std::string &mailbox, const std::string &erp_id) {
    std::vector<ee::Event> out;
    for (const auto &e : h.emulator().events(mailbox))
        for (const auto &[property, value] : e.extended)
            if (property.find("RelaisErpId") != std::string::npos && value == erp_id) out.push_back(e);
    return out;
}

template <class Condition>
bool eventually(Condition condition, milliseconds within = 5s) {
    const auto end = steady_clock::now() + within;
    while (steady_clock::now() < end) {
        if (condition()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return condition();
}

}  // namespace

TEST_CASE("exchange create_event: the same erp_id twice makes one event", "[exchange][idempotence]") {
    const auto variant = GENERATE(from_range(exchange_backends()));
    ExchangeHarness h(exchange_options(variant));
    const auto start = day_from_today(2) + 9h;
    const auto input = appointment(kAlice, "ERP-1001", start, start + 1h);

    const auto first = h.ok("create_event", input);
    CHECK(first->getValue<bool>("created"));
    const auto id = first->getValue<std::string>("id");
    CHECK_FALSE(id.empty());
    CHECK(first->optValue<std::string>("erp_id", "") == "ERP-1001");
    CHECK(first->getValue<std::string>("start") == utc_text(start));

    const auto second = h.ok("create_event", input);
    CHECK_FALSE(second->getValue<bool>("created"));
    CHECK(second->getValue<std::string>("id") == id);
    CHECK(h.emulator().calls(h.create_operation()) == 1);
    const auto events = marked(h, kAlice, "ERP-1001");
    REQUIRE(events.size() == 1);
    CHECK(events.front().id == id);
    CHECK(h.emulator().events(kAlice).size() == 1);

    // A host restarted on the same state still knows it.
    h.restart();
    const auto third = h.ok("create_event", input);
    CHECK_FALSE(third->getValue<bool>("created"));
    CHECK(third->getValue<std::string>("id") == id);
    CHECK(marked(h, kAlice, "ERP-1001").size() == 1);
}

TEST_CASE("exchange create_event: after a lost answer the retry finds the ERP's mark", "[exchange][idempotence]") {
    const auto variant = GENERATE(from_range(exchange_backends()));
    ExchangeHarness h(exchange_options(variant));
    const auto start = day_from_today(3) + 14h;
    const auto input = appointment(kAlice, "ERP-2002", start, start + 90min);

    h.emulator().fail_next(ee::Failure::lose_answer, 1, h.create_operation());
    const auto lost = h.call("create_event", input);
    INFO(lost.message);
    // Carried out upstream, no answer: uncertain, to retry (or already settled by the connector).
    if (!lost.ok()) {
        CHECK(lost.status == RELAIS_TRANSIENT);
        CHECK_THAT(lost.message, Catch::Contains(kAlice));
    }
    REQUIRE(marked(h, kAlice, "ERP-2002").size() == 1);
    const auto made = marked(h, kAlice, "ERP-2002").front().id;

    const auto retry = h.ok("create_event", input);
    CHECK_FALSE(retry->getValue<bool>("created"));
    CHECK(retry->getValue<std::string>("id") == made);
    CHECK(marked(h, kAlice, "ERP-2002").size() == 1);
    CHECK(h.emulator().events(kAlice).size() == 1);
}

TEST_CASE("exchange create_event: an answer held past the timeout, then carried out, is one event",
          "[exchange][idempotence]") {
    const auto variant = GENERATE(from_range(exchange_backends()));
    ExchangeHarness h(exchange_options(variant, R"({"read_timeout_seconds":1})"));
    const auto start = day_from_today(4) + 8h;
    const auto input = appointment(kAlice, "ERP-3003", start, start + 1h);
    // A token first, so that only the create waits.
    h.ok("list_events", R"({"mailbox":")" + std::string(kAlice) + R"(","from":")" + date_text(start) + R"(","to":")" +
                            date_text(start + 24h) + "\"}");

    h.emulator().hold_next_answers(1, h.create_operation());
    const auto held = h.call("create_event", input);
    INFO(held.message);
    CHECK(held.status == RELAIS_TRANSIENT);
    CHECK(h.emulator().held_count() == 1);
    h.emulator().release_held();
    REQUIRE(eventually([&] { return marked(h, kAlice, "ERP-3003").size() == 1; }));

    const auto retry = h.ok("create_event", input);
    CHECK_FALSE(retry->getValue<bool>("created"));
    CHECK(retry->getValue<std::string>("id") == marked(h, kAlice, "ERP-3003").front().id);
    CHECK(marked(h, kAlice, "ERP-3003").size() == 1);
    CHECK(h.emulator().calls(h.create_operation()) == 1);
}

TEST_CASE("exchange update_event: a stale version is a conflict, the event is not overwritten",
          "[exchange][conflict]") {
    const auto variant = GENERATE(from_range(exchange_backends()));
    ExchangeHarness h(exchange_options(variant));
    const auto start = day_from_today(2) + 10h;
    const auto created = h.ok("create_event", appointment(kAlice, "ERP-4004", start, start + 1h));
    const auto id = created->getValue<std::string>("id");
    const auto read = created->getValue<std::string>("version");
    REQUIRE_FALSE(read.empty());

    // Its owner changes it in Outlook meanwhile.
    REQUIRE(h.emulator().touch_event(kAlice, id, "Moved by its owner"));
    const auto stale = appointment(kAlice, "ERP-4004", start + 1h, start + 2h, "Changed by the ERP",
                                   R"(,"id":)" + json_string(id) + R"(,"version":)" + json_string(read));
    const auto r = h.call("update_event", stale);
    INFO(r.message << " " << r.detail_json);
    CHECK(r.status == RELAIS_PERMANENT);
    const auto detail = detail_of(r);
    REQUIRE(detail);
    CHECK(detail->optValue<bool>("conflict", false));
    const auto current_version = detail->optValue<std::string>("current_version", "");
    CHECK_FALSE(current_version.empty());
    CHECK(current_version != read);

    const auto now = h.emulator().event(kAlice, id);
    REQUIRE(now);
    CHECK(now->subject == "Moved by its owner");
    CHECK(now->start == start);
    const auto got = h.ok("get_event", R"({"mailbox":")" + std::string(kAlice) + R"(","id":)" + json_string(id) + "}");
    CHECK(got->getValue<std::string>("subject") == "Moved by its owner");
    CHECK(got->getValue<std::string>("version") == current_version);

    // With the version it now has, the change goes through.
    const auto fresh = appointment(kAlice, "ERP-4004", start + 1h, start + 2h, "Changed by the ERP",
                                   R"(,"id":)" + json_string(id) + R"(,"version":)" + json_string(current_version));
    const auto updated = h.ok("update_event", fresh);
    CHECK(updated->getValue<std::string>("subject") == "Changed by the ERP");
    CHECK(h.emulator().event(kAlice, id)->start == start + 1h);
}

TEST_CASE("exchange list_events: a weekly 09:00 Paris meeting across the March DST change", "[exchange][dst]") {
    const auto variant = GENERATE(from_range(exchange_backends()));
    ExchangeHarness h(exchange_options(variant));
    // Mondays 09:00 in Paris from 22 March 2027 (UTC+1) to 12 April (UTC+2 after 28 March).
    ee::Event series;
    series.subject = "Weekly site meeting";
    series.start = sys_days(year(2027) / 3 / 22) + 8h;
    series.end = series.start + 1h;
    series.start_time_zone = series.end_time_zone = "Romance Standard Time";
    ee::Recurrence weekly;
    weekly.pattern = ee::Recurrence::Pattern::weekly;
    weekly.days = {Monday};
    weekly.start_date = sys_days(year(2027) / 3 / 22);
    weekly.range = ee::Recurrence::Range::end_date;
    weekly.end_date = sys_days(year(2027) / 4 / 12);
    series.recurrence = weekly;
    h.emulator().add_event(kAlice, series);

    const auto list = h.ok("list_events", R"({"mailbox":"alice@contoso.com","from":"2027-03-15","to":"2027-04-13"})");
    const auto events = list->getArray("events");
    REQUIRE(events->size() == 4);
    const char *starts[] = {"2027-03-22T08:00:00Z", "2027-03-29T07:00:00Z", "2027-04-05T07:00:00Z",
                            "2027-04-12T07:00:00Z"};
    const char *ends[] = {"2027-03-22T09:00:00Z", "2027-03-29T08:00:00Z", "2027-04-05T08:00:00Z",
                          "2027-04-12T08:00:00Z"};
    for (unsigned i = 0; i < 4; ++i) {
        const auto e = events->getObject(i);
        INFO(i);
        CHECK(e->getValue<std::string>("start") == starts[i]);
        CHECK(e->getValue<std::string>("end") == ends[i]);
        CHECK(e->getValue<std::string>("time_zone") == "Romance Standard Time");
        CHECK(e->getValue<std::string>("subject") == "Weekly site meeting");
        CHECK_FALSE(e->getValue<bool>("is_all_day"));
    }
    CHECK(list->getValue<int>("count") == 4);
}

TEST_CASE("exchange inputs: refusals name the field, and no request is sent", "[exchange][input]") {
    const auto variant = GENERATE(from_range(exchange_backends()));
    ExchangeHarness h(exchange_options(variant));
    const auto start = day_from_today(2) + 9h;
    struct Case {
        const char *action;
        std::string input;
        std::string names;
    };
    const std::vector<Case> cases = {
        {"list_events", R"({"from":"2027-01-01","to":"2027-01-08"})", "mailbox"},
        {"list_events", R"({"mailbox":"","from":"2027-01-01","to":"2027-01-08"})", "mailbox"},
        {"list_events", R"({"mailbox":"not an address","from":"2027-01-01","to":"2027-01-08"})", "mailbox"},
        {"list_events", R"({"mailbox":"alice@contoso.com","from":"next monday","to":"2027-01-08"})", "from"},
        {"list_events", R"({"mailbox":"alice@contoso.com","from":"2027-01-01","to":"2027-13-45T99:00"})", "to"},
        {"list_events", R"({"mailbox":"alice@contoso.com","from":"2027-01-08","to":"2027-01-01"})", "to"},
        {"list_events", R"({"mailbox":"alice@contoso.com","from":"2027-01-01","to":"2030-01-01"})", "2 years"},
        {"create_event", appointment(kAlice, "ERP-9", start + 1h, start), "end"},
        {"create_event", appointment(kAlice, "ERP-9", start, start + 1h, "", R"(,"start":"tomorrow 9am")"), "start"},
        {"create_event",
         R"({"mailbox":"alice@contoso.com","subject":"No id","start":")" + utc_text(start) + R"(","end":")" +
             utc_text(start + 1h) + "\"}",
         "erp_id"},
        {"create_event", appointment("", "ERP-9", start, start + 1h), "mailbox"},
        {"create_event", appointment(kAlice, "ERP-9", start, start + 1h, "", R"(,"show_as":"away")"), "show_as"},
        {"create_event",
         appointment(kAlice, "ERP-9", start, start + 1h, "", R"(,"attendees":[{"email":"not-an-address"}])"),
         "attendees[0].email"},
        {"update_event", appointment(kAlice, "ERP-9", start + 1h, start, "", R"(,"id":"AAMk-1")"), "end"},
        {"get_event", R"({"mailbox":"alice@contoso.com"})", "id"},
        {"delete_event", R"({"mailbox":"alice@contoso.com"})", "id"},
        {"sync_mailbox", R"({})", "mailbox"},
        {"push_planning",
         R"({"mailbox":"alice@contoso.com","from":"2027-01-01","to":"2027-01-08","events":[{"subject":"x","start":"2027-01-02T09:00:00Z","end":"2027-01-02T10:00:00Z"}]})",
         "events[0].erp_id"},
        {"push_planning", R"({"mailbox":"alice@contoso.com","from":"2027-01-01","to":"2027-01-08"})", "events"},
        {"push_planning",
         R"({"mailbox":"alice@contoso.com","from":"2027-01-01","to":"2027-01-08","events":[
             {"erp_id":"A","subject":"x","start":"2027-01-02T09:00:00Z","end":"2027-01-02T10:00:00Z"},
             {"erp_id":"A","subject":"y","start":"2027-01-03T09:00:00Z","end":"2027-01-03T10:00:00Z"}]})",
         "events[1].erp_id"},
    };
    for (const auto &c : cases) {
        const auto r = h.call(c.action, c.input);
        INFO(c.action << " " << c.input << " -> " << r.message);
        CHECK(r.status == RELAIS_INVALID_INPUT);
        CHECK_THAT(r.message, Catch::Contains(c.names));
    }
    CHECK(h.upstream_requests() == 0);
    CHECK(h.emulator().events(kAlice).empty());
}

TEST_CASE("exchange events: every field read back, all-day as dates, delete by erp_id", "[exchange][events]") {
    const auto variant = GENERATE(from_range(exchange_backends()));
    ExchangeHarness h(exchange_options(variant));
    const auto start = day_from_today(5) + 13h;
    const auto made = h.ok(
        "create_event",
        appointment(kAlice, "ERP-5005", start, start + 45min, "Intervention chaudière",
                    R"(,"location":"12 rue des Lilas, Lyon","body":"Apporter le joint.","show_as":"tentative",)"
                    R"("categories":["ERP"],"reminder_minutes":30,)"
                    R"("attendees":[{"email":"bob@contoso.com","name":"Bob Durand","type":"optional"}])"));
    const auto id = made->getValue<std::string>("id");
    const auto got = h.ok("get_event", R"({"mailbox":"alice@contoso.com","id":)" + json_string(id) + "}");
    CHECK(got->getValue<std::string>("subject") == "Intervention chaudière");
    CHECK(got->optValue<std::string>("erp_id", "") == "ERP-5005");
    CHECK(got->getValue<std::string>("start") == utc_text(start));
    CHECK(got->getValue<std::string>("end") == utc_text(start + 45min));
    CHECK(got->optValue<std::string>("location", "") == "12 rue des Lilas, Lyon");
    CHECK_THAT(got->optValue<std::string>("body", ""), Catch::Contains("Apporter le joint."));
    CHECK(got->optValue<std::string>("show_as", "") == "tentative");
    CHECK(got->optValue<int>("reminder_minutes", -1) == 30);
    REQUIRE(got->getArray("categories"));
    CHECK(got->getArray("categories")->getElement<std::string>(0) == "ERP");
    REQUIRE(got->getArray("attendees"));
    CHECK(got->getArray("attendees")->getObject(0)->getValue<std::string>("email") == "bob@contoso.com");
    CHECK(got->getArray("attendees")->getObject(0)->getValue<std::string>("type") == "optional");

    // An all-day event: dates, end exclusive.
    const auto day = date_text(day_from_today(9)), next = date_text(day_from_today(10));
    const auto all_day = h.ok("create_event", R"({"mailbox":"alice@contoso.com","erp_id":"ERP-5006","subject":"Congés",)"
                                              R"("is_all_day":true,"start":")" + day + R"(","end":")" + next + "\"}");
    CHECK(all_day->getValue<bool>("is_all_day"));
    CHECK(all_day->optValue<std::string>("start_date", "") == day);
    CHECK(all_day->optValue<std::string>("end_date", "") == next);
    const auto listed = h.ok("list_events", R"({"mailbox":"alice@contoso.com","from":")" + day + R"(","to":")" + next +
                                                "\"}");
    REQUIRE(listed->getArray("events")->size() == 1);
    CHECK(listed->getArray("events")->getObject(0)->optValue<std::string>("start_date", "") == day);

    // Deleted by its erp_id: gone, and the same erp_id makes a new event afterwards.
    const auto deleted = h.ok("delete_event", R"({"mailbox":"alice@contoso.com","erp_id":"ERP-5005"})");
    CHECK(deleted->getValue<bool>("deleted"));
    CHECK(deleted->getValue<std::string>("id") == id);
    CHECK_FALSE(h.emulator().event(kAlice, id));
    const auto gone = h.call("get_event", R"({"mailbox":"alice@contoso.com","id":)" + json_string(id) + "}");
    CHECK(gone.status == RELAIS_NOT_FOUND);
    const auto again = h.ok("create_event", appointment(kAlice, "ERP-5005", start, start + 45min));
    CHECK(again->getValue<bool>("created"));
    CHECK(again->getValue<std::string>("id") != id);
    CHECK(h.emulator().events(kAlice).size() == 2);
}

TEST_CASE("exchange: the ERP's mark is the same on both backends", "[exchange][idempotence]") {
    if (!runs_on("graph") || !runs_on("ews")) return;
    ExchangeHarness h(exchange_options("graph"));
    const auto start = day_from_today(6) + 9h;
    const auto input = appointment(kAlice, "ERP-6006", start, start + 1h);
    const auto id = h.ok("create_event", input)->getValue<std::string>("id");

    // The same host reconfigured for EWS: the event Graph made is seen with its mark, and the
    // same erp_id again is that event.
    h.configure(R"({"backend":"ews","oauth":false,"ews_url":")" + h.emulator().ews_url() +
                R"(","auth":"basic","username":"svc-relais","password":"relais-exchange-password"})");
    const auto listed = h.ok("list_events", R"({"mailbox":"alice@contoso.com","from":")" + date_text(start) +
                                                R"(","to":")" + date_text(start + 24h) + "\"}");
    REQUIRE(listed->getArray("events")->size() == 1);
    CHECK(listed->getArray("events")->getObject(0)->optValue<std::string>("erp_id", "") == "ERP-6006");
    const auto again = h.ok("create_event", input);
    CHECK_FALSE(again->getValue<bool>("created"));
    REQUIRE(h.emulator().events(kAlice).size() == 1);
    CHECK(again->getValue<std::string>("id") == h.emulator().events(kAlice).front().id);
    CHECK(id == h.emulator().events(kAlice).front().id);
}
