// The cost of one execute round trip through the plugin ABI (host -> C table -> C++ helper
// -> action -> writer callback -> host), against the same work done by a direct C++ virtual
// call. Both sides parse and write the same small JSON document, so the difference is the
// boundary itself: the call struct, the output collector, the action lookup, the status.
#include "direct_echo.hpp"

#include "plugins/plugin_registry.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
const std::string kInput = R"({"siret":"39860733300059","lookup":true,"n":42})";

// Median of `rounds` timings of `calls` calls, in nanoseconds per call.
template <class F>
double ns_per_call(int rounds, int calls, F &&call) {
    std::vector<double> samples;
    for (int r = 0; r < rounds; ++r) {
        const auto start = Clock::now();
        for (int i = 0; i < calls; ++i) call();
        const std::chrono::duration<double, std::nano> elapsed = Clock::now() - start;
        samples.push_back(elapsed.count() / calls);
    }
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
}

}  // namespace

int main(int argc, char **argv) {
    const int calls = argc > 1 ? std::atoi(argv[1]) : 200000;
    const int rounds = 7;

    auto registry = relais::host::PluginRegistry::scan(RELAIS_BENCH_PLUGIN_DIR);
    const auto *plugin = registry.find("diagnostics");
    if (!plugin || !plugin->instance->configure("{}").ok()) {
        std::fprintf(stderr, "cannot load the diagnostics plugin from %s\n", RELAIS_BENCH_PLUGIN_DIR);
        return 1;
    }
    auto instance = plugin->instance;
    auto direct = make_direct_echo();

    // Both must produce the same answer, or the comparison means nothing.
    const auto via_abi = instance->execute("echo", kInput, "bench");
    if (!via_abi.ok() || via_abi.body != direct->call(kInput)) {
        std::fprintf(stderr, "the two paths disagree: '%s' vs '%s'\n", via_abi.body.c_str(), direct->call(kInput).c_str());
        return 1;
    }

    size_t sink = 0;
    const double baseline = ns_per_call(rounds, calls, [&] { sink += direct->call(kInput).size(); });
    const double abi = ns_per_call(rounds, calls, [&] { sink += instance->execute("echo", kInput, "bench").body.size(); });

    std::printf("ABI execute round trip, %d calls x %d rounds (median), input %zu bytes\n", calls, rounds, kInput.size());
    std::printf("  baseline  direct virtual call, same JSON work : %8.0f ns/call\n", baseline);
    std::printf("  relais    execute through the plugin ABI      : %8.0f ns/call\n", abi);
    std::printf("  ratio     abi / baseline                      : %8.2f  (boundary overhead %.0f ns)\n",
                abi / baseline, abi - baseline);
    return sink == 0 ? 1 : 0;
}
