#include "jobs/quota.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace relais::host {

namespace {

constexpr int64_t kDayMs = 86'400'000;

int64_t day_start_of(int64_t ms) {
    // Floor division: a time before 1970 still belongs to the day that contains it.
    const int64_t days = ms / kDayMs - (ms % kDayMs < 0 ? 1 : 0);
    return days * kDayMs;
}

}  // namespace

std::string utc_day(int64_t ms) {
    using namespace std::chrono;
    const year_month_day ymd{sys_days{days{day_start_of(ms) / kDayMs}}};
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return text;
}

int64_t next_utc_day_start(int64_t ms) { return day_start_of(ms) + kDayMs; }

QuotaLimiter::QuotaLimiter(JobStore &store, Clock &clock) : store_(store), clock_(clock) {}

void QuotaLimiter::configure(const std::string &connector, const QuotaSettings &settings) {
    if (!std::isfinite(settings.per_second) || settings.per_second < 0)
        throw std::invalid_argument("quota of " + connector + ": per_second must be a number >= 0");
    if (settings.per_day < 0) throw std::invalid_argument("quota of " + connector + ": per_day must be >= 0");
    if (settings.margin_ms < 0 || settings.margin_ms > 60'000)
        throw std::invalid_argument("quota of " + connector + ": margin_ms must be between 0 and 60000");
    int64_t burst = 0;
    int64_t window_ms = 0;
    if (settings.per_second > 0) {
        burst = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(settings.per_second)));
        const double window = std::ceil(1000.0 * static_cast<double>(burst) / settings.per_second);
        if (window > static_cast<double>(kDayMs))
            throw std::invalid_argument("quota of " + connector +
                                        ": per_second is below one request a day; use per_day");
        window_ms = static_cast<int64_t>(window) + settings.margin_ms;
    }
    {
        std::lock_guard lock(mutex_);
        auto &bucket = buckets_[connector];
        bucket.settings = settings;
        bucket.burst = burst;
        bucket.window_ms = window_ms;
        if (burst == 0) {
            bucket.log.clear();
            bucket.in_window = 0;
        }
    }
    changed_.notify_all();
}

QuotaSettings QuotaLimiter::settings(const std::string &connector) const {
    std::lock_guard lock(mutex_);
    const auto it = buckets_.find(connector);
    return it == buckets_.end() ? QuotaSettings{} : it->second.settings;
}

int64_t QuotaLimiter::max_grant(const std::string &connector) const {
    std::lock_guard lock(mutex_);
    const auto it = buckets_.find(connector);
    if (it == buckets_.end()) return 0;
    const auto &b = it->second;
    if (b.burst > 0 && b.settings.per_day > 0) return std::min(b.burst, b.settings.per_day);
    return b.burst > 0 ? b.burst : b.settings.per_day;
}

void QuotaLimiter::check_request(const Bucket &bucket, const std::string &connector, int64_t n) const {
    if (bucket.burst > 0 && n > bucket.burst)
        throw std::invalid_argument("quota of " + connector + ": " + std::to_string(n) +
                                    " requests at once exceed the burst of " + std::to_string(bucket.burst));
    if (bucket.settings.per_day > 0 && n > bucket.settings.per_day)
        throw std::invalid_argument("quota of " + connector + ": " + std::to_string(n) +
                                    " requests at once exceed the daily cap of " +
                                    std::to_string(bucket.settings.per_day));
}

int64_t QuotaLimiter::wait_locked(const std::string &connector, Bucket &bucket, int64_t n, int64_t now) {
    int64_t wait = 0;
    if (bucket.burst > 0) {
        auto &log = bucket.log;
        // A grant at t occupies [t, t + window).
        while (!log.empty() && log.front().first + bucket.window_ms <= now) {
            bucket.in_window -= log.front().second;
            log.pop_front();
        }
        if (bucket.in_window + n > bucket.burst) {
            // The grants that must leave the window first, oldest first.
            int64_t excess = bucket.in_window + n - bucket.burst;
            for (const auto &[at, count] : log) {
                excess -= count;
                if (excess <= 0) {
                    wait = at + bucket.window_ms - now;
                    break;
                }
            }
        }
    }
    if (bucket.settings.per_day > 0) {
        const auto today = day_start_of(now);
        if (bucket.day_start != today) {
            // First use of the day (or of this limiter): the store has the count, perhaps from
            // before a restart.
            bucket.used_today = store_.daily_usage(connector, utc_day(now));
            bucket.day_start = today;
        }
        if (bucket.used_today + n > bucket.settings.per_day) wait = std::max(wait, today + kDayMs - now);
    }
    return wait;
}

bool QuotaLimiter::grant_locked(Bucket &bucket, int64_t n, int64_t now) {
    if (bucket.burst > 0) {
        auto &log = bucket.log;
        // One entry per millisecond; a clock set back files the grant with the newest entry,
        // so the log stays in time order (and the grant leaves the window no earlier).
        if (!log.empty() && log.back().first >= now) log.back().second += n;
        else log.emplace_back(now, n);
        bucket.in_window += n;
    }
    if (bucket.settings.per_day > 0) {
        bucket.used_today += n;
        return true;
    }
    return false;
}

void QuotaLimiter::persist(const std::string &connector, int64_t n, int64_t day_start) {
    int64_t total = 0;
    try {
        total = store_.add_daily_usage(connector, utc_day(day_start), n);
    } catch (...) {
        std::lock_guard lock(mutex_);
        auto &bucket = buckets_[connector];
        if (bucket.day_start == day_start) bucket.used_today -= n;
        throw;
    }
    std::lock_guard lock(mutex_);
    auto &bucket = buckets_[connector];
    // The store's total also counts other processes sharing it.
    if (bucket.day_start == day_start) bucket.used_today = std::max(bucket.used_today, total);
}

int64_t QuotaLimiter::try_acquire_locked(std::unique_lock<std::mutex> &lock, const std::string &connector,
                                         int64_t n) {
    if (n < 1) throw std::invalid_argument("quota of " + connector + ": ask for at least 1 request");
    const auto it = buckets_.find(connector);
    if (it == buckets_.end()) return 0;
    auto &bucket = it->second;
    check_request(bucket, connector, n);
    const auto now = clock_.now_ms();
    if (const auto wait = wait_locked(connector, bucket, n, now); wait > 0) return wait;
    if (grant_locked(bucket, n, now)) {
        const auto day = bucket.day_start;
        lock.unlock();
        persist(connector, n, day);
        lock.lock();
    }
    return 0;
}

int64_t QuotaLimiter::try_acquire(const std::string &connector, int64_t n) {
    std::unique_lock lock(mutex_);
    return try_acquire_locked(lock, connector, n);
}

int64_t QuotaLimiter::acquire(const std::string &connector, int64_t n, int64_t deadline_ms, std::stop_token stop,
                              Priority priority) {
    // Before taking the lock: a stop already requested runs the callback right here.
    std::stop_callback on_stop(stop, [this] {
        std::lock_guard guard(mutex_);
        changed_.notify_all();
    });
    std::unique_lock lock(mutex_);
    // An interactive caller is counted while it waits, so background callers let it go first;
    // when it leaves (granted or not) they are woken to try again.
    Bucket *counted = nullptr;
    auto leave = [&](int64_t result) {
        if (counted) {
            --counted->interactive_waiting;
            changed_.notify_all();
        }
        return result;
    };
    for (;;) {
        int64_t wait;
        const auto it = buckets_.find(connector);
        if (priority == Priority::background && it != buckets_.end() && it->second.interactive_waiting > 0) {
            // Not less than 1 ms: the slot may be free now, kept for the interactive caller.
            wait = std::max<int64_t>(1, wait_locked(connector, it->second, n, clock_.now_ms()));
        } else {
            wait = try_acquire_locked(lock, connector, n);
        }
        if (wait == 0) return leave(0);
        const auto now = clock_.now_ms();
        if (stop.stop_requested() || now >= deadline_ms) return leave(wait);
        if (priority == Priority::interactive && !counted) {
            const auto waiting_in = buckets_.find(connector);  // std::map: the node stays put
            if (waiting_in != buckets_.end()) {
                counted = &waiting_in->second;
                ++counted->interactive_waiting;
            }
        }
        clock_.wait_until(lock, changed_, std::min(deadline_ms, now + wait));
    }
}

int64_t QuotaLimiter::wait_ms(const std::string &connector, int64_t n) {
    if (n < 1) throw std::invalid_argument("quota of " + connector + ": ask for at least 1 request");
    std::lock_guard lock(mutex_);
    const auto it = buckets_.find(connector);
    if (it == buckets_.end()) return 0;
    check_request(it->second, connector, n);
    return wait_locked(connector, it->second, n, clock_.now_ms());
}

int64_t QuotaLimiter::used_today(const std::string &connector) {
    std::lock_guard lock(mutex_);
    const auto it = buckets_.find(connector);
    const auto now = clock_.now_ms();
    if (it == buckets_.end() || it->second.day_start != day_start_of(now))
        return store_.daily_usage(connector, utc_day(now));
    return it->second.used_today;
}

}  // namespace relais::host
