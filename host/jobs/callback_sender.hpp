// Delivers finished jobs to their callback_url: an HTTP POST of the job as JSON (as
// GET /api/v1/jobs/{id} shows it), retried with growing delays until a 2xx answer or the
// attempts run out. The store marks a finished job's callback as pending (in the statement
// that finishes the job); `done` is told when it is delivered or given up, and a host that
// stopped before then posts it again after its restart: at least once, like the jobs.
//
// A job that asked for it (callback_progress) is also posted after each step that left it
// waiting: once, without retries (a late retry could arrive after the final callback), and not
// kept across a restart. The header X-Relais-Callback says which it is: "progress" or "final".
#pragma once

#include "jobs/job.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace relais::host {

class Metrics;

class CallbackSender {
public:
    struct Options {
        int attempts = 5;
        std::chrono::milliseconds first_delay{1000};  // doubled after each failed attempt
        std::chrono::seconds timeout{10};
        Metrics *metrics = nullptr;  // counts each attempt's outcome (relais_callbacks_total); may be null
    };

    // `done(job_id)` is called from the sender's thread once a callback is delivered or given up.
    CallbackSender(Options options, std::function<void(int64_t)> done = {});
    ~CallbackSender();  // stops; undelivered callbacks are dropped (and logged)

    enum class Kind { final, progress };

    // Queues the delivery of a job that has a callback_url: finished, or (progress) waiting.
    void post(const JobDetail &job, Kind kind = Kind::final);

private:
    struct Delivery {
        std::string url;
        std::string body;
        int64_t job_id;
        int attempt = 0;
        std::chrono::steady_clock::time_point due;
        Kind kind = Kind::final;
    };
    void run();
    bool deliver(const Delivery &d) const;

    Options options_;
    std::function<void(int64_t)> done_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Delivery> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace relais::host
