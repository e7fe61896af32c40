// Universign: what following many open signature transactions costs upstream, and how soon a
// signature reaches the ERP, through the host (in-process, its HTTP API) against the
// Universign emulator over HTTPS.
//
//   collect   N open XML-RPC transactions created through the connector (signers who never
//             act): upstream calls of one collect_signatures run (listTransactions pages,
//             then getTransactionInfo only for what left the list) against the naive one
//             getTransactionInfo per open transaction, measured too, as N signature_status
//             calls (goal: at most 1 call per 50 open); then M REST transactions, which have
//             no list endpoint: one GET each (calls == open)
//   push      K signature jobs whose signer signs: time from the emulator's completion push to
//             the job's final callback at the ERP (goal: under 2 s), against the poll interval
//             (21,600 s) a job without pushes would wait, at worst
//
//     universign_bench [N] [M] [K]      (1000 XML-RPC, 200 REST, 20 pushed by default)
#include "certificate_authority.hpp"
#include "emulator_server.hpp"
#include "runtime/service.hpp"
#include "universign_emulator.hpp"

#include <relais/support/bytes.hpp>
#include <relais/support/http_client.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

namespace fs = std::filesystem;
namespace ue = relais::universign_emulator;
using namespace relais;
using Steady = std::chrono::steady_clock;

namespace {

const std::string kToken = "universign-bench-token-0123456789";
const std::string kCallbackToken = "universign-bench-push-token-42";
constexpr int64_t kPollIntervalSeconds = 21600;
constexpr int kCallers = 4;

struct TempDir {
    fs::path path;
    TempDir() {
        auto pattern = (fs::temp_directory_path() / "relais-universign-bench-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory");
        path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// A small valid one-page PDF (catalog, pages, page, content, xref, trailer) naming `tag`.
std::string pdf(const std::string &tag) {
    const std::string content = "BT /F1 12 Tf 72 720 Td (" + tag + ") Tj ET";
    const std::vector<std::string> objects{
        "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream"};
    std::string out = "%PDF-1.7\n";
    std::vector<std::size_t> offsets;
    for (std::size_t i = 0; i < objects.size(); ++i) {
        offsets.push_back(out.size());
        out += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
    }
    const auto xref = out.size();
    out += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
    for (const auto offset : offsets) {
        char line[32];
        std::snprintf(line, sizeof line, "%010zu 00000 n \n", offset);
        out += line;
    }
    return out + "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
           std::to_string(xref) + "\n%%EOF\n";
}

std::string signature_input(const std::string &custom_id, const std::string &email) {
    return R"({"custom_id":")" + custom_id + R"(","documents":[{"name":"devis.pdf","file_base64":")" +
           support::base64_encode(pdf("quote " + custom_id)) +
           R"(","fields":[{"page":1,"x":100,"y":200,"signer":0}]}],"signers":[{"first_name":"Alice","last_name":"Martin","email":")" +
           email + R"("}]})";
}

Poco::JSON::Object::Ptr parse(const std::string &text) {
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

double seconds_since(Steady::time_point start) { return std::chrono::duration<double>(Steady::now() - start).count(); }
double ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

enum class Api { xmlrpc, rest };

struct Bench {
    TempDir dir;
    emulator::TestCertificateAuthority ca{dir.path};
    std::unique_ptr<ue::UniversignEmulator> emu;
    std::unique_ptr<host::Service> service;
    std::string base;

    Bench(Api api, std::chrono::milliseconds sign_after) {
        ue::UniversignEmulatorOptions o;
        o.server.tls = ca.server_files();
        o.server.threads = 16;
        o.sign_after = sign_after;
        emu = std::make_unique<ue::UniversignEmulator>(o);
        emu->start();

        auto config = host::default_config({});
        config.host.data_dir = dir.path / "data";
        config.host.listen.port = 0;
        config.host.log.level = "warning";
        config.host.tokens.push_back({"bench", kToken, {"client", "admin"}});
        Json s = new Poco::JSON::Object;
        s->set("enabled", true);
        s->set("ca_file", ca.ca_file().string());
        if (api == Api::xmlrpc) {
            s->set("api", "xmlrpc");
            s->set("url", emu->xmlrpc_url());
            s->set("username", "relais@example.com");
            s->set("password", "relais-universign-password");
        } else {
            s->set("api", "rest");
            s->set("rest_url", emu->rest_url());
            s->set("api_key", "relais-universign-api-key");
        }
        s->set("callback_token", kCallbackToken);
        s->set("requests_per_second", 1000);
        s->set("poll_interval_seconds", kPollIntervalSeconds);
        s->set("start_delay_seconds", 86400);  // runs are the bench's, not the schedule's
        s->set("job_recheck_seconds", 86400);
        config.connectors["universign"] = s;
        service = std::make_unique<host::Service>(std::move(config), RELAIS_BENCH_PLUGIN_DIR);
        service->start();
        base = "http://127.0.0.1:" + std::to_string(service->port());
        const auto hook = base + "/api/v1/hooks/universign/status?token=" + kCallbackToken;
        if (api == Api::xmlrpc)
            emu->set_push_url("default", hook);
        else
            emu->set_webhook_url(hook);
    }
    ~Bench() {
        service->stop();
        emu->stop();
    }

    // A synchronous action through the API; its result, or null (the error printed).
    Poco::JSON::Object::Ptr action(support::HttpClient &http, const std::string &name, const std::string &input) {
        auto request = support::HttpRequest::post(base + "/api/v1/connectors/universign/actions/" + name)
                           .header("Authorization", "Bearer " + kToken);
        request.body = input;
        request.content_type = "application/json";
        const auto r = http.send(request);
        if (r.status != 200) {
            std::fprintf(stderr, "universign_bench: %s answered %d: %s\n", name.c_str(), r.status, r.body.substr(0, 400).c_str());
            return nullptr;
        }
        return parse(r.body)->getObject("result");
    }

    // `n` transactions whose signer never acts, created by request_signature from 4 callers at
    // once; how many were created. The callers share one client: it sends each POST on a new
    // connection and keeps up to 4 idle ones per origin, each holding one of the API's threads
    // until its keep-alive ends (4 clients of their own would hold all 16 and stall).
    int create_open(int n, const std::string &prefix) {
        std::atomic<int> next{0}, created{0};
        support::HttpClient http;
        std::vector<std::thread> callers;
        for (int t = 0; t < kCallers; ++t)
            callers.emplace_back([&] {
                for (int i; (i = next++) < n;)
                    if (action(http, "request_signature",
                               signature_input(prefix + std::to_string(i), "signer" + std::to_string(i) + "+never@x.test")))
                        ++created;
            });
        for (auto &c : callers) c.join();
        return created;
    }
};

std::size_t xmlrpc_calls(const ue::UniversignEmulator &emu) {
    std::size_t n = 0;
    for (const auto *m : {"requester.requestTransaction", "requester.getTransactionInfo",
                          "requester.getTransactionInfoByCustomId", "requester.getDocuments",
                          "requester.listTransactions", "requester.cancelTransaction", "requester.relaunchTransaction"})
        n += emu.calls(m);
    return n;
}

void collect_xmlrpc(int n) {
    Bench b(Api::xmlrpc, std::chrono::minutes(1));
    support::HttpClientOptions options;
    options.read_timeout = std::chrono::minutes(10);
    support::HttpClient http(options);
    const auto start = Steady::now();
    const int created = b.create_open(n, "OPEN-");
    std::printf("  setup     %d open XML-RPC transactions created through request_signature in %.1f s\n", created,
                seconds_since(start));

    const auto calls_before = xmlrpc_calls(*b.emu);
    const auto run_start = Steady::now();
    const auto run = b.action(http, "collect_signatures", "{}");
    const double run_seconds = seconds_since(run_start);
    const auto run_calls = xmlrpc_calls(*b.emu) - calls_before;
    if (!run) return;
    const auto reported = run->optValue<int64_t>("api_calls", -1);
    const auto open = run->optValue<int64_t>("open", -1);

    // The naive poll: one getTransactionInfo per open transaction (signature_status each).
    const auto naive_before = xmlrpc_calls(*b.emu);
    const auto naive_start = Steady::now();
    int looked = 0;
    for (int i = 0; i < created; ++i)
        looked += b.action(http, "signature_status", R"({"custom_id":"OPEN-)" + std::to_string(i) + R"("})") != nullptr;
    const double naive_seconds = seconds_since(naive_start);
    const auto naive_calls = xmlrpc_calls(*b.emu) - naive_before;

    std::printf("  collect   XML-RPC, %lld open: one collect_signatures run made %zu upstream calls (it reports "
                "api_calls %lld, listed %lld, checked %lld) in %.2f s\n",
                static_cast<long long>(open), run_calls, static_cast<long long>(reported),
                static_cast<long long>(run->optValue<int64_t>("listed", -1)),
                static_cast<long long>(run->optValue<int64_t>("checked", -1)), run_seconds);
    std::printf("  baseline  naive poll, one getTransactionInfo per open transaction: %zu calls (%d looked at) in "
                "%.2f s; collect makes %.4f of the calls (%.1f open per call; goal >= 50) in %.3f of the time\n",
                naive_calls, looked, naive_seconds, static_cast<double>(run_calls) / static_cast<double>(naive_calls),
                static_cast<double>(open) / static_cast<double>(std::max<std::size_t>(run_calls, 1)),
                run_seconds / naive_seconds);
}

void collect_rest(int m) {
    Bench b(Api::rest, std::chrono::minutes(1));
    support::HttpClientOptions options;
    options.read_timeout = std::chrono::minutes(10);
    support::HttpClient http(options);
    const auto start = Steady::now();
    const int created = b.create_open(m, "REST-OPEN-");
    std::printf("  setup     %d open REST transactions created through request_signature in %.1f s\n", created,
                seconds_since(start));
    const auto before = b.emu->calls("GET /v1/transactions/{tx}");
    const auto run_start = Steady::now();
    const auto run = b.action(http, "collect_signatures", "{}");
    const double run_seconds = seconds_since(run_start);
    if (!run) return;
    const auto gets = b.emu->calls("GET /v1/transactions/{tx}") - before;
    const auto open = run->optValue<int64_t>("open", -1);
    std::printf("  collect   REST, %lld open (no list endpoint): one run made %zu GET /v1/transactions/{id} "
                "(reports api_calls %lld) in %.2f s: %.2f calls per open transaction (expected 1)\n",
                static_cast<long long>(open), gets, static_cast<long long>(run->optValue<int64_t>("api_calls", -1)),
                run_seconds, static_cast<double>(gets) / static_cast<double>(std::max<int64_t>(open, 1)));
}

// The ERP's callback receiver: when each job's final callback arrived, by transaction.
struct CallbackReceiver {
    emulator::EmulatorServer server;
    std::mutex mutex;
    std::map<std::string, Steady::time_point> final_at;  // by transaction id
    std::map<std::string, std::string> states;

    CallbackReceiver() {
        server.route("POST", "/erp/callback", [this](const emulator::Request &r) {
            const auto at = Steady::now();
            try {
                const auto job = parse(r.body);
                const auto result = job->getObject("result");
                const auto tx = result ? result->optValue<std::string>("transaction_id", "") : "";
                std::lock_guard lock(mutex);
                if (!tx.empty() && !final_at.count(tx)) final_at[tx] = at;
                states[tx] = job->optValue<std::string>("state", "");
            } catch (const std::exception &) {
            }
            return emulator::Response::text(200, "");
        });
        server.start();
    }
    std::size_t finished() {
        std::lock_guard lock(mutex);
        return final_at.size();
    }
};

std::string query_param(const std::string &url, const std::string &name) {
    const auto at = url.find(name + "=");
    if (at == std::string::npos) return "";
    const auto from = at + name.size() + 1;
    return url.substr(from, url.find('&', from) - from);
}

void push_latency(int k, int open) {
    // Signers sign 2 s after their turn: every job is waiting before its push comes.
    Bench b(Api::xmlrpc, std::chrono::seconds(2));
    const int created = b.create_open(open, "BG-");  // the open transactions the pushes come among
    CallbackReceiver erp;

    const auto submitted = Steady::now();
    for (int i = 0; i < k; ++i) {
        host::NewJob job;
        job.connector = "universign";
        job.action = "request_signature";
        job.input = signature_input("PUSH-" + std::to_string(i), "alice" + std::to_string(i) + "@x.test");
        job.idempotency_key = "PUSH-" + std::to_string(i);
        job.callback_url = erp.server.base_url() + "/erp/callback";
        b.service->jobs().submit(job);
    }

    // The pushes, sent every 20 ms as they come due; the time each completion push started.
    std::map<std::string, Steady::time_point> pushed_at;
    std::size_t seen = 0;
    const auto until = Steady::now() + std::chrono::seconds(60 + k);
    while (erp.finished() < static_cast<std::size_t>(k) && Steady::now() < until) {
        const auto before = Steady::now();
        if (b.emu->deliver_due_pushes() > 0) {
            const auto pushes = b.emu->pushes();
            for (; seen < pushes.size(); ++seen)
                if (query_param(pushes[seen].url, "status") == "2" && !pushed_at.count(query_param(pushes[seen].url, "id")))
                    pushed_at[query_param(pushes[seen].url, "id")] = before;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::vector<double> latencies;
    {
        std::lock_guard lock(erp.mutex);
        for (const auto &[tx, at] : erp.final_at)
            if (const auto p = pushed_at.find(tx); p != pushed_at.end()) latencies.push_back(ms(at - p->second));
    }
    std::sort(latencies.begin(), latencies.end());
    if (latencies.empty()) {
        std::printf("  push      no job ended after its push (%zu callbacks, %zu pushes) in %.1f s\n", erp.finished(),
                    pushed_at.size(), seconds_since(submitted));
        return;
    }
    const double median = latencies[latencies.size() / 2];
    const double worst = latencies.back();
    std::printf("  push      %zu of %d jobs ended after their completion push, among %d open transactions: push to "
                "final callback median %.0f ms, max %.0f ms (goal < 2000 ms)\n",
                latencies.size(), k, created, median, worst);
    std::printf("  baseline  without the push a job learns of it at the next poll, up to %lld s later: the push is "
                "%.0fx sooner (median), %.0fx (max)\n",
                static_cast<long long>(kPollIntervalSeconds), kPollIntervalSeconds * 1000.0 / median,
                kPollIntervalSeconds * 1000.0 / worst);
}

}  // namespace

int main(int argc, char **argv) {
    const int n = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1000;
    const int m = argc > 2 ? std::max(1, std::atoi(argv[2])) : 200;
    const int k = argc > 3 ? std::max(1, std::atoi(argv[3])) : 20;
    std::printf("universign_bench: %d open XML-RPC and %d REST transactions, %d pushed signatures; emulator over HTTPS\n",
                n, m, k);
    collect_xmlrpc(n);
    collect_rest(m);
    push_latency(k, n);
    return 0;
}
