// The numbered schema migrations of relais.db, one list for every table the host keeps there
// (jobs, attempts, quotas, plugin state, events). Applied in order at open, in one transaction.
#pragma once

#include <array>
#include <cstddef>

namespace relais::host {

struct Migration {
    int version;
    const char *sql;
};

inline constexpr std::size_t kMigrationCount = 6;
extern const std::array<Migration, kMigrationCount> kMigrations;

}  // namespace relais::host
