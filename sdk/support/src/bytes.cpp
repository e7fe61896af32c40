#include <relais/support/bytes.hpp>

#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>

#include <array>
#include <cstdint>

namespace relais::support {

namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlSafe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::int8_t kNotInAlphabet = -1;

// Character → 6-bit value, kNotInAlphabet for the rest.
using DecodeTable = std::array<std::int8_t, 256>;
constexpr DecodeTable decode_table(const char *alphabet) {
    DecodeTable table{};
    for (auto &v : table) v = kNotInAlphabet;
    for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}
constexpr DecodeTable kStandardTable = decode_table(kStandard);
constexpr DecodeTable kUrlSafeTable = decode_table(kUrlSafe);

std::string encode(std::string_view bytes, const char *alphabet, bool padding) {
    std::string out;
    out.reserve(base64_encoded_size(bytes.size()));
    std::size_t i = 0;
    const auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
    for (; i + 3 <= bytes.size(); i += 3) {
        const auto v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += alphabet[v >> 6 & 63];
        out += alphabet[v & 63];
    }
    const auto rest = bytes.size() - i;
    if (rest > 0) {
        const auto v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        if (rest == 2) out += alphabet[v >> 6 & 63];
        if (padding) out.append(3 - rest, '=');
    }
    return out;
}

bool skipped(char c) { return c == '\r' || c == '\n' || c == ' '; }

std::string describe(char c) {
    const auto u = static_cast<unsigned char>(c);
    static constexpr char hex[] = "0123456789abcdef";
    std::string code = std::string("0x") + hex[u >> 4] + hex[u & 15];
    if (u >= 0x21 && u < 0x7f) return "'" + std::string(1, c) + "' (" + code + ")";
    return code;
}

std::string decode(std::string_view text, const DecodeTable &table, bool padding_required) {
    std::string out;
    out.reserve(text.size() / 4 * 3 + 3);
    std::uint32_t bits = 0;
    int pending = 0;       // characters of the current quantum (0..3)
    std::size_t last = 0;  // index of the last alphabet character
    std::size_t pads = 0;
    std::size_t first_pad = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (skipped(c)) continue;
        if (c == '=') {
            if (pads == 0) first_pad = i;
            if (pending < 2 || pending + pads >= 4)
                throw Base64Error(i, "'=' at index " + std::to_string(i) + " is not where padding can be");
            ++pads;
            continue;
        }
        const auto v = table[static_cast<unsigned char>(c)];
        if (v == kNotInAlphabet)
            throw Base64Error(i, "the character " + describe(c) + " at index " + std::to_string(i) +
                                     " is not a base64 character");
        if (pads > 0)
            throw Base64Error(i, "the character at index " + std::to_string(i) +
                                     " comes after the padding, which only ends the text");
        bits = bits << 6 | static_cast<std::uint32_t>(v);
        last = i;
        if (++pending == 4) {
            out += static_cast<char>(bits >> 16 & 0xff);
            out += static_cast<char>(bits >> 8 & 0xff);
            out += static_cast<char>(bits & 0xff);
            bits = 0;
            pending = 0;
        }
    }
    if (pending == 1) throw Base64Error(text.size(), "the text ends with a lone character (it was cut)");
    if (pending > 0) {
        if (pads > 0 && pending + pads != 4)
            throw Base64Error(first_pad, "the padding at index " + std::to_string(first_pad) + " is incomplete");
        if (pads == 0 && padding_required)
            throw Base64Error(text.size(), "the text ends without the padding its length needs (it was cut)");
        // 2 characters carry 1 byte and 4 spare bits; 3 carry 2 bytes and 2 spare bits.
        const int spare = pending == 2 ? 4 : 2;
        if ((bits & ((1u << spare) - 1)) != 0)
            throw Base64Error(last, "the character at index " + std::to_string(last) +
                                        " has unused bits set (the text was cut or altered)");
        bits >>= spare;
        if (pending == 3) out += static_cast<char>(bits >> 8 & 0xff);
        out += static_cast<char>(bits & 0xff);
    }
    return out;
}

// Poco 1.11's SHA2Engine lacks the BLOCK_SIZE and DIGEST_SIZE that HMACEngine reads.
class Sha256Engine : public Poco::SHA2Engine {
public:
    enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
    Sha256Engine() : Poco::SHA2Engine(SHA_256) {}
};

std::string hex_of(const Poco::DigestEngine::Digest &digest) {
    return hex_encode(std::string_view(reinterpret_cast<const char *>(digest.data()), digest.size()));
}

}  // namespace

std::string base64_encode(std::string_view bytes) { return encode(bytes, kStandard, true); }

std::string base64url_encode(std::string_view bytes, bool padding) { return encode(bytes, kUrlSafe, padding); }

std::string base64_decode(std::string_view text) { return decode(text, kStandardTable, true); }

std::string base64url_decode(std::string_view text) { return decode(text, kUrlSafeTable, false); }

std::string hex_encode(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        out += digits[u >> 4];
        out += digits[u & 15];
    }
    return out;
}

std::string sha256_hex(std::string_view bytes) {
    Sha256Engine engine;
    engine.update(bytes.data(), bytes.size());
    return hex_of(engine.digest());
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
    Poco::HMACEngine<Sha256Engine> engine(key.data(), key.size());
    engine.update(message.data(), message.size());
    return hex_of(engine.digest());
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    // volatile: keeps the compiler from turning the loop into an early-exit comparison.
    volatile unsigned char difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        difference = difference | static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

}  // namespace relais::support
