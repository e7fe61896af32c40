// Checks on a log of grant times, for the quota tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace relais::test {

// The most grants in any window [t, t + width), over every t (checking the windows that start
// at a grant is enough: sliding one left to the next grant loses nothing).
inline int max_in_window(std::vector<int64_t> times, int64_t width) {
    std::sort(times.begin(), times.end());
    int best = 0;
    size_t end = 0;
    for (size_t start = 0; start < times.size(); ++start) {
        while (end < times.size() && times[end] < times[start] + width) ++end;
        best = std::max(best, static_cast<int>(end - start));
    }
    return best;
}

}  // namespace relais::test
