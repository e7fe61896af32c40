// Webhook deliveries of v2 results: the result JSON POSTed to the receiver, signed with
// X-Mindee-Hmac-Signature, the hex HMAC-SHA256 of the raw body under the webhook's secret.
// That header is the one Mindee's v1 documentation gives for its webhooks; which header v2
// signs with is not recorded in the reference, so this is an assumption the connector shares.
#pragma once

#include <string>

namespace relais::mindee_emulator {

// Lower-case hex HMAC-SHA256 of `body` under `secret`.
std::string hmac_sha256_hex(const std::string &secret, const std::string &body);

struct DeliveryOutcome {
    bool ok = false;  // the receiver answered 2xx
    int status = 0;   // its HTTP status, 0 when there was no answer
    std::string error;
};

// One POST, no retry. HTTPS URLs verify the receiver against `ca_file` when given, the
// system's CAs otherwise.
DeliveryOutcome deliver_webhook(const std::string &url, const std::string &body, const std::string &secret,
                                const std::string &ca_file);

}  // namespace relais::mindee_emulator
