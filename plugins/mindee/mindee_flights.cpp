#include "mindee_flights.hpp"

namespace relais::mindee {

Json Flights::run(const std::string &key, std::chrono::milliseconds max_wait, const std::function<Json()> &read) {
    const auto deadline = std::chrono::steady_clock::now() + max_wait;
    std::shared_ptr<Flight> flight;
    {
        std::unique_lock lock(mutex_);
        // Wait for the reads of the same file under way; lead once none is (or the last failed).
        for (auto it = flights_.find(key); it != flights_.end(); it = flights_.find(key)) {
            const auto other = it->second;
            if (!landed_.wait_until(lock, deadline, [&] { return other->done; }))
                throw transient("another read of the same file is still under way; try again in a moment");
            if (other->body) return other->body;
        }
        flight = std::make_shared<Flight>();
        flights_.emplace(key, flight);
    }
    const auto land = [&](Json body) {
        std::lock_guard lock(mutex_);
        flight->done = true;
        flight->body = std::move(body);
        flights_.erase(key);
        landed_.notify_all();
    };
    Json body;
    try {
        body = read();
    } catch (...) {
        land(nullptr);
        throw;
    }
    land(body);
    return body;
}

}  // namespace relais::mindee
