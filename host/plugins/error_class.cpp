#include "plugins/error_class.hpp"

#include <array>

namespace relais::host {
namespace {

constexpr std::array<std::string_view, 11> kNames = {
    "ok",        "invalid_config", "invalid_input", "unauthorized", "forbidden", "not_found",
    "rate_limited", "transient",   "permanent",     "internal",     "unsupported",
};

}  // namespace

std::string_view status_name(relais_status status) {
    const auto index = static_cast<size_t>(sanitize_status(static_cast<int>(status)));
    return kNames[index];
}

std::optional<relais_status> status_from_name(std::string_view name) {
    for (size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name) return static_cast<relais_status>(i);
    return std::nullopt;
}

relais_status sanitize_status(int raw) {
    if (raw < RELAIS_OK || raw > RELAIS_UNSUPPORTED) return RELAIS_INTERNAL;
    return static_cast<relais_status>(raw);
}

int exit_code_for(relais_status status) {
    const auto s = sanitize_status(static_cast<int>(status));
    return s == RELAIS_OK ? 0 : 2 + static_cast<int>(s);
}

}  // namespace relais::host
