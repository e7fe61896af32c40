// The signature of a pushed event, so a receiver knows it comes from this host and is fresh:
//   Relais-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>
// The receiver recomputes v1 over the exact bytes it received, compares in constant time and
// refuses a t too far from its own clock (5 minutes), which defeats replays.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace relais::host::events {

// HMAC-SHA256 (RFC 2104 over FIPS 180-4), as 64 lowercase hex digits.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// The Relais-Signature header's value for `body` sent at `unix_seconds`.
std::string signature_header(std::string_view secret, int64_t unix_seconds, std::string_view body);

}  // namespace relais::host::events
