#include "ntlm_server.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/HMACEngine.h>
#include <Poco/MD5Engine.h>
#include <Poco/Net/NTLMCredentials.h>
#include <Poco/String.h>
#include <Poco/TextConverter.h>
#include <Poco/UTF16Encoding.h>
#include <Poco/UTF8Encoding.h>
#include <Poco/UTF8String.h>

#include <cstdint>
#include <random>
#include <sstream>
#include <thread>

namespace relais::emulator {

namespace {

using Bytes = std::vector<unsigned char>;

constexpr std::uint32_t kNegotiateUnicode = 0x00000001;
constexpr std::uint32_t kRequestTarget = 0x00000004;
constexpr std::uint32_t kNegotiateNtlm = 0x00000200;
constexpr std::uint32_t kAlwaysSign = 0x00008000;
constexpr std::uint32_t kTargetTypeDomain = 0x00010000;
constexpr std::uint32_t kExtendedSessionSecurity = 0x00080000;
constexpr std::uint32_t kTargetInfo = 0x00800000;

const unsigned char kSignature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

std::uint16_t u16(const Bytes &b, std::size_t at) { return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8)); }
std::uint32_t u32(const Bytes &b, std::size_t at) {
    return static_cast<std::uint32_t>(b[at]) | (static_cast<std::uint32_t>(b[at + 1]) << 8) |
           (static_cast<std::uint32_t>(b[at + 2]) << 16) | (static_cast<std::uint32_t>(b[at + 3]) << 24);
}
void put16(Bytes &b, std::uint16_t v) {
    b.push_back(static_cast<unsigned char>(v & 0xFF));
    b.push_back(static_cast<unsigned char>(v >> 8));
}
void put32(Bytes &b, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<unsigned char>((v >> (8 * i)) & 0xFF));
}

std::string utf16le(const std::string &utf8) {
    Poco::UTF8Encoding from;
    Poco::UTF16Encoding to(Poco::UTF16Encoding::LITTLE_ENDIAN_BYTE_ORDER);
    std::string out;
    Poco::TextConverter(from, to).convert(utf8, out);
    return out;
}

std::string utf8_of_utf16le(const Bytes &b, std::size_t at, std::size_t length) {
    Poco::UTF16Encoding from(Poco::UTF16Encoding::LITTLE_ENDIAN_BYTE_ORDER);
    Poco::UTF8Encoding to;
    std::string out;
    Poco::TextConverter(from, to).convert(b.data() + at, static_cast<int>(length), out);
    return out;
}

void put_av_pair(Bytes &b, std::uint16_t id, const std::string &value) {
    put16(b, id);
    put16(b, static_cast<std::uint16_t>(value.size()));
    b.insert(b.end(), value.begin(), value.end());
}

std::string base64(const Bytes &bytes) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    encoder.close();
    return out.str();
}

std::optional<Bytes> unbase64(const std::string &text) {
    try {
        std::istringstream in(text);
        Poco::Base64Decoder decoder(in);
        Bytes out;
        char c;
        while (decoder.get(c)) out.push_back(static_cast<unsigned char>(c));
        return out;
    } catch (const Poco::Exception &) {
        return std::nullopt;
    }
}

// The message of "Authorization: NTLM <base64>", with its type (1 or 3); nullopt otherwise.
std::optional<std::pair<std::uint32_t, Bytes>> ntlm_message(const Request &request) {
    const auto header = request.header("Authorization");
    if (!header) return std::nullopt;
    const auto value = Poco::trim(*header);
    if (value.size() < 5 || Poco::icompare(value.substr(0, 5), "NTLM ") != 0) return std::nullopt;
    auto bytes = unbase64(Poco::trim(value.substr(5)));
    if (!bytes || bytes->size() < 16 || !std::equal(kSignature, kSignature + 8, bytes->begin())) return std::nullopt;
    return std::make_pair(u32(*bytes, 8), std::move(*bytes));
}

// A security buffer (length, allocated length, offset) of the message, checked to fit in it.
std::optional<std::pair<std::size_t, std::size_t>> buffer_at(const Bytes &message, std::size_t field) {
    if (field + 8 > message.size()) return std::nullopt;
    const std::size_t length = u16(message, field);
    const std::size_t offset = u32(message, field + 4);
    if (offset > message.size() || length > message.size() - offset) return std::nullopt;
    return std::make_pair(offset, length);
}

Response unauthorized(const std::string &www_authenticate, const std::string &text) {
    // As IIS: Negotiate is offered too, and the page is HTML (no client reads it).
    auto r = Response::text(401, text);
    r.headers.set("Content-Type", "text/html");
    if (www_authenticate == "NTLM") r.header("WWW-Authenticate", "Negotiate");
    r.header("WWW-Authenticate", www_authenticate);
    return r;
}

}  // namespace

NtlmVerifier::NtlmVerifier(std::string domain, std::string server_name)
    : domain_(Poco::toUpper(std::move(domain))), server_name_(Poco::toUpper(std::move(server_name))) {
    put_av_pair(target_info_, 2, utf16le(domain_));       // MsvAvNbDomainName
    put_av_pair(target_info_, 1, utf16le(server_name_));  // MsvAvNbComputerName
    put_av_pair(target_info_, 4, utf16le(Poco::toLower(domain_) + ".test"));  // MsvAvDnsDomainName
    put_av_pair(target_info_, 0, "");                     // MsvAvEOL
}

void NtlmVerifier::add_account(const std::string &user, const std::string &password) {
    std::lock_guard lock(mutex_);
    passwords_[Poco::UTF8::toUpper(user)] = password;
}

NtlmVerifier::Outcome NtlmVerifier::check(const Request &request) {
    std::ostringstream thread;
    thread << "thread:" << std::this_thread::get_id();
    return check(request, thread.str());
}

NtlmVerifier::Outcome NtlmVerifier::check(const Request &request, const std::string &connection_key) {
    std::lock_guard lock(mutex_);
    auto &connection = connections_[connection_key];
    const auto message = ntlm_message(request);
    if (!message) {
        if (!connection.user.empty() && !request.header("Authorization")) {
            Outcome ok;
            ok.authenticated = true;
            ok.user = connection.user;
            return ok;
        }
        connection = {};
        return refuse(request.header("Authorization") ? "the Authorization header is not an NTLM message"
                                                      : "no Authorization header on a connection not authenticated");
    }
    if (message->first == 1) {
        connection = {};  // a new handshake forgets what the connection had
        return challenge(connection);
    }
    if (message->first == 3) {
        auto outcome = authenticate(connection, message->second);
        connection.challenge.clear();  // a challenge answers one AUTHENTICATE only
        if (!outcome.authenticated) connection.user.clear();
        return outcome;
    }
    connection = {};
    return refuse("unexpected NTLM message type " + std::to_string(message->first));
}

NtlmVerifier::Outcome NtlmVerifier::challenge(Connection &connection) {
    std::random_device random;
    connection.challenge.resize(8);
    for (auto &byte : connection.challenge) byte = static_cast<unsigned char>(random() & 0xFF);

    const auto target = utf16le(domain_);
    const std::uint32_t flags = kNegotiateUnicode | kRequestTarget | kNegotiateNtlm | kAlwaysSign | kTargetTypeDomain |
                                kExtendedSessionSecurity | kTargetInfo;
    const std::uint32_t payload = 48;  // after the fixed fields, no version field
    Bytes m(kSignature, kSignature + 8);
    put32(m, 2);
    put16(m, static_cast<std::uint16_t>(target.size()));
    put16(m, static_cast<std::uint16_t>(target.size()));
    put32(m, payload);
    put32(m, flags);
    m.insert(m.end(), connection.challenge.begin(), connection.challenge.end());
    m.insert(m.end(), 8, 0);  // reserved
    put16(m, static_cast<std::uint16_t>(target_info_.size()));
    put16(m, static_cast<std::uint16_t>(target_info_.size()));
    put32(m, payload + static_cast<std::uint32_t>(target.size()));
    m.insert(m.end(), target.begin(), target.end());
    m.insert(m.end(), target_info_.begin(), target_info_.end());
    ++challenges_;

    Outcome outcome;
    outcome.answer = unauthorized("NTLM " + base64(m), "NTLM challenge");
    return outcome;
}

NtlmVerifier::Outcome NtlmVerifier::authenticate(Connection &connection, const Bytes &m) {
    if (connection.challenge.empty()) return refuse("AUTHENTICATE without a CHALLENGE on this connection");
    const auto nt = buffer_at(m, 20);
    const auto domain = buffer_at(m, 28);
    const auto user = buffer_at(m, 36);
    if (!nt || !domain || !user || m.size() < 64) return refuse("malformed AUTHENTICATE message");
    if (!(u32(m, 60) & kNegotiateUnicode)) return refuse("AUTHENTICATE not in Unicode");
    const auto user_name = utf8_of_utf16le(m, user->first, user->second);
    const auto domain_name = utf8_of_utf16le(m, domain->first, domain->second);
    const auto who = domain_name + "\\" + user_name;
    if (Poco::icompare(domain_name, domain_) != 0) return refuse("unknown domain for " + who);
    const auto account = passwords_.find(Poco::UTF8::toUpper(user_name));
    if (account == passwords_.end()) return refuse("unknown user " + who);
    // NTLMv2: 16 bytes of NTProofStr, then the blob (header 0x01 0x01, reserved, timestamp,
    // client challenge, reserved, AV pairs).
    if (nt->second < 16 + 28 + target_info_.size()) return refuse("not an NTLMv2 response for " + who);
    const Bytes response(m.begin() + static_cast<std::ptrdiff_t>(nt->first),
                         m.begin() + static_cast<std::ptrdiff_t>(nt->first + nt->second));
    if (response[16] != 1 || response[17] != 1) return refuse("not an NTLMv2 blob for " + who);
    if (!std::equal(target_info_.begin(), target_info_.end(), response.begin() + 44))
        return refuse("the NTLMv2 blob of " + who + " does not carry this server's target info");

    const auto key = Poco::Net::NTLMCredentials::createNTLMv2Hash(user_name, domain_name, account->second);
    Poco::HMACEngine<Poco::MD5Engine> hmac(std::string(key.begin(), key.end()));
    hmac.update(connection.challenge.data(), connection.challenge.size());
    hmac.update(response.data() + 16, response.size() - 16);
    const auto proof = hmac.digest();
    if (!std::equal(proof.begin(), proof.end(), response.begin())) return refuse("wrong password for " + who);

    connection.user = domain_ + "\\" + user_name;
    ++authentications_;
    Outcome ok;
    ok.authenticated = true;
    ok.user = connection.user;
    return ok;
}

NtlmVerifier::Outcome NtlmVerifier::refuse(const std::string &why) {
    ++refusals_;
    last_refusal_ = why;
    Outcome outcome;
    outcome.refusal = why;
    outcome.answer = unauthorized("NTLM", "401 - Unauthorized: Access is denied due to invalid credentials.");
    return outcome;
}

void NtlmVerifier::forget_connections() {
    std::lock_guard lock(mutex_);
    connections_.clear();
}

std::size_t NtlmVerifier::challenges_sent() const {
    std::lock_guard lock(mutex_);
    return challenges_;
}

std::size_t NtlmVerifier::authentications() const {
    std::lock_guard lock(mutex_);
    return authentications_;
}

std::size_t NtlmVerifier::refusals() const {
    std::lock_guard lock(mutex_);
    return refusals_;
}

std::string NtlmVerifier::last_refusal() const {
    std::lock_guard lock(mutex_);
    return last_refusal_;
}

}  // namespace relais::emulator
