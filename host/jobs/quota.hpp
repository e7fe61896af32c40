// Per-connector quotas on upstream requests: a rate (requests per second) and a daily cap, the
// plugin's declared defaults or the configuration's. Jobs, synchronous API calls and plugins
// that ask per upstream request all draw from the same limiter, so what is counted is
// requests made upstream, whoever makes them.
//
// The rate: at most `burst` grants in any window of `window_ms` (a sliding log of grant
// times), where burst = ceil(per_second) (at least 1) and window_ms = 1000 * burst / per_second
// (rounded up) + margin_ms. For a whole rate such as Chorus Pro's 20/s that is "never more than
// 20 in any 1-second window, sliding or calendar", which a plain token bucket does not give:
// a full bucket of 20 spent at the end of one second plus 20 tokens refilled during the next
// puts 40 requests into one second. The log keeps one entry per distinct millisecond, so its
// size is bounded by the window, not by the rate. A burst is still allowed (20 synchronous
// look-ups at once are answered at once), and the long-run rate is per_second * 1000 /
// (1000 + margin_ms).
//
// margin_ms widens the window to absorb the delay between a grant and the moment the
// request reaches upstream (a thread preempted for a few ms between two requests otherwise
// lets two batches of grants, exactly one window apart, land in one second upstream).
//
// The daily cap counts per UTC day (from the clock) in the job store (add_daily_usage), so the
// count survives a restart. A request that would pass the cap waits for the next UTC day.
//
// Thread-safe. A connector never configured (or configured with zeros) is unlimited and costs
// no store write.
#pragma once

#include "jobs/clock.hpp"
#include "jobs/job_store.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>

namespace relais::host {

struct QuotaSettings {
    double per_second = 0;  // 0: no rate limit
    int64_t per_day = 0;    // 0: no daily cap
    int64_t margin_ms = 20;

    bool operator==(const QuotaSettings &) const = default;
};

// "YYYY-MM-DD" of the UTC day that contains `ms` (the daily_usage key), and when that day ends.
std::string utc_day(int64_t ms);
int64_t next_utc_day_start(int64_t ms);

class QuotaLimiter {
public:
    QuotaLimiter(JobStore &store, Clock &clock);

    // Sets (or replaces) a connector's limits, keeping what was already granted: lowering a
    // limit makes new requests wait until past grants leave the window. Wakes waiters.
    // Throws std::invalid_argument for a negative or non-finite value.
    void configure(const std::string &connector, const QuotaSettings &settings);
    QuotaSettings settings(const std::string &connector) const;

    // The grant size a connector can ever get at once: burst under a rate, the daily cap
    // without one; 0 when unlimited.
    int64_t max_grant(const std::string &connector) const;

    // Grants n requests now and returns 0, or grants nothing and returns how many ms to wait
    // before they could be granted (the Retry-After of a synchronous call's 429).
    // Throws std::invalid_argument when n < 1 or n exceeds max_grant (it could never be granted);
    // storage failures propagate, with nothing granted.
    int64_t try_acquire(const std::string &connector, int64_t n = 1);

    // Who waits for a grant. While an interactive caller (a synchronous API call: someone is
    // waiting for the answer) waits for a connector's quota, background callers (jobs) of that
    // connector are not granted: the next free slot goes to the interactive one.
    enum class Priority { background, interactive };

    // Waits until n requests are granted (returns 0), or until the clock reaches deadline_ms or
    // `stop` is requested, and then grants nothing and returns the wait still needed (> 0).
    int64_t acquire(const std::string &connector, int64_t n, int64_t deadline_ms, std::stop_token stop = {},
                    Priority priority = Priority::background);

    // The wait try_acquire would return, granting nothing.
    int64_t wait_ms(const std::string &connector, int64_t n = 1);

    // Requests granted on the clock's current UTC day (as this limiter knows it: the store's
    // count when first read that day, plus what it granted since).
    int64_t used_today(const std::string &connector);

private:
    struct Bucket {
        QuotaSettings settings;
        int64_t burst = 0;      // 0: no rate limit
        int64_t window_ms = 0;  // the log's window
        std::deque<std::pair<int64_t, int64_t>> log;  // (grant time, requests), oldest first
        int64_t in_window = 0;                         // sum of the log's requests
        int64_t day_start = -1;                        // the UTC day used_today counts; -1: not read yet
        int64_t used_today = 0;
        int interactive_waiting = 0;  // interactive callers blocked in acquire
    };

    // Under mutex_. The wait before n can be granted at now; 0: grantable.
    int64_t wait_locked(const std::string &connector, Bucket &bucket, int64_t n, int64_t now);
    // Under mutex_: records a grant the wait said was possible. True when the daily count must
    // then be written to the store (outside the lock).
    bool grant_locked(Bucket &bucket, int64_t n, int64_t now);
    // Outside the lock: adds n to the day's count in the store; on failure, takes the grant back.
    void persist(const std::string &connector, int64_t n, int64_t day_start);
    void check_request(const Bucket &bucket, const std::string &connector, int64_t n) const;
    int64_t try_acquire_locked(std::unique_lock<std::mutex> &lock, const std::string &connector, int64_t n);

    JobStore &store_;
    Clock &clock_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;  // limits changed, or a waiter was asked to stop
    std::map<std::string, Bucket, std::less<>> buckets_;
};

}  // namespace relais::host
