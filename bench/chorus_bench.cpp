// Chorus Pro: how close the connector comes to the test space's quota of 5 requests a second,
// against the Chorus Pro emulator over HTTPS (quota enforced, fluxes final 1 s after deposit).
//
//   baseline   a hand-written client doing nothing but deposits, one every 200 ms (the
//              quota's exact pace), sequentially, with one token
//   deposits   N submit_invoice jobs through the host (track off): deposits only
//   lifecycle  N submit_invoice jobs followed to IN_INTEGRE: deposit, processing reports,
//              invoice search; every request counts against the same quota
//
// Prints deposits per second for the first two and their ratio, then for the lifecycle the
// API requests per second against the quota (achieved / 5), the busiest 1-second window and
// the 429s the emulator had to answer.
//
//     chorus_bench [N]        (N invoices per run, 100 by default)
#include "certificate_authority.hpp"
#include "chorus_emulator.hpp"
#include "runtime/service.hpp"

#include <relais/support/http_client.hpp>
#include <relais/support/json.hpp>

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
namespace ce = relais::chorus_emulator;
using namespace relais;
using Steady = std::chrono::steady_clock;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        auto pattern = (fs::temp_directory_path() / "relais-chorus-bench-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory");
        path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string base64(const std::string &bytes) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

// The sample UBL invoice under another number.
std::string invoice(const std::string &number) {
    static const std::string sample = [] {
        std::ifstream in(std::string(CHORUS_SAMPLES_DIR) + "/ubl-invoice.xml", std::ios::binary);
        if (!in) throw std::runtime_error("cannot read the sample invoice in " CHORUS_SAMPLES_DIR);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }();
    auto file = sample;
    file.replace(file.find("FA-2026-0001"), 12, number);
    return file;
}

std::string number_of(const std::string &run, int i) { return run + "-" + std::to_string(100000 + i); }

double seconds_since(Steady::time_point start) { return std::chrono::duration<double>(Steady::now() - start).count(); }

struct Emulator {
    TempDir dir;
    emulator::TestCertificateAuthority ca{dir.path};
    std::unique_ptr<ce::ChorusEmulator> chorus;
    Emulator() {
        ce::ChorusEmulatorOptions o;
        o.server.tls = ca.server_files();
        o.server.threads = 16;
        o.per_second = 5;
        o.per_day = 50000;
        o.processing_delay = std::chrono::seconds(1);
        chorus = std::make_unique<ce::ChorusEmulator>(o);
        chorus->start();
    }
    std::size_t refused() const {
        std::size_t n = 0;
        for (const auto &r : chorus->server().requests()) n += r.status == 429;
        return n;
    }
};

// Baseline: deposits only, at the quota's exact pace, by a client that knows nothing else.
double baseline(int n) {
    Emulator e;
    support::HttpClientOptions options;
    options.extra_ca_file = e.ca.ca_file().string();
    support::HttpClient http(options);
    const auto token = http.send(support::HttpRequest::post(e.chorus->oauth_url())
                                     .form({{"grant_type", "client_credentials"},
                                            {"client_id", "relais-piste-client"},
                                            {"client_secret", "relais-piste-secret"}}))
                           .json()
                           ->getValue<std::string>("access_token");
    const auto account = base64("TECH_1_relais@cpro.fr:Relais-Tech-2026");
    const auto start = Steady::now();
    for (int i = 0; i < n; ++i) {
        std::this_thread::sleep_until(start + std::chrono::milliseconds(200 * i + 20));
        Json body = new Poco::JSON::Object;
        body->set("fichierFlux", base64(invoice(number_of("B", i))));
        body->set("nomFichier", number_of("B", i) + ".xml");
        body->set("syntaxeFlux", "IN_DP_E1_UBL_INVOICE");
        const auto r = http.send(support::HttpRequest::post(e.chorus->api_url() + "/cpro/factures/v1/deposer/flux")
                                     .json(body)
                                     .header("Authorization", "Bearer " + token)
                                     .header("cpro-account", account));
        if (r.status != 200) std::fprintf(stderr, "baseline deposit %d: HTTP %d\n", i, r.status);
    }
    return e.chorus->deposits() / seconds_since(start);
}

std::unique_ptr<host::Service> relais_against(const Emulator &e, const fs::path &data) {
    auto config = host::default_config({});
    config.host.data_dir = data;
    config.host.listen.port = 0;
    config.host.log.level = "warning";
    Json chorus = new Poco::JSON::Object;
    chorus->set("enabled", true);
    chorus->set("oauth_url", e.chorus->oauth_url());
    chorus->set("api_url", e.chorus->api_url());
    chorus->set("ca_file", e.ca.ca_file().string());
    chorus->set("client_id", "relais-piste-client");
    chorus->set("client_secret", "relais-piste-secret");
    chorus->set("technical_login", "TECH_1_relais@cpro.fr");
    chorus->set("technical_password", "Relais-Tech-2026");
    chorus->set("structure_id", ce::kSupplierSiret);
    chorus->set("poll_initial_delay_seconds", 2);
    chorus->set("poll_max_delay_seconds", 8);
    config.connectors["chorus"] = chorus;
    auto service = std::make_unique<host::Service>(std::move(config), RELAIS_BENCH_PLUGIN_DIR);
    service->start();
    return service;
}

void submit(host::Service &service, const std::string &run, int n, bool track) {
    for (int i = 0; i < n; ++i) {
        const auto number = number_of(run, i);
        const auto input = R"({"invoice_number":")" + number + R"(","syntax":"ubl","track":)" +
                           (track ? "true" : "false") + R"(,"file_base64":")" + base64(invoice(number)) + "\"}";
        service.jobs().submit(host::NewJob{"chorus", "submit_invoice", input, number, 4, 0, std::nullopt, std::nullopt, std::nullopt, false});
    }
}

bool wait_for(const std::function<bool()> &done, std::chrono::seconds deadline) {
    const auto until = Steady::now() + deadline;
    while (!done()) {
        if (Steady::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

}  // namespace

int main(int argc, char **argv) {
    const int n = argc > 1 ? std::max(1, std::atoi(argv[1])) : 100;
    std::printf("chorus_bench: %d invoices per run, emulator quota 5 requests/s (its own 1-second windows)\n", n);

    const double base = baseline(n);
    std::printf("  baseline  (bare deposits at the quota's pace):  %.2f deposits/s\n", base);

    double deposits_rate = 0;
    {
        Emulator e;
        TempDir data;
        auto service = relais_against(e, data.path);
        const auto start = Steady::now();
        submit(*service, "D", n, false);
        if (!wait_for([&] { return e.chorus->deposits() >= static_cast<std::size_t>(n); }, std::chrono::seconds(30 + n)))
            std::printf("  deposits: only %zu of %d after the deadline\n", e.chorus->deposits(), n);
        deposits_rate = e.chorus->deposits() / seconds_since(start);
        std::printf("  relais    (submit_invoice jobs, deposits only): %.2f deposits/s, ratio to baseline %.2f, "
                    "to the quota %.2f; token requests %zu, 429s %zu\n",
                    deposits_rate, deposits_rate / base, deposits_rate / 5, e.chorus->token_requests(), e.refused());
        service->stop();
    }
    {
        Emulator e;
        TempDir data;
        auto service = relais_against(e, data.path);
        const auto start = Steady::now();
        submit(*service, "L", n, true);
        // Each integrated flux ends with one invoice search: n searches mean n followed to the end.
        const bool done = wait_for(
            [&] { return e.chorus->server().count("POST", "/cpro/factures/v1/rechercher/fournisseur") >= static_cast<std::size_t>(n); },
            std::chrono::seconds(60 + 4 * n));
        const double elapsed = seconds_since(start);
        const auto requests = e.chorus->api_requests();
        std::printf("  lifecycle (deposit, reports, invoice ids): %d invoices %s in %.1f s = %.2f invoices/s; "
                    "%zu API requests = %.2f/s, achieved / quota %.2f; busiest second %zu; 429s %zu\n",
                    n, done ? "final" : "NOT all final", elapsed, n / elapsed, requests, requests / elapsed,
                    requests / elapsed / 5, e.chorus->server().max_requests_in_one_second("/cpro"), e.refused());
        service->stop();
    }
    return 0;
}
