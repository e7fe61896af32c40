#include "exchange_harness.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

namespace relais::test {

namespace ee = exchange_emulator;
using namespace std::chrono;

namespace {

ConnectorHarnessOptions harness_options(const ExchangeHarnessOptions &o, host::PluginBackend *backend) {
    ConnectorHarnessOptions h;
    h.configure = o.configure;
    h.backend = backend;
    return h;
}

std::string to_text(const Poco::JSON::Object::Ptr &json) {
    std::ostringstream out;
    json->stringify(out);
    return out.str();
}

}  // namespace

ExchangeHostHolder::ExchangeHostHolder()
    : clock_(std::make_shared<emulator::EmulatorClock>(time_point_cast<seconds>(system_clock::now()))),
      host_backend([c = clock_] { return duration_cast<milliseconds>(c->now().time_since_epoch()).count(); }) {}

ExchangeHarness::ExchangeHarness(ExchangeHarnessOptions options)
    : ExchangeHostHolder(), ConnectorHarness("exchange", harness_options(options, &host_backend)),
      options_(std::move(options)) {
    ee::ExchangeEmulatorOptions e;
    e.server.tls = server_tls();
    e.server.clock = clock_;
    // The connector's kept-alive connections each hold a server thread.
    e.server.threads = 48;
    for (const auto &m : options_.mailboxes) e.mailboxes.push_back({m, m.substr(0, m.find('@'))});
    if (options_.emulator) options_.emulator(e);
    emulator_ = std::make_unique<ee::ExchangeEmulator>(e);
    emulator_->start();

    auto base = parse("{}");
    base->set("enabled", true);
    base->set("backend", options_.backend);
    base->set("test_mailbox", std::string(kAlice));
    base->set("login_url", emulator_->base_url());
    base->set("graph_url", emulator_->graph_url());
    const bool oauth = options_.backend == "graph" || options_.ews_auth == "oauth";
    if (oauth) {
        base->set("oauth", true);
        base->set("tenant_id", std::string(kExchangeTenant));
        base->set("client_id", std::string(kExchangeClientId));
        base->set("client_secret", std::string(kExchangeSecret));
    }
    if (options_.backend == "ews") {
        base->set("ews_url", emulator_->ews_url());
        if (oauth) {
            base->set("impersonation", true);
        } else {
            base->set("auth", "basic");
            base->set("username", std::string(kExchangeUser));
            base->set("password", std::string(kExchangePassword));
        }
    }
    load(to_text(base), options_.settings);
}

ExchangeHarness::~ExchangeHarness() { emulator_->stop(); }

std::string ExchangeHarness::create_operation() const {
    return graph() ? "POST /v1.0/users/{mailbox}/events" : "CreateItem";
}
std::string ExchangeHarness::list_operation() const {
    return graph() ? "GET /v1.0/users/{mailbox}/calendarView" : "FindItem";
}
std::string ExchangeHarness::sync_operation() const {
    return graph() ? "GET /v1.0/users/{mailbox}/calendarView/delta" : "SyncFolderItems";
}

std::string ExchangeHarness::add_event(const std::string &mailbox, const std::string &subject,
                                       system_clock::time_point start, minutes length) {
    ee::Event e;
    e.subject = subject;
    e.start = start;
    e.end = start + length;
    return emulator_->add_event(mailbox, e).id;
}

std::size_t ExchangeHarness::upstream_requests() const { return emulator_->server().requests().size(); }

std::vector<host::CallResult> ExchangeHarness::run_queued(int max_steps) {
    std::vector<host::CallResult> results;
    int steps = 0;
    while (steps < max_steps) {
        const auto job = host_backend.pop();
        if (!job) break;
        clock_->advance(milliseconds(job->delay_ms));
        std::optional<std::string> checkpoint;
        for (uint32_t n = 1; steps < max_steps; ++n) {
            ++steps;
            auto r = step(job->action, job->input, n, checkpoint, "job-" + std::to_string(job->id));
            const bool later = r.ok() && r.later;
            if (later) {
                clock_->advance(milliseconds(r.later->delay_ms));
                checkpoint = r.later->checkpoint;
            }
            results.push_back(std::move(r));
            if (!later) break;
        }
    }
    return results;
}

ConcurrentJobs ExchangeHarness::run_queued_concurrently(int threads, milliseconds deadline, milliseconds max_wait) {
    struct Pending {
        MemoryBackend::QueuedJob job;
        uint32_t step = 1;
        std::optional<std::string> checkpoint;
        steady_clock::time_point not_before;
    };
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<Pending> pending;
    while (auto job = host_backend.pop()) pending.push_back({*job, 1, std::nullopt, steady_clock::now()});
    int running = 0;
    ConcurrentJobs out;
    const auto end = steady_clock::now() + deadline;

    const auto worker = [&] {
        std::unique_lock lock(mutex);
        for (;;) {
            if (steady_clock::now() >= end) {
                out.timed_out = out.timed_out || !pending.empty() || running > 0;
                changed.notify_all();
                return;
            }
            if (pending.empty()) {
                if (running == 0) {
                    changed.notify_all();
                    return;
                }
                changed.wait_until(lock, end);
                continue;
            }
            // The first one due.
            auto due = pending.begin();
            for (auto it = pending.begin(); it != pending.end(); ++it)
                if (it->not_before < due->not_before) due = it;
            if (due->not_before > steady_clock::now()) {
                changed.wait_until(lock, std::min(due->not_before, end));
                continue;
            }
            Pending p = std::move(*due);
            pending.erase(due);
            ++running;
            lock.unlock();
            auto r = step(p.job.action, p.job.input, p.step, p.checkpoint, "job-" + std::to_string(p.job.id));
            lock.lock();
            --running;
            ++out.steps;
            if (r.ok() && r.later) {
                ++out.continued;
                p.checkpoint = r.later->checkpoint;
                ++p.step;
                p.not_before = steady_clock::now() + std::min(milliseconds(r.later->delay_ms), max_wait);
                pending.push_back(std::move(p));
            } else {
                out.finals.push_back(std::move(r));
            }
            changed.notify_all();
        }
    };
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) pool.emplace_back(worker);
    for (auto &t : pool) t.join();
    return out;
}

std::vector<std::string> exchange_backends() {
    return {"graph", "ews"};
}

ExchangeHarnessOptions exchange_options(const std::string &variant, const std::string &settings) {
    ExchangeHarnessOptions o;
    o.backend = variant == "graph" ? "graph" : "ews";
    o.ews_auth = variant == "ews-oauth" ? "oauth" : "basic";
    o.settings = settings;
    return o;
}

bool runs_on(const std::string &variant) {
    const auto all = exchange_backends();
    return std::find(all.begin(), all.end(), variant.substr(0, variant.find('-'))) != all.end();
}

std::string utc_text(system_clock::time_point t) {
    const auto day = floor<days>(t);
    const year_month_day ymd(day);
    const hh_mm_ss hms(floor<seconds>(t - day));
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                  static_cast<long>(hms.seconds().count()));
    return buffer;
}

std::string date_text(system_clock::time_point t) { return utc_text(t).substr(0, 10); }

system_clock::time_point day_from_today(int n) { return floor<days>(system_clock::now()) + days(n); }

Poco::JSON::Object::Ptr detail_of(const host::CallResult &r) {
    return r.detail_json.empty() ? Poco::JSON::Object::Ptr() : parse(r.detail_json);
}

std::vector<std::string> ids_of(const Poco::JSON::Array::Ptr &list) {
    std::vector<std::string> ids;
    if (!list) return ids;
    for (std::size_t i = 0; i < list->size(); ++i) {
        if (const auto o = list->getObject(static_cast<unsigned>(i))) ids.push_back(o->optValue<std::string>("id", ""));
        else ids.push_back(list->getElement<std::string>(static_cast<unsigned>(i)));
    }
    return ids;
}

}  // namespace relais::test
