#include "events/event_signature.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <array>

namespace relais::host::events {
namespace {

constexpr std::size_t kBlockSize = 64;  // SHA-256 works on 64-byte blocks

Poco::DigestEngine::Digest sha256(std::string_view first, std::string_view second) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(first.data(), static_cast<unsigned>(first.size()));
    engine.update(second.data(), static_cast<unsigned>(second.size()));
    return engine.digest();
}

}  // namespace

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
    // A key longer than a block is replaced by its digest; a shorter one is padded with zeros.
    std::array<unsigned char, kBlockSize> block{};
    if (key.size() > kBlockSize) {
        const auto digest = sha256(key, {});
        std::copy(digest.begin(), digest.end(), block.begin());
    } else {
        std::copy(key.begin(), key.end(), block.begin());
    }
    std::string inner_pad(kBlockSize, '\0'), outer_pad(kBlockSize, '\0');
    for (std::size_t i = 0; i < kBlockSize; ++i) {
        inner_pad[i] = static_cast<char>(block[i] ^ 0x36);
        outer_pad[i] = static_cast<char>(block[i] ^ 0x5c);
    }
    const auto inner = sha256(inner_pad, message);
    const auto outer = sha256(outer_pad, std::string_view(reinterpret_cast<const char *>(inner.data()), inner.size()));
    return Poco::DigestEngine::digestToHex(outer);
}

std::string signature_header(std::string_view secret, int64_t unix_seconds, std::string_view body) {
    const std::string t = std::to_string(unix_seconds);
    std::string signed_text;
    signed_text.reserve(t.size() + 1 + body.size());
    signed_text.append(t).append(".").append(body);
    return "t=" + t + ",v1=" + hmac_sha256_hex(secret, signed_text);
}

}  // namespace relais::host::events
