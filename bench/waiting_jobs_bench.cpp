// Jobs of several steps: N jobs whose steps ask W times to continue a few milliseconds later
// before they succeed, against N one-step jobs through the same store and scheduler in the
// same run. A waiting job is meant to cost no thread (the worker goes back to claiming) and
// only the rows of its steps: the run prints the process's CPU time, the store's growth (file
// bytes and attempt rows) and the peak thread count of each, and the ratios per job and per step.
#include "jobs/clock.hpp"
#include "jobs/scheduler.hpp"
#include "jobs/sqlite_db.hpp"
#include "jobs/sqlite_job_store.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace relais::host;
using Steady = std::chrono::steady_clock;

namespace {

constexpr const char *kConnector = "bench";
constexpr int kWorkers = 8;
constexpr int kSubmitters = 16;  // concurrent enqueues share commits, as API requests do

fs::path fresh_dir() {
    auto dir = fs::temp_directory_path() / "relais-waiting-jobs-bench";
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval &t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int thread_count() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
    return -1;
}

// The database and its write-ahead log: what the store occupies on disk now.
int64_t store_bytes(const fs::path &db) {
    int64_t total = 0;
    for (const auto &file : {db, fs::path(db.string() + "-wal")}) {
        std::error_code error;
        const auto size = fs::file_size(file, error);
        if (!error) total += static_cast<int64_t>(size);
    }
    return total;
}

// Reads the thread count every 100 ms: the peak over the whole run, and the peak once every job
// is enqueued (the submitters gone), while the scheduler alone runs and parks the jobs.
class ThreadSampler {
public:
    ThreadSampler() : thread_([this](std::stop_token stop) { sample(stop); }) {}
    void enqueued() { enqueued_ = true; }
    int peak() const { return peak_; }
    int peak_after_enqueue() const { return peak_after_enqueue_; }

private:
    void sample(std::stop_token stop) {
        while (!stop.stop_requested()) {
            const int now = thread_count();
            peak_ = std::max(peak_.load(), now);
            if (enqueued_) peak_after_enqueue_ = std::max(peak_after_enqueue_.load(), now);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    std::atomic<int> peak_{0};
    std::atomic<int> peak_after_enqueue_{0};
    std::atomic<bool> enqueued_{false};
    std::jthread thread_;  // last: it reads the members above
};

// Action "wait": continues later until it has done `waits` steps, then succeeds. Action "once":
// succeeds at its first step. Counts the final steps so the run ends without polling the store.
class SteppingExecutor final : public JobExecutor {
public:
    SteppingExecutor(int waits, int64_t delay_ms) : waits_(waits), delay_ms_(delay_ms) {}

    CallResult execute(const Job &job, JobContext &) override {
        CallResult result;
        if (job.action == "wait" && job.step < waits_) {
            result.later = ContinueLater{delay_ms_, "{\"step\":" + std::to_string(job.step + 1) + "}"};
            return result;
        }
        result.body = "{}";
        {
            std::lock_guard lock(mutex_);
            ++finished_;
        }
        done_.notify_all();
        return result;
    }

    void await_finished(int64_t n) {
        std::unique_lock lock(mutex_);
        done_.wait(lock, [&] { return finished_ >= n; });
    }

private:
    const int waits_;
    const int64_t delay_ms_;
    std::mutex mutex_;
    std::condition_variable done_;
    int64_t finished_ = 0;
};

struct Measure {
    int64_t jobs = 0;
    int64_t steps = 0;
    double wall_s = 0;
    double cpu_s = 0;
    int64_t bytes = 0;
    int64_t attempt_rows = 0;
    int threads_before = 0;
    int threads_peak = 0;
    int threads_peak_after_enqueue = 0;
};

}  // namespace

int main(int argc, char **argv) {
    // waiting_jobs_bench [N, default 10000] [waits per job, default 5] [delay ms, default 2]
    const int n = argc > 1 ? std::atoi(argv[1]) : 10'000;
    const int waits = argc > 2 ? std::atoi(argv[2]) : 5;
    const int64_t delay_ms = argc > 3 ? std::atoll(argv[3]) : 2;
    if (n < 1 || waits < 0 || delay_ms < 0) {
        std::fprintf(stderr, "waiting_jobs_bench: N must be >= 1, waits >= 0 and delay ms >= 0 (got %d, %d, %lld)\n",
                     n, waits, static_cast<long long>(delay_ms));
        return 2;
    }

    const auto dir = fresh_dir();
    SqliteJobStore store(dir, SqliteJobStoreOptions{SqliteJobStoreOptions::Sync::accepted, 5000});
    // A second connection, only to count rows: the store has no call for its attempt history size.
    sqlite::Database reader(store.file(), 5000);
    SteppingExecutor executor(waits, delay_ms);
    SystemClock clock;
    SchedulerOptions options;
    options.owner = "waiting-bench-" + std::to_string(getpid());
    options.workers = kWorkers;
    Scheduler scheduler(store, executor, clock, options);
    ConnectorPolicy policy;
    policy.max_concurrency = kWorkers;
    scheduler.set_policy(kConnector, policy);
    scheduler.start();

    int64_t finished_so_far = 0;
    auto run = [&](const std::string &action, int steps_per_job) {
        Measure m;
        m.jobs = n;
        m.steps = static_cast<int64_t>(n) * steps_per_job;
        // Folds the log into the database and empties it, before and after, so the sizes compare
        // like for like: a log SQLite reuses in place would otherwise hide or inflate growth.
        reader.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        const auto bytes_before = store_bytes(store.file());
        const auto rows_before = reader.scalar_int64("SELECT count(*) FROM attempts");
        const auto succeeded_before = store.count(JobState::succeeded);
        m.threads_before = thread_count();
        ThreadSampler sampler;
        const auto cpu_before = cpu_seconds();
        const auto start = Steady::now();

        std::vector<std::thread> submitters;
        for (int t = 0; t < kSubmitters; ++t)
            submitters.emplace_back([&, t] {
                for (int i = t; i < n; i += kSubmitters) {
                    store.enqueue(NewJob{kConnector, action, "{}", std::nullopt, 3, 0, std::nullopt, std::nullopt,
                                         std::nullopt, false},
                                  clock.now_ms());
                    scheduler.notify();
                }
            });
        for (auto &thread : submitters) thread.join();
        sampler.enqueued();
        finished_so_far += n;
        executor.await_finished(finished_so_far);
        // The last outcomes are recorded just after their executor returns.
        while (store.count(JobState::succeeded) < succeeded_before + n)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));

        m.wall_s = std::chrono::duration<double>(Steady::now() - start).count();
        m.cpu_s = cpu_seconds() - cpu_before;
        m.threads_peak = std::max(sampler.peak(), thread_count());
        m.threads_peak_after_enqueue = std::max(sampler.peak_after_enqueue(), thread_count());
        reader.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        m.bytes = store_bytes(store.file()) - bytes_before;
        m.attempt_rows = reader.scalar_int64("SELECT count(*) FROM attempts") - rows_before;
        return m;
    };

    const auto base = run("once", 1);
    const auto wait = run("wait", waits + 1);
    scheduler.stop(5000);

    auto print = [](const char *name, const Measure &m) {
        std::printf("  %-9s wall %7.2f s  %8.0f jobs/s  %8.0f steps/s  CPU %7.2f s  store %+10lld B  attempts %+7lld rows"
                    "  threads before %d, peak %d (%d once enqueued)\n",
                    name, m.wall_s, m.jobs / m.wall_s, m.steps / m.wall_s, m.cpu_s, static_cast<long long>(m.bytes),
                    static_cast<long long>(m.attempt_rows), m.threads_before, m.threads_peak,
                    m.threads_peak_after_enqueue);
    };
    auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
    std::printf("Waiting jobs, %d jobs each continuing later %d times (%lld ms) then succeeding, against %d one-step"
                " jobs; SQLite WAL, durability \"accepted\", %d workers\n",
                n, waits, static_cast<long long>(delay_ms), n, kWorkers);
    print("baseline", base);
    print("waiting", wait);
    std::printf("  per job   CPU %8.1f us vs %8.1f us  ratio %5.2f   store %8.1f B vs %8.1f B  ratio %5.2f\n",
                1e6 * wait.cpu_s / wait.jobs, 1e6 * base.cpu_s / base.jobs,
                ratio(wait.cpu_s / wait.jobs, base.cpu_s / base.jobs), static_cast<double>(wait.bytes) / wait.jobs,
                static_cast<double>(base.bytes) / base.jobs,
                ratio(static_cast<double>(wait.bytes) / wait.jobs, static_cast<double>(base.bytes) / base.jobs));
    std::printf("  per step  CPU %8.1f us vs %8.1f us  ratio %5.2f\n", 1e6 * wait.cpu_s / wait.steps,
                1e6 * base.cpu_s / base.steps, ratio(wait.cpu_s / wait.steps, base.cpu_s / base.steps));
    std::printf("  threads   peak once enqueued %d vs %d: %+d for %d waiting jobs\n", wait.threads_peak_after_enqueue,
                base.threads_peak_after_enqueue, wait.threads_peak_after_enqueue - base.threads_peak_after_enqueue, n);
    return 0;
}
