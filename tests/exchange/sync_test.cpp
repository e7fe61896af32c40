// sync_mailbox and sync_all through the plugin, on both backends against the emulator: a
// first full sync, then incremental rounds over creations, changes and deletions made in the
// calendar; an invalid or expired sync state starting a full resync said as such; sync_all
// queueing one job per mailbox, run at most max_threads mailboxes at once, a step refused a
// slot continuing later.
#include "exchange_harness.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <future>
#include <set>
#include <thread>

using namespace relais;
using namespace relais::test;
using namespace std::chrono;
using namespace std::chrono_literals;
namespace ee = relais::exchange_emulator;

namespace {

std::set<std::string> set_of(const std::vector<std::string> &ids) { return {ids.begin(), ids.end()}; }

std::set<std::string> seen(const Poco::JSON::Object::Ptr &round) {
    auto ids = set_of(ids_of(round->getArray("created")));
    for (const auto &id : ids_of(round->getArray("updated"))) ids.insert(id);
    return ids;
}

std::string sync_input(const std::string &mailbox) { return R"({"mailbox":)" + json_string(mailbox) + "}"; }

}  // namespace

TEST_CASE("exchange sync_mailbox: a first sync, then rounds over creations, changes and deletions",
          "[exchange][sync]") {
    const auto variant = GENERATE(from_range(exchange_backends()));
    ExchangeHarness h(exchange_options(variant));
    const auto t = day_from_today(1) + 9h;
    const auto dentist = h.add_event(kAlice, "Dentist", t);
    const auto lunch = h.add_event(kAlice, "Lunch with a client", t + 24h);
    const auto gym = h.add_event(kAlice, "Gym", t + 48h);

    const auto first = h.ok("sync_mailbox", sync_input(kAlice));
    CHECK(first->getValue<bool>("first_sync"));
    CHECK_FALSE(first->getValue<bool>("full_resync"));
    CHECK(first->getValue<std::string>("backend") == h.backend_name());
    CHECK(seen(first) == std::set<std::string>{dentist, lunch, gym});
    CHECK(first->getArray("deleted")->size() == 0);

    h.clock().advance(5min);
    const auto added = h.add_event(kAlice, "Site visit", t + 72h);
    REQUIRE(h.emulator().touch_event(kAlice, lunch, "Lunch with a client (moved)"));
    REQUIRE(h.emulator().remove_event(kAlice, gym));

    const auto second = h.ok("sync_mailbox", sync_input(kAlice));
    INFO(second->getArray("created")->size() << " created, " << second->getArray("updated")->size() << " updated, "
                                             << second->getArray("deleted")->size() << " deleted");
    CHECK_FALSE(second->getValue<bool>("first_sync"));
    CHECK_FALSE(second->getValue<bool>("full_resync"));
    CHECK(ids_of(second->getArray("created")) == std::vector<std::string>{added});
    CHECK(ids_of(second->getArray("updated")) == std::vector<std::string>{lunch});
    CHECK(ids_of(second->getArray("deleted")) == std::vector<std::string>{gym});
    if (second->getArray("updated")->size() == 1)
        CHECK(second->getArray("updated")->getObject(0)->getValue<std::string>("subject") ==
              "Lunch with a client (moved)");
    const auto counts = second->getObject("counts");
    CHECK(counts->getValue<int>("created") == 1);
    CHECK(counts->getValue<int>("updated") == 1);
    CHECK(counts->getValue<int>("deleted") == 1);
    CHECK(second->getValue<int>("requests") >= 1);

    // Nothing changed since: an empty round.
    const auto third = h.ok("sync_mailbox", sync_input(kAlice));
    CHECK(third->getArray("created")->size() == 0);
    CHECK(third->getArray("updated")->size() == 0);
    CHECK(third->getArray("deleted")->size() == 0);
    CHECK_FALSE(third->getValue<bool>("full_resync"));
}

TEST_CASE("exchange sync_mailbox: an invalid or expired sync state starts a full resync, said as such",
          "[exchange][sync]") {
    const auto variant = GENERATE(from_range(exchange_backends()));
    ExchangeHarness h(exchange_options(variant));
    const auto t = day_from_today(2) + 11h;
    const auto a = h.add_event(kAlice, "Review", t);
    const auto b = h.add_event(kAlice, "Workshop", t + 26h);
    const auto first = h.ok("sync_mailbox", sync_input(kAlice));
    REQUIRE(seen(first) == std::set<std::string>{a, b});
    h.clock().advance(2min);
    const auto c = h.add_event(kAlice, "Training", t + 50h);

    SECTION("refused by the server (ErrorInvalidSyncStateData / 410 Gone)") {
        h.emulator().fail_next(ee::Failure::invalid_sync_state, 1, h.sync_operation());
    }
    SECTION("every state given so far expired") { h.emulator().expire_sync_states(kAlice); }

    const auto resync = h.ok("sync_mailbox", sync_input(kAlice));
    CHECK(resync->getValue<bool>("full_resync"));
    CHECK(seen(resync) == std::set<std::string>{a, b, c});

    const auto next = h.ok("sync_mailbox", sync_input(kAlice));
    CHECK_FALSE(next->getValue<bool>("full_resync"));
    CHECK(seen(next).empty());
    CHECK(next->getArray("deleted")->size() == 0);
}

TEST_CASE("exchange sync_all: one job per mailbox, at most max_threads mailboxes at once", "[exchange][sync_all]") {
    const auto variant = GENERATE(from_range(exchange_backends()));
    // max_threads 2; and 6, to see that the emulator does count mailboxes synchronised together.
    const int max_threads = GENERATE(2, 6);
    std::vector<std::string> boxes;
    std::string list;
    for (int i = 1; i <= 6; ++i) {
        boxes.push_back("staff" + std::to_string(i) + "@contoso.com");
        list += (i > 1 ? "," : "") + json_string(boxes.back());
    }
    auto o = exchange_options(variant, R"({"max_threads":)" + std::to_string(max_threads) + R"(,"mailboxes":[)" +
                                           list + "]}");
    o.mailboxes = boxes;
    o.emulator = [](ee::ExchangeEmulatorOptions &e) { e.latency = 60ms; };
    ExchangeHarness h(o);
    const auto t = day_from_today(1) + 8h;
    for (const auto &box : boxes)
        for (int i = 0; i < 3; ++i) h.add_event(box, "Appointment " + std::to_string(i), t + hours(24 * i));

    const auto queued = h.ok("sync_all", "{}");
    CHECK(queued->getValue<int>("mailboxes") == 6);
    CHECK(queued->getValue<int>("queued") == 6);
    CHECK(h.host().queued() == 6);
    // The same run again: the jobs' keys are per mailbox and run, nothing new.
    CHECK(h.ok("sync_all", "{}")->getValue<int>("queued") == 0);
    CHECK(h.host().queued() == 6);

    const auto run = h.run_queued_concurrently(6, 40s);
    CHECK_FALSE(run.timed_out);
    REQUIRE(run.finals.size() == 6);
    std::set<std::string> synced;
    for (const auto &r : run.finals) {
        INFO(r.message);
        REQUIRE(r.ok());
        const auto result = parse(r.body);
        synced.insert(result->getValue<std::string>("mailbox"));
        CHECK(seen(result).size() == 3);
    }
    CHECK(synced == std::set<std::string>(boxes.begin(), boxes.end()));
    INFO(run.steps << " steps, " << run.continued << " continued later");
    INFO("max_threads " << max_threads << ": peak_busy_mailboxes " << h.emulator().peak_busy_mailboxes());
    if (max_threads == 2) {
        CHECK(h.emulator().peak_busy_mailboxes() >= 1);
        CHECK(h.emulator().peak_busy_mailboxes() <= 2);
    } else {
        CHECK(h.emulator().peak_busy_mailboxes() > 2);
    }
}

TEST_CASE("exchange sync_mailbox: a job step refused a sync slot continues later", "[exchange][sync_all]") {
    const auto variant = GENERATE(from_range(exchange_backends()));
    ExchangeHarness h(exchange_options(variant, R"({"max_threads":1})"));
    const auto t = day_from_today(1) + 8h;
    h.add_event(kAlice, "Alice's", t);
    h.add_event(kBob, "Bob's", t);

    // Alice's sync holds the only slot while its request is held upstream.
    h.emulator().hold_next_answers(1, h.sync_operation());
    auto alice = std::async(std::launch::async,
                            [&] { return h.step("sync_mailbox", sync_input(kAlice), 1, std::nullopt, "job-1"); });
    const auto end = steady_clock::now() + 10s;
    while (h.emulator().held_count() == 0 && steady_clock::now() < end) std::this_thread::sleep_for(5ms);
    REQUIRE(h.emulator().held_count() == 1);

    const auto bob = h.step("sync_mailbox", sync_input(kBob), 1, std::nullopt, "job-2");
    INFO(bob.message);
    REQUIRE(bob.ok());
    REQUIRE(bob.later);
    CHECK(bob.later->delay_ms >= 500);
    CHECK_THAT(bob.later->checkpoint, Catch::Contains("max_threads"));
    CHECK(h.emulator().held_count() == 1);

    h.emulator().release_held();
    const auto alice_done = alice.get();
    INFO(alice_done.message);
    REQUIRE(alice_done.ok());
    CHECK_FALSE(alice_done.later);

    const auto bob_again = h.step("sync_mailbox", sync_input(kBob), 2, bob.later->checkpoint, "job-2");
    INFO(bob_again.message);
    REQUIRE(bob_again.ok());
    REQUIRE_FALSE(bob_again.later);
    CHECK(parse(bob_again.body)->getValue<std::string>("mailbox") == kBob);
    CHECK(seen(parse(bob_again.body)).size() == 1);
}
