// Per-connector quotas on upstream calls: windows of any length, per key or shared, concurrency
// limits, a daily cap, and what the upstream itself said (a 429's Retry-After, a remaining count
// until a reset). Jobs, synchronous API calls and plugins that ask per upstream request all draw
// from the same limiter, so what is counted is what reached upstream, whoever sent it.
//
// Windows. A connector declares windows by scope ("requests", "enqueue"): at most `count` takes
// in any window of `window_ms`, or, with window_ms 0, at most `count` held at once (released by
// release() or the end of the call). A take of scope S with key K must pass every window of S
// at once: the shared ones (per_key false, counting every key) and the per-key ones counted for
// K alone. The legacy rate (per_second) is one more shared window of "requests": burst =
// ceil(per_second) per ceil(1000 * burst / per_second) ms, so 5/s is 5 per 1000 ms and 0.5/s
// is 1 per 2000 ms.
//
// Exactness. Each (scope) and each (scope, key) keeps a sliding log of its grants (time, count,
// and the running total before it), one entry per distinct millisecond. A take at `now` is
// granted only when, for every window, the grants since now - window plus the take fit the
// count: then no interval of that length ever holds more, sliding or calendar, which a token
// bucket does not give (a full bucket spent at the end of one second plus a refill during the
// next puts twice the rate into one second). The running totals make the check a binary search,
// so a 10,000 per 600 s window costs no more than 5 per second. Every rate window is widened by
// margin_ms (20 by default) to absorb the delay between a grant and the moment the request
// reaches upstream: grants exactly one window apart would otherwise meet in one upstream second.
//
// Memory. A log keeps only what its longest window still holds; a (scope, key) whose logs are
// empty, holds no slot and has no pause is forgotten (swept at most once a second of the
// clock), so a million mailboxes seen once cost nothing an hour later.
//
// What the upstream says. report() pauses the scope (key empty) or the (scope, key) until
// retry_after ends, for every caller and not only the one that got the 429; remaining >= 0 with
// reset_after > 0 allows that many more takes until the reset.
//
// No burst after a restart. The windows are only as good as their memory: a process killed
// with a full window and restarted at once would start from empty logs and grant a second full
// window into the same upstream second. So every grant of a rate window is written to a
// journal (QuotaJournal; in the service, the quota_grants table of relais.db) before the take
// returns: one INSERT in autocommit, which in WAL mode with synchronous=NORMAL is an append to
// the WAL in the OS cache, durable against kill -9 without an fsync. Nothing is batched: a grant
// kept in memory to be written later is exactly what a kill would lose. At start,
// attach_journal() reloads the grants still inside a window (each row carries the time it
// leaves every window of its take) and the pauses still running, so the first takes after a
// restart wait for the windows that were running. Expired rows are purged as grants go.
// A journal write that fails fails the take (the grant stays counted in memory: it may have
// reached nobody, but the window never over-grants).
//
// The daily cap (per_day) counts calls of scope "requests" per UTC day in the job store
// (add_daily_usage), as before windows existed; a take past it waits for the next UTC day.
//
// The entry points of the scheduler and the API (try_acquire, acquire, wait_ms) count scope
// "requests" without key and take no concurrency slot (nothing would release it); take() and
// try_take() are the full form.
//
// Thread-safe. A connector never configured (or configured with nothing) is unlimited and costs
// no write.
#pragma once

#include "jobs/clock.hpp"
#include "jobs/job_store.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

namespace relais::host {

// The scope the scheduler's per-action charge and the legacy rate count.
inline constexpr const char *kRequestsScope = "requests";

// At most `count` takes of `scope` in any window of window_ms; window_ms 0: at most `count`
// held at once. per_key: counted separately for each key.
struct QuotaWindow {
    std::string scope = kRequestsScope;
    int64_t count = 0;
    int64_t window_ms = 0;
    bool per_key = false;

    QuotaWindow() = default;
    QuotaWindow(std::string scope, int64_t count, int64_t window_ms, bool per_key = false)
        : scope(std::move(scope)), count(count), window_ms(window_ms), per_key(per_key) {}
    bool operator==(const QuotaWindow &) const = default;
};

struct QuotaSettings {
    double per_second = 0;  // 0: no legacy rate
    int64_t per_day = 0;    // 0: no daily cap
    int64_t margin_ms = 20;
    std::vector<QuotaWindow> windows;  // beside the legacy rate

    QuotaSettings() = default;
    QuotaSettings(double per_second, int64_t per_day = 0, int64_t margin_ms = 20, std::vector<QuotaWindow> windows = {})
        : per_second(per_second), per_day(per_day), margin_ms(margin_ms), windows(std::move(windows)) {}
    bool operator==(const QuotaSettings &) const = default;
};

// The window a legacy rate stands for (see the top of this file); nullopt for 0. Throws
// std::invalid_argument for a negative or non-finite rate, or one below a request a day.
std::optional<QuotaWindow> window_for_rate(double per_second);

// "YYYY-MM-DD" of the UTC day that contains `ms` (the daily_usage key), and when that day ends.
std::string utc_day(int64_t ms);
int64_t next_utc_day_start(int64_t ms);

// Where grants and upstream reports are kept across a restart. Called outside the limiter's
// lock, from many threads at once: an implementation serialises its own writes.
class QuotaJournal {
public:
    virtual ~QuotaJournal() = default;

    struct Grant {
        std::string connector, scope, key;  // key "": none
        int64_t at = 0;
        int64_t count = 0;
        int64_t expires_at = 0;  // when it has left every window of its take
    };
    struct Report {
        std::string connector, scope, key;  // key "": the whole scope
        int64_t reported_at = 0;
        int64_t pause_until = 0;  // 0: no pause
        int64_t remaining = -1;   // -1: not said
        int64_t reset_at = 0;
    };

    // Durable when it returns (against a crash of the process). Throws on failure.
    virtual void record(const Grant &grant) = 0;
    // Replaces the report of (connector, scope, key).
    virtual void record(const Report &report) = 0;
    // The grants with expires_at > now, oldest first; the reports still running at now.
    virtual std::vector<Grant> grants(int64_t now) = 0;
    virtual std::vector<Report> reports(int64_t now) = 0;
    // Deletes at most `limit` grants and reports over at now; how many went.
    virtual int purge(int64_t now, int limit) = 0;
};

class QuotaLimiter {
public:
    QuotaLimiter(JobStore &store, Clock &clock);

    // Reloads the journal's grants and reports still running, then records every new grant
    // and report there. Call before the first take (at start); the journal outlives this.
    // Storage failures propagate.
    void attach_journal(QuotaJournal &journal);

    // Sets (or replaces) a connector's limits, keeping what was already granted: lowering a
    // limit makes new takes wait until past grants leave the window. Wakes waiters.
    // Throws std::invalid_argument naming the connector and the window for a bad value.
    void configure(const std::string &connector, const QuotaSettings &settings);
    QuotaSettings settings(const std::string &connector) const;

    // Told of every take that had to wait (granted or not), with how long, for metrics. Called
    // under the limiter's lock: it must be quick and must not call back into the limiter. Set
    // before the first take.
    using WaitObserver = std::function<void(const std::string &connector, const std::string &scope, int64_t waited_ms)>;
    void set_wait_observer(WaitObserver observer) { wait_observer_ = std::move(observer); }

    // The most one take of "requests" without key can ever get: the smallest count of its
    // shared rate windows and the daily cap; 0 when unlimited.
    int64_t max_grant(const std::string &connector) const;

    // Grants n requests ("requests", no key, no concurrency slot) now and returns 0, or grants
    // nothing and returns how many ms to wait before they could be granted (the Retry-After
    // of a synchronous call's 429). Throws std::invalid_argument when n < 1 or n exceeds
    // max_grant (it could never be granted); storage failures propagate.
    int64_t try_acquire(const std::string &connector, int64_t n = 1);

    // Who waits for a grant. While an interactive caller (a synchronous API call: someone is
    // waiting for the answer) waits for a connector's scope, background callers (jobs) of that
    // scope are not granted: the next free slot goes to the interactive one.
    enum class Priority { background, interactive };

    // Waits until n requests are granted (returns 0), or until the clock reaches deadline_ms or
    // `stop` is requested, and then grants nothing and returns the wait still needed (> 0).
    int64_t acquire(const std::string &connector, int64_t n, int64_t deadline_ms, std::stop_token stop = {},
                    Priority priority = Priority::background);

    // The wait try_acquire would return, granting nothing.
    int64_t wait_ms(const std::string &connector, int64_t n = 1);

    // The full form: n takes of `scope` for `key` ("" for none) against every window that
    // applies, and n slots of each of its concurrency limits, held until release(). A full
    // concurrency limit gives no time of its own: the wait returned is then at least
    // kSlotRetryMs, and a waiter is woken by the release.
    int64_t try_take(const std::string &connector, const std::string &scope, const std::string &key, int64_t n);
    int64_t take(const std::string &connector, const std::string &scope, const std::string &key, int64_t n,
                 int64_t deadline_ms, std::stop_token stop = {}, Priority priority = Priority::background);
    // Gives back n concurrency slots of (scope, key) taken by take(); more than are held is
    // clamped. Wakes waiters.
    void release(const std::string &connector, const std::string &scope, const std::string &key, int64_t n);

    // What the upstream said (see the top of this file). retry_after_ms 0 and remaining < 0
    // say nothing. Storage failures are logged, not thrown: the pause holds in this process.
    void report(const std::string &connector, const std::string &scope, const std::string &key,
                int64_t retry_after_ms, int64_t remaining, int64_t reset_after_ms);

    // Requests granted on the clock's current UTC day (as this limiter knows it: the store's
    // count when first read that day, plus what it granted since).
    int64_t used_today(const std::string &connector);

    // The use of each shared window of a connector now: how much of each limit is taken (for
    // a concurrency limit, the slots held), in the order of compile's rules per scope. Per-key
    // windows are left out: their use is one number per key.
    struct WindowUse {
        std::string scope;
        std::string describe;  // "5 per 1 s of requests"
        int64_t limit = 0;
        int64_t window_ms = 0;  // 0: a concurrency limit
        int64_t used = 0;
    };
    std::vector<WindowUse> usage(const std::string &connector);

    // How many (scope) and (scope, key) entries the limiter keeps for a connector (after a
    // sweep of the forgettable ones): what stays bounded with many keys.
    size_t tracked(const std::string &connector);

    static constexpr int64_t kSlotRetryMs = 1000;

private:
    // One window as enforced: its count, and its length with the margin (0: a concurrency limit).
    struct Rule {
        int64_t count = 0;
        int64_t window_ms = 0;
        std::string describe;  // "3 per 100 ms of requests", for errors
    };
    struct ScopeRules {
        std::vector<Rule> shared, keyed;
        int64_t shared_horizon = 0, keyed_horizon = 0;  // the longest rate window of each
        bool keyed_rules() const { return !keyed.empty(); }
    };
    struct Entry {
        int64_t at = 0;
        int64_t count = 0;
        int64_t before = 0;  // the log's total before this entry
    };
    // The grants, slots and upstream report of one scope (shared) or one (scope, key).
    struct Usage {
        std::deque<Entry> log;  // oldest first
        int64_t total = 0;      // the sum of every count ever appended
        int64_t held = 0;       // concurrency slots taken and not released
        int64_t pause_until = 0;
        int64_t remaining = -1;  // takes left until reset_at; -1: no budget
        int64_t reset_at = 0;
        int64_t reported_at = 0;
    };
    using UsageKey = std::pair<std::string, std::string>;  // (scope, key)
    struct ConnectorState {
        bool configured = false;
        QuotaSettings settings;
        std::map<std::string, ScopeRules, std::less<>> scopes;
        std::map<std::string, Usage, std::less<>> shared;  // by scope
        std::map<UsageKey, Usage> keyed;
        std::map<std::string, int, std::less<>> interactive_waiting;  // by scope
        int64_t day_start = -1;  // the UTC day used_today counts; -1: not read yet
        int64_t used_today = 0;
        int64_t next_sweep = 0;
    };
    struct Request {
        const std::string &scope;
        const std::string &key;
        int64_t n;
        bool slots;  // take concurrency slots too
    };

    static std::map<std::string, ScopeRules, std::less<>> compile(const std::string &connector,
                                                                  const QuotaSettings &settings);
    void check_request(const std::string &connector, const ConnectorState &state, const Request &request) const;
    // Under mutex_. The wait before the request can be granted at now; 0: grantable.
    int64_t wait_locked(const std::string &connector, ConnectorState &state, const Request &request, int64_t now);
    // Under mutex_: records a grant the wait said was possible. What must then be written
    // (outside the lock): the journal's grant (count 0: none) and whether the daily count.
    struct Pending {
        QuotaJournal::Grant grant;
        bool daily = false;
        int64_t day_start = 0;
    };
    Pending grant_locked(const std::string &connector, ConnectorState &state, const Request &request, int64_t now);
    // Outside the lock: writes what a grant needs; on failure gives back what can be.
    void persist(const std::string &connector, const Request &request, const Pending &pending);
    int64_t try_take_locked(std::unique_lock<std::mutex> &lock, const std::string &connector, const Request &request);
    int64_t take_impl(const std::string &connector, const Request &request, int64_t deadline_ms,
                      std::stop_token stop, Priority priority);
    void sweep_locked(ConnectorState &state, int64_t now);
    void trim(Usage &usage, int64_t horizon, int64_t now) const;
    static bool forgettable(const Usage &usage, int64_t now);
    static void append(Usage &usage, int64_t at, int64_t count);
    static int64_t in_window(const Usage &usage, int64_t window_ms, int64_t now);
    static int64_t rule_wait(const Usage *usage, const Rule &rule, int64_t n, int64_t now, bool slots);
    void maybe_purge(int64_t now);

    JobStore &store_;
    Clock &clock_;
    QuotaJournal *journal_ = nullptr;
    WaitObserver wait_observer_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;  // limits changed, slots released, or a waiter was asked to stop
    std::map<std::string, ConnectorState, std::less<>> connectors_;
    int64_t next_purge_ = 0;  // under mutex_
};

// The concurrency slots one call holds: take() through it, and whatever is still held goes
// back by release() or when the call ends (the destructor), so a plugin that forgets to release
// or throws midway never keeps a slot.
class QuotaHolds {
public:
    QuotaHolds(QuotaLimiter &limiter, std::string connector);
    ~QuotaHolds();
    QuotaHolds(const QuotaHolds &) = delete;
    QuotaHolds &operator=(const QuotaHolds &) = delete;

    // QuotaLimiter::take for this call's connector; what it grants is held here.
    int64_t take(const std::string &scope, const std::string &key, int64_t n, int64_t deadline_ms,
                 std::stop_token stop, QuotaLimiter::Priority priority);
    // Gives back every slot this call holds for (scope, key).
    void release(const std::string &scope, const std::string &key);

private:
    QuotaLimiter &limiter_;
    std::string connector_;
    std::mutex mutex_;  // a plugin may take from several threads of one call
    std::map<std::pair<std::string, std::string>, int64_t> held_;
};

}  // namespace relais::host
