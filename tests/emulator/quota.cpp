#include "quota.hpp"

#include <Poco/JSON/Object.h>

namespace relais::emulator {

using namespace std::chrono;

Response default_over_quota_response(const Request &, const QuotaExceeded &exceeded) {
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("error", "quota_exceeded");
    body->set("message", exceeded.window == QuotaExceeded::Window::second ? "too many requests per second"
                                                                         : "daily quota exhausted");
    body->set("retry_after", exceeded.retry_after.count());
    return Response::json(429, body).header("Retry-After", std::to_string(exceeded.retry_after.count()));
}

Quota::Quota(int per_second, int per_day, OverQuotaResponse over_quota)
    : per_second_(per_second), per_day_(per_day),
      over_quota_(over_quota ? std::move(over_quota) : default_over_quota_response) {}

void Quota::roll(EmulatorClock::time_point now) {
    const auto second = floor<seconds>(now.time_since_epoch()).count();
    const auto day = floor<days>(now.time_since_epoch()).count();
    if (second != second_) {
        second_ = second;
        in_second_ = 0;
    }
    if (day != day_) {
        day_ = day;
        in_day_ = 0;
    }
}

std::optional<QuotaExceeded> Quota::check(EmulatorClock::time_point now) {
    roll(now);
    // Retry-After is whole seconds: round the wait up, so a client that obeys it lands in a new window.
    const auto until = [&](auto window_end) {
        return std::max(seconds(1), ceil<seconds>(window_end - now.time_since_epoch()));
    };
    if (per_day_ > 0 && in_day_ >= per_day_)
        return QuotaExceeded{QuotaExceeded::Window::day, until(days(day_ + 1))};
    if (per_second_ > 0 && in_second_ >= per_second_)
        return QuotaExceeded{QuotaExceeded::Window::second, until(seconds(second_ + 1))};
    return std::nullopt;
}

void Quota::count(EmulatorClock::time_point now) {
    roll(now);
    ++in_second_;
    ++in_day_;
}

Response Quota::over_quota_response(const Request &request, const QuotaExceeded &exceeded) const {
    return over_quota_(request, exceeded);
}

}  // namespace relais::emulator
