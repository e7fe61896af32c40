// The exchange connector as the host runs it (its plugin library, loaded by the host's
// registry, tests/harness), against the Exchange emulator over HTTPS with the harness's test
// CA, on either backend:
//   "graph"  Microsoft Graph with the emulator's tenant and application (client credentials);
//   "ews"    EWS as the delegated account svc-relais with Basic (delegate access, no
//            impersonation), or with `ews_auth` "oauth": the application's token and
//            ExchangeImpersonation.
// The emulator's clock is manual (tokens expire on it, a test moves it); it starts now, so the
// periodic sync's window (a day back, sync_window_days ahead of the real date) covers the
// events a test puts "tomorrow". Jobs the connector queues are run by the test, one after the
// other or several at once (run_queued_concurrently), as the host's scheduler would.
#pragma once

#include "connector_harness.hpp"

#include "exchange_emulator.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace relais::test {

constexpr const char *kExchangeTenant = "7e1a4b0c-55d3-4c1e-9a55-0b7f3c2d1e90";
constexpr const char *kExchangeClientId = "3b5f1d2e-8c44-4f0a-b1d2-6e9a0c7b4f21";
constexpr const char *kExchangeSecret = "relais-exchange-secret";
constexpr const char *kExchangeUser = "svc-relais";
constexpr const char *kExchangePassword = "relais-exchange-password";
constexpr const char *kAlice = "alice@contoso.com";
constexpr const char *kBob = "bob@contoso.com";

struct ExchangeHarnessOptions {
    std::string backend = "graph";  // graph | ews
    std::string ews_auth = "basic"; // ews: basic (the delegated account) | oauth (impersonation)
    // Settings merged over the harness's (enabled, the backend's URLs and credentials,
    // test_mailbox alice).
    std::string settings = "{}";
    // More mailboxes in the emulator's directory (besides alice, bob and svc-relais).
    std::vector<std::string> mailboxes;
    // Changes to the emulator's options before it starts (latency, limits, applications...).
    std::function<void(exchange_emulator::ExchangeEmulatorOptions &)> emulator;
    bool configure = true;
};

// Built before the harness it is given to: the clock, and the host's versioned state on it.
struct ExchangeHostHolder {
    std::shared_ptr<emulator::EmulatorClock> clock_;
    MemoryBackend host_backend;
    ExchangeHostHolder();
};

// What run_queued_concurrently saw.
struct ConcurrentJobs {
    std::vector<host::CallResult> finals;  // each job's last step, in the order they ended
    std::size_t steps = 0;                 // steps run in all
    std::size_t continued = 0;             // steps that asked to continue later
    bool timed_out = false;
};

class ExchangeHarness : private ExchangeHostHolder, public ConnectorHarness {
public:
    explicit ExchangeHarness(ExchangeHarnessOptions options = {});
    ~ExchangeHarness() override;

    exchange_emulator::ExchangeEmulator &emulator() { return *emulator_; }
    emulator::EmulatorClock &clock() { return *clock_; }
    MemoryBackend &host() { return host_backend; }
    const std::string &backend_name() const { return options_.backend; }
    bool graph() const { return options_.backend == "graph"; }
    // The emulator's name of the create request (fail_next, hold_next_answers, calls).
    std::string create_operation() const;
    std::string list_operation() const;
    std::string sync_operation() const;

    // A person's own appointment (no ERP mark) put straight into a calendar; its id.
    std::string add_event(const std::string &mailbox, const std::string &subject,
                          std::chrono::system_clock::time_point start,
                          std::chrono::minutes length = std::chrono::minutes(60));
    // Requests that reached the emulator (token endpoint included).
    std::size_t upstream_requests() const;

    // The jobs the connector queued, one after the other, each step after moving the clock by
    // the wait asked (later steps of a job run until it ends or `max_steps`); every step's result.
    std::vector<host::CallResult> run_queued(int max_steps = 200);
    // The queued jobs run by `threads` workers at once, a job that continues later run again
    // after its wait (in real time, at most `max_wait` of it) until every job ended or `deadline`.
    ConcurrentJobs run_queued_concurrently(int threads, std::chrono::milliseconds deadline = std::chrono::seconds(30),
                                           std::chrono::milliseconds max_wait = std::chrono::milliseconds(50));

private:
    ExchangeHarnessOptions options_;
    std::unique_ptr<exchange_emulator::ExchangeEmulator> emulator_;
};

// The backends every test runs on.
std::vector<std::string> exchange_backends();
// Whether a variant ("graph", "ews", "ews-oauth") is among them.
bool runs_on(const std::string &variant);

// Options for a variant: "graph", "ews" (Basic, the delegated account) or "ews-oauth" (the
// application's token with impersonation).
ExchangeHarnessOptions exchange_options(const std::string &variant, const std::string &settings = "{}");

// Times as the connector's inputs and outputs spell them.
std::string utc_text(std::chrono::system_clock::time_point t);  // 2026-12-04T09:00:00Z
std::string date_text(std::chrono::system_clock::time_point t); // 2026-12-04
// Midnight UTC of the real date `days` from today.
std::chrono::system_clock::time_point day_from_today(int days);

// A result's detail as JSON (null when none).
Poco::JSON::Object::Ptr detail_of(const host::CallResult &r);
// The ids of an array of events (or of ids).
std::vector<std::string> ids_of(const Poco::JSON::Array::Ptr &list);

}  // namespace relais::test
