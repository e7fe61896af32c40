// push_planning through the plugin, on both backends against the emulator: the ERP's planning
// of a window as the desired state. Run twice, the second run changes nothing and says so; a
// person's own appointments are never touched; an ERP event dropped from the planning is
// deleted; one moved or renamed in Outlook is put back.
#include "exchange_harness.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

using namespace relais;
using namespace relais::test;
using namespace std::chrono;
using namespace std::chrono_literals;
namespace ee = relais::exchange_emulator;

namespace {

struct Planned {
    std::string erp_id, subject;
    system_clock::time_point start;
    minutes length = 60min;
};

std::string planning(const std::string &from, const std::string &to, const std::vector<Planned> &events) {
    std::string out = R"({"mailbox":"alice@contoso.com","from":")" + from + R"(","to":")" + to + R"(","events":[)";
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto &e = events[i];
        out += (i ? "," : "") + std::string(R"({"erp_id":)") + json_string(e.erp_id) + R"(,"subject":)" +
               json_string(e.subject) + R"(,"start":")" + utc_text(e.start) + R"(","end":")" +
               utc_text(e.start + e.length) + R"(","location":"Atelier"})";
    }
    return out + "]}";
}

const ee::Event *with_subject(const std::vector<ee::Event> &events, const std::string &subject) {
    for (const auto &e : events)
        if (e.subject == subject) return &e;
    return nullptr;
}

}  // namespace

TEST_CASE("exchange push_planning: twice is one change, own events untouched, removed deleted, moved put back",
          "[exchange][planning]") {
    const auto variant = GENERATE(from_range(exchange_backends()));
    ExchangeHarness h(exchange_options(variant));
    const auto monday = day_from_today(7);
    const auto from = date_text(monday), to = date_text(monday + days(5));
    // Alice's own appointment in the window, and one just outside it.
    const auto own = h.add_event(kAlice, "Doctor (private)", monday + 24h + 12h);
    const auto own_before = *h.emulator().event(kAlice, own);
    const auto outside = h.add_event(kAlice, "Holiday planning", monday + days(9));

    std::vector<Planned> plan = {{"PL-1", "Chantier Dupont", monday + 8h},
                                 {"PL-2", "Chantier Martin", monday + 24h + 14h, 120min},
                                 {"PL-3", "Réunion de chantier", monday + 48h + 9h}};
    const auto first = h.ok("push_planning", planning(from, to, plan));
    CHECK(first->getValue<bool>("changed"));
    CHECK(first->getArray("created")->size() == 3);
    CHECK(first->getArray("updated")->size() == 0);
    CHECK(first->getArray("deleted")->size() == 0);
    CHECK(first->getValue<int>("left_alone") == 1);
    REQUIRE(h.emulator().events(kAlice).size() == 5);

    const auto second = h.ok("push_planning", planning(from, to, plan));
    CHECK_FALSE(second->getValue<bool>("changed"));
    CHECK(second->getArray("created")->size() == 0);
    CHECK(second->getArray("updated")->size() == 0);
    CHECK(second->getArray("deleted")->size() == 0);
    CHECK(second->getValue<int>("unchanged") == 3);
    CHECK(h.emulator().calls(h.create_operation()) == 3);

    // PL-3 leaves the planning; PL-1 is moved by Alice in Outlook, PL-2 renamed.
    const auto events = h.emulator().events(kAlice);
    const auto *pl1 = with_subject(events, "Chantier Dupont");
    const auto *pl2 = with_subject(events, "Chantier Martin");
    const auto *pl3 = with_subject(events, "Réunion de chantier");
    REQUIRE(pl1);
    REQUIRE(pl2);
    REQUIRE(pl3);
    const auto pl1_id = pl1->id, pl2_id = pl2->id, pl3_id = pl3->id;
    h.clock().advance(1min);
    // A move as Outlook makes it: through the API, without the connector's record of it.
    h.ok("update_event", R"({"mailbox":"alice@contoso.com","id":)" + json_string(pl1_id) +
                             R"(,"subject":"Chantier Dupont","start":")" + utc_text(monday + 10h) + R"(","end":")" +
                             utc_text(monday + 11h) + R"(","location":"Atelier"})");
    REQUIRE(h.emulator().event(kAlice, pl1_id)->start == monday + 10h);
    REQUIRE(h.emulator().touch_event(kAlice, pl2_id, "Chantier Martin (annulé ?)"));

    plan.pop_back();
    const auto third = h.ok("push_planning", planning(from, to, plan));
    CHECK(third->getValue<bool>("changed"));
    CHECK(ids_of(third->getArray("deleted")) == std::vector<std::string>{pl3_id});
    auto updated = ids_of(third->getArray("updated"));
    std::sort(updated.begin(), updated.end());
    auto expected = std::vector<std::string>{pl1_id, pl2_id};
    std::sort(expected.begin(), expected.end());
    CHECK(updated == expected);
    CHECK(third->getArray("created")->size() == 0);

    CHECK_FALSE(h.emulator().event(kAlice, pl3_id));
    const auto back1 = h.emulator().event(kAlice, pl1_id);
    REQUIRE(back1);
    CHECK(back1->start == monday + 8h);
    CHECK(back1->end == monday + 9h);
    const auto back2 = h.emulator().event(kAlice, pl2_id);
    REQUIRE(back2);
    CHECK(back2->subject == "Chantier Martin");
    CHECK(back2->start == monday + 24h + 14h);

    // Alice's own events: the same, change key included.
    const auto own_after = h.emulator().event(kAlice, own);
    REQUIRE(own_after);
    CHECK(own_after->change_key == own_before.change_key);
    CHECK(own_after->subject == "Doctor (private)");
    CHECK(h.emulator().event(kAlice, outside));
    CHECK(h.emulator().events(kAlice).size() == 4);

    // And once more: in step again, nothing to do.
    const auto fourth = h.ok("push_planning", planning(from, to, plan));
    CHECK_FALSE(fourth->getValue<bool>("changed"));
    CHECK(fourth->getValue<int>("unchanged") == 2);

    // An empty planning clears the ERP's events of the window, and only them.
    const auto cleared = h.ok("push_planning", planning(from, to, {}));
    CHECK(cleared->getArray("deleted")->size() == 2);
    CHECK(h.emulator().events(kAlice).size() == 2);
    CHECK(h.emulator().event(kAlice, own)->change_key == own_before.change_key);
}
