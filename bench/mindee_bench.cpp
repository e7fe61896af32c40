// Mindee: N receipts read as jobs through the host against the Mindee emulator's v2 rate
// limits (enqueues and polls in sliding windows), over HTTPS.
//
//   jobs       N read_receipt jobs submitted at once: the enqueue rate achieved against the
//              one allowed (goal >= 0.95), the busiest window against the limit (goal: never
//              over), the 429s the emulator had to answer (goal: 0)
//   again      the same N files as jobs again: upstream requests they caused (goal: 0, each
//              answered from the stored reading)
//   baseline   N synchronous calls one after another through the API, as a naive ERP would
//              send them: wall time against the jobs'
//
// The emulator's "minute" is shortened (window_seconds) so that a run shows many windows; the
// connector's quota_window_seconds follows it.
//
//     mindee_bench [N] [window_seconds]      (200 receipts and 5 s by default)
#include "certificate_authority.hpp"
#include "mindee_emulator.hpp"
#include "runtime/service.hpp"

#include <relais/support/bytes.hpp>
#include <relais/support/http_client.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace fs = std::filesystem;
namespace me = relais::mindee_emulator;
using namespace relais;
using Steady = std::chrono::steady_clock;

namespace {

const std::string kToken = "mindee-bench-token-0123456789";
constexpr int kEnqueuesPerWindow = 20;
constexpr int kPollsPerWindow = 120;

struct TempDir {
    fs::path path;
    TempDir() {
        auto pattern = (fs::temp_directory_path() / "relais-mindee-bench-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory");
        path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// A one-page PDF receipt, different for each i.
std::string receipt(const std::string &run, int i) {
    const std::string marker = "RELAIS-RECEIPT{\"supplier_name\":\"Bench " + run + "\",\"total_amount\":" +
                               std::to_string(10 + i) + ",\"date\":\"2026-11-" + std::to_string(10 + i % 18) + "\"}";
    const std::string content = "% " + marker + "\nBT /F1 12 Tf 72 720 Td (Receipt " + std::to_string(i) + ") Tj ET\n";
    std::string pdf = "%PDF-1.4\n";
    pdf += "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n";
    pdf += "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n";
    pdf += "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >> endobj\n";
    pdf += "4 0 obj << /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "endstream\nendobj\n";
    pdf += "trailer << /Root 1 0 R >>\n%%EOF\n";
    return pdf;
}

std::string input(const std::string &run, int i) {
    return R"({"file_base64":")" + support::base64_encode(receipt(run, i)) + R"(","file_name":"r)" + std::to_string(i) +
           R"(.pdf"})";
}

struct Bench {
    TempDir dir;
    emulator::TestCertificateAuthority ca{dir.path};
    std::unique_ptr<me::MindeeEmulator> mindee;
    std::unique_ptr<host::Service> service;
    std::chrono::seconds window;

    explicit Bench(std::chrono::seconds w) : window(w) {
        me::MindeeEmulatorOptions o;
        o.server.tls = ca.server_files();
        o.server.threads = 16;
        o.processing_time = std::chrono::milliseconds(300);
        o.quota_window = window;
        o.v2_enqueues_per_minute = kEnqueuesPerWindow;
        o.v2_polls_per_minute = kPollsPerWindow;
        mindee = std::make_unique<me::MindeeEmulator>(o);
        mindee->start();

        auto config = host::default_config({});
        config.host.data_dir = dir.path / "data";
        config.host.listen.port = 0;
        config.host.log.level = "warning";
        config.host.tokens.push_back({"bench", kToken, {"client", "admin"}});
        Json s = new Poco::JSON::Object;
        s->set("enabled", true);
        s->set("api_version", "v2");
        s->set("url", mindee->v2_url());
        s->set("api_key", *o.v2_keys.begin());
        s->set("model_id", std::string(me::kReceiptModelId));
        s->set("ca_file", ca.ca_file().string());
        s->set("quota_window_seconds", static_cast<int64_t>(window.count()));
        s->set("v2_enqueues_per_minute", kEnqueuesPerWindow);
        s->set("v2_polls_per_minute", kPollsPerWindow);
        s->set("poll_initial_delay_ms", 300);
        s->set("poll_max_delay_ms", 2000);
        s->set("rate_limit_wait_seconds", 600);
        config.connectors["mindee"] = s;
        service = std::make_unique<host::Service>(std::move(config), RELAIS_BENCH_PLUGIN_DIR);
        service->start();
    }
    ~Bench() { service->stop(); }

    std::vector<emulator::EmulatorClock::time_point> enqueue_times() const {
        std::vector<emulator::EmulatorClock::time_point> out;
        for (const auto &r : mindee->server().requests())
            if (r.method == "POST" && r.path.find("/enqueue") != std::string::npos && r.status == 202) out.push_back(r.time);
        std::sort(out.begin(), out.end());
        return out;
    }

    // The most enqueues accepted in any window.
    std::size_t busiest_window() const {
        const auto t = enqueue_times();
        std::size_t most = 0, first = 0;
        for (std::size_t last = 0; last < t.size(); ++last) {
            while (t[last] - t[first] >= window) ++first;
            most = std::max(most, last - first + 1);
        }
        return most;
    }

    bool wait_succeeded(int64_t n, std::chrono::seconds deadline) {
        const auto until = Steady::now() + deadline;
        while (service->jobs().store().count(host::JobState::succeeded, std::string("mindee")) < n) {
            if (Steady::now() > until) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return true;
    }

    void submit(const std::string &run, int n) {
        for (int i = 0; i < n; ++i) {
            host::NewJob job;
            job.connector = "mindee";
            job.action = "read_receipt";
            job.input = input(run, i);
            job.idempotency_key = run + "-" + std::to_string(i);
            service->jobs().submit(job);
        }
    }
};

double seconds_since(Steady::time_point start) { return std::chrono::duration<double>(Steady::now() - start).count(); }

}  // namespace

int main(int argc, char **argv) {
    const int n = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;
    const auto window = std::chrono::seconds(argc > 2 ? std::max(1, std::atoi(argv[2])) : 5);
    const double allowed = static_cast<double>(kEnqueuesPerWindow) / static_cast<double>(window.count());
    std::printf("mindee_bench: %d receipts; emulator v2 limits %d enqueues and %d polls per %lld s window (sliding)\n", n,
                kEnqueuesPerWindow, kPollsPerWindow, static_cast<long long>(window.count()));

    double jobs_seconds = 0;
    {
        Bench b(window);
        const auto start = Steady::now();
        b.submit("A", n);
        const bool done = b.wait_succeeded(n, std::chrono::seconds(120 + 2 * n));
        jobs_seconds = seconds_since(start);
        const auto t = b.enqueue_times();
        // A sender at exactly the allowed pace fills a window at once, then one window's worth per window.
        const double span = t.size() > 1 ? std::chrono::duration<double>(t.back() - t.front()).count() : 0;
        const double achieved = t.empty() ? 0 : static_cast<double>(t.size()) / (span + static_cast<double>(window.count()));
        std::printf("  jobs      %d %s in %.1f s; %zu enqueues at %.2f/s against %.2f/s allowed: ratio %.2f; "
                    "busiest window %zu (limit %d); 429s %zu; pages billed %zu\n",
                    n, done ? "succeeded" : "NOT all succeeded", jobs_seconds, t.size(), achieved, allowed,
                    achieved / allowed, b.busiest_window(), kEnqueuesPerWindow, b.mindee->rate_limited(),
                    b.mindee->pages_billed());

        const auto before = b.mindee->v2_requests();
        const auto again = Steady::now();
        for (int i = 0; i < n; ++i) {
            host::NewJob job;
            job.connector = "mindee";
            job.action = "read_receipt";
            job.input = input("A", i);
            job.idempotency_key = "again-" + std::to_string(i);
            b.service->jobs().submit(job);
        }
        const bool done_again = b.wait_succeeded(2 * n, std::chrono::seconds(120));
        std::printf("  again     the same %d files as jobs: %s in %.1f s, upstream requests %zu (saved %d reads)\n", n,
                    done_again ? "succeeded" : "NOT all succeeded", seconds_since(again), b.mindee->v2_requests() - before,
                    n);
    }
    {
        Bench b(window);
        support::HttpClientOptions options;
        options.read_timeout = std::chrono::minutes(10);
        support::HttpClient http(options);
        const auto url = "http://127.0.0.1:" + std::to_string(b.service->port()) + "/api/v1/connectors/mindee/actions/read_receipt";
        const auto start = Steady::now();
        int ok = 0;
        for (int i = 0; i < n; ++i) {
            auto request = support::HttpRequest::post(url).header("Authorization", "Bearer " + kToken);
            request.body = input("S", i);
            request.content_type = "application/json";
            ok += http.send(request).status == 200;
        }
        const double sync_seconds = seconds_since(start);
        std::printf("  baseline  %d synchronous calls one after another: %d ok in %.1f s; jobs took %.2f of that time\n",
                    n, ok, sync_seconds, jobs_seconds / sync_seconds);
    }
    return 0;
}
