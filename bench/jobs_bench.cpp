// Durable jobs, end to end: no-op jobs enqueued and executed by the service's scheduler
// through the diagnostics plugin, against the raw storage cost of the same job lifecycle
// (enqueue, claim, succeed) done by the SQLite store in a tight loop with the same
// durability settings ("accepted": enqueues synced to disk). Then quota adherence: 1,000 jobs under a 20/s quota, every
// 1-second window of their start times counted.
#include "runtime/service.hpp"

#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace relais::host;
using Steady = std::chrono::steady_clock;

namespace {

fs::path fresh_dir(const std::string &name) {
    auto dir = fs::temp_directory_path() / ("relais-jobs-bench-" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

SqliteJobStoreOptions::Sync g_sync = SqliteJobStoreOptions::Sync::accepted;

std::unique_ptr<Service> make_service(const fs::path &dir, const std::string &diagnostics_settings) {
    auto config = default_config({});
    config.host.data_dir = dir;
    config.host.listen.port = 0;
    config.host.log.level = "warning";
    Poco::JSON::Parser parser;
    config.connectors["diagnostics"] = parser.parse(diagnostics_settings).extract<Poco::JSON::Object::Ptr>();
    JobRuntime::Options jobs;
    jobs.synchronous = g_sync;
    auto service = std::make_unique<Service>(std::move(config), RELAIS_BENCH_PLUGIN_DIR, jobs);
    service->start();
    return service;
}

void wait_succeeded(JobStore &store, int64_t n) {
    while (store.count(JobState::succeeded) < n) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

double seconds_since(Steady::time_point start) { return std::chrono::duration<double>(Steady::now() - start).count(); }

}  // namespace

int main(int argc, char **argv) {
    // jobs_bench [N] [accepted|full|normal] [--no-quota|--quota] [submitters, default 16]
    const int n = argc > 1 ? std::atoi(argv[1]) : 5000;
    const std::string sync = argc > 2 ? argv[2] : "accepted";
    g_sync = sync == "normal" ? SqliteJobStoreOptions::Sync::normal
             : sync == "full" ? SqliteJobStoreOptions::Sync::full
                              : SqliteJobStoreOptions::Sync::accepted;
    const bool quota_run = !(argc > 3 && std::string(argv[3]) == "--no-quota");
    const int clients = argc > 4 ? std::max(1, std::atoi(argv[4])) : 16;

    // Baseline: the store alone, one thread, the same SQLite file settings (WAL, synchronous=FULL).
    double raw_rate;
    {
        SqliteJobStore store(fresh_dir("raw"), SqliteJobStoreOptions{g_sync, 5000});
        const auto start = Steady::now();
        int64_t now = 1;
        for (int i = 0; i < n; ++i) store.enqueue(NewJob{"diagnostics", "echo", "{}", std::nullopt, 3, 0, std::nullopt, std::nullopt, std::nullopt, false}, now);
        ClaimRequest claim{"bench", 60000, {"diagnostics"}};
        for (int i = 0; i < n; ++i) {
            const auto job = store.claim(claim, ++now);
            store.succeed(job->id, "bench", "{}", ++now);
        }
        raw_rate = n / seconds_since(start);
    }

    // Relais: enqueue through the job runtime (as the API does), run by the scheduler; from one
    // submitter, then from `clients` at once (as concurrent API requests), whose enqueues share
    // commits.
    struct Run {
        double rate;
        GroupCommitStats commits;
    };
    auto e2e = [&](const std::string &name, int submitters) {
        auto service = make_service(fresh_dir(name), R"({"max_concurrency": 8})");
        auto &jobs = service->jobs();
        const auto start = Steady::now();
        std::vector<std::thread> threads;
        for (int t = 0; t < submitters; ++t)
            threads.emplace_back([&, t] {
                for (int i = t; i < n; i += submitters)
                    jobs.submit(NewJob{"diagnostics", "echo", R"({"i":1})", std::nullopt, 3, 0, std::nullopt,
                                       std::nullopt, std::nullopt, false});
            });
        for (auto &thread : threads) thread.join();
        wait_succeeded(jobs.store(), n);
        Run run{n / seconds_since(start), dynamic_cast<SqliteJobStore &>(jobs.store()).group_commit_stats()};
        service->stop();
        return run;
    };
    const auto serial = e2e("e2e", 1);
    const auto concurrent = e2e("e2e-concurrent", clients);

    std::printf("Durable no-op jobs, %d jobs, SQLite WAL, durability \"%s\"\n", n, sync.c_str());
    std::printf("  baseline  store alone: enqueue + claim + succeed, 1 thread : %8.0f jobs/s\n", raw_rate);
    std::printf("  relais    1 submitter: enqueue, schedule, execute         : %8.0f jobs/s  ratio %5.2f  (%.1f jobs a commit)\n",
                serial.rate, serial.rate / raw_rate,
                static_cast<double>(serial.commits.jobs) / std::max<int64_t>(1, serial.commits.commits));
    std::printf("  relais    %2d submitters at once                          : %8.0f jobs/s  ratio %5.2f  (%.1f jobs a commit)\n",
                clients, concurrent.rate, concurrent.rate / raw_rate,
                static_cast<double>(concurrent.commits.jobs) / std::max<int64_t>(1, concurrent.commits.commits));
    std::printf("  goals     >= 5000 jobs/s end to end with durability \"accepted\"\n");
    if (!quota_run) return 0;

    // Quota adherence: 1,000 jobs queued at once under 20 requests/s.
    {
        auto service = make_service(fresh_dir("quota"), R"({"max_concurrency": 8, "quota_per_second": 20})");
        auto &jobs = service->jobs();
        const int q = 1000;
        const auto start = Steady::now();
        for (int i = 0; i < q; ++i) jobs.submit(NewJob{"diagnostics", "echo", "{}", std::nullopt, 3, 0, std::nullopt, std::nullopt, std::nullopt, false});
        wait_succeeded(jobs.store(), q);
        const auto elapsed = seconds_since(start);
        std::vector<int64_t> starts;
        ListFilter filter;
        filter.limit = kMaxListLimit;
        for (;;) {
            const auto page = jobs.store().list(filter);
            for (const auto &j : page.jobs) starts.push_back(jobs.store().get(j.id)->attempts.front().started_at);
            if (!page.next_cursor) break;
            filter.cursor = page.next_cursor;
        }
        std::sort(starts.begin(), starts.end());
        // The busiest sliding 1-second window of attempt starts.
        size_t worst = 0;
        for (size_t i = 0, j = 0; i < starts.size(); ++i) {
            while (starts[i] - starts[j] >= 1000) ++j;
            worst = std::max(worst, i - j + 1);
        }
        const double rate = (starts.size() - 1) / ((starts.back() - starts.front()) / 1000.0);
        std::printf("\nQuota adherence, %d jobs queued at once, quota 20/s\n", q);
        std::printf("  achieved rate between first and last start : %6.2f /s   (goal >= 19)\n", rate);
        std::printf("  busiest 1-second window                    : %6zu      (goal <= 20)\n", worst);
        std::printf("  wall time                                  : %6.1f s\n", elapsed);
        service->stop();
    }
    return 0;
}
