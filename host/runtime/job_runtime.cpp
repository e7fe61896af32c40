#include "runtime/job_runtime.hpp"

#include "observability/metrics.hpp"

#include "events/event_log.hpp"
#include "plugins/error_class.hpp"
#include "jobs/quota_config.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <mutex>
#include <unordered_map>

#include <unistd.h>

namespace relais::host {
namespace {

using Poco::JSON::Object;

Poco::Logger &logger() { return Poco::Logger::get("relais.jobs"); }

CallResult refusal(relais_status status, std::string message) {
    CallResult r;
    r.status = status;
    r.message = std::move(message);
    return r;
}

// Why a connector cannot take work now, or empty.
std::string unusable(const Connector &c) {
    if (c.state == Connector::State::disabled) return "connector " + c.name() + " is disabled";
    if (c.state == Connector::State::invalid_config) {
        std::string why;
        for (const auto &p : c.problems) why += (why.empty() ? "" : "; ") + p;
        return "connector " + c.name() + " has invalid settings: " + why;
    }
    return {};
}

// The input's problems against the action's schema, or empty.
std::string input_problems(const Connector &c, const std::string &action, const std::string &input) {
    const auto schema = c.action_schemas.find(action);
    if (schema == c.action_schemas.end()) return "connector " + c.name() + " has no action '" + action + "'";
    Poco::Dynamic::Var value;
    try {
        Poco::JSON::Parser parser;
        value = parser.parse(input);
    } catch (const Poco::Exception &e) {
        return "input of " + c.name() + "." + action + " is not valid JSON: " + e.displayText();
    }
    if (value.type() != typeid(Object::Ptr)) return "input of " + c.name() + "." + action + " must be a JSON object";
    std::string all;
    for (const auto &e : schema->second->validate(value)) all += (all.empty() ? "" : "; ") + e.message();
    return all.empty() ? all : "input of " + c.name() + "." + action + " is invalid: " + all;
}

// A quota take's answer to the plugin: granted, or refused with the wait still needed.
relais_status quota_status(int64_t wait, uint64_t *retry_after_ms) {
    if (wait == 0) return RELAIS_OK;
    if (retry_after_ms) *retry_after_ms = static_cast<uint64_t>(wait);
    return RELAIS_RATE_LIMITED;
}

// A plugin's max_wait_ms as a deadline on the clock (a huge one is no limit).
int64_t quota_deadline(int64_t now, uint64_t max_wait_ms) {
    return max_wait_ms >= static_cast<uint64_t>(kNever / 2) ? kNever : now + static_cast<int64_t>(max_wait_ms);
}

// Per-call services of a plugin running a job, answered by the scheduler's JobContext. The
// concurrency slots the job takes are given back at the latest when the attempt ends.
class JobCall final : public relais_call_ctx {
public:
    explicit JobCall(JobContext &context) : context_(context), holds_(context.quota(), context.job().connector) {}
    relais_status acquire_quota(uint32_t count, uint64_t max_wait_ms, uint64_t *retry_after_ms) override {
        const auto wait = context_.acquire_quota(count, max_wait_ms > static_cast<uint64_t>(kNever)
                                                            ? kNever
                                                            : static_cast<int64_t>(max_wait_ms));
        if (wait == 0) return RELAIS_OK;
        if (retry_after_ms) *retry_after_ms = static_cast<uint64_t>(wait);
        return RELAIS_RATE_LIMITED;
    }
    // Waits no longer than the step may run; a cancel or a stop ends the wait.
    relais_status take_quota(const std::string &scope, const std::string &key, uint32_t count, uint64_t max_wait_ms,
                             uint64_t *retry_after_ms) override {
        const auto deadline = std::min(quota_deadline(context_.now_ms(), max_wait_ms), context_.deadline_ms());
        return quota_status(holds_.take(scope, key, count, deadline, context_.stop_token(),
                                        QuotaLimiter::Priority::background),
                            retry_after_ms);
    }
    void release_quota(const std::string &scope, const std::string &key) override { holds_.release(scope, key); }
    // The scheduler's stop covers the step's deadline too (StopReason::deadline).
    bool cancelled() const override { return context_.stop_requested(); }
    uint64_t remaining_ms() const override { return static_cast<uint64_t>(context_.remaining_ms()); }

private:
    JobContext &context_;
    QuotaHolds holds_;
};

// Per-call services of a synchronous call: the connector's quota, waited for briefly and
// ahead of the connector's jobs (someone is waiting for this answer); a deadline at the API's
// request timeout (past it nobody reads the answer), and a cancel once the host stops.
class SyncCall final : public relais_call_ctx {
public:
    SyncCall(Scheduler &scheduler, const Clock &clock, std::string connector, int64_t max_wait_ms, int64_t timeout_ms,
             const std::atomic<bool> &stopping)
        : scheduler_(scheduler), clock_(clock), connector_(std::move(connector)), max_wait_ms_(max_wait_ms),
          deadline_(clock.now_ms() + timeout_ms), stopping_(stopping), holds_(scheduler.quota(), connector_) {}
    relais_status acquire_quota(uint32_t count, uint64_t max_wait_ms, uint64_t *retry_after_ms) override {
        const auto wait_ms = std::min<int64_t>(max_wait_ms_, static_cast<int64_t>(std::min<uint64_t>(max_wait_ms, INT64_MAX / 2)));
        int64_t wait = 0;
        try {
            wait = scheduler_.quota().acquire(connector_, count, clock_.now_ms() + std::max<int64_t>(0, wait_ms), {},
                                              QuotaLimiter::Priority::interactive);
        } catch (const std::exception &) {
            return RELAIS_INTERNAL;
        }
        if (wait == 0) return RELAIS_OK;
        if (retry_after_ms) *retry_after_ms = static_cast<uint64_t>(wait);
        return RELAIS_RATE_LIMITED;
    }
    // As acquire_quota: briefly, ahead of the jobs; the slots go back when the call ends.
    relais_status take_quota(const std::string &scope, const std::string &key, uint32_t count, uint64_t max_wait_ms,
                             uint64_t *retry_after_ms) override {
        const auto now = clock_.now_ms();
        const auto deadline = std::min(quota_deadline(now, max_wait_ms), now + std::max<int64_t>(0, max_wait_ms_));
        return quota_status(holds_.take(scope, key, count, deadline, {}, QuotaLimiter::Priority::interactive),
                            retry_after_ms);
    }
    void release_quota(const std::string &scope, const std::string &key) override { holds_.release(scope, key); }
    bool cancelled() const override { return stopping_.load() || clock_.now_ms() >= deadline_; }
    uint64_t remaining_ms() const override {
        return static_cast<uint64_t>(std::max<int64_t>(0, deadline_ - clock_.now_ms()));
    }

private:
    Scheduler &scheduler_;
    const Clock &clock_;
    std::string connector_;
    int64_t max_wait_ms_;
    int64_t deadline_;
    const std::atomic<bool> &stopping_;
    QuotaHolds holds_;
};

// Without a service to say otherwise, a synchronous call gets the API's default request timeout.
constexpr int64_t kDefaultSyncCallTimeoutMs = 30'000;

}  // namespace

std::unique_ptr<relais_call_ctx> JobRuntime::sync_call(const std::string &connector, int64_t max_quota_wait_ms) {
    const auto timeout = sync_call_timeout_ms_ > 0 ? sync_call_timeout_ms_ : kDefaultSyncCallTimeoutMs;
    return std::make_unique<SyncCall>(*scheduler_, clock_, connector, max_quota_wait_ms, timeout, stopping_);
}

// Runs one attempt of a job through its connector's current plugin instance.
class JobRuntime::Executor final : public JobExecutor {
public:
    explicit Executor(ConnectorManager *&connectors) : connectors_(connectors) {}

    CallResult execute(const Job &job, JobContext &context) override {
        const auto c = connectors_ ? connectors_->find(job.connector) : nullptr;
        if (!c) return refusal(RELAIS_INVALID_CONFIG, "connector " + job.connector + " is not loaded");
        if (const auto why = unusable(*c); !why.empty()) return refusal(RELAIS_INVALID_CONFIG, why);
        const auto schema = c->action_schemas.find(job.action);
        if (schema == c->action_schemas.end())
            return refusal(RELAIS_INVALID_INPUT, "connector " + c->name() + " has no action '" + job.action + "'");
        if (!validated_with(job.id, schema->second)) {
            if (const auto why = input_problems(*c, job.action, job.input); !why.empty())
                return refusal(RELAIS_INVALID_INPUT, why);
            remember(job.id, schema->second);
        }
        JobCall call(context);
        StepInput step;
        step.step = static_cast<uint32_t>(job.step + 1);
        step.checkpoint = job.checkpoint;
        step.idempotency_key = job.idempotency_key;
        auto result = connectors_->execute(*c, job.action, job.input, "job-" + std::to_string(job.id), &call, step);
        // A job that continues later keeps its mark for its next step; any other outcome may
        // be its last, and a retry checks its input again.
        if (!(result.ok() && result.later)) forget(job.id);
        return result;
    }

    // The job's input was found valid against `schema` (submit() checked it): its attempts
    // need not check it again while the connector's action keeps that very schema object.
    // Kept in memory only: after a restart each job is checked once more.
    void remember(JobId id, const std::shared_ptr<const JsonSchema> &schema) {
        std::lock_guard lock(mutex_);
        // Jobs cancelled or expired before running leave their mark behind: a bound keeps that
        // small, and clearing only costs a check each.
        if (validated_.size() >= kMaxRemembered) validated_.clear();
        validated_[id] = schema;
    }

private:
    static constexpr size_t kMaxRemembered = 100'000;

    // Holding the schema keeps its address from being reused by a newer one.
    bool validated_with(JobId id, const std::shared_ptr<const JsonSchema> &schema) {
        std::lock_guard lock(mutex_);
        const auto it = validated_.find(id);
        return it != validated_.end() && it->second == schema;
    }
    void forget(JobId id) {
        std::lock_guard lock(mutex_);
        validated_.erase(id);
    }

    ConnectorManager *&connectors_;
    std::mutex mutex_;
    std::unordered_map<JobId, std::shared_ptr<const JsonSchema>> validated_;
};

ConnectorPolicy policy_for(const Connector &c) {
    const auto &d = c.plugin.lib->descriptor();
    ConnectorPolicy p;
    p.quota_per_action = !d.quota_per_request;
    p.quota = quota_settings_for(d.quotas, d.quota_windows, c.adjustments);
    for (const auto &t : d.periodic_tasks)
        p.periodic.push_back({t.name, t.action, t.input, static_cast<int64_t>(t.interval_seconds) * 1000,
                              static_cast<int64_t>(t.start_delay_seconds) * 1000});
    if (d.step_timeout_seconds) p.step_timeout_ms = static_cast<int64_t>(d.step_timeout_seconds) * 1000;
    const auto &a = c.adjustments;
    if (!a) return p;
    if (a->has("step_timeout_seconds")) {
        const auto seconds = a->getValue<double>("step_timeout_seconds");
        if (!(seconds > 0) || seconds > 86'400)
            throw std::invalid_argument("configure's step_timeout_seconds must be above 0 and at most 86400");
        p.step_timeout_ms = static_cast<int64_t>(seconds * 1000);
    }
    if (const auto retry = a->getObject("retry")) {
        p.retry.max_attempts = retry->optValue<int>("max_attempts", p.retry.max_attempts);
        p.retry.delay_ms = static_cast<int64_t>(retry->optValue<double>("delay_seconds", p.retry.delay_ms / 1000.0) * 1000);
        p.retry.exponential = retry->optValue<bool>("exponential", p.retry.exponential);
        p.retry.max_delay_ms =
            static_cast<int64_t>(retry->optValue<double>("max_delay_seconds", p.retry.max_delay_ms / 1000.0) * 1000);
    }
    p.max_concurrency = a->optValue<int>("max_concurrency", p.max_concurrency);
    if (const auto tasks = a->getArray("periodic_tasks")) {
        for (size_t i = 0; i < tasks->size(); ++i) {
            const auto t = tasks->getObject(i);
            if (!t) continue;
            for (auto &task : p.periodic)
                if (task.name == t->optValue<std::string>("name", "")) {
                    task.interval_ms = t->optValue<int64_t>("interval_seconds", task.interval_ms / 1000) * 1000;
                    task.start_delay_ms = t->optValue<int64_t>("start_delay_seconds", task.start_delay_ms / 1000) * 1000;
                }
        }
    }
    return p;
}

namespace {

// The plugins' state syncs every write unless the store was asked not to sync at all: what a
// plugin records there is often that an effect was made, which a power cut must not forget.
SqlitePluginStateOptions state_options(SqliteJobStoreOptions::Sync sync) {
    SqlitePluginStateOptions o;
    o.synchronous = sync == SqliteJobStoreOptions::Sync::normal ? SqlitePluginStateOptions::Sync::normal
                                                                : SqlitePluginStateOptions::Sync::full;
    return o;
}

// Expired plugin state, in batches so the file's write lock is never held long; at most
// 100,000 keys a pass, like the finished jobs.
void purge_expired_state(PluginStateStore &state, int64_t now) {
    constexpr int kBatch = 1000;
    int purged = 0, batch = kBatch;
    for (int i = 0; i < 100 && batch == kBatch; ++i) {
        batch = state.purge_expired(now, kBatch);
        purged += batch;
    }
    if (purged > 0) logger().information(std::to_string(purged) + " expired plugin state key(s) deleted");
}

}  // namespace

static CallbackSender::Options callback_options(Metrics *metrics) {
    CallbackSender::Options o;
    o.metrics = metrics;
    return o;
}

JobRuntime::JobRuntime(const std::filesystem::path &data_dir, Options options)
    : store_(std::make_unique<SqliteJobStore>(data_dir, SqliteJobStoreOptions{options.synchronous, 5000})),
      state_(std::make_unique<SqlitePluginState>(data_dir, state_options(options.synchronous))),
      executor_(std::make_unique<Executor>(connectors_)),
      callbacks_(callback_options(options.metrics), [this](int64_t id) { store_->callback_done(id); }) {
    sync_call_timeout_ms_ = options.sync_call_timeout_ms;
    SchedulerOptions s;
    s.owner = "relais-" + std::to_string(::getpid()) + "-" + std::to_string(clock_.now_ms());
    s.workers = options.workers;
    s.lease_ms = options.lease_ms;
    s.retention_ms = options.retention_ms;
    s.on_purge = [this](int64_t now) { purge_expired_state(*state_, now); };
    scheduler_ = std::make_unique<Scheduler>(*store_, *executor_, clock_, s);
    // Before any policy: the windows that were running when the last process ended hold on.
    quota_journal_ = std::make_unique<SqliteQuotaJournal>(data_dir);
    scheduler_->quota().attach_journal(*quota_journal_);
    if (auto *metrics = options.metrics)
        scheduler_->quota().set_wait_observer(
            [metrics](const std::string &connector, const std::string &scope, int64_t waited_ms) {
                metrics->record_quota_wait(connector, scope, std::chrono::milliseconds(std::max<int64_t>(0, waited_ms)));
            });
    // The hooks post callbacks, so only jobs with a callback_url are read again after an attempt.
    scheduler_->set_hook_filter([](const Job &job) { return job.callback_url.has_value(); });
    scheduler_->set_on_finished([this](const JobDetail &detail) {
        if (detail.job.callback_url) callbacks_.post(detail);
    });
    // Only for jobs that asked (Job::callback_progress): not kept across a restart, unlike the
    // final callback.
    scheduler_->set_on_progress([this](const JobDetail &detail) {
        if (detail.job.callback_url) callbacks_.post(detail, CallbackSender::Kind::progress);
    });
}

JobRuntime::~JobRuntime() { stop(0); }

void JobRuntime::attach(ConnectorManager &connectors) { connectors_ = &connectors; }

void JobRuntime::start() {
    // Callbacks of jobs that finished before the last stop and were not delivered yet.
    for (const auto id : store_->pending_callbacks(100'000))
        if (const auto detail = store_->get(id)) callbacks_.post(*detail);
    scheduler_->start();
}

void JobRuntime::stop(int64_t grace_ms) {
    stopping_ = true;
    if (scheduler_) scheduler_->stop(grace_ms);
}

void JobRuntime::apply_policy(const Connector &c) {
    if (!unusable(c).empty()) {
        scheduler_->remove_policy(c.name());
        return;
    }
    try {
        scheduler_->set_policy(c.name(), policy_for(c));
    } catch (const std::invalid_argument &e) {
        logger().error("connector " + c.name() + ": its job policy is invalid (" + e.what() + "); its jobs wait");
        scheduler_->remove_policy(c.name());
    }
}

EnqueueResult JobRuntime::submit(NewJob job) {
    const auto c = connectors_ ? connectors_->find(job.connector) : nullptr;
    if (!c) throw std::out_of_range("no connector named '" + job.connector + "'");
    if (const auto why = input_problems(*c, job.action, job.input); !why.empty()) throw std::invalid_argument(why);
    const auto now = clock_.now_ms();
    if (!job.deadline_at) {
        const auto *action = c->plugin.lib->descriptor().find_action(job.action);
        if (action && action->job_deadline_seconds > 0)
            job.deadline_at = now + static_cast<int64_t>(std::min<uint64_t>(action->job_deadline_seconds, INT64_MAX / 4000)) * 1000;
    }
    const auto result = store_->enqueue(job, now);
    if (result.created) {
        executor_->remember(result.job.id, c->action_schemas.at(job.action));
        scheduler_->notify();
    }
    return result;
}

PluginBackend::Enqueued JobRuntime::enqueue(const std::string &connector, const std::string &action,
                                            const std::string &input_json, const std::string &idempotency_key,
                                            uint64_t delay_ms, uint32_t max_attempts) {
    NewJob job;
    job.connector = connector;
    job.action = action;
    job.input = input_json;
    if (!idempotency_key.empty()) job.idempotency_key = idempotency_key;
    if (delay_ms) job.run_at = clock_.now_ms() + static_cast<int64_t>(delay_ms);
    const auto policy = scheduler_->policy(connector);
    job.max_attempts = max_attempts ? static_cast<int>(max_attempts) : policy ? policy->retry.max_attempts : 3;
    const auto r = submit(std::move(job));
    return {r.job.id, r.created};
}

bool JobRuntime::wake(const std::string &connector, const std::string &idempotency_key, std::optional<int64_t> job_id) {
    if (!idempotency_key.empty()) return scheduler_->wake(connector, JobRef{idempotency_key});
    if (job_id) return scheduler_->wake(connector, JobRef{*job_id});
    return false;
}

bool JobRuntime::emit_event(const std::string &connector, const std::string &type, const std::string &subject,
                            const std::string &data_json, const std::optional<std::string> &dedupe_key) {
    if (!events_) return PluginBackend::emit_event(connector, type, subject, data_json, dedupe_key);
    return events_->emit(connector, type, subject, data_json, dedupe_key);
}

void JobRuntime::quota_report(const std::string &connector, const std::string &scope, const std::string &key,
                              uint64_t retry_after_ms, int64_t remaining, uint64_t reset_after_ms) {
    auto ms = [](uint64_t v) { return static_cast<int64_t>(std::min<uint64_t>(v, static_cast<uint64_t>(kNever / 2))); };
    scheduler_->quota().report(connector, scope, key, ms(retry_after_ms), remaining, ms(reset_after_ms));
}

// --- plugin state ---------------------------------------------------------------------------

std::optional<std::string> JobRuntime::state_get(const std::string &plugin, const std::string &key) {
    auto entry = state_->read(plugin, key, clock_.now_ms());
    if (!entry) return std::nullopt;
    return std::move(entry->value);
}

void JobRuntime::state_put(const std::string &plugin, const std::string &key, const std::string &value) {
    state_->write(plugin, key, value, PluginStateStore::kAnyVersion, 0, clock_.now_ms());
}

void JobRuntime::state_delete(const std::string &plugin, const std::string &key) {
    state_->remove(plugin, key, clock_.now_ms());
}

uint64_t JobRuntime::capabilities() const {
    // The service always serves webhooks: the runtime exists only beside its HTTP API.
    return PluginBackend::capabilities() | RELAIS_CAP_STATE_V2 | RELAIS_CAP_WEBHOOKS | (events_ ? RELAIS_CAP_EVENTS : 0u);
}

std::optional<PluginBackend::StateEntry> JobRuntime::state_read(const std::string &plugin, const std::string &key) {
    auto entry = state_->read(plugin, key, clock_.now_ms());
    if (!entry) return std::nullopt;
    StateEntry e;
    e.value = std::move(entry->value);
    e.version = entry->version;
    e.expires_at_ms = entry->expires_at;
    return e;
}

PluginBackend::StateWrite JobRuntime::state_write(const std::string &plugin, const std::string &key,
                                                  const std::string &value, uint64_t expected_version,
                                                  uint64_t ttl_ms) {
    const auto r = state_->write(plugin, key, value, expected_version, ttl_ms, clock_.now_ms());
    StateWrite w;
    w.written = r.written;
    w.version = r.version;
    return w;
}

PluginBackend::StatePage JobRuntime::state_list(const std::string &plugin, const std::string &prefix,
                                                const std::optional<std::string> &cursor, uint32_t limit) {
    auto listed = state_->list(plugin, prefix, cursor, limit, clock_.now_ms());
    StatePage page;
    page.keys.reserve(listed.keys.size());
    for (auto &k : listed.keys) {
        StateKey key;
        key.key = std::move(k.key);
        key.version = k.version;
        key.size = k.size;
        key.expires_at_ms = k.expires_at;
        page.keys.push_back(std::move(key));
    }
    page.next_cursor = std::move(listed.next_cursor);
    return page;
}

}  // namespace relais::host
