#include "jobs/quota.hpp"

#include <Poco/Logger.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace relais::host {

namespace {

constexpr int64_t kDayMs = 86'400'000;
// The longest window a connector may declare: a month of grants is still a bounded log.
constexpr int64_t kMaxWindowMs = 31 * kDayMs;
// How often the journal's expired rows are deleted, and how many at most each time.
constexpr int64_t kPurgeEveryMs = 60'000;
constexpr int kPurgeBatch = 1000;

Poco::Logger &logger() { return Poco::Logger::get("relais.jobs"); }

int64_t day_start_of(int64_t ms) {
    // Floor division: a time before 1970 still belongs to the day that contains it.
    const int64_t days = ms / kDayMs - (ms % kDayMs < 0 ? 1 : 0);
    return days * kDayMs;
}

std::string describe(const QuotaWindow &w) {
    std::string text = std::to_string(w.count) +
                       (w.window_ms > 0 ? " per " + std::to_string(w.window_ms) + " ms" : " at once") + " of " +
                       w.scope;
    return w.per_key ? text + " per key" : text;
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

std::optional<QuotaWindow> window_for_rate(double per_second) {
    if (!std::isfinite(per_second) || per_second < 0)
        throw std::invalid_argument("per_second must be a number >= 0");
    if (per_second == 0) return std::nullopt;
    const auto burst = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(per_second)));
    const double window = std::ceil(1000.0 * static_cast<double>(burst) / per_second);
    if (window > static_cast<double>(kDayMs))
        throw std::invalid_argument("per_second is below one request a day; use per_day or a window");
    return QuotaWindow{kRequestsScope, burst, static_cast<int64_t>(window), false};
}

QuotaLimiter::QuotaLimiter(JobStore &store, Clock &clock) : store_(store), clock_(clock) {}

// ---- configuration ---------------------------------------------------------------------------

std::map<std::string, QuotaLimiter::ScopeRules, std::less<>> QuotaLimiter::compile(const std::string &connector,
                                                                                    const QuotaSettings &settings) {
    const auto where = "quota of " + connector + ": ";
    if (settings.per_day < 0) throw std::invalid_argument(where + "per_day must be >= 0");
    if (settings.margin_ms < 0 || settings.margin_ms > 60'000)
        throw std::invalid_argument(where + "margin_ms must be between 0 and 60000");
    std::vector<QuotaWindow> windows;
    try {
        if (const auto rate = window_for_rate(settings.per_second)) windows.push_back(*rate);
    } catch (const std::invalid_argument &e) {
        throw std::invalid_argument(where + e.what());
    }
    windows.insert(windows.end(), settings.windows.begin(), settings.windows.end());

    std::map<std::string, ScopeRules, std::less<>> scopes;
    for (size_t i = 0; i < settings.windows.size(); ++i) {
        const auto &w = settings.windows[i];
        const auto which = where + "window #" + std::to_string(i) + " (" + describe(w) + "): ";
        if (w.scope.empty()) throw std::invalid_argument(which + "scope must not be empty");
        if (w.count < 1) throw std::invalid_argument(which + "count must be at least 1");
        if (w.window_ms < 0 || w.window_ms > kMaxWindowMs)
            throw std::invalid_argument(which + "the window must be between 0 (a concurrency limit) and " +
                                        std::to_string(kMaxWindowMs / 1000) + " s");
    }
    for (const auto &w : windows) {
        Rule rule;
        rule.count = w.count;
        rule.window_ms = w.window_ms > 0 ? w.window_ms + settings.margin_ms : 0;
        rule.describe = describe(w);
        auto &s = scopes[w.scope];
        (w.per_key ? s.keyed : s.shared).push_back(rule);
        auto &horizon = w.per_key ? s.keyed_horizon : s.shared_horizon;
        horizon = std::max(horizon, rule.window_ms);
    }
    return scopes;
}

void QuotaLimiter::configure(const std::string &connector, const QuotaSettings &settings) {
    auto scopes = compile(connector, settings);
    {
        std::lock_guard lock(mutex_);
        auto &state = connectors_[connector];
        state.configured = true;
        state.settings = settings;
        state.scopes = std::move(scopes);
    }
    changed_.notify_all();
}

QuotaSettings QuotaLimiter::settings(const std::string &connector) const {
    std::lock_guard lock(mutex_);
    const auto it = connectors_.find(connector);
    return it == connectors_.end() ? QuotaSettings{} : it->second.settings;
}

int64_t QuotaLimiter::max_grant(const std::string &connector) const {
    std::lock_guard lock(mutex_);
    const auto it = connectors_.find(connector);
    if (it == connectors_.end()) return 0;
    int64_t most = it->second.settings.per_day;
    if (const auto s = it->second.scopes.find(kRequestsScope); s != it->second.scopes.end())
        for (const auto &rule : s->second.shared)
            if (rule.window_ms > 0) most = most > 0 ? std::min(most, rule.count) : rule.count;
    return most;
}

// ---- the logs --------------------------------------------------------------------------------

void QuotaLimiter::append(Usage &usage, int64_t at, int64_t count) {
    // One entry per millisecond; a clock set back files the grant with the newest entry, so the
    // log stays in time order (and the grant leaves the window no earlier).
    if (!usage.log.empty() && usage.log.back().at >= at) usage.log.back().count += count;
    else usage.log.push_back({at, count, usage.total});
    usage.total += count;
}

int64_t QuotaLimiter::in_window(const Usage &usage, int64_t window_ms, int64_t now) {
    // A grant at t occupies [t, t + window).
    const auto first = std::partition_point(usage.log.begin(), usage.log.end(),
                                            [&](const Entry &e) { return e.at + window_ms <= now; });
    return first == usage.log.end() ? 0 : usage.total - first->before;
}

void QuotaLimiter::trim(Usage &usage, int64_t horizon, int64_t now) const {
    while (!usage.log.empty() && usage.log.front().at + horizon <= now) usage.log.pop_front();
}

bool QuotaLimiter::forgettable(const Usage &usage, int64_t now) {
    return usage.log.empty() && usage.held == 0 && usage.pause_until <= now &&
           (usage.remaining < 0 || usage.reset_at <= now);
}

int64_t QuotaLimiter::rule_wait(const Usage *usage, const Rule &rule, int64_t n, int64_t now, bool slots) {
    if (rule.window_ms == 0) {
        if (!slots) return 0;
        return (usage ? usage->held : 0) + n > rule.count ? kSlotRetryMs : 0;
    }
    if (!usage) return 0;
    const auto &log = usage->log;
    const auto first = std::partition_point(log.begin(), log.end(),
                                            [&](const Entry &e) { return e.at + rule.window_ms <= now; });
    if (first == log.end()) return 0;
    const auto held = usage->total - first->before;
    const auto excess = held + n - rule.count;
    if (excess <= 0) return 0;
    // The grants that must leave the window first, oldest first: up to the entry that brings
    // the running total past the excess.
    const auto target = first->before + excess;
    const auto last = std::partition_point(first, log.end(), [&](const Entry &e) { return e.before + e.count < target; });
    return last->at + rule.window_ms - now;
}

void QuotaLimiter::sweep_locked(ConnectorState &state, int64_t now) {
    state.next_sweep = now + 1000;
    auto horizon = [&](const std::string &scope, bool keyed) -> std::optional<int64_t> {
        if (!state.configured) return std::nullopt;  // the windows are not known yet: keep the log
        const auto s = state.scopes.find(scope);
        if (s == state.scopes.end()) return 0;
        return keyed ? s->second.keyed_horizon : s->second.shared_horizon;
    };
    for (auto it = state.shared.begin(); it != state.shared.end();) {
        if (const auto h = horizon(it->first, false)) trim(it->second, *h, now);
        it = forgettable(it->second, now) ? state.shared.erase(it) : std::next(it);
    }
    for (auto it = state.keyed.begin(); it != state.keyed.end();) {
        if (const auto h = horizon(it->first.first, true)) trim(it->second, *h, now);
        it = forgettable(it->second, now) ? state.keyed.erase(it) : std::next(it);
    }
}

// ---- takes -----------------------------------------------------------------------------------

void QuotaLimiter::check_request(const std::string &connector, const ConnectorState &state,
                                 const Request &request) const {
    if (request.n < 1)
        throw std::invalid_argument("quota of " + connector + ": ask for at least 1 of " + request.scope);
    auto refuse = [&](const std::string &limit) {
        throw std::invalid_argument("quota of " + connector + ": " + std::to_string(request.n) + " of " +
                                    request.scope + " at once exceed " + limit);
    };
    if (const auto s = state.scopes.find(request.scope); s != state.scopes.end()) {
        for (const auto *rules : {&s->second.shared, &s->second.keyed})
            for (const auto &rule : *rules)
                if ((rule.window_ms > 0 || request.slots) && request.n > rule.count) refuse(rule.describe);
    }
    if (request.scope == kRequestsScope && state.settings.per_day > 0 && request.n > state.settings.per_day)
        refuse("the daily cap of " + std::to_string(state.settings.per_day));
}

int64_t QuotaLimiter::wait_locked(const std::string &connector, ConnectorState &state, const Request &request,
                                  int64_t now) {
    Usage *shared = nullptr;
    Usage *keyed = nullptr;
    if (const auto it = state.shared.find(request.scope); it != state.shared.end()) shared = &it->second;
    if (const auto it = state.keyed.find(UsageKey{request.scope, request.key}); it != state.keyed.end())
        keyed = &it->second;
    int64_t wait = 0;
    if (const auto s = state.scopes.find(request.scope); s != state.scopes.end()) {
        if (shared) trim(*shared, s->second.shared_horizon, now);
        if (keyed) trim(*keyed, s->second.keyed_horizon, now);
        for (const auto &rule : s->second.shared)
            wait = std::max(wait, rule_wait(shared, rule, request.n, now, request.slots));
        for (const auto &rule : s->second.keyed)
            wait = std::max(wait, rule_wait(keyed, rule, request.n, now, request.slots));
    }
    for (const auto *usage : {shared, keyed}) {
        if (!usage) continue;
        if (usage->pause_until > now) wait = std::max(wait, usage->pause_until - now);
        if (usage->remaining >= 0 && usage->reset_at > now && usage->remaining < request.n)
            wait = std::max(wait, usage->reset_at - now);
    }
    if (request.scope == kRequestsScope && state.settings.per_day > 0) {
        const auto today = day_start_of(now);
        if (state.day_start != today) {
            // First use of the day (or of this limiter): the store has the count, perhaps from
            // before a restart.
            state.used_today = store_.daily_usage(connector, utc_day(now));
            state.day_start = today;
        }
        if (state.used_today + request.n > state.settings.per_day) wait = std::max(wait, today + kDayMs - now);
    }
    return wait;
}

QuotaLimiter::Pending QuotaLimiter::grant_locked(const std::string &connector, ConnectorState &state,
                                                 const Request &request, int64_t now) {
    Pending pending;
    const ScopeRules none;
    const auto s = state.scopes.find(request.scope);
    const auto &rules = s == state.scopes.end() ? none : s->second;
    auto has_slots = [](const std::vector<Rule> &r) {
        return std::any_of(r.begin(), r.end(), [](const Rule &rule) { return rule.window_ms == 0; });
    };
    int64_t budget_until = 0;  // a remaining count was spent: the grant must outlive a restart until its reset
    auto charge = [&](Usage &usage, int64_t horizon, bool slots) {
        if (horizon > 0) append(usage, now, request.n);
        if (usage.remaining >= 0 && usage.reset_at > now) {
            usage.remaining -= request.n;
            budget_until = std::max(budget_until, usage.reset_at);
        }
        if (slots) usage.held += request.n;
    };
    auto touch = [&](auto &map, const auto &key, int64_t horizon, bool slots) {
        auto it = map.find(key);
        if (it == map.end()) {
            if (horizon == 0 && !slots) return;  // nothing to count there
            it = map.emplace(key, Usage{}).first;
        }
        charge(it->second, horizon, slots);
    };
    touch(state.shared, request.scope, rules.shared_horizon, request.slots && has_slots(rules.shared));
    touch(state.keyed, UsageKey{request.scope, request.key}, rules.keyed_horizon,
          request.slots && has_slots(rules.keyed));

    const auto horizon = std::max(rules.shared_horizon, rules.keyed_horizon);
    if ((horizon > 0 || budget_until > now) && journal_)
        pending.grant = {connector, request.scope, request.key, now, request.n, std::max(now + horizon, budget_until)};
    if (request.scope == kRequestsScope && state.settings.per_day > 0) {
        state.used_today += request.n;
        pending.daily = true;
        pending.day_start = state.day_start;
    }
    return pending;
}

void QuotaLimiter::persist(const std::string &connector, const Request &request, const Pending &pending) {
    bool daily_written = false;
    int64_t total = 0;
    try {
        if (pending.grant.count > 0) journal_->record(pending.grant);
        if (pending.daily) {
            total = store_.add_daily_usage(connector, utc_day(pending.day_start), request.n);
            daily_written = true;
        }
    } catch (...) {
        // The window keeps the grant (nobody used it, but it may not be told apart from the
        // others); the daily count and the slots are given back.
        {
            std::lock_guard lock(mutex_);
            auto &state = connectors_[connector];
            if (pending.daily && !daily_written && state.day_start == pending.day_start)
                state.used_today -= request.n;
        }
        if (request.slots) release(connector, request.scope, request.key, request.n);
        throw;
    }
    if (pending.daily) {
        std::lock_guard lock(mutex_);
        auto &state = connectors_[connector];
        // The store's total also counts other processes sharing it.
        if (state.day_start == pending.day_start) state.used_today = std::max(state.used_today, total);
    }
}

void QuotaLimiter::maybe_purge(int64_t now) {
    {
        std::lock_guard lock(mutex_);
        if (!journal_ || now < next_purge_) return;
        next_purge_ = now + kPurgeEveryMs;
    }
    try {
        journal_->purge(now, kPurgeBatch);
    } catch (const std::exception &e) {
        logger().warning(std::string("quota journal: expired grants could not be deleted (tried again later): ") +
                         e.what());
    }
}

int64_t QuotaLimiter::try_take_locked(std::unique_lock<std::mutex> &lock, const std::string &connector,
                                      const Request &request) {
    if (request.n < 1)
        throw std::invalid_argument("quota of " + connector + ": ask for at least 1 of " + request.scope);
    const auto it = connectors_.find(connector);
    if (it == connectors_.end()) return 0;
    auto &state = it->second;
    check_request(connector, state, request);
    const auto now = clock_.now_ms();
    if (now >= state.next_sweep) sweep_locked(state, now);
    if (const auto wait = wait_locked(connector, state, request, now); wait > 0) return wait;
    const auto pending = grant_locked(connector, state, request, now);
    if (pending.grant.count > 0 || pending.daily) {
        lock.unlock();
        persist(connector, request, pending);
        maybe_purge(now);
        lock.lock();
    }
    return 0;
}

int64_t QuotaLimiter::take_impl(const std::string &connector, const Request &request, int64_t deadline_ms,
                                std::stop_token stop, Priority priority) {
    // Before taking the lock: a stop already requested runs the callback right here.
    std::stop_callback on_stop(stop, [this] {
        std::lock_guard guard(mutex_);
        changed_.notify_all();
    });
    std::unique_lock lock(mutex_);
    // An interactive caller is counted while it waits, so background callers let it go first;
    // when it leaves (granted or not) they are woken to try again.
    bool counted = false;
    const auto entered = clock_.now_ms();
    bool waited = false;
    auto leave = [&](int64_t result) {
        if (counted) {
            // std::map: the connector's node stays put once made.
            --connectors_[connector].interactive_waiting[request.scope];
            changed_.notify_all();
        }
        if (waited && wait_observer_) wait_observer_(connector, request.scope, clock_.now_ms() - entered);
        return result;
    };
    try {
        for (;;) {
            int64_t wait;
            const auto it = connectors_.find(connector);
            if (priority == Priority::background && it != connectors_.end() &&
                it->second.interactive_waiting[request.scope] > 0) {
                // Not less than 1 ms: the slot may be free now, kept for the interactive caller.
                check_request(connector, it->second, request);
                wait = std::max<int64_t>(1, wait_locked(connector, it->second, request, clock_.now_ms()));
            } else {
                wait = try_take_locked(lock, connector, request);
            }
            if (wait == 0) return leave(0);
            const auto now = clock_.now_ms();
            if (stop.stop_requested() || now >= deadline_ms) return leave(wait);
            if (priority == Priority::interactive && !counted) {
                ++connectors_[connector].interactive_waiting[request.scope];
                counted = true;
            }
            waited = true;
            clock_.wait_until(lock, changed_, std::min(deadline_ms, now + wait));
        }
    } catch (...) {
        leave(0);
        throw;
    }
}

int64_t QuotaLimiter::try_acquire(const std::string &connector, int64_t n) {
    const std::string scope = kRequestsScope, key;
    std::unique_lock lock(mutex_);
    return try_take_locked(lock, connector, Request{scope, key, n, false});
}

int64_t QuotaLimiter::acquire(const std::string &connector, int64_t n, int64_t deadline_ms, std::stop_token stop,
                              Priority priority) {
    const std::string scope = kRequestsScope, key;
    return take_impl(connector, Request{scope, key, n, false}, deadline_ms, std::move(stop), priority);
}

int64_t QuotaLimiter::wait_ms(const std::string &connector, int64_t n) {
    const std::string scope = kRequestsScope, key;
    const Request request{scope, key, n, false};
    if (n < 1) throw std::invalid_argument("quota of " + connector + ": ask for at least 1 request");
    std::lock_guard lock(mutex_);
    const auto it = connectors_.find(connector);
    if (it == connectors_.end()) return 0;
    check_request(connector, it->second, request);
    return wait_locked(connector, it->second, request, clock_.now_ms());
}

int64_t QuotaLimiter::try_take(const std::string &connector, const std::string &scope, const std::string &key,
                               int64_t n) {
    std::unique_lock lock(mutex_);
    return try_take_locked(lock, connector, Request{scope, key, n, true});
}

int64_t QuotaLimiter::take(const std::string &connector, const std::string &scope, const std::string &key, int64_t n,
                           int64_t deadline_ms, std::stop_token stop, Priority priority) {
    return take_impl(connector, Request{scope, key, n, true}, deadline_ms, std::move(stop), priority);
}

void QuotaLimiter::release(const std::string &connector, const std::string &scope, const std::string &key,
                           int64_t n) {
    if (n <= 0) return;
    {
        std::lock_guard lock(mutex_);
        const auto it = connectors_.find(connector);
        if (it == connectors_.end()) return;
        auto &state = it->second;
        auto give_back = [&](Usage &usage) { usage.held -= std::min(n, usage.held); };
        if (const auto s = state.shared.find(scope); s != state.shared.end()) give_back(s->second);
        if (const auto k = state.keyed.find(UsageKey{scope, key}); k != state.keyed.end()) give_back(k->second);
    }
    changed_.notify_all();
}

// ---- what the upstream says ------------------------------------------------------------------

void QuotaLimiter::report(const std::string &connector, const std::string &scope, const std::string &key,
                          int64_t retry_after_ms, int64_t remaining, int64_t reset_after_ms) {
    const bool pause = retry_after_ms > 0;
    const bool budget = remaining >= 0 && reset_after_ms > 0;
    if (!pause && !budget) return;
    const auto s = scope.empty() ? std::string(kRequestsScope) : scope;
    QuotaJournal::Report record;
    QuotaJournal *journal = nullptr;
    {
        std::lock_guard lock(mutex_);
        const auto now = clock_.now_ms();
        auto &state = connectors_[connector];
        auto &usage = key.empty() ? state.shared[s] : state.keyed[UsageKey{s, key}];
        if (pause) usage.pause_until = std::max(usage.pause_until, now + std::min(retry_after_ms, kMaxWindowMs));
        if (budget) {
            usage.remaining = remaining;
            usage.reset_at = now + std::min(reset_after_ms, kMaxWindowMs);
            usage.reported_at = now;
        }
        record = {connector, s, key, now, usage.pause_until, usage.remaining, usage.reset_at};
        journal = journal_;
    }
    changed_.notify_all();
    if (!journal) return;
    try {
        journal->record(record);
    } catch (const std::exception &e) {
        logger().warning("quota journal: the report on " + connector + " (" + s +
                         ") could not be kept; it holds until a restart: " + e.what());
    }
}

// ---- the journal -----------------------------------------------------------------------------

void QuotaLimiter::attach_journal(QuotaJournal &journal) {
    const auto now = clock_.now_ms();
    for (int i = 0; i < 100 && journal.purge(now, kPurgeBatch) >= kPurgeBatch; ++i) {
    }
    const auto grants = journal.grants(now);
    const auto reports = journal.reports(now);
    {
        std::lock_guard lock(mutex_);
        for (const auto &g : grants) {
            auto &state = connectors_[g.connector];
            append(state.shared[g.scope], g.at, g.count);
            append(state.keyed[UsageKey{g.scope, g.key}], g.at, g.count);
        }
        for (const auto &r : reports) {
            auto &state = connectors_[r.connector];
            auto &usage = r.key.empty() ? state.shared[r.scope] : state.keyed[UsageKey{r.scope, r.key}];
            usage.pause_until = std::max(usage.pause_until, r.pause_until);
            if (r.remaining >= 0 && r.reset_at > now) {
                // What was granted since the report was already taken from what it allowed.
                const auto since = std::partition_point(usage.log.begin(), usage.log.end(),
                                                        [&](const Entry &e) { return e.at < r.reported_at; });
                const auto used = since == usage.log.end() ? 0 : usage.total - since->before;
                usage.remaining = std::max<int64_t>(0, r.remaining - used);
                usage.reset_at = r.reset_at;
                usage.reported_at = r.reported_at;
            }
        }
        journal_ = &journal;
        next_purge_ = now + kPurgeEveryMs;
    }
    changed_.notify_all();
}

int64_t QuotaLimiter::used_today(const std::string &connector) {
    std::lock_guard lock(mutex_);
    const auto it = connectors_.find(connector);
    const auto now = clock_.now_ms();
    if (it == connectors_.end() || it->second.day_start != day_start_of(now))
        return store_.daily_usage(connector, utc_day(now));
    return it->second.used_today;
}

std::vector<QuotaLimiter::WindowUse> QuotaLimiter::usage(const std::string &connector) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<WindowUse> out;
    const auto it = connectors_.find(connector);
    if (it == connectors_.end()) return out;
    const auto now = clock_.now_ms();
    const auto margin = it->second.settings.margin_ms;
    for (const auto &[scope, rules] : it->second.scopes) {
        const auto used = it->second.shared.find(scope);
        for (const auto &rule : rules.shared) {
            WindowUse u;
            u.scope = scope;
            u.describe = rule.describe;
            u.limit = rule.count;
            u.window_ms = rule.window_ms > 0 ? rule.window_ms - margin : 0;
            if (used != it->second.shared.end())
                u.used = rule.window_ms > 0 ? in_window(used->second, rule.window_ms, now) : used->second.held;
            out.push_back(std::move(u));
        }
    }
    return out;
}

size_t QuotaLimiter::tracked(const std::string &connector) {
    std::lock_guard lock(mutex_);
    const auto it = connectors_.find(connector);
    if (it == connectors_.end()) return 0;
    sweep_locked(it->second, clock_.now_ms());
    return it->second.shared.size() + it->second.keyed.size();
}

// ---- the slots of one call ------------------------------------------------------------------

QuotaHolds::QuotaHolds(QuotaLimiter &limiter, std::string connector)
    : limiter_(limiter), connector_(std::move(connector)) {}

QuotaHolds::~QuotaHolds() {
    for (const auto &[what, n] : held_) limiter_.release(connector_, what.first, what.second, n);
}

int64_t QuotaHolds::take(const std::string &scope, const std::string &key, int64_t n, int64_t deadline_ms,
                         std::stop_token stop, QuotaLimiter::Priority priority) {
    const auto wait = limiter_.take(connector_, scope, key, n, deadline_ms, std::move(stop), priority);
    if (wait == 0) {
        std::lock_guard lock(mutex_);
        held_[{scope, key}] += n;
    }
    return wait;
}

void QuotaHolds::release(const std::string &scope, const std::string &key) {
    int64_t n = 0;
    {
        std::lock_guard lock(mutex_);
        const auto it = held_.find({scope, key});
        if (it == held_.end()) return;
        n = it->second;
        held_.erase(it);
    }
    limiter_.release(connector_, scope, key, n);
}

}  // namespace relais::host
