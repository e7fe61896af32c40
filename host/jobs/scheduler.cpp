#include "jobs/scheduler.hpp"

#include "plugins/error_class.hpp"

#include <Poco/Logger.h>

#include <algorithm>
#include <stdexcept>

namespace relais::host {

namespace {

Poco::Logger &logger() { return Poco::Logger::get("relais.scheduler"); }

std::string job_name(const Job &job) { return "job " + std::to_string(job.id) + " (" + job.connector + "." + job.action + ")"; }

bool is_final(JobState state) {
    return state == JobState::succeeded || state == JobState::dead || state == JobState::cancelled;
}

// now + ms without overflowing past kNever.
int64_t after(int64_t now, int64_t ms) { return ms >= kNever - now ? kNever : now + ms; }

}  // namespace

namespace detail {

// One claimed job, from its claim to its outcome: what the housekeeper needs to extend its
// lease, and how it is asked to stop.
struct RunningJob {
    JobId id = 0;
    std::string connector;
    std::string owner;
    std::atomic<int64_t> lease_expires_at{0};
    int64_t deadline = kNever;  // of this step: set at the claim, then only read
    std::stop_source stop;
    std::atomic<StopReason> reason{StopReason::none};

    // The first reason given is the one reported.
    void request_stop(StopReason why) {
        auto none = StopReason::none;
        reason.compare_exchange_strong(none, why);
        stop.request_stop();
    }
};

}  // namespace detail

// --- JobContext -------------------------------------------------------------------------------

JobContext::JobContext(Scheduler &scheduler, const Job &job, std::shared_ptr<detail::RunningJob> running)
    : scheduler_(scheduler), job_(job), running_(std::move(running)) {}

int64_t JobContext::now_ms() const { return scheduler_.clock_.now_ms(); }

bool JobContext::stop_requested() const {
    check_deadline();
    return running_->stop.stop_requested();
}

StopReason JobContext::stop_reason() const {
    check_deadline();
    return running_->reason.load();
}

// Read where it is asked for, so a step sees its deadline exactly when it comes (the
// housekeeper also tells it, for the waits that only watch the stop token).
void JobContext::check_deadline() const {
    if (!running_->stop.stop_requested() && scheduler_.clock_.now_ms() >= running_->deadline)
        running_->request_stop(StopReason::deadline);
}

int64_t JobContext::deadline_ms() const { return running_->deadline; }

int64_t JobContext::remaining_ms() const {
    return std::max<int64_t>(0, running_->deadline - scheduler_.clock_.now_ms());
}

std::stop_token JobContext::stop_token() const { return running_->stop.get_token(); }

int64_t JobContext::acquire_quota(int64_t n, int64_t max_wait_ms) {
    const auto deadline = max_wait_ms == kNever ? kNever : after(now_ms(), std::max<int64_t>(0, max_wait_ms));
    return scheduler_.quota_.acquire(job_.connector, n, deadline, stop_token());
}

QuotaLimiter &JobContext::quota() const { return scheduler_.quota_; }

bool JobContext::wait_for_stop(int64_t deadline_ms) {
    std::mutex mutex;
    std::condition_variable stopped;
    const auto token = stop_token();
    std::stop_callback wake(token, [&] {
        std::lock_guard guard(mutex);
        stopped.notify_all();
    });
    bool out_of_time = false;
    {
        std::unique_lock lock(mutex);  // after `wake`: released before its destructor waits for a running callback
        while (!token.stop_requested()) {
            const auto now = scheduler_.clock_.now_ms();
            if (now >= running_->deadline) {
                out_of_time = true;
                break;
            }
            if (now >= deadline_ms) return false;
            scheduler_.clock_.wait_until(lock, stopped, std::min(deadline_ms, running_->deadline));
        }
    }
    // Without the lock: the stop runs `wake`, which takes it.
    if (out_of_time) running_->request_stop(StopReason::deadline);
    return true;
}

// --- Scheduler --------------------------------------------------------------------------------

Scheduler::Scheduler(JobStore &store, JobExecutor &executor, Clock &clock, SchedulerOptions options)
    : store_(store), executor_(executor), clock_(clock), options_(std::move(options)), quota_(store, clock),
      periodic_(store, clock) {
    if (options_.owner.empty()) throw std::invalid_argument("scheduler: owner must not be empty");
    if (options_.workers < 1) throw std::invalid_argument("scheduler: workers must be at least 1");
    if (options_.lease_ms < 2) throw std::invalid_argument("scheduler: lease_ms must be at least 2");
    if (options_.poll_ms < 1) throw std::invalid_argument("scheduler: poll_ms must be at least 1");
    if (options_.cancel_check_ms < 1) throw std::invalid_argument("scheduler: cancel_check_ms must be at least 1");
    random_.seed(options_.random_seed != 0 ? options_.random_seed : std::random_device{}());
}

Scheduler::~Scheduler() { stop(0); }

void Scheduler::set_policy(const std::string &connector, ConnectorPolicy policy) {
    if (connector.empty()) throw std::invalid_argument("a connector policy needs a connector name");
    if (policy.max_concurrency < 1)
        throw std::invalid_argument("policy of " + connector + ": max_concurrency must be at least 1");
    validate(policy.retry);
    // Each of these checks everything before it changes anything; the quota is put back if
    // the periodic tasks are refused.
    const auto previous_quota = quota_.settings(connector);
    quota_.configure(connector, policy.quota);
    try {
        periodic_.set_tasks(connector, policy.periodic, policy.retry.max_attempts);
    } catch (...) {
        quota_.configure(connector, previous_quota);
        throw;
    }
    {
        std::lock_guard lock(mutex_);
        connectors_[connector].policy = std::make_shared<const ConnectorPolicy>(std::move(policy));
        ++enqueue_seq_;
        ++wake_seq_;
        ++house_seq_;
    }
    work_.notify_all();
    housekeeping_.notify_all();
}

void Scheduler::remove_policy(const std::string &connector) {
    periodic_.set_tasks(connector, {});
    // Once no claim is under way: a claim that began before must not take a job after.
    std::lock_guard claiming(claim_mutex_);
    std::lock_guard lock(mutex_);
    if (const auto it = connectors_.find(connector); it != connectors_.end()) it->second.policy.reset();
    ++house_seq_;
    housekeeping_.notify_all();
}

std::optional<ConnectorPolicy> Scheduler::policy(const std::string &connector) const {
    std::lock_guard lock(mutex_);
    const auto it = connectors_.find(connector);
    if (it == connectors_.end() || !it->second.policy) return std::nullopt;
    return *it->second.policy;
}

void Scheduler::set_on_attempt(JobHook hook) {
    std::lock_guard lock(mutex_);
    if (started_) throw std::logic_error("scheduler: set hooks before start()");
    on_attempt_ = std::move(hook);
}

void Scheduler::set_on_finished(JobHook hook) {
    std::lock_guard lock(mutex_);
    if (started_) throw std::logic_error("scheduler: set hooks before start()");
    on_finished_ = std::move(hook);
}

void Scheduler::set_on_progress(JobHook hook) {
    std::lock_guard lock(mutex_);
    if (started_) throw std::logic_error("scheduler: set hooks before start()");
    on_progress_ = std::move(hook);
}

void Scheduler::set_hook_filter(JobFilter concerns) {
    std::lock_guard lock(mutex_);
    if (started_) throw std::logic_error("scheduler: set hooks before start()");
    hook_filter_ = std::move(concerns);
}

void Scheduler::start() {
    {
        std::lock_guard lock(mutex_);
        if (started_) throw std::logic_error("scheduler: start() may be called once");
        started_ = true;
    }
    try {
        // Jobs left running by a previous run of this host (or a vanished one) whose lease
        // has expired: back to the queue before anything is claimed.
        if (const auto requeued = store_.requeue_expired(clock_.now_ms()); requeued > 0)
            logger().warning(std::to_string(requeued) + " job(s) whose worker vanished went back to the queue");
        periodic_.start();
    } catch (...) {
        std::lock_guard lock(mutex_);
        started_ = false;
        throw;
    }
    workers_.reserve(static_cast<size_t>(options_.workers));
    for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this, i] { work(i + 1); });
    housekeeper_ = std::thread([this] { keep_house(); });
}

int Scheduler::stop(int64_t grace_ms) {
    {
        std::lock_guard lock(mutex_);
        if (!started_ || stopping_) return 0;
        stopping_ = true;
    }
    work_.notify_all();
    shutdown_.request_stop();

    std::vector<std::shared_ptr<detail::RunningJob>> late;
    {
        std::unique_lock lock(mutex_);
        const auto deadline = after(clock_.now_ms(), std::max<int64_t>(0, grace_ms));
        while (!running_jobs_.empty() && clock_.now_ms() < deadline) clock_.wait_until(lock, done_, deadline);
        for (const auto &[id, running] : running_jobs_) late.push_back(running);
    }
    if (!late.empty())
        logger().warning(std::to_string(late.size()) + " job(s) still running after the grace period: asking them to stop");
    for (const auto &running : late) running->request_stop(StopReason::shutdown);  // no lock held: callbacks run here

    for (auto &worker : workers_) worker.join();
    {
        std::lock_guard lock(mutex_);
        house_stop_ = true;
    }
    housekeeping_.notify_all();
    housekeeper_.join();
    return static_cast<int>(late.size());
}

void Scheduler::notify() {
    {
        std::lock_guard lock(mutex_);
        ++enqueue_seq_;
        ++wake_seq_;
    }
    work_.notify_all();
}

bool Scheduler::cancel(JobId id) {
    if (!store_.cancel(id, clock_.now_ms())) return false;
    std::shared_ptr<detail::RunningJob> running;
    {
        std::lock_guard lock(mutex_);
        if (const auto it = running_jobs_.find(id); it != running_jobs_.end()) running = it->second;
    }
    if (running) running->request_stop(StopReason::cancelled);
    else finished_elsewhere(id);  // no worker will report it: it ended here
    return true;
}

bool Scheduler::wake(const std::string &connector, const JobRef &job) {
    if (!store_.wake(connector, job, clock_.now_ms())) return false;
    notify();
    return true;
}

void Scheduler::finished_elsewhere(JobId id) {
    if (!on_finished_) return;
    try {
        const auto detail = store_.get(id);
        if (!detail || (hook_filter_ && !hook_filter_(detail->job))) return;
        if (is_final(detail->job.state)) on_finished_(*detail);
    } catch (const std::exception &e) {
        logger().error("after job " + std::to_string(id) + " ended: " + e.what());
    }
}

int Scheduler::running(const std::string &connector) const {
    std::lock_guard lock(mutex_);
    const auto it = connectors_.find(connector);
    return it == connectors_.end() ? 0 : it->second.running;
}

int Scheduler::running() const {
    std::lock_guard lock(mutex_);
    return static_cast<int>(running_jobs_.size());
}

double Scheduler::random_unit() {
    std::lock_guard lock(mutex_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(random_);
}

// --- workers ----------------------------------------------------------------------------------

void Scheduler::work(int index) {
    const auto owner = options_.owner + "/worker-" + std::to_string(index);
    for (;;) {
        uint64_t seen = 0;
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            seen = wake_seq_;
        }
        Claimed claimed;
        try {
            claimed = claim_next(owner);
        } catch (const std::exception &e) {
            logger().error("claiming a job failed: " + std::string(e.what()) + "; trying again in " +
                           std::to_string(options_.poll_ms) + " ms");
            claimed.next_try = after(clock_.now_ms(), options_.poll_ms);
        }
        if (claimed.job) {
            run(std::move(claimed), owner);
            continue;
        }
        std::unique_lock lock(mutex_);
        if (stopping_) return;
        if (wake_seq_ != seen) continue;  // something changed while we looked: look again
        clock_.wait_until(lock, work_, claimed.next_try);
    }
}

Scheduler::Claimed Scheduler::claim_next(const std::string &owner) {
    std::lock_guard claiming(claim_mutex_);
    const auto now = clock_.now_ms();
    Claimed result;
    result.next_try = after(now, options_.poll_ms);
    std::vector<std::pair<std::string, std::shared_ptr<const ConnectorPolicy>>> candidates;
    uint64_t seq = 0;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return result;
        seq = enqueue_seq_;
        // Round robin: the connectors after the one served last, then from the beginning.
        auto it = connectors_.upper_bound(last_served_);
        for (size_t i = 0; i < connectors_.size(); ++i, ++it) {
            if (it == connectors_.end()) it = connectors_.begin();
            auto &[name, state] = *it;
            if (!state.policy || state.running >= state.policy->max_concurrency) continue;
            if (state.empty_seen == seq && state.empty_until > now) {
                result.next_try = std::min(result.next_try, state.empty_until);
                continue;
            }
            candidates.emplace_back(name, state.policy);
        }
    }

    for (auto &[name, policy] : candidates) {
        if (shutdown_.stop_requested()) break;  // stop() began while we looked
        if (const auto wait = quota_.wait_ms(name, 1); wait > 0) {
            result.next_try = std::min(result.next_try, after(now, wait));
            continue;
        }
        auto job = store_.claim(ClaimRequest{owner, options_.lease_ms, {name}}, now);
        if (!job) {
            std::lock_guard lock(mutex_);
            auto &state = connectors_[name];
            auto &retries = state.retries;
            retries.erase(retries.begin(), retries.upper_bound(now));
            state.empty_seen = seq;
            state.empty_until = after(now, options_.poll_ms);
            if (!retries.empty()) state.empty_until = std::min(state.empty_until, *retries.begin());
            result.next_try = std::min(result.next_try, state.empty_until);
            continue;
        }

        auto running = std::make_shared<detail::RunningJob>();
        running->id = job->id;
        running->connector = name;
        running->owner = owner;
        running->lease_expires_at = job->lease_expires_at.value_or(now + options_.lease_ms);
        running->deadline = std::min(after(now, policy->step_timeout_ms), job->deadline_at.value_or(kNever));
        if (policy->quota_per_action) {
            // Under the claim lock, so the quota another claimer saw is still there unless a
            // synchronous call or a plugin took it meanwhile.
            try {
                result.quota_pending = quota_.try_acquire(name, 1) > 0;
            } catch (const std::exception &e) {
                logger().error("quota of " + name + " could not be counted: " + e.what());
                result.quota_pending = true;
            }
        }
        {
            std::lock_guard lock(mutex_);
            auto &state = connectors_[name];
            ++state.running;
            last_served_ = name;
            if (running_jobs_.empty()) {
                // The housekeeper may be sleeping long with nothing to watch: it must start
                // checking this job's cancel flag now.
                ++house_seq_;
                housekeeping_.notify_all();
            }
            running_jobs_[job->id] = running;
        }
        result.job = std::move(job);
        result.running = std::move(running);
        result.policy = policy;
        return result;
    }
    return result;
}

void Scheduler::run(Claimed claimed, const std::string &owner) {
    const Job &job = *claimed.job;
    auto &running = *claimed.running;
    std::optional<int64_t> retry_at;
    bool recorded = false;
    try {
        if (claimed.quota_pending) {
            // Waiting for the quota gives way to a cancel, and to stop() at once (the job has
            // not started, so it waits for no grace).
            std::stop_source give_up;
            std::stop_callback on_cancel(running.stop.get_token(), [&] { give_up.request_stop(); });
            std::stop_callback on_shutdown(shutdown_.get_token(), [&] { give_up.request_stop(); });
            int64_t wait = 0;
            std::string problem;
            try {
                wait = quota_.acquire(job.connector, 1, kNever, give_up.get_token());
            } catch (const std::exception &e) {
                problem = e.what();
            }
            if (wait != 0 || !problem.empty()) {
                const auto now = clock_.now_ms();
                if (running.reason == StopReason::cancelled) {
                    recorded = store_.fail(job.id, owner, {"cancelled", "cancelled before it ran", "", std::nullopt},
                                           std::nullopt, now);
                } else if (!problem.empty()) {
                    retry_at = after(now, options_.poll_ms);
                    recorded = store_.snooze(job.id, owner,
                                             {"internal", "the quota could not be counted: " + problem, "", std::nullopt},
                                             *retry_at, now);
                } else {
                    retry_at = now;
                    recorded = store_.snooze(
                        job.id, owner, {"interrupted", "the host stopped before the job could run", "", std::nullopt},
                        now, now);
                }
                finish(job, retry_at, recorded);
                return;
            }
        }

        CallResult result;
        {
            JobContext context(*this, job, claimed.running);
            try {
                result = executor_.execute(job, context);
            } catch (const std::exception &e) {
                result = CallResult{};
                result.status = RELAIS_INTERNAL;
                result.message = std::string("the executor threw: ") + e.what();
            } catch (...) {
                result = CallResult{};
                result.status = RELAIS_INTERNAL;
                result.message = "the executor threw an exception that is not a std::exception";
            }
        }
        retry_at = record(job, owner, *claimed.policy, std::move(result), running.reason.load());
        recorded = true;
    } catch (const std::exception &e) {
        logger().error("the outcome of " + job_name(job) + " could not be recorded: " + e.what() +
                       "; it will run again once its lease expires");
    }
    finish(job, retry_at, recorded);
}

std::optional<int64_t> Scheduler::record(const Job &job, const std::string &owner, const ConnectorPolicy &policy,
                                         CallResult result, StopReason reason) {
    const auto now = clock_.now_ms();
    auto lost = [&] {
        logger().warning(job_name(job) + " was taken from this worker (its lease expired): its outcome is dropped");
    };
    if (result.ok() && result.later) {
        // Not finished: the step's progress is kept and the job waits, using no attempt.
        const auto run_at = after(now, std::max<int64_t>(0, result.later->delay_ms));
        try {
            if (!store_.wait(job.id, owner, result.later->checkpoint, run_at, now)) {
                lost();
                return std::nullopt;
            }
            return run_at;
        } catch (const std::invalid_argument &) {
            result.status = RELAIS_INTERNAL;
            result.message = "the step's progress (its checkpoint) is not JSON";
            result.detail_json.clear();
        }
    } else if (result.ok()) {
        try {
            if (!store_.succeed(job.id, owner, result.body.empty() ? "null" : result.body, now)) lost();
            return std::nullopt;
        } catch (const std::invalid_argument &) {
            result.status = RELAIS_INTERNAL;
            result.message = "the result is not JSON";
            result.detail_json.clear();
        }
    }

    auto status = sanitize_status(static_cast<int>(result.status));
    AttemptError error{std::string(status_name(status)), result.message, result.detail_json,
                       result.retry_after_ms > 0
                           ? std::optional<int64_t>(static_cast<int64_t>(std::min<uint64_t>(result.retry_after_ms, INT64_MAX / 4)))
                           : std::nullopt};
    const auto step = std::to_string(job.step + 1);
    if (reason == StopReason::deadline && job.deadline_at && now >= *job.deadline_at) {
        error = {"deadline", "the job's deadline passed during step " + step + ": " + result.message, result.detail_json,
                 std::nullopt};
        if (!store_.fail(job.id, owner, error, std::nullopt, now)) lost();
        return std::nullopt;
    }
    if (reason == StopReason::deadline) {
        // The step's own time ran out (the upstream hung, say): worth another try.
        status = RELAIS_TRANSIENT;
        error.error_class = std::string(status_name(status));
        error.message = "step " + step + " ran out of time (" + std::to_string(policy.step_timeout_ms) +
                        " ms): " + result.message;
    }
    std::optional<int64_t> retry_at;
    bool held = false;
    if (reason == StopReason::shutdown && is_retryable(status)) {
        // Interrupted by stop(): not the job's fault, so the attempt is given back.
        retry_at = now;
        held = store_.snooze(job.id, owner, error, now, now);
    } else if (reason == StopReason::cancelled) {
        held = store_.fail(job.id, owner, error, std::nullopt, now);  // ends cancelled
    } else {
        FailedAttempt failed{status, job.attempts, job.max_attempts, result.retry_after_ms, 0};
        if (status == RELAIS_RATE_LIMITED) failed.rate_limited_in_a_row = rate_limited_in_a_row(job.id);
        const auto decision = decide_retry(policy.retry, failed, now, random_unit());
        switch (decision.action) {
        case RetryDecision::Action::retry:
            retry_at = decision.run_at;
            held = store_.fail(job.id, owner, error, decision.run_at, now);
            break;
        case RetryDecision::Action::snooze:
            retry_at = decision.run_at;
            held = store_.snooze(job.id, owner, error, decision.run_at, now);
            break;
        case RetryDecision::Action::dead:
            held = store_.fail(job.id, owner, error, std::nullopt, now);
            if (held)
                logger().warning(job_name(job) + " is dead after attempt " + std::to_string(job.attempts) + ": " +
                                 error.error_class + ": " + error.message);
            break;
        }
    }
    if (!held) {
        lost();
        return std::nullopt;
    }
    return retry_at;
}

int Scheduler::rate_limited_in_a_row(JobId id) {
    const auto detail = store_.get(id);
    if (!detail) return 0;
    int count = 0;
    for (auto it = detail->attempts.rbegin(); it != detail->attempts.rend(); ++it) {
        if (!it->finished_at) continue;  // the attempt being recorded
        if (it->outcome != "rate_limited") break;
        ++count;
    }
    return count;
}

void Scheduler::finish(const Job &job, std::optional<int64_t> retry_at, bool recorded) {
    {
        std::lock_guard lock(mutex_);
        running_jobs_.erase(job.id);
        auto &state = connectors_[job.connector];
        --state.running;
        state.retries.erase(state.retries.begin(), state.retries.upper_bound(clock_.now_ms()));  // past: no use
        if (retry_at) {
            state.retries.insert(*retry_at);
            // An empty mark must not hide the retry past its time.
            state.empty_until = std::min(state.empty_until, *retry_at);
        }
        ++wake_seq_;
    }
    work_.notify_all();
    done_.notify_all();

    if (!recorded || (!on_attempt_ && !on_finished_ && !on_progress_)) return;
    if (hook_filter_ && !hook_filter_(job)) return;
    try {
        // The state the attempt left (a cancel may have turned a retry into cancelled), read
        // once for all the hooks.
        const auto detail = store_.get(job.id);
        if (!detail) return;
        if (on_attempt_) on_attempt_(*detail);
        if (on_finished_ && is_final(detail->job.state)) on_finished_(*detail);
        if (on_progress_ && detail->job.state == JobState::waiting && detail->job.callback_progress)
            on_progress_(*detail);
    } catch (const std::exception &e) {
        logger().error("after " + job_name(job) + ": " + e.what());
    }
}

// --- housekeeping -----------------------------------------------------------------------------

void Scheduler::keep_house() {
    const auto requeue_every = std::max(options_.poll_ms, options_.lease_ms / 4);
    auto next_requeue = after(clock_.now_ms(), requeue_every);
    auto next_cancel_check = after(clock_.now_ms(), options_.cancel_check_ms);
    auto next_purge = options_.retention_ms > 0 || options_.on_purge ? clock_.now_ms() : kNever;
    auto next_expiry = clock_.now_ms();
    for (;;) {
        uint64_t seen = 0;
        std::vector<std::shared_ptr<detail::RunningJob>> running;
        {
            std::lock_guard lock(mutex_);
            if (house_stop_) return;
            seen = house_seq_;
            for (const auto &[id, job] : running_jobs_) running.push_back(job);
        }
        auto now = clock_.now_ms();
        int64_t next = kNever;
        try {
            // Leases first: after a long pause (or a test moving time), our own jobs are
            // extended before expired leases are requeued.
            for (const auto &job : running) {
                if (now >= job->lease_expires_at - options_.lease_ms / 2) {
                    if (store_.extend_lease(job->id, job->owner, now + options_.lease_ms)) {
                        job->lease_expires_at = now + options_.lease_ms;
                    } else if (!job->stop.stop_requested()) {
                        logger().warning("job " + std::to_string(job->id) + " lost its lease: asking it to stop");
                        job->request_stop(StopReason::lease_lost);
                    }
                }
                next = std::min(next, job->lease_expires_at - options_.lease_ms / 2);
                if (job->stop.stop_requested()) continue;
                if (now >= job->deadline) job->request_stop(StopReason::deadline);
                else next = std::min(next, job->deadline);
            }
            if (now >= next_expiry) {
                for (const auto id : store_.expire_deadlines(now)) {
                    logger().warning("job " + std::to_string(id) + " is dead: its deadline passed");
                    finished_elsewhere(id);
                }
                next_expiry = after(now, options_.poll_ms);
            }
            next = std::min(next, next_expiry);
            if (now >= next_cancel_check) {
                for (const auto &job : running) {
                    if (job->stop.stop_requested()) continue;
                    const auto detail = store_.get(job->id);
                    if (detail && detail->job.cancel_requested) job->request_stop(StopReason::cancelled);
                }
                next_cancel_check = after(now, options_.cancel_check_ms);
            }
            if (!running.empty()) next = std::min(next, next_cancel_check);
            if (now >= next_requeue) {
                if (const auto requeued = store_.requeue_expired(now); requeued > 0) {
                    logger().warning(std::to_string(requeued) + " job(s) with an expired lease went back to the queue");
                    notify();
                }
                next_requeue = after(now, requeue_every);
            }
            next = std::min(next, next_requeue);
            if (now >= next_purge) {
                // In batches, so the store's lock is never held long; at most 100,000 a pass.
                constexpr int kBatch = 1000;
                int purged = 0, batch = options_.retention_ms > 0 ? kBatch : 0;
                for (int i = 0; i < 100 && batch == kBatch; ++i) {
                    batch = store_.purge_finished(now - options_.retention_ms, kBatch);
                    purged += batch;
                }
                if (purged > 0)
                    logger().information(std::to_string(purged) + " finished job(s) older than the retention deleted");
                if (options_.on_purge) options_.on_purge(now);
                next_purge = after(now, options_.purge_every_ms);
            }
            next = std::min(next, next_purge);
            if (periodic_.run_due() > 0) notify();
            next = std::min(next, periodic_.next_due());
        } catch (const std::exception &e) {
            logger().error("housekeeping failed: " + std::string(e.what()) + "; trying again in " +
                           std::to_string(options_.poll_ms) + " ms");
            next = after(now, options_.poll_ms);
        }
        std::unique_lock lock(mutex_);
        if (house_stop_) return;
        if (house_seq_ != seen) continue;
        // A job claimed after this pass needs no earlier wake-up for its lease: the next pass
        // comes within a quarter lease, before half of the job's lease has passed.
        clock_.wait_until(lock, housekeeping_, next);
    }
}

}  // namespace relais::host
