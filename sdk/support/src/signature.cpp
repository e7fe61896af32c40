#include "relais/support/signature.hpp"

#include <cctype>

namespace relais::support {

bool equal_in_constant_time(std::string_view a, std::string_view b) { return constant_time_equal(a, b); }

bool hmac_sha256_matches(std::string_view key, std::string_view message, std::string_view signature_hex) {
    std::string lower(signature_hex);
    for (auto &c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return constant_time_equal(hmac_sha256_hex(key, message), lower);
}

}  // namespace relais::support
