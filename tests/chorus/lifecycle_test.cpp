// The whole life of 200 invoices through `relais serve` (a child process) and the Chorus Pro
// emulator over HTTPS at the test space's 5 requests per second: submitted as jobs, deposited
// once each, followed to their final state through 429 bursts, 503s, a token that stops
// working, a connection reset before a deposit and one after it, and flux incidents. Rejected
// invoices end dead-lettered with Chorus Pro's reason. The emulator never sees more than 5
// requests in a second. Prints the deposit throughput against the quota.
#include "chorus_harness.hpp"

#include "http_client.hpp"
#include "plugin_files.hpp"
#include "serve_process.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <fstream>
#include <future>
#include <iostream>
#include <set>
#include <thread>

using namespace relais;
using namespace relais::test;
using relais::emulator::Fault;
namespace ce = relais::chorus_emulator;
using namespace std::chrono_literals;

namespace {

const std::string kToken = "chorus-erp-token-0123456789";

// Waits for `done` with a deadline, looking again every `every` (the condition is checked
// over HTTP or on the emulator; nothing here waits for a fixed time instead).
template <class F>
bool eventually(F done, std::chrono::seconds deadline, std::chrono::milliseconds every = 200ms) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(every);
    }
    return true;
}

}  // namespace

TEST_CASE("chorus lifecycle: 200 invoices, 5 requests a second, faults on the way, each deposited once",
          "[chorus][lifecycle]") {
    TempDir dir("relais-chorus-life");
    emulator::TestCertificateAuthority ca(dir.path());
    ce::ChorusEmulatorOptions options;
    options.server.tls = ca.server_files();
    options.server.threads = 16;
    options.per_second = 5;
    options.per_day = 50000;
    options.processing_delay = 1500ms;
    ce::ChorusEmulator chorus(options);
    chorus.start();

    const auto plugins = (dir / "plugins").string();
    copy_plugin(built_plugin_dir(), "chorus", plugins);
    const auto config = (dir / "relais.json").string();
    std::ofstream(config) << R"({"host": {"tokens": [{"name": "erp", "token": ")" << kToken
                          << R"(", "scopes": ["client", "admin"]}], "jobs": {"workers": 8}},
      "connectors": {"chorus": {"enabled": true, "environment": "qualification",
        "oauth_url": ")" << chorus.oauth_url() << R"(", "api_url": ")" << chorus.api_url() << R"(",
        "client_id": "relais-piste-client", "client_secret": "relais-piste-secret",
        "technical_login": "TECH_1_relais@cpro.fr", "technical_password": "Relais-Tech-2026",
        "structure_id": ")" << ce::kSupplierSiret << R"(", "ca_file": ")" << ca.ca_file().string() << R"(",
        "retry_attempts": 5, "retry_delay_seconds": 1, "max_concurrency": 4, "read_timeout_seconds": 10,
        "poll_initial_delay_seconds": 2, "poll_max_delay_seconds": 8, "uncertain_deposit_wait_seconds": 5}}})";
    ServeProcess serve(plugins, {"--config", config, "--data-dir", (dir / "data").string()});
    HttpClient http(serve.url());

    // Which invoices Chorus Pro will reject (sent to a buyer it does not know).
    std::set<std::string> rejected;
    for (int i = 7; i <= 200; i += 33) rejected.insert("FA-2026-" + std::to_string(1000 + i));
    chorus.force_outcome(ce::ForcedOutcome::incident, 3);  // the first three deposits
    chorus.server().inject(Fault::too_many_requests(1s).under("/cpro"), 3);
    chorus.server().inject(Fault::unavailable().under("/cpro"), 3);

    const auto started = std::chrono::steady_clock::now();
    std::map<std::string, int64_t> jobs;
    for (int i = 1; i <= 200; ++i) {
        const auto number = "FA-2026-" + std::to_string(1000 + i);
        const auto file = sample_ubl(number, rejected.count(number) ? "21999999900018" : ce::kBuyerSiret);
        const auto body = R"({"connector":"chorus","action":"submit_invoice","idempotency_key":")" + number +
                          R"(","input":)" + submit_input(number, file) + "}";
        const auto r = http.post("/api/v1/jobs", kToken, body);
        REQUIRE(r.status == 202);
        jobs[number] = r.json()->getValue<int64_t>("id");
    }

    // Faults in the middle of the run: the gateway stops accepting the token; a deposit is
    // lost before Chorus Pro takes it, another after it did.
    REQUIRE(eventually([&] { return chorus.deposits() >= 40; }, 120s));
    chorus.expire_tokens();
    chorus.server().inject(Fault::reset().under("/cpro/factures/v1/deposer/flux"));
    REQUIRE(eventually([&] { return chorus.deposits() >= 80; }, 120s));
    chorus.lose_deposit_answers(1);

    // Synchronous calls share the quota with the jobs.
    auto lookups = std::async(std::launch::async, [&] {
        HttpClient sync(serve.url());
        int ok = 0;
        for (int i = 0; i < 10; ++i) {
            const auto r = sync.post("/api/v1/connectors/chorus/actions/find_structure", kToken,
                                     std::string(R"({"siret":")") + ce::kBuyerSiret + "\"}");
            ok += r.status == 200;
        }
        return ok;
    });

    // Every submission final: the submit jobs succeed, then their tracking ends.
    std::map<std::string, Poco::JSON::Object::Ptr> final;
    const bool all_final = eventually(
        [&] {
            for (const auto &[number, id] : jobs) {
                if (final.count(number)) continue;
                const auto job = http.get("/api/v1/jobs/" + std::to_string(id), kToken).json();
                if (job->getValue<std::string>("state") != "succeeded") continue;
                const auto key = job->getObject("result")->getValue<std::string>("submission_key");
                const auto r = http.post("/api/v1/connectors/chorus/actions/submission_status", kToken,
                                         R"({"submission_key":")" + key + "\"}");
                if (r.status != 200) continue;
                const auto status = r.json()->getObject("result");
                if (status->getValue<bool>("final")) final[number] = status;
            }
            return final.size() == jobs.size();
        },
        420s, 1000ms);
    const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    INFO(serve.transcript().substr(0, 4000));
    REQUIRE(all_final);
    CHECK(lookups.get() == 10);

    // Final states: integrated, or rejected with the reason on a dead tracking job.
    int integrated = 0;
    for (const auto &[number, status] : final) {
        const auto state = status->getValue<std::string>("state");
        INFO(number << " " << state);
        if (rejected.count(number)) {
            CHECK(state == "rejected");
        } else {
            CHECK(state == "integrated");
            REQUIRE(status->getArray("invoices"));
            CHECK(status->getArray("invoices")->size() == 1);
            integrated += state == "integrated";
        }
    }
    CHECK(integrated == 200 - static_cast<int>(rejected.size()));
    const auto dead = http.get("/api/v1/jobs?state=dead&connector=chorus&limit=100", kToken).json()->getArray("jobs");
    CHECK(dead->size() == rejected.size());
    for (std::size_t i = 0; i < dead->size(); ++i) {
        const auto message = dead->getObject(i)->getObject("last_error")->getValue<std::string>("message");
        CHECK_THAT(message, Catch::Contains("IN_REJETE") && Catch::Contains("destinataire"));
    }

    // Exactly once per file, except the three IN_INCIDENTE fluxes, deposited a second time.
    const auto per_file = chorus.deposits_by_file();
    CHECK(per_file.size() == 200);
    int twice = 0;
    for (const auto &[sha, n] : per_file) {
        CHECK(n <= 2);
        twice += n == 2;
    }
    CHECK(twice == 3);
    CHECK(chorus.deposits() == 203);

    // The quota held, on the gateway's own count.
    CHECK(chorus.server().max_requests_in_one_second("/cpro") <= 5);

    const auto requests = chorus.api_requests();
    std::cout << "chorus lifecycle: 200 invoices final in " << elapsed << " s; " << chorus.deposits() << " deposits, "
              << requests << " API requests (" << requests / elapsed << "/s against a quota of 5/s: "
              << requests / elapsed / 5 << "), " << chorus.token_requests() << " token requests; deposits "
              << chorus.deposits() / elapsed << "/s\n";
}
