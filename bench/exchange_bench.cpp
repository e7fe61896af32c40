// Exchange: what keeping many calendars in step costs upstream, through the host (in-process,
// its HTTP API) against the Exchange emulator over HTTPS, on each backend.
//
//   full         M mailboxes x E events seeded in the emulator: a first sync_mailbox of every
//                mailbox (SyncFolderItems / calendarView delta, every page): upstream requests
//                and wall time
//   incremental  5% of the events changed in the calendars, then sync_mailbox of every mailbox
//                again: requests, time, and the changes it reported (expected: the 5%)
//   baseline     the naive way, each time: list_events over the sync window for every mailbox
//                (every event read again); the syncs' requests and time against it
//   concurrency  the busiest per-mailbox concurrency the emulator saw over the whole run
//                (goal <= 4), and the busiest number of mailboxes at once
//
// Callers: K threads through the HTTP API, each taking the next mailbox, as an ERP would.
//
//     exchange_bench [M] [E] [backends]      (100 mailboxes, 200 events, "graph,ews" by default)
#include "certificate_authority.hpp"
#include "exchange_emulator.hpp"
#include "runtime/service.hpp"

#include <relais/support/http_client.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
namespace ee = relais::exchange_emulator;
using namespace relais;
using namespace std::chrono;
using Steady = steady_clock;

namespace {

const std::string kToken = "exchange-bench-token-0123456789";
constexpr int kCallers = 4;
constexpr int kWindowDays = 90;
constexpr milliseconds kLatency{5};

struct TempDir {
    fs::path path;
    TempDir() {
        auto pattern = (fs::temp_directory_path() / "relais-exchange-bench-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory");
        path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

Poco::JSON::Object::Ptr parse(const std::string &text) {
    return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

double seconds_since(Steady::time_point start) { return duration<double>(Steady::now() - start).count(); }

std::string mailbox(int i) {
    char name[32];
    std::snprintf(name, sizeof name, "user%03d@contoso.com", i);
    return name;
}

std::string date_text(system_clock::time_point t) {
    const year_month_day ymd(floor<days>(t));
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buffer;
}

struct Phase {
    std::size_t requests = 0;
    double seconds = 0;
    int64_t created = 0, updated = 0, deleted = 0, events = 0;
    int failed = 0;
};

struct Bench {
    std::string backend;
    int mailboxes, events;
    TempDir dir;
    emulator::TestCertificateAuthority ca{dir.path};
    std::shared_ptr<emulator::EmulatorClock> clock =
        std::make_shared<emulator::EmulatorClock>(time_point_cast<seconds>(system_clock::now()));
    std::unique_ptr<ee::ExchangeEmulator> emu;
    std::unique_ptr<host::Service> service;
    std::string base;
    // Each mailbox's event ids, to change some of them.
    std::vector<std::vector<std::string>> ids;

    Bench(std::string which, int m, int e) : backend(std::move(which)), mailboxes(m), events(e) {
        ee::ExchangeEmulatorOptions o;
        o.server.tls = ca.server_files();
        o.server.threads = 32;
        // A manual clock: changes are made minutes after the events were, as in a calendar.
        o.server.clock = clock;
        // Some latency, so that calls in flight together overlap as they would upstream.
        o.latency = kLatency;
        for (int i = 0; i < mailboxes; ++i) o.mailboxes.push_back({mailbox(i), "User " + std::to_string(i)});
        emu = std::make_unique<ee::ExchangeEmulator>(o);
        emu->start();

        // E events per mailbox, spread over the next 60 days, working hours.
        const auto today = floor<days>(system_clock::now());
        ids.resize(static_cast<std::size_t>(mailboxes));
        for (int i = 0; i < mailboxes; ++i)
            for (int k = 0; k < events; ++k) {
                ee::Event event;
                event.subject = "Appointment " + std::to_string(k);
                event.start = today + days(1 + k % 60) + hours(7 + (k / 60) % 10) + minutes(5 * (k % 12));
                event.end = event.start + minutes(30);
                ids[static_cast<std::size_t>(i)].push_back(emu->add_event(mailbox(i), event).id);
            }

        auto config = host::default_config({});
        config.host.data_dir = dir.path / "data";
        config.host.listen.port = 0;
        config.host.log.level = "warning";
        config.host.tokens.push_back({"bench", kToken, {"client", "admin"}});
        Json s = new Poco::JSON::Object;
        s->set("enabled", true);
        s->set("ca_file", ca.ca_file().string());
        s->set("backend", backend);
        s->set("login_url", emu->base_url());
        s->set("graph_url", emu->graph_url());
        s->set("test_mailbox", mailbox(0));
        s->set("sync_window_days", kWindowDays);
        if (backend == "graph") {
            s->set("oauth", true);
            s->set("tenant_id", "7e1a4b0c-55d3-4c1e-9a55-0b7f3c2d1e90");
            s->set("client_id", "3b5f1d2e-8c44-4f0a-b1d2-6e9a0c7b4f21");
            s->set("client_secret", "relais-exchange-secret");
        } else {
            s->set("ews_url", emu->ews_url());
            s->set("auth", "basic");
            s->set("username", "svc-relais");
            s->set("password", "relais-exchange-password");
            s->set("impersonation", true);
        }
        config.connectors["exchange"] = s;
        service = std::make_unique<host::Service>(std::move(config), RELAIS_BENCH_PLUGIN_DIR);
        service->start();
        base = "http://127.0.0.1:" + std::to_string(service->port());
    }
    ~Bench() {
        service->stop();
        emu->stop();
    }

    Poco::JSON::Object::Ptr action(support::HttpClient &http, const std::string &name, const std::string &input) {
        auto request = support::HttpRequest::post(base + "/api/v1/connectors/exchange/actions/" + name)
                           .header("Authorization", "Bearer " + kToken);
        request.body = input;
        request.content_type = "application/json";
        const auto r = http.send(request);
        if (r.status != 200) {
            std::fprintf(stderr, "exchange_bench: %s answered %d: %s\n", name.c_str(), r.status,
                         r.body.substr(0, 400).c_str());
            return nullptr;
        }
        return parse(r.body)->getObject("result");
    }

    std::size_t upstream() const { return emu->server().requests().size(); }

    // `name` for every mailbox from kCallers callers sharing one client.
    Phase every_mailbox(const std::string &name, const std::function<std::string(int)> &input) {
        Phase phase;
        std::mutex mutex;
        std::atomic<int> next{0};
        support::HttpClientOptions options;
        options.read_timeout = minutes(5);
        support::HttpClient http(options);
        const auto before = upstream();
        const auto start = Steady::now();
        std::vector<std::thread> callers;
        for (int t = 0; t < kCallers; ++t)
            callers.emplace_back([&] {
                for (int i; (i = next++) < mailboxes;) {
                    const auto result = action(http, name, input(i));
                    std::lock_guard lock(mutex);
                    if (!result) {
                        ++phase.failed;
                        continue;
                    }
                    if (const auto counts = result->getObject("counts")) {
                        phase.created += counts->optValue<int64_t>("created", 0);
                        phase.updated += counts->optValue<int64_t>("updated", 0);
                        phase.deleted += counts->optValue<int64_t>("deleted", 0);
                    }
                    phase.events += result->optValue<int64_t>("count", 0);
                }
            });
        for (auto &c : callers) c.join();
        phase.seconds = seconds_since(start);
        phase.requests = upstream() - before;
        return phase;
    }

    Phase sync() {
        return every_mailbox("sync_mailbox", [](int i) { return R"({"mailbox":")" + mailbox(i) + "\"}"; });
    }
    Phase naive() {
        // The same window as the sync's: a day back, sync_window_days ahead.
        const auto today = floor<days>(system_clock::now());
        const auto from = date_text(today - days(1)), to = date_text(today + days(kWindowDays));
        return every_mailbox("list_events", [&](int i) {
            return R"({"mailbox":")" + mailbox(i) + R"(","from":")" + from + R"(","to":")" + to + "\"}";
        });
    }

    // 5% of every mailbox's events changed as their owners would in Outlook.
    int change_some() {
        clock->advance(minutes(10));
        int changed = 0;
        const int per_mailbox = std::max(1, events / 20);
        for (int i = 0; i < mailboxes; ++i)
            for (int k = 0; k < per_mailbox; ++k)
                changed += emu->touch_event(mailbox(i), ids[static_cast<std::size_t>(i)][static_cast<std::size_t>(k * 20 % events)],
                                            "Changed " + std::to_string(k));
        return changed;
    }

    // `callers` list_events of one mailbox at once, `rounds` times each: what reaches it at once.
    Phase burst(int callers, int rounds) {
        Phase phase;
        std::mutex mutex;
        support::HttpClientOptions options;
        options.read_timeout = minutes(5);
        support::HttpClient http(options);
        const auto today = floor<days>(system_clock::now());
        const auto input = R"({"mailbox":")" + mailbox(0) + R"(","from":")" + date_text(today) + R"(","to":")" +
                           date_text(today + days(7)) + "\"}";
        const auto before = upstream();
        const auto start = Steady::now();
        std::vector<std::thread> threads;
        for (int t = 0; t < callers; ++t)
            threads.emplace_back([&] {
                for (int r = 0; r < rounds; ++r) {
                    const auto result = action(http, "list_events", input);
                    std::lock_guard lock(mutex);
                    if (!result) ++phase.failed;
                    else phase.events += result->optValue<int64_t>("count", 0);
                }
            });
        for (auto &t : threads) t.join();
        phase.seconds = seconds_since(start);
        phase.requests = upstream() - before;
        return phase;
    }

    std::size_t busiest_mailbox() const {
        std::size_t peak = 0;
        for (int i = 0; i < mailboxes; ++i)
            peak = std::max(peak, backend == "graph" ? emu->peak_graph_concurrency(mailbox(i))
                                                     : emu->peak_ews_concurrency(mailbox(i)));
        return peak;
    }
};

void print_phase(const char *what, const Phase &p, int mailboxes) {
    std::printf("  %-11s %zu upstream requests (%.2f per mailbox) in %.2f s; reported created %lld, updated %lld, "
                "deleted %lld%s%s\n",
                what, p.requests, static_cast<double>(p.requests) / mailboxes, p.seconds,
                static_cast<long long>(p.created), static_cast<long long>(p.updated),
                static_cast<long long>(p.deleted), p.events ? (", events read " + std::to_string(p.events)).c_str() : "",
                p.failed ? (", " + std::to_string(p.failed) + " FAILED").c_str() : "");
}

double ratio(double a, double b) { return b > 0 ? a / b : 0; }

void run(const std::string &backend, int mailboxes, int events) {
    const auto setup = Steady::now();
    Bench b(backend, mailboxes, events);
    std::printf(" %s: %d mailboxes x %d events seeded in %.1f s; %d callers; %lld ms upstream latency per request\n",
                backend.c_str(), mailboxes, events, seconds_since(setup), kCallers,
                static_cast<long long>(kLatency.count()));

    const auto full = b.sync();
    print_phase("full", full, mailboxes);
    const auto naive_first = b.naive();
    print_phase("baseline", naive_first, mailboxes);
    std::printf("  -> full sync: %.2f of the baseline's requests in %.2f of its time (it also sets up incremental "
                "rounds)\n",
                ratio(static_cast<double>(full.requests), static_cast<double>(naive_first.requests)),
                ratio(full.seconds, naive_first.seconds));

    const int changed = b.change_some();
    const auto incremental = b.sync();
    print_phase("incremental", incremental, mailboxes);
    std::printf("              %d events changed (%.1f%%); the round reported %lld changes\n", changed,
                100.0 * changed / (mailboxes * events),
                static_cast<long long>(incremental.created + incremental.updated + incremental.deleted));
    const auto naive_again = b.naive();
    print_phase("baseline", naive_again, mailboxes);
    std::printf("  -> incremental sync: %.3f of the baseline's requests (%.1fx fewer) in %.3f of its time (%.1fx "
                "faster)\n",
                ratio(static_cast<double>(incremental.requests), static_cast<double>(naive_again.requests)),
                ratio(static_cast<double>(naive_again.requests), static_cast<double>(incremental.requests)),
                ratio(incremental.seconds, naive_again.seconds), ratio(naive_again.seconds, incremental.seconds));
    const auto storm = b.burst(12, 5);
    print_phase("burst", storm, 1);
    std::printf("              12 callers x 5 list_events of %s at once: the emulator saw at most %zu of its requests "
                "at once\n",
                mailbox(0).c_str(), backend == "graph" ? b.emu->peak_graph_concurrency(mailbox(0))
                                                       : b.emu->peak_ews_concurrency(mailbox(0)));
    std::printf("  concurrency busiest per mailbox %zu (goal <= 4); busiest mailboxes at once %zu; tokens issued %zu\n",
                b.busiest_mailbox(), b.emu->peak_busy_mailboxes(), b.emu->tokens_issued());
}

}  // namespace

int main(int argc, char **argv) {
    const int mailboxes = argc > 1 ? std::max(1, std::atoi(argv[1])) : 100;
    const int events = argc > 2 ? std::max(20, std::atoi(argv[2])) : 200;
    const std::string which = argc > 3 ? argv[3] : "graph,ews";
    std::printf("exchange_bench: %d mailboxes x %d events, first and incremental sync against listing every event; "
                "emulator over HTTPS\n",
                mailboxes, events);
    std::stringstream list(which);
    for (std::string backend; std::getline(list, backend, ',');)
        if (backend == "graph" || backend == "ews") run(backend, mailboxes, events);
    return 0;
}
