// The universign connector in `relais serve` (a child process) against the Universign emulator
// over HTTPS, on both APIs, as an ERP and Universign meet it: a signature request sent as a
// job, the signer signing 300 ms later on the emulator's real-time clock.
//
//   - The completion push reaches the host's status hook and wakes the job, which would look
//     again only in a day (the periodic task in six hours): it ends within seconds with the
//     signed document, fetched once.
//   - kill -9 once the transaction is completed but before the host fetched it (no push): the
//     restarted host's periodic task finds it, the job fetches the documents once.
//   - kill -9 while the host fetches (the emulator holds the request in flight): the restarted
//     host repeats the step; each document ends in the output directory once and whole, and
//     none that the killed host had received is fetched again.
#include "http_client.hpp"
#include "plugin_files.hpp"
#include "serve_process.hpp"
#include "signing_files.hpp"
#include "temp_dir.hpp"

#include "certificate_authority.hpp"
#include "universign_emulator.hpp"

#include <catch2/catch.hpp>

#include <relais/support/bytes.hpp>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

using namespace relais;
using namespace relais::test;
namespace ue = relais::universign_emulator;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Json = Poco::JSON::Object::Ptr;

namespace {

const std::string kToken = "universign-erp-token-0123456789";
const std::string kCallbackToken = "universign-push-token-4242abcd";
const std::string kDownloadRoute = "GET /v1/transactions/{tx}/archive/documents/{doc}/download";

enum class Api { xmlrpc, rest };

struct HostSettings {
    int64_t start_delay_seconds = 86400;  // the periodic task out of the way unless asked for
    int64_t job_recheck_seconds = 86400;
    bool pushes = true;                   // the emulator's push URL / webhook at the host's hook
};

std::string slurp(const fs::path &file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Site {
    Api api;
    TempDir dir{"relais-universign-serve"};
    emulator::TestCertificateAuthority ca{dir.path()};
    std::unique_ptr<ue::UniversignEmulator> emu;
    std::unique_ptr<ServeProcess> serve;
    std::unique_ptr<HttpClient> http;
    fs::path plugins = dir / "plugins";
    fs::path output = dir / "signed";

    explicit Site(Api a) : api(a) {
        ue::UniversignEmulatorOptions o;
        o.server.tls = ca.server_files();
        o.server.threads = 16;
        o.sign_after = 300ms;  // on real time: a signer signs 300 ms after its turn
        emu = std::make_unique<ue::UniversignEmulator>(o);
        emu->start();
        copy_plugin(built_plugin_dir(), "universign", plugins);
        fs::create_directories(output);
    }
    ~Site() {
        http.reset();
        serve.reset();
        emu->stop();  // lets a held call go before the server waits for it
    }

    // Starts the host on the site's data directory (the same one after a kill).
    void start(const HostSettings &s = {}) {
        const auto config = (dir / "relais.json").string();
        std::ofstream file(config);
        file << R"({"host": {"tokens": [{"name": "erp", "token": ")" << kToken
             << R"(", "scopes": ["client", "admin"]}], "jobs": {"lease_seconds": 5}},
          "connectors": {"universign": {"enabled": true, "ca_file": ")" << ca.ca_file().string() << "\",";
        if (api == Api::xmlrpc)
            file << R"("api": "xmlrpc", "url": ")" << emu->xmlrpc_url()
                 << R"(", "username": "relais@example.com", "password": "relais-universign-password",)";
        else
            file << R"("api": "rest", "rest_url": ")" << emu->rest_url() << R"(", "api_key": "relais-universign-api-key",)";
        file << R"("callback_token": ")" << kCallbackToken << R"(", "output_directory": ")" << output.string()
             << R"(", "requests_per_second": 1000, "poll_interval_seconds": 21600, "start_delay_seconds": )"
             << s.start_delay_seconds << R"(, "job_recheck_seconds": )" << s.job_recheck_seconds << "}}}";
        file.close();
        serve = std::make_unique<ServeProcess>(
            plugins.string(), std::vector<std::string>{"--config", config, "--data-dir", (dir / "data").string()});
        http = std::make_unique<HttpClient>(serve->url());
        const auto hook = s.pushes ? serve->url() + "/api/v1/hooks/universign/status?token=" + kCallbackToken : "";
        if (api == Api::xmlrpc)
            emu->set_push_url("default", hook);
        else
            emu->set_webhook_url(hook);
    }

    void kill() {
        http.reset();
        serve->signal(SIGKILL);
        REQUIRE(serve->wait_exit() != -1);
        serve.reset();
    }

    // Waits for `done`, sending the emulator's due pushes as its standalone program does.
    template <class F>
    bool eventually(F done, std::chrono::seconds deadline) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        for (;;) {
            emu->deliver_due_pushes();
            if (done()) return true;
            if (std::chrono::steady_clock::now() > until) return false;
            std::this_thread::sleep_for(50ms);
        }
    }

    std::string submit(const std::string &custom_id, const std::vector<std::string> &documents) {
        std::string docs;
        for (std::size_t i = 0; i < documents.size(); ++i)
            docs += std::string(i ? "," : "") + R"({"name": "devis-)" + std::to_string(i + 1) + R"(.pdf", "file_base64": ")" +
                    support::base64_encode(documents[i]) + R"(", "fields": [{"page": 1, "x": 100, "y": 200, "signer": 0}]})";
        const auto body = R"({"connector": "universign", "action": "request_signature", "idempotency_key": ")" +
                          custom_id + R"(", "input": {"custom_id": ")" + custom_id + R"(", "documents": [)" + docs +
                          R"(], "signers": [{"first_name": "Alice", "last_name": "Martin", "email": "alice@x.test"}]}})";
        const auto r = http->post("/api/v1/jobs", kToken, body);
        INFO(r.body);
        REQUIRE(r.status == 202);
        return r.json()->getValue<std::string>("id");
    }

    Json job(const std::string &id) {
        const auto r = http->get("/api/v1/jobs/" + id, kToken);
        INFO(r.body);
        REQUIRE(r.status == 200);
        return r.json();
    }
    std::string state(const std::string &id) { return job(id)->getValue<std::string>("state"); }

    // The transaction the waiting job created, from its progress ("" until it waits).
    std::string waiting_transaction(const std::string &id) {
        const auto j = job(id);
        if (j->getValue<std::string>("state") != "waiting" || !j->getObject("progress")) return "";
        return j->getObject("progress")->optValue<std::string>("transaction_id", "");
    }

    // The downloads of one REST document, from the emulator's request log.
    std::size_t downloads(const std::string &tx, const std::string &doc) const {
        std::size_t n = 0;
        for (const auto &r : emu->server().requests())
            n += r.method == "GET" && r.path == "/v1/transactions/" + tx + "/archive/documents/" + doc + "/download";
        return n;
    }
    // The REST transaction whose documents were asked for first (its id is in the path).
    std::string downloaded_transaction() const {
        const std::string prefix = "/v1/transactions/";
        for (const auto &r : emu->server().requests())
            if (r.method == "GET" && r.path.rfind(prefix, 0) == 0 && r.path.find("/archive/documents/") != std::string::npos)
                return r.path.substr(prefix.size(), r.path.find('/', prefix.size()) - prefix.size());
        return "";
    }
    // Ids of a REST transaction's documents in the order they were first asked for, from the
    // emulator's request log (which records a request as it arrives, a held one too).
    std::vector<std::string> rest_document_ids(const std::string &tx) const {
        std::vector<std::string> ids;
        for (const auto &r : emu->server().requests()) {
            const std::string prefix = "/v1/transactions/" + tx + "/archive/documents/";
            if (r.method != "GET" || r.path.rfind(prefix, 0) != 0) continue;
            const auto id = r.path.substr(prefix.size(), r.path.find('/', prefix.size()) - prefix.size());
            if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
        }
        return ids;
    }

    // The ended job's documents against what was sent, and the output directory: each signed
    // document once, whole, as a file and in the result.
    void check_documents(const Json &job, const std::string &tx, const std::vector<std::string> &sent) {
        std::ostringstream text;
        job->stringify(text);
        INFO(text.str());
        const auto result = job->getObject("result");
        REQUIRE(result);
        CHECK(result->getValue<std::string>("transaction_id") == tx);
        CHECK(result->getValue<std::string>("state") == "completed");
        const auto documents = result->getArray("documents");
        REQUIRE(documents);
        REQUIRE(documents->size() == sent.size());
        std::map<std::string, int> files;
        for (const auto &entry : fs::directory_iterator(output)) files[entry.path().string()] = 0;
        CHECK(files.size() == sent.size());
        for (std::size_t i = 0; i < sent.size(); ++i) {
            const auto d = documents->getObject(static_cast<unsigned>(i));
            const auto expected = sent[i] + ue::UniversignEmulator::signed_marker(tx, i);
            CHECK(support::base64_decode(d->getValue<std::string>("file_base64")) == expected);
            CHECK(d->getValue<std::size_t>("bytes") == expected.size());
            CHECK(d->getValue<std::string>("sha256") == support::sha256_hex(expected));
            const auto file = d->optValue<std::string>("file", "");
            CHECK(files.count(file) == 1);
            CHECK(slurp(file) == expected);
        }
    }
};

// Seconds from now to an ISO 8601 time of the jobs API.
double seconds_until(const std::string &iso) {
    int tzd = 0;
    const auto at = Poco::DateTimeParser::parse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, iso, tzd).timestamp();
    return static_cast<double>(at - Poco::Timestamp()) / 1e6;
}

const char *name(Api api) { return api == Api::xmlrpc ? "XML-RPC" : "REST"; }

}  // namespace

TEST_CASE("universign serve: the completion push wakes the job, which ends with the signed document within seconds",
          "[universign][service][push]") {
    for (const auto api : {Api::xmlrpc, Api::rest}) {
        DYNAMIC_SECTION(name(api)) {
            Site site(api);
            site.start();
            const std::vector<std::string> sent{signing_pdf(1, "quote DEV-2026-0042")};
            const auto id = site.submit("DEV-2026-0042", sent);
            const auto started = std::chrono::steady_clock::now();
            // The job waiting with its own next look far away (a REST job is woken at once by
            // the created and started events too), or already ended.
            std::string tx;
            std::optional<double> next_look;
            REQUIRE(site.eventually(
                [&] {
                    const auto j = site.job(id);
                    const auto state = j->getValue<std::string>("state");
                    if (state == "waiting" && j->getObject("progress")) {
                        const auto look = seconds_until(j->getValue<std::string>("next_run_at"));
                        if (look > 60) {
                            tx = j->getObject("progress")->optValue<std::string>("transaction_id", "");
                            next_look = look;
                        }
                    }
                    return next_look.has_value() || state == "succeeded";
                },
                20s));
            // It would look again in a day and the periodic task in six hours: only the push can
            // end it now.
            if (next_look) CHECK(*next_look > 3600);
            REQUIRE(site.eventually([&] { return site.state(id) == "succeeded"; }, 20s));
            CHECK(std::chrono::steady_clock::now() - started < 10s);
            const auto job = site.job(id);
            if (tx.empty()) tx = job->getObject("result")->getValue<std::string>("transaction_id");
            CHECK(site.emu->pushes_delivered() >= 1);
            CHECK(site.emu->documents_fetched(tx) == 1);
            CHECK(site.emu->transactions_created("DEV-2026-0042") == 1);
            site.check_documents(job, tx, sent);
            for (const auto &line : site.serve->output()) CHECK(line.find(kCallbackToken) == std::string::npos);
        }
    }
}

TEST_CASE("universign serve: killed once the transaction is completed and before the fetch, the restarted host "
          "fetches the documents once",
          "[universign][service][crash]") {
    for (const auto api : {Api::xmlrpc, Api::rest}) {
        DYNAMIC_SECTION(name(api)) {
            Site site(api);
            // No push: the host learns of the completion only by looking.
            HostSettings settings;
            settings.pushes = false;
            settings.job_recheck_seconds = 60;
            site.start(settings);
            const std::vector<std::string> sent{signing_pdf(1, "delivery note BL-7"), signing_pdf(2, "annex BL-7")};
            const auto id = site.submit("BL-2026-0007", sent);
            std::string tx;
            REQUIRE(site.eventually([&] { return !(tx = site.waiting_transaction(id)).empty(); }, 20s));
            REQUIRE(site.eventually([&] { return site.emu->status_of(tx) == std::optional<std::string>("completed"); }, 20s));
            REQUIRE(site.emu->documents_fetched(tx) == 0);
            site.kill();
            CHECK(site.emu->documents_fetched(tx) == 0);

            // The restarted host's periodic task runs at once and wakes the job (its own look
            // is a minute away).
            settings.start_delay_seconds = 0;
            const auto restarted = std::chrono::steady_clock::now();
            site.start(settings);
            REQUIRE(site.eventually([&] { return site.state(id) == "succeeded"; }, 75s));
            CHECK(std::chrono::steady_clock::now() - restarted < 30s);
            CHECK(site.emu->documents_fetched(tx) == (api == Api::xmlrpc ? 1 : 2));  // REST: one per download
            if (api == Api::rest)
                for (const auto &doc : site.rest_document_ids(tx)) CHECK(site.downloads(tx, doc) == 1);
            CHECK(site.emu->transactions_created("BL-2026-0007") == 1);
            site.check_documents(site.job(id), tx, sent);
        }
    }
}

TEST_CASE("universign serve: killed while fetching, the restarted host ends the job with every document once",
          "[universign][service][crash]") {
    SECTION("XML-RPC: getDocuments in flight at the kill") {
        Site site(Api::xmlrpc);
        site.start();
        site.emu->hold_next_answers(1, "requester.getDocuments");
        const std::vector<std::string> sent{signing_pdf(1, "quote DEV-9"), signing_pdf(1, "terms DEV-9")};
        const auto id = site.submit("DEV-2026-0009", sent);
        REQUIRE(site.eventually([&] { return site.emu->held_count() == 1; }, 20s));
        const auto tx = *site.emu->transaction_by_custom_id("DEV-2026-0009");
        site.kill();
        // The emulator carries the held call out, its answer going to a host that is gone.
        site.emu->release_held();
        REQUIRE(site.eventually([&] { return site.emu->documents_fetched(tx) == 1; }, 10s));

        site.start();
        REQUIRE(site.eventually([&] { return site.state(id) == "succeeded"; }, 40s));
        // One getDocuments answered to the killed host, which never read it; one to the new host.
        CHECK(site.emu->documents_fetched(tx) == 2);
        CHECK(site.emu->transactions_created("DEV-2026-0009") == 1);
        site.check_documents(site.job(id), tx, sent);
    }
    SECTION("REST: the second document's download in flight at the kill") {
        Site site(Api::rest);
        site.start();
        // The first download is held, then let go with the second held behind it: the kill comes
        // after the host received the first document and before it has the second.
        site.emu->hold_next_answers(1, kDownloadRoute);
        const std::vector<std::string> sent{signing_pdf(1, "quote DEV-10"), signing_pdf(3, "terms DEV-10")};
        const auto id = site.submit("DEV-2026-0010", sent);
        REQUIRE(site.eventually([&] { return site.emu->held_count() == 1; }, 20s));
        site.emu->hold_next_answers(1, kDownloadRoute);
        site.emu->release_held();
        REQUIRE(site.eventually(
            [&] { return site.emu->calls(kDownloadRoute) == 1 && site.emu->held_count() == 1; }, 20s));
        const auto tx = site.downloaded_transaction();
        const auto docs = site.rest_document_ids(tx);
        REQUIRE(docs.size() == 2);
        site.kill();
        site.emu->release_held();
        REQUIRE(site.eventually([&] { return site.emu->calls(kDownloadRoute) == 2; }, 10s));

        site.start();
        REQUIRE(site.eventually([&] { return site.state(id) == "succeeded"; }, 40s));
        // The first document was kept when it came: never downloaded again. The second: once
        // for the killed host (lost), once for the new one.
        CHECK(site.downloads(tx, docs[0]) == 1);
        CHECK(site.downloads(tx, docs[1]) == 2);
        CHECK(site.emu->transactions_created("DEV-2026-0010") == 1);
        site.check_documents(site.job(id), tx, sent);
    }
}
