#include "request_log.hpp"

#include "router.hpp"

#include <algorithm>
#include <map>

namespace relais::emulator {

bool matches(const RecordedRequest &r, const std::string &method, const std::string &path) {
    if (!method.empty() && r.method != method) return false;
    return (!r.route.empty() && r.route == path) || path_under(r.path, path);
}

std::uint64_t RequestLog::add(RecordedRequest request) {
    std::lock_guard lock(mutex_);
    request.id = next_id_++;
    requests_.push_back(std::move(request));
    added_.notify_all();
    return requests_.back().id;
}

void RequestLog::set_status(std::uint64_t id, int status) {
    std::lock_guard lock(mutex_);
    // Recent requests are answered first: search from the end. Absent after clear().
    for (auto it = requests_.rbegin(); it != requests_.rend(); ++it)
        if (it->id == id) {
            it->status = status;
            return;
        }
}

std::vector<RecordedRequest> RequestLog::all() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::size_t RequestLog::count(const std::string &method, const std::string &path) const {
    std::lock_guard lock(mutex_);
    return count_locked(method, path);
}

std::size_t RequestLog::count_locked(const std::string &method, const std::string &path) const {
    return static_cast<std::size_t>(std::count_if(requests_.begin(), requests_.end(),
                                                  [&](const auto &r) { return matches(r, method, path); }));
}

void RequestLog::clear() {
    std::lock_guard lock(mutex_);
    requests_.clear();
}

bool RequestLog::wait_for_count(const std::string &method, const std::string &path, std::size_t n,
                                std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return added_.wait_for(lock, timeout, [&] { return count_locked(method, path) >= n; });
}

std::size_t RequestLog::max_in_one_second(const std::string &path_prefix) const {
    std::lock_guard lock(mutex_);
    std::map<long long, std::size_t> per_window;
    std::size_t most = 0;
    for (const auto &r : requests_) {
        if (!path_under(r.path, path_prefix)) continue;
        const auto window = std::chrono::floor<std::chrono::seconds>(r.time.time_since_epoch()).count();
        most = std::max(most, ++per_window[window]);
    }
    return most;
}

}  // namespace relais::emulator
