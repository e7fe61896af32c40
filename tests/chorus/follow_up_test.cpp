// The status follow-up of integrated invoices: one paged search a round for all of them, one
// business event per status change (never twice, across kills), each invoice followed until
// paid, rejected, or the bound in days; and the state it keeps.
#include "chorus_harness.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <map>
#include <sstream>

using namespace relais;
using namespace relais::test;
namespace ce = relais::chorus_emulator;
using namespace std::chrono_literals;

namespace {

const char *kFast = R"({"poll_initial_delay_seconds":10,"poll_max_delay_seconds":40})";
const char *kSearch = "/cpro/factures/v1/rechercher/fournisseur";

// Submits `number` as a job and runs it until integrated; its invoice id.
int64_t integrate(ChorusHarness &h, const std::string &number) {
    const auto run = h.run_job("submit_invoice", submit_input(number, sample_ubl(number)));
    INFO(run.last().message);
    REQUIRE(run.last().ok());
    REQUIRE(run.result()->getValue<std::string>("state") == "integrated");
    return run.result()->getArray("invoices")->getObject(0)->getValue<int64_t>("invoice_id");
}

// One round of the follow-up, as the periodic task runs it; its summary.
Poco::JSON::Object::Ptr round(ChorusHarness &h) {
    const auto r = h.step("follow_invoices", "{}", 1, std::nullopt, "job-follow");
    INFO(r.message);
    REQUIRE(r.ok());
    REQUIRE_FALSE(r.later.has_value());
    return parse(r.body);
}

struct Change {
    std::string subject, old_status, new_status;
};

// The status changes emitted so far, per invoice id, in order.
std::map<int64_t, std::vector<Change>> changes(ChorusHarness &h) {
    std::map<int64_t, std::vector<Change>> found;
    for (const auto &e : h.host_state().events()) {
        if (e.type != "invoice.status_changed") continue;
        const auto d = parse(e.data_json);
        found[d->getValue<int64_t>("invoice_id")].push_back(
            {e.subject, d->getValue<std::string>("old_status"), d->getValue<std::string>("new_status")});
    }
    return found;
}

}  // namespace

TEST_CASE("chorus follow-up: integrated invoices followed to payment or rejection, one event per change, one search a "
          "round",
          "[chorus][follow]") {
    ChorusHarness h({.settings = kFast, .processing_delay = 60s});
    // Integrating the twelve one after the other takes a quarter of an hour of the clock.
    h.emulator().plan_invoice("FA-2026-0402", ce::plan_rejected(2h, 2h, "Service fait non constate"));
    h.emulator().plan_invoice("FA-2026-0403", ce::plan_suspended(2h, 1h, "Bon de commande absent"));
    std::map<std::string, int64_t> ids;
    for (int i = 1; i <= 12; ++i) {
        const auto number = "FA-2026-04" + std::string(i < 10 ? "0" : "") + std::to_string(i);
        if (number != "FA-2026-0402" && number != "FA-2026-0403") h.emulator().plan_invoice(number, ce::plan_paid(2h, 3h));
        ids[number] = integrate(h, number);
    }
    CHECK(h.host_state().keys("follow/open/").size() == 12);

    const auto searches_before = h.emulator().server().count("POST", kSearch);
    const auto tokens_before = h.emulator().token_requests();
    auto summary = round(h);
    CHECK(summary->getValue<int64_t>("open") == 12);
    CHECK(summary->getValue<int64_t>("changed") == 0);  // all still DEPOSEE
    CHECK(h.emulator().server().count("POST", kSearch) == searches_before + 1);  // one request for twelve

    h.clock().advance(2h + 15min);  // all made available to the buyer
    summary = round(h);
    CHECK(summary->getValue<int64_t>("changed") == 12);
    h.clock().advance(1h);  // 0403 suspended
    summary = round(h);
    CHECK(summary->getValue<int64_t>("changed") == 1);
    h.clock().advance(1h);  // 0402 rejected
    summary = round(h);
    CHECK(summary->getValue<int64_t>("changed") == 1);
    CHECK(summary->getValue<int64_t>("finished") == 1);
    h.clock().advance(2h);  // the others paid
    summary = round(h);
    CHECK(summary->getValue<int64_t>("changed") == 10);
    CHECK(summary->getValue<int64_t>("finished") == 10);
    CHECK(summary->getValue<int64_t>("still_open") == 1);  // 0403, suspended
    // One per round, never one per invoice; a search refused because the token had expired
    // (hours pass between rounds) is sent again once with a new one.
    const auto renewals = h.emulator().token_requests() - tokens_before;
    CHECK(h.emulator().server().count("POST", kSearch) == searches_before + 5 + renewals);

    // A round with nothing new emits nothing.
    const auto emitted = h.host_state().events().size();
    round(h);
    CHECK(h.host_state().events().size() == emitted);

    const auto all = changes(h);
    const auto &paid = all.at(ids["FA-2026-0401"]);
    REQUIRE(paid.size() == 2);
    CHECK(paid[0].subject == "FA-2026-0401");
    CHECK(paid[0].old_status == "DEPOSEE");
    CHECK(paid[0].new_status == "MISE_A_DISPOSITION");
    CHECK(paid[1].old_status == "MISE_A_DISPOSITION");
    CHECK(paid[1].new_status == "MISE_EN_PAIEMENT");
    const auto &rejected = all.at(ids["FA-2026-0402"]);
    REQUIRE(rejected.size() == 2);
    CHECK(rejected[1].new_status == "REJETEE");
    CHECK(all.at(ids["FA-2026-0403"]).back().new_status == "SUSPENDUE");
    // The rejection's event says why, with the invoice's ids and dates.
    for (const auto &e : h.host_state().events()) {
        const auto d = parse(e.data_json);
        if (d->getValue<std::string>("new_status") != "REJETEE") continue;
        CHECK(d->getValue<std::string>("comment") == "Service fait non constate");
        CHECK(d->getValue<bool>("final"));
        CHECK(d->getValue<std::string>("flux_number").size() == 25);
        CHECK_FALSE(d->getValue<std::string>("submission_key").empty());
        CHECK_FALSE(d->getValue<std::string>("status_changed_at").empty());
        CHECK_FALSE(d->getValue<std::string>("deposit_date").empty());
        REQUIRE(e.dedupe_key);
    }
    // Only the suspended invoice is still followed.
    const auto open = h.host_state().keys("follow/open/");
    REQUIRE(open.size() == 1);
    CHECK(open.begin()->first == "follow/open/" + std::to_string(ids["FA-2026-0403"]));
    CHECK(h.host_state().duplicate_events() == 0);
}

TEST_CASE("chorus follow-up: a round killed between an event and its state emits it again, and the host keeps it once",
          "[chorus][follow]") {
    ChorusHarness h({.settings = kFast, .processing_delay = 60s});
    h.emulator().plan_invoice("FA-2026-0501", ce::plan_paid(10min, 1h));
    const auto id = integrate(h, "FA-2026-0501");
    const auto key = "follow/open/" + std::to_string(id);
    const auto before = h.host_state().state_get("chorus", key);
    REQUIRE(before);
    h.clock().advance(15min);
    round(h);
    REQUIRE(changes(h)[id].size() == 1);
    // As if killed right after the event: the item still says DEPOSEE.
    h.host_state().state_put("chorus", key, *before);
    h.restart(kFast);
    round(h);
    CHECK(changes(h)[id].size() == 1);
    CHECK(h.host_state().duplicate_events() == 1);
    // And it goes on from there.
    h.clock().advance(1h);
    round(h);
    REQUIRE(changes(h)[id].size() == 2);
    CHECK(changes(h)[id].back().new_status == "MISE_EN_PAIEMENT");
    CHECK(h.host_state().keys("follow/open/").empty());
}

TEST_CASE("chorus follow-up: an invoice neither paid nor rejected stops being followed after status_follow_max_days",
          "[chorus][follow]") {
    ChorusHarness h({.settings = R"({"poll_initial_delay_seconds":10,"status_follow_max_days":30})",
                     .processing_delay = 60s});
    h.emulator().plan_invoice("FA-2026-0601", ce::plan_available_only(10min));
    const auto id = integrate(h, "FA-2026-0601");
    const auto key = "follow/open/" + std::to_string(id);
    // As an item opened 31 days ago.
    auto item = parse(*h.host_state().state_get("chorus", key));
    item->set("followed_since", item->getValue<int64_t>("followed_since") - 31LL * 86'400'000);
    std::ostringstream text;
    item->stringify(text);
    h.host_state().state_put("chorus", key, text.str());
    const auto searches = h.emulator().server().count("POST", kSearch);
    const auto summary = round(h);
    CHECK(summary->getValue<int64_t>("stopped") == 1);
    CHECK(h.emulator().server().count("POST", kSearch) == searches);  // nothing left to ask about
    CHECK(h.host_state().keys("follow/open/").empty());
    const auto events = h.host_state().events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == "invoice.follow_up_stopped");
    CHECK(events[0].subject == "FA-2026-0601");
}

TEST_CASE("chorus follow-up: a periodic task whose period is a setting, a host without events refuses it clearly",
          "[chorus][follow]") {
    ChorusHarness h({.settings = R"({"status_follow_interval_minutes":15})"});
    const auto &tasks = h.instance().descriptor().periodic_tasks;
    REQUIRE(tasks.size() == 1);
    CHECK(tasks[0].name == "follow_invoice_statuses");
    CHECK(tasks[0].action == "follow_invoices");
    const auto policy = parse(h.configure(R"({"status_follow_interval_minutes":15})").body);
    const auto adjusted = policy->getArray("periodic_tasks")->getObject(0);
    CHECK(adjusted->getValue<std::string>("name") == "follow_invoice_statuses");
    CHECK(adjusted->getValue<int64_t>("interval_seconds") == 900);

    h.host_state().offer_v2(false);
    const auto r = h.call("follow_invoices", "{}");
    CHECK(r.status == RELAIS_UNSUPPORTED);
    CHECK_THAT(r.message, Catch::Contains("versioned plugin state"));
}
