// read_receipt as a job: Mindee's asynchronous route, with continue-later between looks. The
// emulator's clock is moved by each wait, so minutes of Mindee processing take no time.
#include "mindee_harness.hpp"

#include <catch2/catch.hpp>

using namespace relais;
using namespace relais::test;
using mindee_emulator::MindeeEmulator;

namespace {

MindeeHarnessOptions job_options(const std::string &version) {
    MindeeHarnessOptions o;
    o.api_version = version;
    o.processing_time = std::chrono::seconds(6);
    return o;
}

std::vector<uint64_t> waits(const JobRun &run) {
    std::vector<uint64_t> out;
    for (const auto &s : run.steps)
        if (s.later) out.push_back(s.later->delay_ms);
    return out;
}

}  // namespace

TEST_CASE("mindee job: a receipt read asynchronously ends as one job with the expense, looks spaced out",
          "[mindee][job]") {
    for (const std::string version : {"v1", "v2"}) {
        DYNAMIC_SECTION(version) {
            MindeeHarness h(job_options(version));
            const auto run = h.run_job(receipt_input(mindee_sample("receipt-restaurant.jpg"), "ticket.jpg"));
            INFO(run.last().message);
            REQUIRE(run.last().ok());
            REQUIRE_FALSE(run.waiting());
            const auto e = run.result();
            CHECK(e->getValue<double>("total_amount") == Approx(24.5));
            CHECK(e->getObject("supplier")->getValue<std::string>("siret") == "73282932000074");
            CHECK(e->getArray("taxes")->getObject(0)->getValue<double>("rate") == Approx(20.0));
            CHECK(e->getValue<std::string>("api_version") == version);
            // 1 s, 1.5 s, 2.25 s, 3.375 s...: growing, within the bounds, and few looks for 6 s of work.
            const auto w = waits(run);
            REQUIRE(w.size() >= 2);
            CHECK(w[0] == 1000);
            for (std::size_t i = 1; i < w.size(); ++i) {
                CHECK(w[i] >= w[i - 1]);
                CHECK(w[i] <= 8000);
            }
            CHECK(w.size() <= 5);
            CHECK(h.emulator().predictions() == 1);
        }
    }
}

TEST_CASE("mindee job: the progress says what it waits for, and holds no secret", "[mindee][job]") {
    MindeeHarness h(job_options("v2"));
    const auto input = receipt_input(mindee_sample("receipt-taxi.png"), "taxi.png");
    JobRun run;
    run.steps.push_back(h.step("read_receipt", input, 1, std::nullopt));
    REQUIRE(run.waiting());
    const auto progress = run.progress();
    CHECK(progress->getValue<std::string>("stage") == "processing");
    CHECK(progress->getValue<std::string>("file") == "taxi.png");
    CHECK_FALSE(progress->getValue<std::string>("mindee_job").empty());
    CHECK(run.last().later->checkpoint.find("md_") == std::string::npos);
}

TEST_CASE("mindee job: a 15-page PDF, over v1's synchronous limit, is read as a job", "[mindee][job]") {
    MindeeHarness h(job_options("v1"));
    const auto pdf = make_pdf(PdfOptions(15).marker(receipt_marker(240, 200, 40, 20, "2026-10-02")));
    CHECK(h.read(receipt_input(pdf, "hotel.pdf")).status == RELAIS_INVALID_INPUT);
    const auto run = h.run_job(receipt_input(pdf, "hotel.pdf"));
    INFO(run.last().message);
    REQUIRE(run.last().ok());
    CHECK(run.result()->getValue<int>("pages") == 15);
    CHECK(run.result()->getValue<double>("total_amount") == Approx(240));
    CHECK(h.emulator().pages_billed() == 15);
    // 21 pages is over the job limit too
    CHECK(h.step("read_receipt", receipt_input(make_pdf(PdfOptions(21)), "big.pdf"), 1, std::nullopt).status ==
          RELAIS_INVALID_INPUT);
}

TEST_CASE("mindee job: both enqueue answers v1 may give (200 or 202) are taken", "[mindee][job]") {
    for (const int status : {200, 202}) {
        DYNAMIC_SECTION("HTTP " << status) {
            auto o = job_options("v1");
            o.v1_async_enqueue_status = status;
            MindeeHarness h(o);
            const auto run = h.run_job(receipt_input(mindee_sample("receipt-taxi.png"), "taxi.png"));
            INFO(run.last().message);
            CHECK(run.last().ok());
        }
    }
}

TEST_CASE("mindee job: a read Mindee fails ends the job dead, with Mindee's reason", "[mindee][job]") {
    for (const std::string version : {"v1", "v2"}) {
        DYNAMIC_SECTION(version) {
            MindeeHarness h(job_options(version));
            const auto pdf = make_pdf(PdfOptions(1).marker(R"({"fail":"inference"})"));
            const auto run = h.run_job(receipt_input(pdf, "unreadable.pdf"));
            INFO(run.last().message);
            CHECK(run.last().status == RELAIS_PERMANENT);
            CHECK_THAT(run.last().message, Catch::Contains("Mindee could not read unreadable.pdf"));
            // Not remembered: reading it again asks Mindee again.
            h.run_job(receipt_input(pdf, "unreadable.pdf"));
            CHECK(h.upstream_requests() > 2);
        }
    }
}

TEST_CASE("mindee job: the same file twice, and two jobs of one new file at once, make one read",
          "[mindee][job][dedupe]") {
    MindeeHarness h(job_options("v2"));
    const auto input = receipt_input(mindee_sample("receipt-restaurant.jpg"), "ticket.jpg");
    // Job A enqueues; job B, started meanwhile, follows A's Mindee job instead of enqueuing.
    auto a1 = h.step("read_receipt", input, 1, std::nullopt, "job-1");
    auto b1 = h.step("read_receipt", input, 1, std::nullopt, "job-2");
    REQUIRE(a1.later);
    REQUIRE(b1.later);
    CHECK(h.emulator().predictions() == 0);  // not finished yet
    h.clock().advance(std::chrono::seconds(10));
    h.emulator().finish_due_jobs();
    auto a2 = h.step("read_receipt", input, 2, a1.later->checkpoint, "job-1");
    auto b2 = h.step("read_receipt", input, 2, b1.later->checkpoint, "job-2");
    INFO(a2.message << " / " << b2.message);
    REQUIRE(a2.ok());
    REQUIRE(b2.ok());
    CHECK_FALSE(a2.later);
    CHECK_FALSE(b2.later);
    CHECK(parse(b2.body)->getValue<double>("total_amount") == Approx(24.5));
    CHECK(h.emulator().pages_billed() == 1);
    // A third job later: from the stored reading, no request at all.
    const auto before = h.upstream_requests();
    const auto c = h.run_job(input);
    CHECK(c.steps.size() == 1);
    CHECK(c.result()->getValue<bool>("from_cache"));
    CHECK(h.upstream_requests() == before);
}

TEST_CASE("mindee job: quota used up or Mindee's 429 make the job wait, not fail", "[mindee][job][quota]") {
    auto o = job_options("v2");
    o.settings = R"({"v2_enqueues_per_minute":2})";
    MindeeHarness h(o);
    const auto file = [](int i) {
        return receipt_input(make_pdf(PdfOptions(1).marker(receipt_marker(10 + i, 8 + i, 2, 20, "2026-11-0" +
                                                                                                       std::to_string(i)))),
                             "r" + std::to_string(i) + ".pdf");
    };
    CHECK(h.step("read_receipt", file(1), 1, std::nullopt, "job-1").later);
    CHECK(h.step("read_receipt", file(2), 1, std::nullopt, "job-2").later);
    const auto requests = h.upstream_requests();
    const auto third = h.step("read_receipt", file(3), 1, std::nullopt, "job-3");
    INFO(third.message);
    REQUIRE(third.ok());
    REQUIRE(third.later);
    CHECK(parse(third.later->checkpoint)->getValue<std::string>("waiting_for") == "quota");
    CHECK(third.later->delay_ms > 1000);
    CHECK(h.upstream_requests() == requests);  // the host's quota refused it before any request

    // Mindee's own 429 on a look: the job waits as Mindee asks, and then finishes.
    MindeeHarness g(job_options("v2"));
    const auto input = receipt_input(mindee_sample("receipt-taxi.png"), "taxi.png");
    auto s1 = g.step("read_receipt", input, 1, std::nullopt);
    REQUIRE(s1.later);
    g.emulator().fail_next(MindeeEmulator::Failure::too_many_requests);
    auto s2 = g.step("read_receipt", input, 2, s1.later->checkpoint);
    INFO(s2.message);
    REQUIRE(s2.ok());
    REQUIRE(s2.later);
    CHECK(s2.later->delay_ms >= 1000);
    g.clock().advance(std::chrono::seconds(30));
    g.emulator().finish_due_jobs();
    const auto s3 = g.step("read_receipt", input, 3, s2.later->checkpoint);
    INFO(s3.message);
    CHECK(s3.ok());
    CHECK_FALSE(s3.later);
}

TEST_CASE("mindee job: a read that never finishes fails after poll_timeout_seconds", "[mindee][job]") {
    auto o = job_options("v1");
    o.processing_time = std::chrono::hours(2);
    o.settings = R"({"poll_timeout_seconds":60})";
    MindeeHarness h(o);
    const auto run = h.run_job(receipt_input(mindee_sample("receipt-taxi.png"), "taxi.png"), 200);
    INFO(run.last().message);
    CHECK(run.last().status == RELAIS_PERMANENT);
    CHECK_THAT(run.last().message, Catch::Contains("poll_timeout_seconds"));
}
