// The connection test ("Tester" in the customer's console): each step that can fail on its
// own, in order, so the report says which one did:
//   configuration          enabled, URLs
//   oauth_token            PISTE token endpoint: client id and secret, OAuth URL, TLS
//   health_check           the API base, the gateway, the technical account (cpro-account)
//   structure              an authenticated business call: structure_id found on Chorus Pro
// A quota refusal or an outage is reported as such, not as a credential problem.
#pragma once

#include "chorus_api.hpp"
#include "chorus_queries.hpp"

namespace relais::chorus {

// `api` and `queries` are null when the connector is disabled; `configured` is false before
// the first configure.
TestReport check_connection(ChorusApi *api, Queries *queries, bool configured, const Call &call);

}  // namespace relais::chorus
