#include "config/environment.hpp"

#include <string_view>

extern char **environ;

namespace relais::host {

Environment process_environment() {
    Environment environment;
    for (char **entry = environ; entry && *entry; ++entry) {
        const std::string_view text(*entry);
        const std::size_t equals = text.find('=');
        if (equals == std::string_view::npos) continue;
        environment.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }
    return environment;
}

}  // namespace relais::host
