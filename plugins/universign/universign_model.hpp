// What the connector knows of a signature transaction, the same whichever API carried it.
//
// States, normalised (the raw Universign state is always kept beside):
//   waiting_signers  XML-RPC ready (and 5, pending RA validation); REST draft, started, paused
//   completed        XML-RPC completed; REST completed, archived
//   refused          a signer refused: XML-RPC canceled with a signer canceled; REST started and
//                    stalled by a participant (the REST API cannot tell a refusal from a failure)
//   canceled         XML-RPC canceled by the requester; REST cancelled
//   expired          not completed in time (both APIs)
//   failed           XML-RPC failed (an error during a signature)
#pragma once

#include <relais/plugin.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace relais::universign {

enum class State { waiting_signers, completed, refused, canceled, expired, failed };

const char *state_name(State state);
bool is_final(State state);

// "2026-12-03T05:40:00Z"
std::string iso8601(std::chrono::system_clock::time_point time);

struct SignerView {
    int index = 0;
    std::string email, first_name, last_name;
    std::string role = "signer";  // signer or observer
    std::string state;            // Universign's: waiting, ready, accessed, signed, canceled, ... (REST: open, closed, stalled)
    std::string url;              // the signer's page, when the API gives one
    std::string action_date;      // ISO 8601 UTC, "" until the signer acted
    std::string error;
};

struct TransactionView {
    std::string id;
    std::string raw_state;  // as Universign said it
    State state = State::waiting_signers;
    std::vector<SignerView> signers;
    std::string custom_id;   // when the API says it
    std::string created_at;  // ISO 8601 UTC
    int current_signer = -1;
    std::vector<std::string> document_ids;    // REST: the doc_ ids, to download
    std::vector<std::string> document_names;  // REST: their names

    Json to_json() const;  // transaction_id, state, universign_state, signers[...], custom_id, created_at
};

struct SignedDocument {
    std::string name;
    std::string bytes;
};

// One document of a request, checked.
struct Field {
    int page = 1;  // 1-based, -1 the last
    int x = 0, y = 0;
    int signer = 0;  // index in the request's signers
};
struct DocumentIn {
    std::string name;
    std::string bytes;
    std::string sha256;
    std::size_t pages = 0;
    std::vector<Field> fields;
};
struct SignerIn {
    std::string first_name, last_name, email, phone;
    std::string role = "signer";
};

struct SignatureRequest {
    std::vector<DocumentIn> documents;
    std::vector<SignerIn> signers;
    std::string custom_id, description;
    std::string language, certificate_type, chaining_mode, profile;
    std::string success_url, cancel_url, fail_url;
};

struct Created {
    std::string transaction_id;
    std::string url;  // the first signer's page (XML-RPC), or ""
};

}  // namespace relais::universign
