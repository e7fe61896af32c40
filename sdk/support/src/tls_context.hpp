// The TLS client context of an HttpClient, and what its certificate check reported.
#pragma once

#include <relais/support/http_client.hpp>

#include <Poco/Net/Context.h>

#include <string>

namespace relais::support::detail {

// A client context that verifies the chain (system CAs and/or the extra CA file) and, through
// Poco, the host name. Throws relais::Error (invalid_config) when the CA file cannot be used.
// Calls Poco::Net::initializeSSL(); the caller balances it with uninitializeSSL().
Poco::Net::Context::Ptr make_client_context(const HttpClientOptions &options);

// Why the certificate chain was refused during the last handshake on this thread ("" when
// it was not), and clears it. Handshakes run on the thread that sends the request.
std::string take_verify_error();

}  // namespace relais::support::detail
