#include "faults.hpp"

#include "router.hpp"

namespace relais::emulator {

Fault Fault::too_many_requests(std::chrono::seconds retry_after) {
    return {Kind::too_many_requests, retry_after, {}, {}};
}
Fault Fault::server_error() { return {Kind::server_error, {}, {}, {}}; }
Fault Fault::unavailable(std::chrono::seconds retry_after) { return {Kind::unavailable, retry_after, {}, {}}; }
Fault Fault::hang(std::chrono::milliseconds hang_for) { return {Kind::hang, {}, hang_for, {}}; }
Fault Fault::reset() { return {Kind::reset, {}, {}, {}}; }
Fault Fault::malformed_body() { return {Kind::malformed_body, {}, {}, {}}; }

Fault Fault::under(std::string prefix) const {
    Fault f = *this;
    f.path_prefix = std::move(prefix);
    return f;
}

Response fault_response(const Fault &fault) {
    const auto with_retry_after = [&](Response r) {
        if (fault.retry_after.count() > 0) r.header("Retry-After", std::to_string(fault.retry_after.count()));
        return r;
    };
    switch (fault.kind) {
    case Fault::Kind::too_many_requests:
        return with_retry_after(error_response(429, "too_many_requests", "injected fault"));
    case Fault::Kind::unavailable:
        return with_retry_after(error_response(503, "unavailable", "injected fault"));
    case Fault::Kind::malformed_body:
        return Response::json(200, R"({"status":"OK","data":[{"id":1,"label":"trunc)");
    case Fault::Kind::server_error:
    case Fault::Kind::hang:   // the server handles these two itself; a 500 would show a misuse
    case Fault::Kind::reset:
        break;
    }
    return error_response(500, "internal_error", "injected fault");
}

void FaultQueue::push(const Fault &fault, int count) {
    if (count <= 0) return;
    std::lock_guard lock(mutex_);
    queue_.emplace_back(fault, count);
}

std::optional<Fault> FaultQueue::take(const std::string &path) {
    std::lock_guard lock(mutex_);
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        if (!path_under(path, it->first.path_prefix)) continue;
        Fault fault = it->first;
        if (--it->second == 0) queue_.erase(it);
        return fault;
    }
    return std::nullopt;
}

void FaultQueue::clear() {
    std::lock_guard lock(mutex_);
    queue_.clear();
}

std::size_t FaultQueue::pending() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto &[fault, count] : queue_) n += static_cast<std::size_t>(count);
    return n;
}

}  // namespace relais::emulator
