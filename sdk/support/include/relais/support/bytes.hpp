// relais/support/bytes.hpp: encodings and digests of byte strings that connectors exchange
// with their APIs: base64 (files inside JSON), SHA-256 (deduplication keys, checksums),
// HMAC-SHA256 (webhook signatures) and a comparison that takes the same time for any input.
//
// A byte string is a std::string (or a view of one): it may hold any byte, NUL included.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace relais::support {

// Standard base64 (RFC 4648 section 4) with '=' padding, on one line.
std::string base64_encode(std::string_view bytes);
// The URL- and file-name-safe alphabet (RFC 4648 section 5: '-' and '_' for '+' and '/'),
// without padding unless asked, as JWTs and most webhook signatures use it.
std::string base64url_encode(std::string_view bytes, bool padding = false);

// Text that is not what the decoder accepts; index() is the position in the input of the
// first character that is wrong (the input's size when the text ends too early).
class Base64Error : public std::invalid_argument {
public:
    Base64Error(std::size_t index, const std::string &message) : std::invalid_argument(message), index_(index) {}
    std::size_t index() const { return index_; }

private:
    std::size_t index_;
};

// Strict decoding. CR, LF and space are skipped wherever they appear (MIME encoders break lines
// every 76 characters, and ERP exports often keep those breaks); any other character outside
// the alphabet is refused, and so is a length that is not a multiple of four, '=' anywhere but
// in the last one or two places, and unused bits that are not zero (no encoder writes them,
// so they mean the text was cut or altered). Throws Base64Error.
std::string base64_decode(std::string_view text);
// The same for the URL-safe alphabet; the padding is optional there.
std::string base64url_decode(std::string_view text);

// The length of base64_encode's result for `size` bytes.
constexpr std::size_t base64_encoded_size(std::size_t size) { return (size + 2) / 3 * 4; }

// Lowercase hexadecimal, two digits a byte.
std::string hex_encode(std::string_view bytes);

// SHA-256 of `bytes` (FIPS 180-4), as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

// HMAC-SHA256 (RFC 2104) of `message` under `key`, as 64 lowercase hex digits.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// Whether `a` and `b` are equal, in a time that depends on their lengths only, not on where
// they differ: comparing a received signature with the expected one must not tell an attacker
// how many leading characters were right. Lengths are not secret (a signature's is public).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace relais::support
