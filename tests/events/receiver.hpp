// A receiver of pushed events for the tests, on loopback (HTTPS with a test CA, or HTTP): it
// checks each request's Relais-Signature with its own HMAC (OpenSSL's, not the host's),
// refuses a bad or stale one with 400, and otherwise answers the statuses it was told to, then
// 200. Every request is recorded, refused or not.
#pragma once

#include "emulator_server.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace relais::test {

// Whether `signature` ("t=...,v1=...") is `secret`'s for `body`, and t within 300 s of now_s.
bool signature_valid(const std::string &secret, const std::string &signature, const std::string &body, int64_t now_s);

class EventReceiver {
public:
    struct Received {
        std::string body;
        std::string event_id;   // the Relais-Event-Id header
        std::string signature;  // the Relais-Signature header
        bool valid = false;
        int status = 0;  // what it answered
    };

    // `now_s` is the receiver's clock (the host's test clock, so signatures are fresh).
    EventReceiver(std::string secret, const emulator::TlsFiles *tls, std::function<int64_t()> now_s);

    std::string url() const { return server_.base_url() + "/hooks/relais"; }
    emulator::EmulatorServer &server() { return server_; }

    // The next requests with a valid signature are answered with these statuses, in order.
    void answer_next(std::vector<int> statuses);
    std::vector<Received> received() const;
    // Waits until `n` requests have arrived; false at the deadline.
    bool wait_for(std::size_t n, std::chrono::milliseconds deadline = std::chrono::seconds(10)) const;

private:
    std::string secret_;
    std::function<int64_t()> now_s_;
    emulator::EmulatorServer server_;
    mutable std::mutex mutex_;
    mutable std::condition_variable arrived_;
    std::deque<int> statuses_;
    std::vector<Received> received_;
};

}  // namespace relais::test
