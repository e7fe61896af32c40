#include "events/event_hub.hpp"

#include "observability/metrics.hpp"

#include <Poco/Logger.h>

namespace relais::host::events {
namespace {

Poco::Logger &logger() { return Poco::Logger::get("relais.events"); }

}  // namespace

EventHub::EventHub(const std::filesystem::path &data_dir, Clock &clock, EventHubOptions options, Metrics *metrics)
    : clock_(clock), options_(std::move(options)), log_(data_dir, clock, options_.db), deliveries_(data_dir, options_.db),
      deliverer_(log_, deliveries_, clock, options_.endpoints, options_.delivery,
                 [metrics](const std::string &endpoint, std::string_view outcome) {
                     if (metrics) metrics->record_event_delivery(endpoint, outcome);
                 }) {
    log_.set_on_emitted([this, metrics](const Event &event) {
        if (metrics) metrics->record_event(event.connector);
        deliverer_.notify();
    });
}

EventHub::~EventHub() { stop(); }

void EventHub::start() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!stopping_) return;
        stopping_ = false;
    }
    deliverer_.start();
    if (options_.retention_ms > 0) retention_ = std::thread([this] { run_retention(); });
}

void EventHub::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    if (retention_.joinable()) retention_.join();
    deliverer_.stop();
}

int EventHub::retry_failed(const Event &event) {
    const int count = deliveries_.retry_failed(event.sequence, clock_.now_ms());
    if (count > 0) deliverer_.notify();
    return count;
}

int EventHub::purge() {
    if (options_.retention_ms <= 0) return 0;
    // In batches, so the file's write lock is never held long; at most 100,000 a pass.
    constexpr int kBatch = 1000;
    int purged = 0, batch = kBatch;
    const int64_t cutoff = clock_.now_ms() - options_.retention_ms;
    for (int i = 0; i < 100 && batch == kBatch; ++i) {
        batch = log_.purge_created_before(cutoff, kBatch);
        purged += batch;
    }
    if (purged > 0) logger().information(std::to_string(purged) + " event(s) past their retention deleted");
    return purged;
}

void EventHub::run_retention() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        try {
            purge();
        } catch (const std::exception &e) {
            logger().error(std::string("cannot purge old events: ") + e.what());
        }
        lock.lock();
        const int64_t next = clock_.now_ms() + options_.purge_interval_ms;
        while (!stopping_ && clock_.now_ms() < next) clock_.wait_until(lock, changed_, next);
    }
}

}  // namespace relais::host::events
