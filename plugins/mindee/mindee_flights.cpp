#include "mindee_flights.hpp"

namespace relais::mindee {

Json Flights::run(const std::string &key, std::chrono::milliseconds max_wait, const std::function<Json()> &read) {
    const auto deadline = std::chrono::steady_clock::now() + max_wait;
    for (;;) {
        std::shared_ptr<Flight> flight;
        bool leader = false;
        {
            std::unique_lock lock(mutex_);
            auto it = flights_.find(key);
            if (it == flights_.end()) {
                flight = std::make_shared<Flight>();
                flights_.emplace(key, flight);
                leader = true;
                ++led_;
            } else {
                flight = it->second;
                if (!landed_.wait_until(lock, deadline, [&] { return flight->done; }))
                    throw transient("another read of the same file is still under way; try again in a moment");
                if (flight->body) {
                    ++joined_;
                    return flight->body;
                }
                continue;  // the leader failed: lead the next try
            }
        }
        if (leader) {
            Json body;
            try {
                body = read();
            } catch (...) {
                std::lock_guard lock(mutex_);
                flight->done = true;
                flights_.erase(key);
                landed_.notify_all();
                throw;
            }
            std::lock_guard lock(mutex_);
            flight->done = true;
            flight->body = body;
            flights_.erase(key);
            landed_.notify_all();
            return body;
        }
    }
}

std::size_t Flights::led() const {
    std::lock_guard lock(mutex_);
    return led_;
}

std::size_t Flights::joined() const {
    std::lock_guard lock(mutex_);
    return joined_;
}

}  // namespace relais::mindee
