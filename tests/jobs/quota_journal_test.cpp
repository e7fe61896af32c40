// The quota journal: a limiter started on the file another one wrote (a restart) keeps the
// windows, pauses and remaining counts that were running, and expired rows are purged.
#include "temp_dir.hpp"

#include "jobs/quota.hpp"
#include "jobs/sqlite_job_store.hpp"
#include "jobs/sqlite_quota_journal.hpp"

#include <catch2/catch.hpp>

using namespace relais::host;
using relais::test::TempDir;

namespace {

constexpr int64_t T0 = 1'700'000'000'000;

// One run of the host: the store, the journal and a limiter on the data directory.
struct Run {
    SqliteJobStore store;
    SqliteQuotaJournal journal;
    QuotaLimiter quota;
    Run(const TempDir &dir, Clock &clock, bool with_journal = true)
        : store(dir.path()), journal(dir.path()), quota(store, clock) {
        if (with_journal) quota.attach_journal(journal);
        QuotaSettings chorus{5, 0, 0};
        quota.configure("chorus", chorus);
        QuotaSettings graph;
        graph.margin_ms = 0;
        graph.windows = {{"requests", 2, 10'000, true}};
        quota.configure("graph", graph);
    }
};

}  // namespace

TEST_CASE("quota journal: after a restart the running windows hold, with no second burst", "[quota]") {
    TempDir dir;
    ManualClock clock(T0);
    {
        Run first(dir, clock);
        for (int i = 0; i < 5; ++i) {
            REQUIRE(first.quota.try_acquire("chorus") == 0);  // at T0, +100, ..., +400
            clock.advance(100);
        }
        REQUIRE(first.quota.try_take("graph", "requests", "alice", 2) == 0);
        // Ends here without anything more: each grant was written when it was made.
    }
    Run second(dir, clock);
    CHECK(clock.now_ms() == T0 + 500);
    CHECK(second.quota.try_acquire("chorus") == 500);                           // the first grant leaves at T0 + 1000
    CHECK(second.quota.try_take("graph", "requests", "alice", 1) == 10'000);  // per key too
    CHECK(second.quota.try_take("graph", "requests", "bob", 1) == 0);
    clock.advance(500);
    CHECK(second.quota.try_acquire("chorus") == 0);
    CHECK(second.quota.try_acquire("chorus") == 100);  // the next leaves at T0 + 1100

    // Without the journal the same restart would have granted a second window at once.
    Run forgetful(dir, clock, false);
    for (int i = 0; i < 5; ++i) CHECK(forgetful.quota.try_acquire("chorus") == 0);
}

TEST_CASE("quota journal: pauses and remaining counts reported by the upstream survive a restart", "[quota]") {
    TempDir dir;
    ManualClock clock(T0);
    {
        Run first(dir, clock);
        first.quota.report("chorus", "requests", "", 60'000, -1, 0);
        first.quota.report("sirene", "requests", "", 0, 3, 30'000);
        REQUIRE(first.quota.try_acquire("sirene") == 0);
    }
    clock.advance(1000);
    Run second(dir, clock);
    CHECK(second.quota.try_acquire("chorus") == 59'000);
    CHECK(second.quota.try_acquire("sirene") == 0);
    CHECK(second.quota.try_acquire("sirene") == 0);
    CHECK(second.quota.try_acquire("sirene") == 29'000);  // 3 allowed, 1 taken before the restart
}

TEST_CASE("quota journal: grants are purged once out of every window", "[quota]") {
    TempDir dir;
    ManualClock clock(T0);
    Run run(dir, clock);
    for (int i = 0; i < 5; ++i) REQUIRE(run.quota.try_acquire("chorus") == 0);
    REQUIRE(run.quota.try_take("graph", "requests", "alice", 1) == 0);
    CHECK(run.journal.grants(T0).size() == 6);
    CHECK(run.journal.purge(T0 + 999, 1000) == 0);
    CHECK(run.journal.purge(T0 + 1000, 1000) == 5);  // the chorus window is 1000 ms
    CHECK(run.journal.grants(T0 + 1000).size() == 1);
    CHECK(run.journal.purge(T0 + 10'000, 1000) == 1);
    CHECK(run.journal.grants(T0).empty());
}
