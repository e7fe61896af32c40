// request_signature's input, checked before anything is sent: a bad request costs no call to
// Universign and gets an error naming the field (documents[1].fields[0].page, ...).
//
//   documents[]   1 to 20, each a PDF (by its bytes, not its name) that is neither encrypted
//                 nor truncated, within the API's size (XML-RPC 10 MB, REST 25 MB, or
//                 max_document_mb), from file_base64 or file_path (under file_directory);
//                 fields[] {page (1-based, -1 the last, within the document), x, y, signer
//                 (an index in signers[] or one of their emails)}
//   signers[]     first_name, last_name, email (required), phone, role signer|observer; at
//                 least one signer, no email twice
//   custom_id     the ERP's document number: Universign's customId, unique per transaction
//   description, language, certificate_type, chaining_mode, success/cancel/fail_url
//                 (the settings give the defaults)
#pragma once

#include "universign_model.hpp"
#include "universign_settings.hpp"

#include <relais/plugin.hpp>

namespace relais::universign {

SignatureRequest parse_signature_request(const Json &input, const Settings &settings);

// The transaction an action's input names: {"transaction_id"} or {"custom_id"} (one of them).
struct TransactionRef {
    std::string transaction_id;
    std::string custom_id;
};
TransactionRef parse_transaction_ref(const Json &input);

// Throws invalid_input unless `custom_id` is 1 to 100 characters of [A-Za-z0-9._/-].
void check_custom_id(const std::string &custom_id, const std::string &field);

}  // namespace relais::universign
