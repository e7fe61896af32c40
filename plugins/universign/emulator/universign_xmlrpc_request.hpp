// Reading the XML-RPC requests' structs strictly: every key the reference lists, with its
// type, and nothing else (a key spelled otherwise, such as a request signer's "firstName", is
// refused with fault 73020 naming it, since the real server would ignore it silently and the
// signature would go out without it).
#pragma once

#include "universign_model.hpp"
#include "universign_state.hpp"

#include <relais/support/xmlrpc.hpp>

#include <optional>
#include <string>

namespace relais::universign_emulator {

// A TransactionRequest as a transaction (ids, owner and times left to the caller). Throws
// XmlRpcFault{73020, ...}.
Transaction read_transaction_request(const support::xmlrpc::Struct &request, const XmlRpcOptions &options);

struct TransactionFilter {
    std::optional<std::string> requester_email, profile, signer_id;
    std::optional<TimePoint> not_before, not_after, not_before_completion, not_after_completion;
    std::optional<int> status;
    int start_range = 0;
    int stop_range = 1000;
};

// Throws XmlRpcFault{73020, ...}; stopRange must lie in [startRange, startRange + 1000].
TransactionFilter read_filter(const support::xmlrpc::Struct &filter);

}  // namespace relais::universign_emulator
