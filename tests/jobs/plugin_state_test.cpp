// The plugins' key-value state: versions and compare-and-set (across threads, connections and
// processes), expiry and its purge by the housekeeper, lists by prefix with a cursor, size
// limits with their messages, the upgrade of a schema 2 file. (The services a plugin calls:
// plugin_state_services_test.cpp.)
// The contract tests run on the SQLite store (relais.db) and on the memory one the connector
// tests use. Time is a number the tests choose, or a ManualClock; nothing sleeps.
#include "memory_plugin_state.hpp"
#include "temp_dir.hpp"

#include "jobs/clock.hpp"
#include "jobs/scheduler.hpp"
#include "jobs/schema_migrations.hpp"
#include "jobs/sqlite_db.hpp"
#include "jobs/sqlite_job_store.hpp"
#include "jobs/sqlite_plugin_state.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <condition_variable>
#include <set>
#include <thread>
#include <vector>

using namespace relais::host;
using relais::test::MemoryPluginState;
using relais::test::TempDir;
using namespace std::chrono_literals;

namespace {

constexpr int64_t T0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z, in ms
constexpr uint64_t kAny = PluginStateStore::kAnyVersion;

// A relais.db made by the job store, and the plugin state on it.
struct SqliteState {
    TempDir dir;
    SqliteJobStore jobs{dir.path()};
    SqlitePluginState state{dir.path()};
    PluginStateStore &store() { return state; }
};

struct MemoryState {
    MemoryPluginState state;
    PluginStateStore &store() { return state; }
};

std::string key_of(int i) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "open/%05d", i);
    return buffer;
}

// Every key under `prefix`, walking the pages of `limit`; `between` runs after each page but
// the last, with the cursor of the next.
std::vector<std::string> walk(PluginStateStore &state, const std::string &prefix, uint32_t limit, int64_t now,
                              const std::function<void(const std::string &cursor)> &between = {},
                              int *pages = nullptr) {
    std::vector<std::string> keys;
    std::optional<std::string> cursor;
    int page = 0;
    do {
        const auto listed = state.list("sign", prefix, cursor, limit, now);
        REQUIRE(listed.keys.size() <= limit);
        for (const auto &k : listed.keys) keys.push_back(k.key);
        cursor = listed.next_cursor;
        if (cursor) CHECK(*cursor == listed.keys.back().key);
        ++page;
        if (between && cursor) between(*cursor);
    } while (cursor);
    if (pages) *pages = page;
    return keys;
}

// One increment of the counter "n" by read + compare-and-set, tried until it wins.
void add_one(PluginStateStore &state) {
    for (;;) {
        const auto current = state.read("counter", "n", T0);
        const auto version = current ? current->version : 0;
        const auto n = current ? std::stoi(current->value) : 0;
        if (state.write("counter", "n", std::to_string(n + 1), version, 0, T0).written) return;
    }
}

std::string message_of(const std::function<void()> &f) {
    try {
        f();
    } catch (const std::invalid_argument &e) {
        return e.what();
    }
    return "(nothing thrown)";
}

int64_t rows(const std::filesystem::path &data_dir) {
    sqlite::Database db(data_dir / SqliteJobStore::kFileName, 5000);
    return db.scalar_int64("SELECT COUNT(*) FROM plugin_state");
}

}  // namespace

// --- the contract, on both stores -------------------------------------------------------------

TEMPLATE_TEST_CASE("plugin state: versions start at 1, go up at every write, and a compare-and-set writes only on "
                   "the expected version",
                   "[jobs][state]", SqliteState, MemoryState) {
    TestType fixture;
    auto &state = fixture.store();
    const std::string bytes("tok\0en\xff", 7);  // values are bytes, not text

    CHECK_FALSE(state.read("sign", "k", T0));
    CHECK(state.write("sign", "k", bytes, 0, 0, T0).version == 1);  // 0: must be absent
    const auto refused = state.write("sign", "k", "other", 0, 0, T0);
    CHECK_FALSE(refused.written);
    CHECK(refused.version == 1);
    CHECK(state.read("sign", "k", T0)->value == bytes);

    const auto second = state.write("sign", "k", "v2", 1, 0, T0);
    CHECK(second.written);
    CHECK(second.version == 2);
    const auto stale = state.write("sign", "k", "late", 1, 0, T0);
    CHECK_FALSE(stale.written);
    CHECK(stale.version == 2);
    CHECK(state.write("sign", "k", "any", kAny, 0, T0).version == 3);
    CHECK_FALSE(state.write("sign", "absent", "x", 4, 0, T0).written);
    CHECK(state.write("sign", "absent", "x", 4, 0, T0).version == 0);
    CHECK_FALSE(state.read("sign", "absent", T0));

    const auto read = state.read("sign", "k", T0);
    REQUIRE(read);
    CHECK(read->value == "any");
    CHECK(read->version == 3);
    CHECK_FALSE(read->expires_at);

    // Each plugin has its own keys.
    CHECK_FALSE(state.read("chorus", "k", T0));
    CHECK(state.write("chorus", "k", "", 0, 0, T0).version == 1);
    CHECK(state.read("chorus", "k", T0)->value.empty());
    CHECK(state.read("sign", "k", T0)->version == 3);

    // A deleted key is absent, and starts again at 1.
    CHECK(state.remove("sign", "k", T0));
    CHECK_FALSE(state.remove("sign", "k", T0));
    CHECK_FALSE(state.read("sign", "k", T0));
    CHECK(state.write("sign", "k", "again", 0, 0, T0).version == 1);
}

TEMPLATE_TEST_CASE("plugin state: a key with a ttl is invisible from its expiry on, and purged then, not before",
                   "[jobs][state][expiry]", SqliteState, MemoryState) {
    TestType fixture;
    auto &state = fixture.store();
    REQUIRE(state.write("chorus", "final/F-1", "deposited", 0, 60'000, T0).written);
    REQUIRE(state.write("chorus", "kept", "forever", 0, 0, T0).written);

    const auto before = state.read("chorus", "final/F-1", T0 + 59'999);
    REQUIRE(before);
    CHECK(before->expires_at == T0 + 60'000);
    CHECK(state.list("chorus", "", std::nullopt, 10, T0 + 59'999).keys.size() == 2);
    CHECK(state.purge_expired(T0 + 59'999, 100) == 0);
    CHECK(state.read("chorus", "final/F-1", T0 + 59'999));

    // From its expiry on, reads, lists, compare-and-sets and deletes treat it as absent.
    CHECK_FALSE(state.read("chorus", "final/F-1", T0 + 60'000));
    const auto listed = state.list("chorus", "", std::nullopt, 10, T0 + 60'000);
    REQUIRE(listed.keys.size() == 1);
    CHECK(listed.keys[0].key == "kept");
    const auto stale = state.write("chorus", "final/F-1", "x", 1, 0, T0 + 60'000);
    CHECK_FALSE(stale.written);
    CHECK(stale.version == 0);

    CHECK(state.purge_expired(T0 + 60'000, 100) == 1);
    CHECK(state.purge_expired(T0 + 60'000, 100) == 0);
    CHECK(state.read("chorus", "kept", T0 + 10 * 86'400'000LL)->value == "forever");

    // An expired key not yet purged is created again at version 1; a write without ttl lifts
    // the expiry; a ttl too large for the clock saturates instead of wrapping.
    REQUIRE(state.write("chorus", "lease", "a", 0, 1'000, T0).written);
    CHECK_FALSE(state.remove("chorus", "lease", T0 + 1'000));
    REQUIRE(state.write("chorus", "lease", "a", 0, 1'000, T0).written);
    const auto recreated = state.write("chorus", "lease", "b", 0, 1'000, T0 + 5'000);
    CHECK(recreated.written);
    CHECK(recreated.version == 1);
    CHECK(state.read("chorus", "lease", T0 + 5'999)->expires_at == T0 + 6'000);
    CHECK(state.write("chorus", "lease", "c", 1, 0, T0 + 5'999).version == 2);
    CHECK_FALSE(state.read("chorus", "lease", T0 + 99'999'999)->expires_at);
    CHECK(state.write("chorus", "lease", "d", kAny, UINT64_MAX - 1, T0).written);
    CHECK(state.read("chorus", "lease", T0)->expires_at == std::numeric_limits<int64_t>::max());
}

TEMPLATE_TEST_CASE("plugin state: expired keys are purged in batches of the size asked", "[jobs][state][expiry]",
                   SqliteState, MemoryState) {
    TestType fixture;
    auto &state = fixture.store();
    for (int i = 0; i < 2500; ++i) state.write(i % 2 ? "sign" : "chorus", key_of(i), "x", kAny, 1'000, T0);
    for (int i = 0; i < 10; ++i) state.write("sign", "kept/" + std::to_string(i), "x", kAny, 0, T0);
    CHECK(state.purge_expired(T0 + 1'000, 1000) == 1000);
    CHECK(state.purge_expired(T0 + 1'000, 1000) == 1000);
    CHECK(state.purge_expired(T0 + 1'000, 1000) == 500);
    CHECK(state.purge_expired(T0 + 1'000, 1000) == 0);
    CHECK(state.list("sign", "", std::nullopt, 100, T0).keys.size() == 10);
    CHECK_THROWS_AS(state.purge_expired(T0, 0), std::invalid_argument);
}

TEMPLATE_TEST_CASE("plugin state: a list walks the live keys of a prefix in byte order, a page at a time",
                   "[jobs][state][list]", SqliteState, MemoryState) {
    TestType fixture;
    auto &state = fixture.store();
    for (int i = 0; i < 3000; ++i)
        state.write("sign", key_of(i), std::string(static_cast<size_t>(i % 7), 'v'), kAny, 0, T0);
    state.write("sign", "open/00042", "again", kAny, 0, T0);      // version 2
    state.write("sign", "open/00043", "soon", kAny, 5'000, T0);   // expires
    state.write("sign", "closed/00001", "x", kAny, 0, T0);        // another prefix
    state.write("sign", "open", "x", kAny, 0, T0);                // shorter than the prefix
    state.write("chorus", "open/00001", "x", kAny, 0, T0);        // another plugin

    int pages = 0;
    const auto keys = walk(state, "open/", 1000, T0, {}, &pages);
    CHECK(pages == 3);
    REQUIRE(keys.size() == 3000);
    CHECK(std::is_sorted(keys.begin(), keys.end()));
    CHECK(keys.front() == "open/00000");
    CHECK(keys.back() == "open/02999");

    // A page tells each key's version, size and expiry.
    const auto page = state.list("sign", "open/0004", std::nullopt, 4, T0);
    REQUIRE(page.keys.size() == 4);
    CHECK(page.keys[2].key == "open/00042");
    CHECK(page.keys[2].version == 2);
    CHECK(page.keys[2].size == 5);
    CHECK_FALSE(page.keys[2].expires_at);
    CHECK(page.keys[3].expires_at == T0 + 5'000);
    CHECK(page.keys[1].size == 41 % 7);
    CHECK(page.next_cursor == "open/00043");
    // The last page, even when exactly full, has no cursor.
    const auto last = state.list("sign", "open/0004", page.next_cursor, 6, T0);
    CHECK(last.keys.size() == 6);
    CHECK_FALSE(last.next_cursor);

    // Expired keys are skipped; an empty prefix lists every key of the plugin.
    CHECK(walk(state, "open/", 1000, T0 + 5'000).size() == 2999);
    CHECK(walk(state, "", 700, T0).size() == 3002);
    CHECK(walk(state, "nothing/", 10, T0).empty());
}

TEMPLATE_TEST_CASE("plugin state: keys written while a walk goes on are seen once if they sort after it, never twice",
                   "[jobs][state][list]", SqliteState, MemoryState) {
    TestType fixture;
    auto &state = fixture.store();
    std::set<std::string> expected;
    for (int i = 0; i < 4000; i += 2) {
        state.write("sign", key_of(i), "x", kAny, 0, T0);
        expected.insert(key_of(i));
    }
    int walked = 0;
    const auto keys = walk(state, "open/", 250, T0, [&](const std::string &cursor) {
        // The walk is at key n: a key added behind it is not seen, one ahead of it is, one
        // deleted ahead of it is not, and rewriting a seen key does not bring it back.
        const int n = std::stoi(cursor.substr(5));
        state.write("sign", key_of(n - 101), "behind", kAny, 0, T0);
        state.write("sign", key_of(n + 101), "ahead", kAny, 0, T0);
        state.write("sign", cursor, "rewritten", kAny, 0, T0);
        expected.insert(key_of(n + 101));
        if (state.remove("sign", key_of(n + 200), T0)) expected.erase(key_of(n + 200));
        ++walked;
    });
    CHECK(walked >= 7);  // about 2000 keys, 250 a page
    CHECK(std::adjacent_find(keys.begin(), keys.end(), std::greater_equal<>()) == keys.end());  // sorted, once each
    std::set<std::string> seen(keys.begin(), keys.end());
    for (const auto &k : expected) {
        INFO(k);
        CHECK(seen.count(k) == 1);
    }
    for (const auto &k : seen) {
        INFO(k);
        const auto value = state.read("sign", k, T0);
        REQUIRE(value);
        CHECK(value->value != "behind");
    }
}

TEMPLATE_TEST_CASE("plugin state: keys of more than 512 bytes, values of more than 1 MiB and bad lists are refused by "
                   "name",
                   "[jobs][state][limits]", SqliteState, MemoryState) {
    TestType fixture;
    auto &state = fixture.store();
    const std::string longest(512, 'k');
    const std::string too_long(513, 'k');
    const std::string mib(1024 * 1024, 'v');

    CHECK(state.write("sign", longest, mib, kAny, 0, T0).written);
    CHECK(state.read("sign", longest, T0)->value.size() == mib.size());
    CHECK(message_of([&] { state.write("sign", too_long, "v", kAny, 0, T0); }) ==
          "state key \"" + std::string(64, 'k') + "...\" is 513 bytes long; keys are at most 512 bytes");
    CHECK(message_of([&] { state.read("sign", too_long, T0); }) ==
          "state key \"" + std::string(64, 'k') + "...\" is 513 bytes long; keys are at most 512 bytes");
    CHECK(message_of([&] { state.write("sign", "envelope/E-1", mib + "v", kAny, 0, T0); }) ==
          "the value of state key \"envelope/E-1\" is 1048577 bytes; values are at most 1048576 bytes (1 MiB)");
    CHECK(message_of([&] { state.write("sign", "", "v", kAny, 0, T0); }) == "a state key may not be empty");
    CHECK(message_of([&] { state.write("sign", "bad\xff", "v", kAny, 0, T0); }) ==
          "state key \"bad\\xff\" is not UTF-8 text");
    CHECK_FALSE(state.read("sign", "envelope/E-1", T0));  // nothing refused was stored

    CHECK(message_of([&] { state.list("sign", "open/", std::nullopt, 0, T0); }) ==
          "a state list takes 1 to 1000 keys at a time, not 0");
    CHECK(message_of([&] { state.list("sign", "open/", std::nullopt, 1001, T0); }) ==
          "a state list takes 1 to 1000 keys at a time, not 1001");
    CHECK(message_of([&] { state.list("sign", "open/", std::string("closed/1"), 10, T0); }) ==
          "state list cursor \"closed/1\" does not come from a list of prefix \"open/\"");
    CHECK(state.list("sign", "", std::nullopt, 1000, T0).keys.size() == 1);

    // UTF-8 keys sort by their bytes.
    state.write("sign", "z", "", kAny, 0, T0);
    state.write("sign", "\xc3\xa9t\xc3\xa9", "", kAny, 0, T0);  // "été"
    const auto all = walk(state, "", 1, T0);
    CHECK(all == std::vector<std::string>{longest, "z", "\xc3\xa9t\xc3\xa9"});
    CHECK(walk(state, "\xc3\xa9", 5, T0) == std::vector<std::string>{"\xc3\xa9t\xc3\xa9"});
}

// --- the SQLite store ---------------------------------------------------------------------------

TEST_CASE("plugin state: read + compare-and-set from 16 threads on two connections counts every increment",
          "[jobs][state][concurrency]") {
    TempDir dir;
    SqliteJobStore jobs(dir.path());
    SqlitePluginStateOptions options;
    options.synchronous = SqlitePluginStateOptions::Sync::normal;  // the test is about locks, not disks
    SqlitePluginState a(dir.path(), options), b(dir.path(), options);
    constexpr int kThreads = 16, kRounds = 50;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            auto &state = t % 2 ? a : b;
            for (int i = 0; i < kRounds; ++i) add_one(state);
        });
    for (auto &t : threads) t.join();
    const auto counter = a.read("counter", "n", T0);
    REQUIRE(counter);
    CHECK(counter->value == std::to_string(kThreads * kRounds));
    CHECK(counter->version == static_cast<uint64_t>(kThreads * kRounds));
    CHECK(b.read("counter", "n", T0)->version == counter->version);
}

TEST_CASE("plugin state: compare-and-set holds across processes sharing relais.db", "[jobs][state][concurrency]") {
    TempDir dir;
    SqliteJobStore jobs(dir.path());
    SqlitePluginStateOptions options;
    options.synchronous = SqlitePluginStateOptions::Sync::normal;
    constexpr int kChildren = 3, kRounds = 100;
    std::vector<pid_t> children;
    for (int c = 0; c < kChildren; ++c) {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            // Its own connection, opened after the fork; _exit skips the parent's destructors.
            int code = 0;
            try {
                SqlitePluginState state(dir.path(), options);
                for (int i = 0; i < kRounds; ++i) add_one(state);
            } catch (...) {
                code = 1;
            }
            ::_exit(code);
        }
        children.push_back(pid);
    }
    SqlitePluginState state(dir.path(), options);
    for (int i = 0; i < kRounds; ++i) add_one(state);
    for (const auto pid : children) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    const auto counter = state.read("counter", "n", T0);
    REQUIRE(counter);
    CHECK(counter->value == std::to_string((kChildren + 1) * kRounds));
    CHECK(counter->version == static_cast<uint64_t>((kChildren + 1) * kRounds));
}

TEST_CASE("plugin state: kept in relais.db across reopening, and only once the job store has made the file",
          "[jobs][state]") {
    TempDir dir;
    CHECK_THROWS_WITH(SqlitePluginState(dir.path()), Catch::Contains("does not exist (the job store creates it)"));
    {
        SqliteJobStore jobs(dir.path());
        SqlitePluginState state(dir.path());
        state.write("sign", "token", "t1", kAny, 0, T0);
        state.write("sign", "token", "t2", kAny, 0, T0);
        state.write("sign", "lease", "l", kAny, 1'000, T0);
    }
    SqliteJobStore jobs(dir.path());
    SqlitePluginState state(dir.path());
    CHECK(state.read("sign", "token", T0)->value == "t2");
    CHECK(state.read("sign", "token", T0)->version == 2);
    CHECK(state.read("sign", "lease", T0)->expires_at == T0 + 1'000);
}

TEST_CASE("plugin state: a database of schema 2 keeps its state, readable at version 1 without expiry",
          "[jobs][state][migration]") {
    TempDir dir;
    {
        // Migrations 1 and 2 as they shipped, and state written by that release.
        sqlite::Database db(dir / SqliteJobStore::kFileName, 5000);
        db.exec(kMigrations[0].sql);
        db.exec(kMigrations[1].sql);
        db.exec("PRAGMA user_version = 2");
        db.exec("PRAGMA application_id = 1380729161");  // "RLAI"
        db.exec("INSERT INTO plugin_state (plugin, key, value) VALUES "
                "('exchange', 'delta/alice@example.com', CAST('https://graph/delta?1' AS BLOB)), "
                "('sign', 'token', x'00ff')");
    }
    CHECK_THROWS_WITH(SqlitePluginState(dir.path()), Catch::Contains("its schema is version 2, older than 4"));
    SqliteJobStore jobs(dir.path());
    SqlitePluginState state(dir.path());
    const auto token = state.read("sign", "token", T0);
    REQUIRE(token);
    CHECK(token->value == std::string("\x00\xff", 2));
    CHECK(token->version == 1);
    CHECK_FALSE(token->expires_at);
    const auto listed = state.list("exchange", "delta/", std::nullopt, 10, T0);
    REQUIRE(listed.keys.size() == 1);
    CHECK(listed.keys[0].version == 1);
    CHECK(listed.keys[0].size == std::string("https://graph/delta?1").size());
    CHECK_FALSE(state.write("sign", "token", "t", 0, 0, T0).written);
    CHECK(state.write("sign", "token", "t", 1, 0, T0).version == 2);
}

// --- the housekeeper ---------------------------------------------

namespace {

class NoJobs final : public JobExecutor {
public:
    CallResult execute(const Job &, JobContext &) override { return CallResult{}; }
};

}  // namespace

TEST_CASE("plugin state: the housekeeper runs the purge hook at every purge pass, even when jobs are kept forever",
          "[jobs][state][expiry][scheduler]") {
    TempDir dir;
    SqliteJobStore jobs(dir.path());
    SqlitePluginState state(dir.path());
    ManualClock clock(T0);
    NoJobs executor;
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<int64_t> passes;
    SchedulerOptions options;
    options.owner = "test-host/1";
    options.workers = 1;
    options.retention_ms = 0;
    options.purge_every_ms = 3'600'000;
    options.on_purge = [&](int64_t now) {
        const auto purged = state.purge_expired(now, 1000);
        {
            std::lock_guard lock(mutex);
            passes.push_back(now);
            (void)purged;
        }
        changed.notify_all();
    };
    state.write("chorus", "final/F-1", "x", kAny, 3'600'000, T0);
    state.write("chorus", "kept", "x", kAny, 0, T0);
    Scheduler scheduler(jobs, executor, clock, options);
    auto await_passes = [&](std::size_t n) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, 30s, [&] { return passes.size() >= n; });
    };
    scheduler.start();
    REQUIRE(await_passes(1));
    CHECK(rows(dir.path()) == 2);  // not expired yet
    REQUIRE(clock.await_waiting(2, 30s));
    clock.advance(3'600'000);
    REQUIRE(await_passes(2));
    {
        std::lock_guard lock(mutex);
        CHECK(passes == std::vector<int64_t>{T0, T0 + 3'600'000});
    }
    CHECK(rows(dir.path()) == 1);
    scheduler.stop(0);
}
