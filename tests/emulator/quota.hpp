// A request quota as API gateways count it: fixed one-second windows and a per-day counter
// (UTC days), both on the emulator's clock. Not synchronized: the server guards it.
#pragma once

#include "emulator_clock.hpp"
#include "http_message.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace relais::emulator {

struct QuotaExceeded {
    enum class Window { second, day };
    Window window;
    std::chrono::seconds retry_after;  // until the window resets, at least 1 s
};

// Builds the answer to an over-quota request; by default default_over_quota_response.
using OverQuotaResponse = std::function<Response(const Request &, const QuotaExceeded &)>;

// 429 with Retry-After and {"error": "quota_exceeded", "message": ..., "retry_after": seconds}.
Response default_over_quota_response(const Request &request, const QuotaExceeded &exceeded);

class Quota {
public:
    // 0 means no limit for that window.
    Quota(int per_second, int per_day, OverQuotaResponse over_quota = {});

    // Whether one more request at `now` would exceed the quota (nothing is counted).
    std::optional<QuotaExceeded> check(EmulatorClock::time_point now);
    // Counts a request at `now`. Refused requests are not counted, as most gateways do.
    void count(EmulatorClock::time_point now);
    Response over_quota_response(const Request &request, const QuotaExceeded &exceeded) const;

private:
    void roll(EmulatorClock::time_point now);

    int per_second_;
    int per_day_;
    OverQuotaResponse over_quota_;
    long long second_ = 0;  // the current windows, as seconds and days since the epoch
    long long day_ = 0;
    int in_second_ = 0;
    int in_day_ = 0;
};

}  // namespace relais::emulator
