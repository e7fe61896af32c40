// The emulator's transactions, independent of either wire format: signers acting on the
// emulator's clock, expiry, completion and the archive. Both APIs keep their transactions
// here (each its own ids and owners); their handlers only translate.
#pragma once

#include "emulator_clock.hpp"
#include "universign_emulator.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace relais::universign_emulator {

using TimePoint = emulator::EmulatorClock::time_point;

enum class Api { xmlrpc, rest };

// One state machine for both APIs; each names the states its own way (status_name()).
enum class TxState { draft, open, completed, canceled, failed, expired };
enum class SignerState { waiting, ready, accessed, has_signed, refused, failed };

struct SignatureField {
    std::string id;    // REST fld_...; "" for XML-RPC
    std::string type;  // REST signature|visa; "signature" for XML-RPC
    std::string name;
    std::optional<int> page, x, y;
    std::optional<int> signer_index;     // XML-RPC signerIndex
    std::vector<std::string> signers;    // REST: emails assigned to it
};

struct Document {
    std::string rest_id;     // doc_...
    std::int32_t number = 0; // XML-RPC id
    std::string name;
    std::string file_name;
    std::string document_type = "pdf";
    std::string content;     // the PDF as uploaded
    std::vector<SignatureField> fields;
};

struct Signer {
    std::string id;  // a UUID (XML-RPC); the participant's position (REST) needs none
    std::string first_name, last_name, email, phone, language;
    bool observer = false;
    SignerBehaviour behaviour = SignerBehaviour::sign;
    SignerState state = SignerState::waiting;
    std::optional<TimePoint> turn_at;    // when it became its turn
    std::optional<TimePoint> action_at;  // when it signed, refused or failed
};

// What happened to a transaction, for the pushes. `signer` is the index of the signer who
// acted, or of the current one for an end that no signer caused.
struct TransactionEvent {
    enum class Kind { created, started, signer_signed, signer_refused, signer_failed, completed, canceled, expired };
    Kind kind;
    std::string transaction_id;
    int signer = 0;
    int status = 0;  // the XML-RPC status integer right after it
    TimePoint at;
};

struct Transaction {
    Api api = Api::xmlrpc;
    std::string id;
    std::string owner;  // the XML-RPC login or the REST API key
    std::string profile = "default";
    std::string custom_id;
    std::string description;
    std::string name;  // REST
    std::string language = "en";
    std::string certificate_type = "simple";
    std::map<std::string, std::string> metadata;  // REST
    std::vector<Signer> signers;
    std::vector<Document> documents;

    TimePoint created_at;
    TimePoint creation_date;  // XML-RPC creationDate: the last relaunch's time after one
    std::optional<TimePoint> started_at;
    std::chrono::milliseconds lifetime{0};  // from creation_date (XML-RPC) or started_at (REST)
    std::optional<TimePoint> ended_at;      // completed, canceled, failed or expired
    TxState state = TxState::open;
    bool stalled = false;                   // REST: a participant refused
    int relaunches = 0;
    std::optional<TimePoint> restore_requested_at;
    std::size_t documents_fetched = 0;
};

struct Timing {
    std::chrono::milliseconds sign_after;
    std::chrono::milliseconds archive_after;
    std::chrono::milliseconds restore_delay;
};

// Moves `tx` to where it is at `now`, appending what happened on the way, in order.
void settle(Transaction &tx, TimePoint now, const Timing &timing, std::vector<TransactionEvent> &events);
// Ends an open transaction now at the requester's demand.
void cancel(Transaction &tx, TimePoint now, std::vector<TransactionEvent> &events);
// Opens a REST draft: the first signer's turn starts now.
void start(Transaction &tx, TimePoint now, std::vector<TransactionEvent> &events);

// The index of the signer whose turn it is (or, once none is left, of the last signer who
// acted); 0 without signers.
int current_signer(const Transaction &tx);
bool archived(const Transaction &tx, TimePoint now, const Timing &timing);

// Whether an archived transaction's documents can be read at `now`; the first ask starts
// the restore.
bool restored(Transaction &tx, TimePoint now, const Timing &timing);

// XML-RPC status strings and their integers (filter, push), REST states.
std::string xmlrpc_status(const Transaction &tx);
int xmlrpc_status_code(const Transaction &tx);
std::string xmlrpc_signer_status(const Signer &signer);
std::string rest_state(const Transaction &tx, TimePoint now, const Timing &timing);

// The behaviour an email's local part asks for (see the header).
SignerBehaviour behaviour_from_email(const std::string &email);

// The signed document: the uploaded bytes and the marker line.
std::string signed_content(const Transaction &tx, std::size_t document_index);
// A REST API time: "2022-10-18T07:34:58Z".
std::string rest_time(TimePoint t);
// Pages of a PDF, counted from its page objects (at least 1).
int count_pages(const std::string &pdf);

}  // namespace relais::universign_emulator
