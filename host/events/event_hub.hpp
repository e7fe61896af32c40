// The events of a running host in one place: the log plugins emit into, the delivery
// positions, the deliverer pushing to endpoints, and the retention that purges old events.
// The service builds one once the job store has migrated relais.db.
#pragma once

#include "events/delivery_store.hpp"
#include "events/event_deliverer.hpp"
#include "events/event_log.hpp"
#include "jobs/clock.hpp"

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

namespace relais::host {
class Metrics;
}

namespace relais::host::events {

struct EventHubOptions {
    EventDbOptions db;
    // Events are deleted this long after they were emitted; 0 keeps them.
    int64_t retention_ms = 30LL * 86'400'000;
    int64_t purge_interval_ms = 3'600'000;
    std::vector<EventEndpoint> endpoints;
    DeliveryPolicy delivery;
};

class EventHub {
public:
    // `metrics` (may be null) counts events emitted and deliveries by outcome.
    EventHub(const std::filesystem::path &data_dir, Clock &clock, EventHubOptions options, Metrics *metrics = nullptr);
    ~EventHub();  // stops

    // Starts the deliveries and the retention (a first purge right away).
    void start();
    void stop();

    EventLog &log() { return log_; }
    DeliveryStore &deliveries() { return deliveries_; }
    const std::vector<EventEndpoint> &endpoints() const { return deliverer_.endpoints(); }

    // Sends the event's failed deliveries again (their attempts count from zero); how many.
    int retry_failed(const Event &event);
    // Deletes the events past retention now; how many.
    int purge();

private:
    void run_retention();

    Clock &clock_;
    EventHubOptions options_;
    EventLog log_;
    DeliveryStore deliveries_;
    EventDeliverer deliverer_;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool stopping_ = true;
    std::thread retention_;
};

}  // namespace relais::host::events
