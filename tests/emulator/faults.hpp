// Faults injected on demand: the next N requests (optionally only under a path prefix) fail
// the way real APIs and networks do. Thread-safe; consumed in the order injected.
#pragma once

#include "http_message.hpp"

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace relais::emulator {

struct Fault {
    enum class Kind {
        too_many_requests,  // 429, with Retry-After
        server_error,       // 500
        unavailable,        // 503, with Retry-After when retry_after > 0
        hang,               // no answer for hang_for (or until stop()), then handled as usual
        reset,              // the connection is dropped with a TCP reset, no answer
        malformed_body,     // 200 whose JSON body is cut short
    };

    Kind kind;
    std::chrono::seconds retry_after{0};
    std::chrono::milliseconds hang_for{0};
    std::string path_prefix;  // only requests under it (see path_under); "" for any

    static Fault too_many_requests(std::chrono::seconds retry_after = std::chrono::seconds(1));
    static Fault server_error();
    static Fault unavailable(std::chrono::seconds retry_after = std::chrono::seconds(0));
    static Fault hang(std::chrono::milliseconds hang_for);
    static Fault reset();
    static Fault malformed_body();
    Fault under(std::string prefix) const;
};

// The answer for the faults that have one (not hang, not reset).
Response fault_response(const Fault &fault);

class FaultQueue {
public:
    void push(const Fault &fault, int count);
    // The first queued fault that applies to `path`, used up by one.
    std::optional<Fault> take(const std::string &path);
    void clear();
    std::size_t pending() const;

private:
    mutable std::mutex mutex_;
    std::deque<std::pair<Fault, int>> queue_;
};

}  // namespace relais::emulator
