// Mindee's failures as Relais error classes, from the HTTP status first: the body's own
// "status" is never trusted over it (a recorded 400 says "status": "success"). The message
// quotes Mindee's words whichever shape they come in: v1's api_request.error envelope, v2's
// problem details (RFC 9457: title, detail, code, errors[{pointer, detail}]), or the HTML page
// a gateway sends with a 502, 503 or 504.
//
//   401                 unauthorized
//   402, 403 PlanLimitReached   permanent: the plan is exhausted
//   403 (other)         forbidden (e.g. a product without synchronous mode)
//   404                 not_found (the caller says which: a model, a job, a product)
//   400, 422, 413       invalid_input when about the caller's file (pointer #/file, details.document,
//                       or no pointer at all); invalid_config for #/model_id; internal for another
//                       field of our own request
//   429                 rate_limited, after Retry-After (2 s when absent)
//   500 "Inference failed"   permanent: Mindee cannot read this file, sending it again will not help
//   500 (other), 502, 503, 504, 408   transient
#pragma once

#include "mindee_settings.hpp"

#include <relais/support/http_client.hpp>

#include <string>

namespace relais::mindee {

// Mindee's explanation in one line, from any of its body shapes ("" when there is none).
std::string describe_mindee_body(const support::HttpResponse &response);

// The error for a non-2xx answer to `what` ("reading receipt.jpg").
Error mindee_error(const support::HttpResponse &response, ApiVersion version, const std::string &what);

// The error for a request that got no answer.
Error transport_error(const support::TransportError &error, const std::string &what);

}  // namespace relais::mindee
