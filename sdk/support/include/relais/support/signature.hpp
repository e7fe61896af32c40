// Shared-secret signatures, as webhooks use them (Mindee's X-Mindee-Hmac-Signature, a
// connector's own signed callbacks): HMAC-SHA256 and a comparison whose time says nothing
// about where two values differ.
#pragma once

#include <relais/support/bytes.hpp>

#include <string>
#include <string_view>

namespace relais::support {

// hmac_sha256_hex (HMAC-SHA256 of a message under a key, as lowercase hex) is in bytes.hpp.

// True when a and b are equal, in a time that depends only on their lengths.
bool equal_in_constant_time(std::string_view a, std::string_view b);

// True when `signature_hex` (either case) is the HMAC-SHA256 of `message` under `key`.
bool hmac_sha256_matches(std::string_view key, std::string_view message, std::string_view signature_hex);

}  // namespace relais::support
