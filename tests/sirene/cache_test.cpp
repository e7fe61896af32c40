// The lookup cache: a repeated lookup spends no quota; "not found" is remembered too; it can
// live in the host's plugin state and survive a restart.
#include "sirene_cache.hpp"
#include "sirene_examples.hpp"
#include "sirene_harness.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <map>
#include <mutex>

using namespace relais;
using namespace relais::test;

namespace {

std::string input(const std::string &id) { return "{\"identifier\":" + json_string(id) + "}"; }


}  // namespace

TEST_CASE("sirene cache: a repeated lookup spends no quota", "[sirene][cache]") {
    SireneHarness h;
    const auto first = h.ok("lookup", input("39860733300059"));
    CHECK_FALSE(first->getValue<bool>("cached"));
    const auto again = h.ok("lookup", input("398 607 333 00059"));  // the same number, written otherwise
    CHECK(again->getValue<bool>("cached"));
    CHECK(again->getValue<std::string>("name") == first->getValue<std::string>("name"));
    CHECK(again->getObject("raw")->getValue<std::string>("siret") == "39860733300059");
    CHECK(h.emulator().api_requests() == 1);
}

TEST_CASE("sirene cache: not found is remembered too", "[sirene][cache]") {
    SireneHarness h;
    CHECK(h.call("lookup", input("73282932000074")).status == RELAIS_NOT_FOUND);
    const auto again = h.call("lookup", input("73282932000074"));
    CHECK(again.status == RELAIS_NOT_FOUND);
    CHECK(parse(again.detail_json)->getValue<bool>("cached"));
    CHECK(h.emulator().api_requests() == 1);
}

TEST_CASE("sirene cache: lookup_many serves what is known and asks only for the rest", "[sirene][cache]") {
    SireneHarness h;
    h.ok("lookup", input("39860733300059"));
    const auto sirets = examples(h.data(), [](const Record &e) { return published(e); }, 3);
    const auto result = h.ok("lookup_many", "{\"identifiers\":[\"39860733300059\",\"" + sirets[0] + "\",\"" + sirets[1] +
                                                "\",\"" + sirets[2] + "\"]}");
    CHECK(result->getArray("items")->getObject(0)->getValue<bool>("cached"));
    CHECK_FALSE(result->getArray("items")->getObject(1)->getValue<bool>("cached"));
    CHECK(result->getObject("stats")->getValue<int>("from_cache") == 1);
    CHECK(h.emulator().api_requests() == 2);
    // And a lookup_many's results serve later lookups.
    CHECK(h.ok("lookup", input(sirets[2]))->getValue<bool>("cached"));
    CHECK(h.emulator().api_requests() == 2);
}

TEST_CASE("sirene cache: cache_ttl_seconds 0 turns it off", "[sirene][cache]") {
    HarnessOptions options;
    options.settings = R"({"cache_ttl_seconds":0})";
    SireneHarness h(options);
    h.ok("lookup", input("39860733300059"));
    CHECK_FALSE(h.ok("lookup", input("39860733300059"))->getValue<bool>("cached"));
    CHECK(h.emulator().api_requests() == 2);
}

TEST_CASE("sirene cache: in the plugin state it survives a restart of the connector", "[sirene][cache]") {
    MemoryBackend backend;
    HarnessOptions options;
    options.backend = &backend;
    options.settings = R"({"cache_in_state":true})";
    SireneHarness h(options);
    h.ok("lookup", input("39860733300059"));
    CHECK(h.call("lookup", input("73282932000074")).status == RELAIS_NOT_FOUND);
    CHECK(backend.state_size() == 2);
    const auto stored = backend.state_get("sirene", "lookup/siret:39860733300059");
    REQUIRE(stored);
    CHECK(parse(*stored)->getObject("record")->getValue<std::string>("name") == "BERTRAND GRONDIN");

    h.restart(R"({"cache_in_state":true})");  // a new instance: its memory is empty
    const auto r = h.ok("lookup", input("39860733300059"));
    CHECK(r->getValue<bool>("cached"));
    CHECK(r->getValue<std::string>("name") == "BERTRAND GRONDIN");
    CHECK(h.call("lookup", input("73282932000074")).status == RELAIS_NOT_FOUND);
    CHECK(h.emulator().api_requests() == 2);  // both from before the restart
}

TEST_CASE("sirene cache: without a host state store it stays in memory and says nothing is wrong", "[sirene][cache]") {
    HarnessOptions options;
    options.settings = R"({"cache_in_state":true})";
    options.standalone = true;  // the standalone CLI's host: no backend
    SireneHarness h(options);
    h.ok("lookup", input("39860733300059"));
    CHECK(h.ok("lookup", input("39860733300059"))->getValue<bool>("cached"));
    CHECK(h.emulator().api_requests() == 1);
}

TEST_CASE("sirene cache: the least recently used entry goes first, and entries expire", "[sirene][cache]") {
    sirene::LookupCache cache(2, std::chrono::seconds(3600));
    cache.put("a", {true, "{}", ""});
    cache.put("b", {true, "{}", ""});
    CHECK(cache.get("a"));  // a is now the most recent
    cache.put("c", {true, "{}", ""});
    CHECK(cache.get("a"));
    CHECK_FALSE(cache.get("b"));
    CHECK(cache.get("c"));
    CHECK(cache.size() == 2);
    CHECK(cache.hits() == 3);
    CHECK(cache.misses() == 1);
    sirene::LookupCache off(100, std::chrono::seconds(0));
    off.put("a", {true, "{}", ""});
    CHECK_FALSE(off.get("a"));
}
