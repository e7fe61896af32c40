// An upgrade with invoices still being followed: a job store written by the previous version
// (schema version 2) holding submit_invoice jobs that ended at the deposit and the
// track_submission jobs they left pending, with the submission records in plugin state as
// that version wrote them. The new `relais serve` migrates the store, runs the pending
// tracking jobs, and every invoice reaches its final state without a second deposit (but for
// the flux Chorus Pro did not process) and without new tracking jobs; the integrated ones are
// then followed to payment, each status change one event on /api/v1/events.
#include "chorus_harness.hpp"

#include "http_client.hpp"
#include "jobs/schema_migrations.hpp"
#include "plugin_files.hpp"
#include "serve_process.hpp"

#include <relais/support/http_client.hpp>

#include <catch2/catch.hpp>

#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SHA2Engine.h>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

using namespace relais;
using namespace relais::test;
namespace ce = relais::chorus_emulator;
using namespace std::chrono_literals;

namespace {

const std::string kToken = "chorus-upgrade-token-0123456789";

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string sha256_hex(const std::string &bytes) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(bytes.data(), static_cast<unsigned>(bytes.size()));
    return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string b64(const std::string &bytes) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

std::string text(const Poco::JSON::Object::Ptr &o) {
    std::ostringstream out;
    o->stringify(out);
    return out.str();
}

// A relais.db at schema version 2, as the previous version created it.
class OldStore {
public:
    explicit OldStore(const std::filesystem::path &file) {
        std::filesystem::create_directories(file.parent_path());
        REQUIRE(sqlite3_open(file.string().c_str(), &db_) == SQLITE_OK);
        exec(host::kMigrations[0].sql);
        exec(host::kMigrations[1].sql);
        exec("PRAGMA user_version = 2");
        exec("PRAGMA application_id = " + std::to_string(0x524c4149));
    }
    ~OldStore() { sqlite3_close(db_); }

    void exec(const std::string &sql) {
        char *error = nullptr;
        const auto rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
        INFO((error ? error : "") << " in " << sql.substr(0, 200));
        sqlite3_free(error);
        REQUIRE(rc == SQLITE_OK);
    }
    void state(const std::string &key, const std::string &value) {
        sqlite3_stmt *q = nullptr;
        REQUIRE(sqlite3_prepare_v2(db_, "INSERT INTO plugin_state (plugin, key, value) VALUES ('chorus', ?1, ?2)", -1, &q,
                                   nullptr) == SQLITE_OK);
        sqlite3_bind_text(q, 1, key.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(q, 2, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
        CHECK(sqlite3_step(q) == SQLITE_DONE);
        sqlite3_finalize(q);
    }
    void job(int64_t id, const std::string &action, const std::string &input, const std::string &key,
             const std::string &state, int attempts, const std::string &result) {
        sqlite3_stmt *q = nullptr;
        REQUIRE(sqlite3_prepare_v2(db_,
                                   "INSERT INTO jobs (id, connector, action, input, idempotency_key, state, attempts, "
                                   "max_attempts, run_at, created_at, updated_at, result) "
                                   "VALUES (?1, 'chorus', ?2, ?3, ?4, ?5, ?6, 6, ?7, ?7, ?7, ?8)",
                                   -1, &q, nullptr) == SQLITE_OK);
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_text(q, 2, action.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 3, input.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 4, key.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 5, state.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(q, 6, attempts);
        sqlite3_bind_int64(q, 7, now_ms());
        if (result.empty()) sqlite3_bind_null(q, 8);
        else sqlite3_bind_text(q, 8, result.c_str(), -1, SQLITE_TRANSIENT);
        CHECK(sqlite3_step(q) == SQLITE_DONE);
        sqlite3_finalize(q);
    }

private:
    sqlite3 *db_ = nullptr;
};

// Deposits `file` on the emulator as the previous version did; its numeroFluxDepot and dateDepot.
std::pair<std::string, std::string> deposit(ce::ChorusEmulator &chorus, const std::filesystem::path &ca,
                                            const std::string &name, const std::string &file) {
    support::HttpClientOptions options;
    options.extra_ca_file = ca.string();
    support::HttpClient client(options);
    const auto token = client.send(support::HttpRequest::post(chorus.oauth_url())
                                       .form({{"grant_type", "client_credentials"},
                                              {"client_id", "relais-piste-client"},
                                              {"client_secret", "relais-piste-secret"},
                                              {"scope", "openid"}}));
    REQUIRE(token.status == 200);
    const auto access = Poco::JSON::Parser().parse(token.body).extract<Poco::JSON::Object::Ptr>();
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("fichierFlux", b64(file));
    body->set("nomFichier", name);
    body->set("syntaxeFlux", "IN_DP_E1_UBL_INVOICE");
    body->set("avecSignature", false);
    auto request = support::HttpRequest::post(chorus.api_url() + "/cpro/factures/v1/deposer/flux");
    request.header("Authorization", "Bearer " + access->getValue<std::string>("access_token"))
        .header("cpro-account", b64("TECH_1_relais@cpro.fr:Relais-Tech-2026"));
    request.body = text(body);
    request.content_type = "application/json;charset=utf-8";
    const auto answer = client.send(request);
    REQUIRE(answer.status == 200);
    const auto o = Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>();
    return {o->getValue<std::string>("numeroFluxDepot"), o->getValue<std::string>("dateDepot")};
}

template <class F>
bool eventually(F done, std::chrono::seconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(200ms);
    }
    return true;
}

}  // namespace

TEST_CASE("chorus upgrade: tracking jobs left pending by the previous version follow every invoice to its end",
          "[chorus][upgrade]") {
    TempDir dir("relais-chorus-upgrade");
    emulator::TestCertificateAuthority ca(dir.path());
    ce::ChorusEmulatorOptions options;
    options.server.tls = ca.server_files();
    options.per_second = 0;
    options.processing_delay = 1500ms;
    // Available to the buyer once the tracking jobs are surely done, then paid.
    options.invoice_plan = ce::plan_paid(15s, 5s);
    ce::ChorusEmulator chorus(options);
    chorus.start();

    // Five invoices deposited by the previous version: three to be integrated, one Chorus Pro
    // will reject, one it will not process (IN_INCIDENTE: its kept file goes again).
    const std::vector<std::string> numbers{"FA-2026-0701", "FA-2026-0702", "FA-2026-0703", "FA-2026-0704",
                                           "FA-2026-0705"};
    const std::string rejected = "FA-2026-0704", incident = "FA-2026-0705";
    OldStore old(dir.path() / "data" / "relais.db");
    int64_t id = 1;
    std::map<std::string, int64_t> tracking;
    std::map<std::string, std::string> sha_of;
    for (const auto &number : numbers) {
        const auto file = sample_ubl(number, number == rejected ? "21999999900018" : ce::kBuyerSiret);
        const auto sha = sha256_hex(file);
        sha_of[number] = sha;
        const auto key = sha256_hex(number + '\n' + sha).substr(0, 32);
        if (number == incident) chorus.force_outcome(ce::ForcedOutcome::incident);
        const auto [flux, day] = deposit(chorus, ca.ca_file(), number + ".xml", file);

        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object;
        entry->set("flux_number", flux);
        entry->set("deposit_date", day);
        Poco::JSON::Array::Ptr fluxes = new Poco::JSON::Array;
        fluxes->add(entry);
        Poco::JSON::Object::Ptr record = new Poco::JSON::Object;
        record->set("key", key);
        record->set("invoice_number", number);
        record->set("file_sha256", sha);
        record->set("file_name", number + ".xml");
        record->set("syntax", "IN_DP_E1_UBL_INVOICE");
        record->set("phase", "deposited");
        record->set("created_at", now_ms());
        record->set("attempt_started_at", now_ms());
        record->set("flux_number", flux);
        record->set("deposit_date", day);
        record->set("fluxes", fluxes);
        record->set("redeposits", 0);
        record->set("tracking_started_at", now_ms());
        record->set("polls", 1);
        record->set("polls_since_deposit", 1);
        record->set("tracking_job_id", id + 1);
        record->set("state", "received");
        record->set("chorus_state", "IN_RECU");
        old.state("submission/" + key, text(record));
        old.state("file/" + sha, file);
        old.state("flux/" + flux, key);

        Poco::JSON::Object::Ptr input = new Poco::JSON::Object;
        input->set("invoice_number", number);
        input->set("syntax", "ubl");
        input->set("file_base64", b64(file));
        Poco::JSON::Object::Ptr summary = new Poco::JSON::Object;
        summary->set("submission_key", key);
        summary->set("state", "received");
        summary->set("flux_number", flux);
        summary->set("deposited", true);
        summary->set("tracking_job_id", id + 1);
        old.job(id, "submit_invoice", text(input), number, "succeeded", 1, text(summary));
        old.job(id + 1, "track_submission", R"({"submission_key":")" + key + "\"}", "track:" + key + ":1", "queued", 0,
                "");
        tracking[number] = id + 1;
        id += 2;
    }
    REQUIRE(chorus.deposits() == numbers.size());

    const auto plugins = (dir / "plugins").string();
    copy_plugin(built_plugin_dir(), "chorus", plugins);
    const auto config = (dir / "relais.json").string();
    std::ofstream(config) << R"({"host": {"tokens": [{"name": "erp", "token": ")" << kToken
                          << R"(", "scopes": ["client", "admin"]}]},
      "connectors": {"chorus": {"enabled": true, "environment": "qualification",
        "oauth_url": ")" << chorus.oauth_url() << R"(", "api_url": ")" << chorus.api_url() << R"(",
        "client_id": "relais-piste-client", "client_secret": "relais-piste-secret",
        "technical_login": "TECH_1_relais@cpro.fr", "technical_password": "Relais-Tech-2026",
        "structure_id": ")" << ce::kSupplierSiret << R"(", "ca_file": ")" << ca.ca_file().string() << R"(",
        "poll_initial_delay_seconds": 1, "poll_max_delay_seconds": 2}}})";
    ServeProcess serve(plugins, {"--config", config, "--data-dir", (dir / "data").string()});
    HttpClient http(serve.url());

    std::map<std::string, Poco::JSON::Object::Ptr> ended;
    const bool all_ended = eventually(
        [&] {
            for (const auto &[number, job_id] : tracking) {
                if (ended.count(number)) continue;
                const auto r = http.get("/api/v1/jobs/" + std::to_string(job_id), kToken);
                if (r.status != 200) continue;
                const auto job = r.json();
                const auto state = job->getValue<std::string>("state");
                if (state == "succeeded" || state == "dead") ended[number] = job;
            }
            return ended.size() == tracking.size();
        },
        120s);
    INFO(serve.transcript().substr(0, 6000));
    REQUIRE(all_ended);
    for (const auto &number : numbers) {
        INFO(number);
        const auto &job = ended[number];
        if (number == rejected) {
            REQUIRE(job->getValue<std::string>("state") == "dead");
            CHECK_THAT(job->getObject("last_error")->getValue<std::string>("message"), Catch::Contains("IN_REJETE"));
            continue;
        }
        REQUIRE(job->getValue<std::string>("state") == "succeeded");
        const auto result = job->getObject("result");
        CHECK(result->getValue<std::string>("state") == "integrated");
        CHECK(result->getArray("invoices")->size() == 1);
        CHECK(result->getValue<int64_t>("deposits") == (number == incident ? 2 : 1));
    }
    // No tracking job was added: each pending one went on to the end itself.
    const auto listed = http.get("/api/v1/jobs?connector=chorus&limit=100", kToken).json()->getArray("jobs");
    std::map<std::string, int> per_action;
    for (std::size_t i = 0; i < listed->size(); ++i) ++per_action[listed->getObject(i)->getValue<std::string>("action")];
    CHECK(per_action["track_submission"] == 5);
    CHECK(per_action["submit_invoice"] == 5);
    // Deposited once each, but the flux Chorus Pro did not process.
    const auto per_file = chorus.deposits_by_file();
    for (const auto &number : numbers) CHECK(per_file.at(sha_of[number]) == (number == incident ? 2 : 1));

    // The status follow-up (its periodic task runs hourly; called here as the ERP could).
    std::map<std::string, std::vector<std::string>> statuses;  // invoice number -> new statuses, in order
    const auto read_events = [&] {
        statuses.clear();
        const auto page = http.get("/api/v1/events?type=invoice.status_changed&limit=100", kToken);
        REQUIRE(page.status == 200);
        const auto list = page.json()->getArray("events");
        for (std::size_t i = 0; i < list->size(); ++i) {
            const auto e = list->getObject(i);
            statuses[e->getValue<std::string>("subject")].push_back(
                e->getObject("data")->getValue<std::string>("new_status"));
        }
    };
    const bool all_paid = eventually(
        [&] {
            const auto r = http.post("/api/v1/connectors/chorus/actions/follow_invoices", kToken, "{}");
            if (r.status != 200) return false;
            read_events();
            int paid = 0;
            for (const auto &[number, list] : statuses) paid += list.back() == "MISE_EN_PAIEMENT";
            return paid == 4;
        },
        60s);
    REQUIRE(all_paid);
    for (const auto &[number, list] : statuses) {
        INFO(number);
        CHECK(number != rejected);
        CHECK(list == std::vector<std::string>{"MISE_A_DISPOSITION", "MISE_EN_PAIEMENT"});
    }
    // Nothing left to follow, nothing emitted twice.
    const auto last = http.post("/api/v1/connectors/chorus/actions/follow_invoices", kToken, "{}");
    REQUIRE(last.status == 200);
    CHECK(last.json()->getObject("result")->getValue<int64_t>("open") == 0);
    read_events();
    std::size_t total = 0;
    for (const auto &[number, list] : statuses) total += list.size();
    CHECK(total == 8);
}
