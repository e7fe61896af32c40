#include "receiver.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>

namespace relais::test {
namespace {

std::string hex(const unsigned char *bytes, unsigned size) {
    std::string out;
    char two[3];
    for (unsigned i = 0; i < size; ++i) {
        std::snprintf(two, sizeof two, "%02x", bytes[i]);
        out += two;
    }
    return out;
}

emulator::ServerOptions options_for(const emulator::TlsFiles *tls) {
    emulator::ServerOptions o;
    if (tls) o.tls = *tls;
    return o;
}

}  // namespace

bool signature_valid(const std::string &secret, const std::string &signature, const std::string &body, int64_t now_s) {
    const auto comma = signature.find(",v1=");
    if (signature.rfind("t=", 0) != 0 || comma == std::string::npos) return false;
    const std::string t = signature.substr(2, comma - 2);
    const std::string v1 = signature.substr(comma + 4);
    int64_t sent = 0;
    try {
        sent = std::stoll(t);
    } catch (const std::exception &) {
        return false;
    }
    if (sent < now_s - 300 || sent > now_s + 300) return false;  // a replay, or a clock far off
    const std::string message = t + "." + body;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned size = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char *>(message.data()), message.size(), digest, &size);
    const std::string expected = hex(digest, size);
    // Constant time, as a receiver should compare.
    if (expected.size() != v1.size()) return false;
    unsigned char differ = 0;
    for (std::size_t i = 0; i < v1.size(); ++i) differ |= static_cast<unsigned char>(expected[i] ^ v1[i]);
    return differ == 0;
}

EventReceiver::EventReceiver(std::string secret, const emulator::TlsFiles *tls, std::function<int64_t()> now_s)
    : secret_(std::move(secret)), now_s_(std::move(now_s)), server_(options_for(tls)) {
    server_.route("POST", "/hooks/relais", [this](const emulator::Request &request) {
        Received r;
        r.body = request.body;
        r.event_id = request.header("Relais-Event-Id").value_or("");
        r.signature = request.header("Relais-Signature").value_or("");
        r.valid = signature_valid(secret_, r.signature, r.body, now_s_());
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!r.valid) {
                r.status = 400;
            } else if (!statuses_.empty()) {
                r.status = statuses_.front();
                statuses_.pop_front();
            } else {
                r.status = 200;
            }
            received_.push_back(r);
        }
        arrived_.notify_all();
        return emulator::Response::json(r.status, std::string(r.valid ? "{}" : R"({"error":"bad signature"})"));
    });
    server_.start();
}

void EventReceiver::answer_next(std::vector<int> statuses) {
    std::lock_guard<std::mutex> lock(mutex_);
    statuses_.assign(statuses.begin(), statuses.end());
}

std::vector<EventReceiver::Received> EventReceiver::received() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
}

bool EventReceiver::wait_for(std::size_t n, std::chrono::milliseconds deadline) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return arrived_.wait_for(lock, deadline, [&] { return received_.size() >= n; });
}

}  // namespace relais::test
