// The host's metrics of its job system: jobs by state and the queue's depth read from a real
// store, quota waits, callback outcomes and webhook requests.
#include "temp_dir.hpp"

#include "jobs/sqlite_job_store.hpp"
#include "observability/job_gauges.hpp"
#include "observability/metrics.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

using namespace relais::host;
using namespace std::chrono_literals;
using relais::test::TempDir;

namespace {

constexpr int64_t T0 = 1'700'000'000'000;

// The value of one series ("name{labels}") in an exposition, or -1 when it is not there.
double value_of(const std::string &exposition, const std::string &series) {
    std::istringstream in(exposition);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    return -1;
}

NewJob job_of(const std::string &connector) {
    NewJob job;
    job.connector = connector;
    job.action = "send";
    return job;
}

std::string jobs_series(const std::string &connector, const std::string &state) {
    return "relais_jobs{connector=\"" + connector + "\",state=\"" + state + "\"}";
}

}  // namespace

TEST_CASE("job metrics: jobs by connector and state, and the runnable ones, come from the store", "[job_metrics]") {
    TempDir dir;
    SqliteJobStore store(dir.path());
    // chorus: 4 queued now, 1 queued for later, 1 running, 1 succeeded, 1 waiting for later,
    // 1 dead; sirene: 1 failed_retrying that is due.
    for (int i = 0; i < 4; ++i) store.enqueue(job_of("chorus"), T0);
    auto later = job_of("chorus");
    later.run_at = T0 + 60'000;
    store.enqueue(later, T0);
    for (int i = 0; i < 4; ++i) store.enqueue(job_of("chorus"), T0);
    const ClaimRequest claim{"host/worker", 30'000, {"chorus"}};
    const auto running = store.claim(claim, T0);
    const auto done = store.claim(claim, T0);
    const auto waiting = store.claim(claim, T0);
    const auto dead = store.claim(claim, T0);
    REQUIRE((running && done && waiting && dead));
    REQUIRE(store.succeed(done->id, "host/worker", "{}", T0));
    REQUIRE(store.wait(waiting->id, "host/worker", R"({"step":1})", T0 + 30'000, T0));
    REQUIRE(store.fail(dead->id, "host/worker", AttemptError{"permanent", "refused", "", std::nullopt}, std::nullopt, T0));
    store.enqueue(job_of("sirene"), T0);
    const auto retried = store.claim(ClaimRequest{"host/worker", 30'000, {"sirene"}}, T0);
    REQUIRE(retried);
    REQUIRE(store.fail(retried->id, "host/worker", AttemptError{"transient", "down", "", std::nullopt}, T0 + 1'000, T0));

    Metrics metrics("1");
    const auto gauges = read_job_gauges(store, {"sirene", "chorus", "idle"}, T0 + 2'000);
    const auto text = metrics.render_prometheus(&gauges);

    CHECK(value_of(text, jobs_series("chorus", "queued")) == 5);
    CHECK(value_of(text, jobs_series("chorus", "running")) == 1);
    CHECK(value_of(text, jobs_series("chorus", "succeeded")) == 1);
    CHECK(value_of(text, jobs_series("chorus", "waiting")) == 1);
    CHECK(value_of(text, jobs_series("chorus", "dead")) == 1);
    CHECK(value_of(text, jobs_series("chorus", "failed_retrying")) == 0);
    CHECK(value_of(text, jobs_series("chorus", "cancelled")) == 0);
    CHECK(value_of(text, jobs_series("sirene", "failed_retrying")) == 1);
    CHECK(value_of(text, jobs_series("idle", "queued")) == 0);
    // The delayed job and the one waiting until T0 + 30 s are not runnable yet.
    CHECK(value_of(text, R"(relais_jobs_runnable{connector="chorus"})") == 4);
    CHECK(value_of(text, R"(relais_jobs_runnable{connector="sirene"})") == 1);
    CHECK(value_of(text, R"(relais_jobs_runnable{connector="idle"})") == 0);
    // Series by label values: chorus before idle before sirene, states by name.
    CHECK(text.find(jobs_series("chorus", "cancelled")) < text.find(jobs_series("chorus", "dead")));
    CHECK(text.find(jobs_series("chorus", "waiting")) < text.find(jobs_series("idle", "cancelled")));
    CHECK(text.find(jobs_series("idle", "waiting")) < text.find(jobs_series("sirene", "cancelled")));

    // Later, the waiting job and the delayed one are due too.
    const auto later_gauges = read_job_gauges(store, {"chorus"}, T0 + 60'000);
    CHECK(value_of(metrics.render_prometheus(&later_gauges), R"(relais_jobs_runnable{connector="chorus"})") == 6);
}

TEST_CASE("job metrics: with a job store every family is described before its first sample", "[job_metrics]") {
    const Metrics::JobGauges none;
    const auto text = Metrics("1").render_prometheus(&none);
    for (const char *family : {"relais_jobs", "relais_jobs_runnable", "relais_quota_waits_total",
                               "relais_quota_wait_seconds_total", "relais_callbacks_total",
                               "relais_webhook_requests_total"}) {
        INFO(family);
        CHECK(text.find("# TYPE " + std::string(family) + " ") != std::string::npos);
    }
    CHECK(value_of(text, R"(relais_callbacks_total{outcome="delivered"})") == 0);
    // Without one (the standalone CLI), they are not.
    CHECK(Metrics("1").render_prometheus().find("relais_jobs") == std::string::npos);
}

TEST_CASE("job metrics: quota waits, callback outcomes and webhook requests are counted", "[job_metrics]") {
    Metrics metrics("1");
    metrics.record_quota_wait("chorus", "requests", 1500ms);
    metrics.record_quota_wait("chorus", "requests", 250ms);
    metrics.record_quota_wait("chorus", "deposits", -5ms);  // a clock that went back: 0
    metrics.record_quota_wait("sirene", "requests", 1ns);
    metrics.record_callback(Metrics::CallbackOutcome::delivered);
    metrics.record_callback(Metrics::CallbackOutcome::failed);
    metrics.record_callback(Metrics::CallbackOutcome::failed);
    metrics.record_callback(Metrics::CallbackOutcome::given_up);
    metrics.record_webhook("universign", "transaction", 200);
    metrics.record_webhook("universign", "transaction", 200);
    metrics.record_webhook("universign", "transaction", 401);
    metrics.record_webhook("", "", 404);

    const auto text = metrics.render_prometheus();
    CHECK(text.find(R"(# TYPE relais_quota_waits_total counter
relais_quota_waits_total{connector="chorus",scope="deposits"} 1
relais_quota_waits_total{connector="chorus",scope="requests"} 2
relais_quota_waits_total{connector="sirene",scope="requests"} 1
)") != std::string::npos);
    CHECK(text.find(R"(# TYPE relais_quota_wait_seconds_total counter
relais_quota_wait_seconds_total{connector="chorus",scope="deposits"} 0
relais_quota_wait_seconds_total{connector="chorus",scope="requests"} 1.75
relais_quota_wait_seconds_total{connector="sirene",scope="requests"} 0.000000001
)") != std::string::npos);
    CHECK(text.find(R"(# TYPE relais_callbacks_total counter
relais_callbacks_total{outcome="delivered"} 1
relais_callbacks_total{outcome="failed"} 2
relais_callbacks_total{outcome="given_up"} 1
)") != std::string::npos);
    CHECK(text.find(R"(# TYPE relais_webhook_requests_total counter
relais_webhook_requests_total{connector="",hook="",status="404"} 1
relais_webhook_requests_total{connector="universign",hook="transaction",status="200"} 2
relais_webhook_requests_total{connector="universign",hook="transaction",status="401"} 1
)") != std::string::npos);
    // Still in name order, with relais_up between the quota and the webhook families.
    CHECK(text.find("# TYPE relais_quota_waits_total") < text.find("# TYPE relais_up"));
    CHECK(text.find("# TYPE relais_up") < text.find("# TYPE relais_webhook_requests_total"));
}

TEST_CASE("job metrics: webhook series are bounded whatever names they are given", "[job_metrics]") {
    Metrics metrics("1");
    for (std::size_t i = 0; i < Metrics::kMaxWebhookSeries; ++i)
        metrics.record_webhook("hello", "hook_" + std::to_string(i), 404);
    metrics.record_webhook("hello", "one_too_many", 404);
    metrics.record_webhook("other", "and_another", 404);
    metrics.record_webhook("hello", "hook_0", 404);  // seen before: still its own

    const auto text = metrics.render_prometheus();
    CHECK(value_of(text, R"(relais_webhook_requests_total{connector="hello",hook="hook_0",status="404"})") == 2);
    CHECK(value_of(text, R"(relais_webhook_requests_total{connector="",hook="",status="404"})") == 2);
    CHECK(text.find("one_too_many") == std::string::npos);
    CHECK(text.find("and_another") == std::string::npos);
}
