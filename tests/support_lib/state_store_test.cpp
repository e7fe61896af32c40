// The kit's memory state keeps the host's semantics, so a connector tested on it (or run by
// the CLI) behaves as on the host: versions and compare-and-set, expiry on the given clock,
// lists by prefix with a cursor, and the host's limits with its messages.
#include <relais/support/state_store.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

using namespace relais::support;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kAny = StateStore::kAnyVersion;

std::string message_of(const std::function<void()> &f) {
    try {
        f();
    } catch (const relais::Error &e) {
        CHECK(e.status() == RELAIS_INVALID_INPUT);
        return e.what();
    }
    return "(nothing thrown)";
}

}  // namespace

TEST_CASE("memory state: versions start at 1 and a write with an expected version is a compare-and-set",
          "[state][versions]") {
    auto state = memory_state();
    CHECK_FALSE(state->read("envelope/E-1"));
    const auto created = state->write("envelope/E-1", "open", 0);
    CHECK(created.written);
    CHECK(created.version == 1);
    const auto again = state->write("envelope/E-1", "other", 0);
    CHECK_FALSE(again.written);
    CHECK(again.version == 1);
    CHECK(state->write("envelope/E-1", "signed", 1).version == 2);
    const auto stale = state->write("envelope/E-1", "late", 1);
    CHECK_FALSE(stale.written);
    CHECK(stale.version == 2);
    CHECK(state->read("envelope/E-1")->value == "signed");
    CHECK(state->read("envelope/E-1")->version == 2);
    state->put("envelope/E-1", "put");  // unconditional, like write(key, value)
    CHECK(state->read("envelope/E-1")->version == 3);
    CHECK(state->write("absent", "x", 3).version == 0);
    state->erase("envelope/E-1");
    CHECK(state->write("envelope/E-1", "new", 0).version == 1);
}

TEST_CASE("memory state: 16 threads incrementing by read + compare-and-set count every increment",
          "[state][versions]") {
    auto state = memory_state();
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                for (;;) {
                    const auto current = state->read("n");
                    const auto n = current ? std::stoi(current->value) : 0;
                    if (state->write("n", std::to_string(n + 1), current ? current->version : 0).written) break;
                }
            }
        });
    for (auto &t : threads) t.join();
    CHECK(state->get("n") == "3200");
    CHECK(state->read("n")->version == 3200);
}

TEST_CASE("memory state: a key with a ttl is gone from its expiry on, on the clock it was given", "[state][expiry]") {
    std::atomic<int64_t> now{1'700'000'000'000};
    auto state = memory_state([&] { return now.load(); });
    state->write("final/F-1", "deposited", kAny, 60s);
    state->put("kept", "forever");
    now += 59'999;
    CHECK(state->get("final/F-1") == "deposited");
    const auto page = state->list("", std::nullopt, 10);
    REQUIRE(page.keys.size() == 2);
    CHECK(page.keys[0].key == "final/F-1");
    CHECK(page.keys[0].expires_at_ms == 1'700'000'060'000);
    CHECK_FALSE(page.keys[1].expires_at_ms);
    now += 1;
    CHECK_FALSE(state->get("final/F-1"));
    CHECK_FALSE(state->read("final/F-1"));
    CHECK(state->list("", std::nullopt, 10).keys.size() == 1);
    CHECK(state->write("final/F-1", "x", 1).version == 0);  // absent now
    const auto recreated = state->write("final/F-1", "again", 0);
    CHECK(recreated.written);
    CHECK(recreated.version == 1);
    CHECK(state->get("kept") == "forever");
}

TEST_CASE("memory state: a list walks a prefix in byte order a page at a time, keys added meanwhile seen once",
          "[state][list]") {
    auto state = memory_state();
    for (int i = 0; i < 2000; i += 2) state->put("open/" + std::to_string(10000 + i), "x");
    state->put("closed/1", "x");
    state->put("open", "x");
    std::vector<std::string> seen;
    std::optional<std::string> cursor;
    int pages = 0;
    do {
        const auto page = state->list("open/", cursor, 300);
        for (const auto &k : page.keys) seen.push_back(k.key);
        cursor = page.next_cursor;
        ++pages;
        if (cursor) {
            const int n = std::stoi(cursor->substr(5));
            state->put("open/" + std::to_string(n - 51), "behind");
            state->put("open/" + std::to_string(n + 51), "ahead");
        }
    } while (cursor);
    CHECK(pages == 4);
    CHECK(std::adjacent_find(seen.begin(), seen.end(), std::greater_equal<>()) == seen.end());
    CHECK(seen.size() == 1000 + 3);  // the three keys added ahead of the walk
    for (const auto &k : seen) CHECK(state->get(k) != "behind");
    const auto one = state->list("open/1000", std::nullopt, 1);
    REQUIRE(one.keys.size() == 1);
    CHECK(one.keys[0].key == "open/10000");
    CHECK(one.keys[0].version == 1);
    CHECK(one.keys[0].size == 1);
}

TEST_CASE("memory state: the host's limits, refused with the host's messages", "[state][limits]") {
    auto state = memory_state();
    CHECK(state->write(std::string(512, 'k'), std::string(1024 * 1024, 'v')).written);
    CHECK(message_of([&] { state->put(std::string(513, 'k'), "v"); }) ==
          "state key \"" + std::string(64, 'k') + "...\" is 513 bytes long; keys are at most 512 bytes");
    CHECK(message_of([&] { state->write("envelope/E-1", std::string(1024 * 1024 + 1, 'v')); }) ==
          "the value of state key \"envelope/E-1\" is 1048577 bytes; values are at most 1048576 bytes (1 MiB)");
    CHECK(message_of([&] { state->put("", "v"); }) == "a state key may not be empty");
    CHECK(message_of([&] { state->put(std::string("a\0b", 3), "v"); }) == "state key \"a\\x00b\" holds a NUL byte");
    CHECK(message_of([&] { state->put("bad\xff", "v"); }) == "state key \"bad\\xff\" is not UTF-8 text");
    CHECK(message_of([&] { state->list("open/", std::nullopt, 0); }) ==
          "a state list takes 1 to 1000 keys at a time, not 0");
    CHECK(message_of([&] { state->list("open/", std::string("closed/1"), 10); }) ==
          "state list cursor \"closed/1\" does not come from a list of prefix \"open/\"");
    CHECK_FALSE(state->get("envelope/E-1"));
}
