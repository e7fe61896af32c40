// The whole life of 200 invoices through `relais serve` (a child process) and the Chorus Pro
// emulator over HTTPS at the test space's 5 requests per second: one submit_invoice job each,
// deposited once, waiting between looks until the flux is final, through 429 bursts, 503s, a
// token that stops working, a connection reset before a deposit and one after it, flux
// incidents, and the host killed (SIGKILL) and restarted in the middle. Each job ends with the
// outcome and calls the ERP back at its end only: integrated with the invoice id, or dead with
// Chorus Pro's reason. The emulator never sees more than 5 requests in a second. Prints the
// deposit throughput against the quota.
#include "chorus_harness.hpp"

#include "http_client.hpp"
#include "plugin_files.hpp"
#include "serve_process.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <csignal>
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

    // The ERP's callback endpoint: every job posted there, with its state.
    emulator::EmulatorServer erp;
    std::mutex callbacks_mutex;
    std::map<int64_t, std::vector<std::string>> callbacks;  // job id -> states posted
    erp.route("POST", "/hooks/relais", [&](const emulator::Request &r) {
        const auto job = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
        std::lock_guard lock(callbacks_mutex);
        callbacks[job->getValue<int64_t>("id")].push_back(job->getValue<std::string>("state"));
        return emulator::Response::json(200, "{}");
    });
    erp.start();

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
    const std::vector<std::string> args{"--config", config, "--data-dir", (dir / "data").string()};
    auto serve = std::make_unique<ServeProcess>(plugins, args);
    auto http = std::make_unique<HttpClient>(serve->url());

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
                          R"(","callback_url":")" + erp.base_url() + R"(/hooks/relais","input":)" +
                          submit_input(number, file) + "}";
        const auto r = http->post("/api/v1/jobs", kToken, body);
        REQUIRE(r.status == 202);
        jobs[number] = r.json()->getValue<int64_t>("id");
    }
    // A synchronous call of the job-only action is refused.
    CHECK(http->post("/api/v1/connectors/chorus/actions/submit_invoice", kToken,
                     submit_input("FA-2026-9999", sample_ubl("FA-2026-9999")))
              .status == 409);

    // Faults in the middle of the run: the gateway stops accepting the token; a deposit is
    // lost before Chorus Pro takes it, another after it did.
    REQUIRE(eventually([&] { return chorus.deposits() >= 40; }, 120s));
    chorus.expire_tokens();
    chorus.server().inject(Fault::reset().under("/cpro/factures/v1/deposer/flux"));
    REQUIRE(eventually([&] { return chorus.deposits() >= 80; }, 120s));
    chorus.lose_deposit_answers(1);

    // The host killed while jobs wait and while steps run, then started again on its data.
    REQUIRE(eventually([&] { return chorus.deposits() >= 120; }, 120s));
    http.reset();
    serve->signal(SIGKILL);
    serve->wait_exit();
    serve = std::make_unique<ServeProcess>(plugins, args);
    http = std::make_unique<HttpClient>(serve->url());

    // Synchronous calls share the quota with the jobs.
    const auto url = serve->url();
    auto lookups = std::async(std::launch::async, [&] {
        HttpClient sync(url);
        std::string answers;
        for (int i = 0; i < 10; ++i) {
            const auto r = sync.post("/api/v1/connectors/chorus/actions/find_structure", kToken,
                                     std::string(R"({"siret":")") + ce::kBuyerSiret + "\"}");
            if (r.status != 200) answers += std::to_string(r.status) + " " + r.body.substr(0, 300) + "\n";
        }
        return answers;
    });

    // Every job ended: succeeded with the outcome, or dead with Chorus Pro's reason.
    std::map<std::string, Poco::JSON::Object::Ptr> ended;
    const bool all_ended = eventually(
        [&] {
            for (const auto &[number, id] : jobs) {
                if (ended.count(number)) continue;
                const auto job = http->get("/api/v1/jobs/" + std::to_string(id), kToken).json();
                const auto state = job->getValue<std::string>("state");
                if (state == "succeeded" || state == "dead") ended[number] = job;
            }
            return ended.size() == jobs.size();
        },
        420s, 1000ms);
    const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    INFO(serve->transcript().substr(0, 4000));
    REQUIRE(all_ended);
    CHECK(lookups.get() == "");  // every synchronous lookup answered

    int integrated = 0;
    for (const auto &[number, job] : ended) {
        const auto state = job->getValue<std::string>("state");
        INFO(number << " " << state);
        if (rejected.count(number)) {
            REQUIRE(state == "dead");
            const auto error = job->getObject("last_error");
            CHECK(error->getValue<std::string>("class") == "permanent");
            CHECK_THAT(error->getValue<std::string>("message"),
                       Catch::Contains("IN_REJETE") && Catch::Contains("destinataire"));
        } else {
            REQUIRE(state == "succeeded");
            const auto result = job->getObject("result");
            CHECK(result->getValue<std::string>("state") == "integrated");
            REQUIRE(result->getArray("invoices"));
            CHECK(result->getArray("invoices")->size() == 1);
            integrated += result->getValue<std::string>("state") == "integrated";
        }
    }
    CHECK(integrated == 200 - static_cast<int>(rejected.size()));
    // One job per invoice: no tracking jobs beside them (the periodic status follow-up aside).
    const auto listed = http->get("/api/v1/jobs?connector=chorus&limit=500", kToken).json()->getArray("jobs");
    std::map<std::string, int> per_action;
    for (std::size_t i = 0; i < listed->size(); ++i) ++per_action[listed->getObject(i)->getValue<std::string>("action")];
    CHECK(per_action["submit_invoice"] == 200);
    CHECK(per_action.count("track_submission") == 0);

    // The ERP heard of each job at its end, with its final state, never of a job still waiting
    // (a callback being delivered at the kill may come twice).
    REQUIRE(eventually(
        [&] {
            std::lock_guard lock(callbacks_mutex);
            return callbacks.size() == jobs.size();
        },
        60s));
    {
        std::lock_guard lock(callbacks_mutex);
        int repeated = 0;
        for (const auto &[number, id] : jobs) {
            const auto &states = callbacks[id];
            REQUIRE_FALSE(states.empty());
            for (const auto &state : states) CHECK(state == ended[number]->getValue<std::string>("state"));
            repeated += states.size() > 1;
        }
        CHECK(repeated <= 8);  // at most the callbacks in flight at the kill
    }

    // Exactly once per file, except the three IN_INCIDENTE fluxes, deposited a second time,
    // and a rejected invoice whose deposit the kill interrupted (Chorus Pro lists only
    // integrated invoices, so a rejected flux cannot be found again: its file is sent once more).
    const auto per_file = chorus.deposits_by_file();
    CHECK(per_file.size() == 200);
    int twice = 0;
    for (const auto &[sha, n] : per_file) {
        CHECK(n <= 2);
        twice += n == 2;
    }
    CHECK(twice >= 3);
    CHECK(twice <= 3 + 4);  // 4: the steps running at the kill
    CHECK(chorus.deposits() == 200 + static_cast<std::size_t>(twice));

    // The quota held, on the gateway's own count.
    CHECK(chorus.server().max_requests_in_one_second("/cpro") <= 5);

    const auto requests = chorus.api_requests();
    std::cout << "chorus lifecycle: 200 invoices final in " << elapsed << " s; " << chorus.deposits() << " deposits, "
              << requests << " API requests (" << requests / elapsed << "/s against a quota of 5/s: "
              << requests / elapsed / 5 << "), " << chorus.token_requests() << " token requests; deposits "
              << chorus.deposits() / elapsed << "/s\n";
}
