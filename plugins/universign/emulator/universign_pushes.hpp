// Sending a push: one HTTP(S) request to a receiver the test or the user set up, answered or
// not. Used from the thread that calls deliver_due_pushes(), never from a request handler.
#pragma once

#include <Poco/Net/Context.h>

#include <string>

namespace relais::universign_emulator {

// The receiver's HTTP status, 0 when it could not be reached or did not answer within 5 s.
int send_push(const std::string &url, const std::string &method, const std::string &json_body,
              const Poco::Net::Context::Ptr &tls_context);

}  // namespace relais::universign_emulator
