// Universign's failures as Relais error classes.
//
// XML-RPC faults (reference A.5), which come in HTTP 200:
//   73010                 unauthorized (invalid login or password)
//   73011, 73013          invalid_config (no valid or active signing account)
//   73020                 invalid_input, with Universign's faultString
//   73014, 73025          not_found (unknown transaction or custom id)
//   73027                 permanent ("not allowed in this state")
//   73070                 transient, after restore_retry (documents restored from the archive)
//   73040, 73002, 73004   transient (internal error, signing error, key retrieval)
//   any other code        permanent, naming the code
// HTTP answers of either API: 401 unauthorized, 403 forbidden, 404 not_found (XML-RPC: no
// service at the URL, invalid_config), 400/422 invalid_input, 429 rate_limited, 408 and 5xx
// transient. A body of an unexpected shape still gives a message: its first words, quoted.
#pragma once

#include "universign_settings.hpp"

#include <relais/plugin.hpp>
#include <relais/support/http_client.hpp>
#include <relais/support/xmlrpc.hpp>

#include <chrono>
#include <string>

namespace relais::universign {

constexpr int kFaultUnauthorized = 73010;
constexpr int kFaultInvalid = 73020;
constexpr int kFaultUnknown = 73025;
constexpr int kFaultNotAllowed = 73027;
constexpr int kFaultInternal = 73040;
constexpr int kFaultRestoring = 73070;

// `what`: what was being done ("requester.getDocuments of <id>").
Error fault_error(const support::xmlrpc::Fault &fault, const std::string &what, std::chrono::seconds restore_retry);
// A non-2xx answer (or, for XML-RPC, a 200 that is not XML-RPC).
Error http_error(const support::HttpResponse &response, Api api, const std::string &what);
Error transport_error(const support::TransportError &error, const std::string &what);

// Up to 200 characters of a body, on one line, for messages.
std::string body_excerpt(const std::string &body);

}  // namespace relais::universign
