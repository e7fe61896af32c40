// Every request an emulator received, for tests to assert on. Thread-safe.
#pragma once

#include "emulator_clock.hpp"

#include <Poco/Net/NameValueCollection.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace relais::emulator {

struct RecordedRequest {
    std::uint64_t id = 0;
    EmulatorClock::time_point time;  // arrival, on the emulator's clock
    std::string method;
    std::string path;
    std::string query;
    std::string route;               // the template that matched, "" for none
    Poco::Net::NameValueCollection headers;
    std::string body;
    int status = 0;                  // 0 while unanswered, and when dropped without an answer
};

// Whether `r` is a `method` request ("" for any) on `path`: the route template that matched it,
// or a path prefix (see path_under).
bool matches(const RecordedRequest &r, const std::string &method, const std::string &path);

class RequestLog {
public:
    // Records a request as it arrives (so a test can see one the emulator holds); returns its id.
    std::uint64_t add(RecordedRequest request);
    void set_status(std::uint64_t id, int status);

    std::vector<RecordedRequest> all() const;
    std::size_t count(const std::string &method, const std::string &path) const;
    void clear();
    // Waits until count(method, path) >= n; false if `timeout` passes first.
    bool wait_for_count(const std::string &method, const std::string &path, std::size_t n,
                        std::chrono::milliseconds timeout) const;
    // The most requests under `path_prefix` that arrived within one fixed one-second window of
    // the emulator's clock (the windows quotas count in), over-quota ones included.
    std::size_t max_in_one_second(const std::string &path_prefix = "") const;

private:
    std::size_t count_locked(const std::string &method, const std::string &path) const;

    mutable std::mutex mutex_;
    mutable std::condition_variable added_;
    std::vector<RecordedRequest> requests_;
    std::uint64_t next_id_ = 1;
};

}  // namespace relais::emulator
