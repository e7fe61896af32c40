// The server side of NTLM over HTTP (MS-NLMP, NTLMv2 only), for emulators of servers that
// authenticate that way (Exchange on premises behind IIS).
//
// As IIS does, authentication belongs to the connection: a NEGOTIATE message gets a 401 with a
// CHALLENGE (a random 8-byte server challenge and target info), the AUTHENTICATE message that
// follows on the SAME connection is verified (NTProofStr = HMAC-MD5(NTOWFv2(password, user,
// domain), server challenge || blob) must equal the first 16 bytes of the NT response, and the
// blob must carry the target info sent), and the connection is then authenticated: later
// requests on it need no Authorization header. A request on a connection that is not
// authenticated gets a 401 offering NTLM.
//
// In a route handler:
//     auto auth = ntlm.check(request);
//     if (!auth.authenticated) return *auth.answer;
//
// Thread-safe.
#pragma once

#include "http_message.hpp"

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace relais::emulator {

class NtlmVerifier {
public:
    // `domain` is the NetBIOS domain name the server announces; clients answer for it.
    explicit NtlmVerifier(std::string domain, std::string server_name = "EMULATOR");

    // An account of the domain (user names compare case-insensitively, as Windows does).
    void add_account(const std::string &user, const std::string &password);

    struct Outcome {
        bool authenticated = false;
        std::string user;                // "DOMAIN\user", when authenticated
        std::optional<Response> answer;  // otherwise, the 401 to answer with
        std::string refusal;             // why it was refused; "" for a challenge
    };

    // One request, on the connection `connection` (any text unique to a TCP connection while
    // it is open). The request's body is not looked at.
    Outcome check(const Request &request, const std::string &connection);
    // The same, with the serving thread as the connection: Poco's HTTPServer serves one
    // connection on one thread until it closes. Limit: a thread that goes on to serve a new
    // connection starts with the state the old one left (a client that handshakes on every
    // new connection, as a client must for IIS, is not affected by it).
    Outcome check(const Request &request);

    // Forgets every connection's authentication, as a server restart or an IIS configured to
    // authenticate each request does: the next request on any connection gets a 401.
    void forget_connections();

    std::size_t challenges_sent() const;
    std::size_t authentications() const;  // AUTHENTICATE messages that were verified
    std::size_t refusals() const;
    std::string last_refusal() const;

private:
    struct Connection {
        std::vector<unsigned char> challenge;  // the pending server challenge, if any
        std::string user;                      // set once authenticated
    };

    Outcome challenge(Connection &connection);
    Outcome authenticate(Connection &connection, const std::vector<unsigned char> &message);
    Outcome refuse(const std::string &why);

    std::string domain_;
    std::string server_name_;
    std::vector<unsigned char> target_info_;  // the AV pairs sent with every challenge

    mutable std::mutex mutex_;
    std::map<std::string, std::string> passwords_;  // upper-case user -> password
    std::map<std::string, Connection> connections_;
    std::size_t challenges_ = 0;
    std::size_t authentications_ = 0;
    std::size_t refusals_ = 0;
    std::string last_refusal_;
};

}  // namespace relais::emulator
