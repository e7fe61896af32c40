// Pushes the event log to the configured endpoints: each endpoint gets every event its type
// filter takes, in the log's order, at least once, as a signed POST (event_signature.hpp).
// 2xx is delivered; anything else, or no answer, is tried again after a growing delay with
// jitter, up to max_attempts, after which the delivery is recorded as failed and the endpoint
// goes on with the next event. Each endpoint has its own thread: one that is down, slow or
// failing never holds another back. Positions and retries are in relais.db (DeliveryStore),
// so a restart resumes where the host stopped.
#pragma once

#include "events/delivery_store.hpp"
#include "events/event_log.hpp"
#include "events/event_rules.hpp"
#include "jobs/clock.hpp"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace relais::host::events {

struct EventEndpoint {
    std::string name;    // its durable identity (its position is kept under it) and its label
    std::string url;     // http:// or https://
    std::string secret;  // the HMAC key; never logged
    std::vector<TypePattern> types;            // empty: every event
    std::optional<std::filesystem::path> ca_file;  // trusted instead of the system's authorities
};

struct DeliveryPolicy {
    int max_attempts = 12;
    // The delay before attempt n+1 is first_delay * 2^(n-1), at most max_delay, less up to
    // half of it at random (jitter), so that receivers coming back are not hit all at once.
    // The defaults spread 12 attempts over about a day.
    std::chrono::milliseconds first_delay{std::chrono::minutes(1)};
    std::chrono::milliseconds max_delay{std::chrono::hours(6)};
    std::chrono::milliseconds timeout{std::chrono::seconds(10)};
};

// The delay before the attempt after `failed_attempts` failures, before jitter.
std::chrono::milliseconds backoff_delay(const DeliveryPolicy &policy, int failed_attempts);

class EventDeliverer {
public:
    // "delivered", "retrying" (an attempt failed, another comes) or "failed" (given up).
    using OutcomeListener = std::function<void(const std::string &endpoint, std::string_view outcome)>;

    EventDeliverer(EventLog &log, DeliveryStore &store, Clock &clock, std::vector<EventEndpoint> endpoints,
                   DeliveryPolicy policy, OutcomeListener on_outcome = {});
    ~EventDeliverer();  // stops

    // Reads each endpoint's position first (an endpoint new to relais.db starts after the
    // log's last event), so every event emitted once start() returns is delivered.
    void start();
    // Lets each endpoint finish the attempt it is making (bounded by the timeout), then returns.
    void stop();
    // A new event is in the log, or a failed delivery was put back: endpoints look again.
    void notify();

    const std::vector<EventEndpoint> &endpoints() const { return endpoints_; }

private:
    struct Worker;
    void run(Worker &worker);
    // nullopt: delivered (2xx); otherwise what went wrong, without secrets.
    std::optional<std::string> post(const Worker &worker, const Event &event) const;
    std::optional<int64_t> retry_time(int failed_attempts) const;
    void wait(Worker &worker, uint64_t seen, int64_t deadline_ms);
    void report(const std::string &endpoint, std::string_view outcome) const;

    EventLog &log_;
    DeliveryStore &store_;
    Clock &clock_;
    std::vector<EventEndpoint> endpoints_;
    DeliveryPolicy policy_;
    OutcomeListener on_outcome_;
    bool tls_ = false;
    std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace relais::host::events
