// An emulator of Universign's two signature APIs, strict as the reference
// (shared/reference/universign-exchange.md, part A) describes them. Both are served by one
// server, each with its own wire format, accounts and transactions (they share nothing).
//
// XML-RPC "Signature Service" (v8.x), POST /sign/rpc/ (xmlrpc_url()):
//   HTTP Basic login:password; Content-Type text/xml; one <methodCall>. Faults come in HTTP 200.
//   requester.requestTransaction  TransactionRequest (keys exactly as the reference spells them,
//                                 an unknown key is refused) -> {id, url}; a customId already
//                                 used is refused (fault 73020), never a second transaction
//   requester.getTransactionInfo[ByCustomId]  TransactionInfo, on the clock (see "Signers")
//   requester.getDocuments[ByCustomId]        TransactionDocument[] once completed (73027
//                                 before, and for expired / canceled / failed ones); archived:
//                                 73070 until restored (see "Archive")
//   requester.cancelTransaction, requester.relaunchTransaction   i4 0; 73027 unless `ready`
//   requester.listTransactions    TransactionFilter -> ids, oldest first, [startRange,
//                                 stopRange) with at most 1000 per call
//   faults: 73010 bad login (or HTTP 401, see XmlRpcOptions), 73020 malformed call or request,
//   73025 unknown id, 73027 wrong state, 73040 internal, 73070 being restored.
//
// REST API v1 (rest_url(), paths under /v1):
//   API key as Basic "KEY:" or "Bearer KEY" (401 without a known key; 403 on another key's
//   transaction); form bodies; JSON answers; errors {"error", "message"} (RestOptions).
//   POST /v1/files (multipart, one part "file", a PDF) -> {"object":"file","id":"file_..."}
//   POST /v1/transactions [name, language, duration (minutes), metadata[KEY]] -> draft
//   POST /v1/transactions/{tx}/documents  document=file_...&name=...   -> the document
//   POST /v1/transactions/{tx}/documents/{doc}/fields  [type signature|visa, name, page, x, y]
//   POST /v1/transactions/{tx}/signatures  signer=EMAIL&field=fld_...  -> the transaction
//   POST /v1/transactions/{tx}/participants  email=...                  -> the transaction
//   POST /v1/transactions/{tx}/start | /cancel                          -> the transaction
//   GET  /v1/transactions/{tx}                                          -> the transaction
//   GET  /v1/transactions/{tx}/archive/documents/{doc}/download, or
//   GET  /v1/archives/{tx}/documents/{doc}/download   the signed PDF once completed
//   states draft -> started -> completed -> archived, cancelled, expired; a refusal stalls the
//   transaction ("stalled": true) and it stays started until cancelled or expired.
//
// Signers. A transaction's signers sign in order. Each acts `sign_after` (options) after its
// turn comes, as its behaviour says. The behaviour comes from set_signer_behaviour(email), or
// else from the email's local part: one containing "+refuse" refuses, "+fail" fails,
// "+never" never acts, any other signs (so "alice@x.test" signs, "bob+refuse@x.test"
// refuses). Observers never sign and do not hold the chain up. XML-RPC: a signer is
// `waiting`, then `ready` on its turn, `accessed` halfway to its action, then `signed`
// (`canceled` on refusal, which cancels the transaction; `failed` fails it). Not completed
// within `expire_after` of its creationDate (a relaunch resets it): `expired`.
//
// Signed documents are the uploaded bytes with one line appended:
//   "%relais-universign-emulator signed transaction=<id> document=<index>\n"
// so a test can tell which document came back (signed_marker()).
//
// Archive. A completed transaction is archived `archive_after` after its completion. The
// first fetch of an archived transaction's documents starts a restore and answers 73070, as
// does every fetch until `restore_delay` has passed; then fetching works again (REST
// transactions show state "archived" and keep serving their documents).
//
// Pushes. XML-RPC: a URL per profile (set_push_url; Universign's staff set it on the account),
// called GET <url>?id=<transactionId>&signer=<index>&status=<int 0..5> when a signer signs,
// refuses or fails, and when the transaction expires or is cancelled (the last signature's
// push carries status 2, completed). A token the receiver wants goes in the URL's own query,
// which is kept. REST: a webhook URL (set_webhook_url, the web UI's setting), POSTed a JSON
// event {"object":"event", "id", "type", "created_at", "payload": the transaction} for
// transaction.lifecycle.{created,started,completed,cancelled,expired}, action.closed (a
// signature) and action.stalled (a refusal); unsigned, since the reference knows neither
// the JWS header's name nor the payload schema. Pushes are sent from the caller's thread
// by deliver_due_pushes() (the standalone program calls it every 100 ms); an answer other than
// 2xx, or none, is tried again 1 min, 5 min, 30 min, 2 h, 6 h, 24 h and 48 h later.
//
// On top of the framework's faults, clock and request log (tests/emulator).
#pragma once

#include "emulator_server.hpp"

#include <Poco/Net/Context.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace relais::universign_emulator {

struct XmlRpcCall;  // the XML-RPC handlers, internal

struct Account {
    std::string login;  // the account's email
    std::string password;
};

// How the XML-RPC endpoint refuses a bad login: the reference has the Ruby client seeing HTTP
// 401 and the guide listing fault 73010; a connector must understand both.
enum class XmlRpcAuthFailure { http_401, fault_73010 };

// How an XML-RPC call over the requests-per-second quota is answered. Universign publishes no
// rate-limit shape for XML-RPC: an HTTP 429 from its front end, or a fault 73040 in HTTP 200.
enum class XmlRpcOverQuota { http_429, fault_73040 };

// Under which key TransactionInfo carries the customId it was created with. The guide says
// `customerId`; no recording shows it, so `customId` and no key at all are plausible too.
enum class CustomIdKey { customer_id, custom_id, absent };

struct XmlRpcOptions {
    std::vector<Account> accounts{{"relais@example.com", "relais-universign-password"}};
    std::set<std::string> profiles{"default"};
    XmlRpcAuthFailure auth_failure = XmlRpcAuthFailure::http_401;
    XmlRpcOverQuota over_quota = XmlRpcOverQuota::http_429;
    CustomIdKey custom_id_key = CustomIdKey::customer_id;
    // The signer pages' host: url = <signer_host>/<language>/signature/?id=<signer id>.
    std::string signer_host = "https://sign.test.universign.eu";
};

// The REST error body, which the reference could not find: {"error": code, "message": text},
// RFC 7807 {"type", "title", "status", "detail"}, or nothing. Clients should key on the status.
enum class RestErrorShape { error_message, problem_json, empty };

struct RestOptions {
    std::set<std::string> api_keys{"relais-universign-api-key"};
    RestErrorShape error_shape = RestErrorShape::error_message;
    std::chrono::seconds file_lifetime{std::chrono::hours(24)};  // an uploaded file, unused
};

struct UniversignEmulatorOptions {
    emulator::ServerOptions server;
    XmlRpcOptions xmlrpc;
    RestOptions rest;
    // A signer acts this long after its turn comes (XML-RPC and REST).
    std::chrono::milliseconds sign_after{std::chrono::minutes(1)};
    // The guide says 14 days, a client's comment 7: configurable.
    std::chrono::milliseconds expire_after{std::chrono::hours(24 * 14)};
    // Documents are kept 30 days after completion, then archived.
    std::chrono::milliseconds archive_after{std::chrono::hours(24 * 30)};
    // "Possibly hours": from the first fetch of an archived transaction to its documents.
    std::chrono::milliseconds restore_delay{std::chrono::hours(2)};
    int requests_per_second = 0;  // 0: no quota; over it, see XmlRpcOptions::over_quota / 429
    // For pushes to https URLs; null: a context verifying with the system's CAs.
    Poco::Net::Context::Ptr push_tls_context;
};

enum class SignerBehaviour { sign, refuse, fail, never };

// A push the emulator sent (or tried to).
struct PushRecord {
    std::string url;     // as called, query included
    std::string method;  // GET (XML-RPC) or POST (REST webhook)
    std::string body;    // the REST event, "" for XML-RPC
    int status = 0;      // the receiver's answer, 0 when none came
    int attempt = 1;
};

class UniversignEmulator {
public:
    explicit UniversignEmulator(UniversignEmulatorOptions options = {});
    ~UniversignEmulator();
    UniversignEmulator(const UniversignEmulator &) = delete;
    UniversignEmulator &operator=(const UniversignEmulator &) = delete;

    void start();
    // Releases the held calls (hold_next_answers) first: the server waits for its handlers.
    void stop();
    emulator::EmulatorServer &server() { return server_; }
    emulator::EmulatorClock &clock() { return server_.clock(); }

    // The XML-RPC endpoint: https://localhost:PORT/sign/rpc/
    std::string xmlrpc_url() const { return server_.base_url() + "/sign/rpc/"; }
    // The REST base, paths under /v1 beneath it: https://localhost:PORT
    std::string rest_url() const { return server_.base_url(); }

    // --- Test switches ---------------------------------------------------------------------
    // What the signer with that email does in transactions created from now on.
    void set_signer_behaviour(const std::string &email, SignerBehaviour behaviour);
    // The XML-RPC push URL of a profile ("" removes it), and the REST webhook URL.
    void set_push_url(const std::string &profile, const std::string &url);
    void set_webhook_url(const std::string &url);
    // The next `count` calls get `code` instead of their answer, after authentication and
    // quota: an XML-RPC fault code (73002..73070) goes to XML-RPC calls only, as a fault in
    // HTTP 200; an HTTP status (100..599) to calls of either API, as that status with an empty
    // body. `method` narrows it to one XML-RPC method ("requester.getDocuments") or one REST
    // route ("POST /v1/transactions/{id}/start"); "" for any call.
    void fail_next(int code, int count = 1, const std::string &method = "");
    // The next `count` calls of `method` (as for fail_next) are carried out, then the
    // connection is reset instead of answering: the client cannot tell whether it took effect.
    void lose_next_answers(int count = 1, const std::string &method = "");
    // The next `count` calls of `method` (as for fail_next) block, after authentication and
    // quota but before anything else (no injected failure taken, the clock not read; calls()
    // counts them once they go on), until release_held() or stop(). Then they are carried out
    // as any call, their answer written to a client that may have gone meanwhile: so that a
    // test can kill a host while one of its requests is in flight, at a moment it chose.
    void hold_next_answers(int count = 1, const std::string &method = "");
    // Lets every call held now go on.
    void release_held();
    // How many calls are blocked by hold_next_answers now.
    std::size_t held_count() const;
    // Sends the pushes that are due on the emulator's clock (settling every transaction to
    // now first); returns how many were attempted.
    std::size_t deliver_due_pushes();

    // --- Counters -----------------------------------------------------------------------
    // XML-RPC calls per method name ("requester.getTransactionInfo"), REST calls per
    // "METHOD /route/{template}"; every call that reached a method, refused or not.
    std::size_t calls(const std::string &method) const;
    // Successful document fetches of a transaction (XML-RPC id or REST tx_ id).
    std::size_t documents_fetched(const std::string &transaction_id) const;
    // Transactions created with that customId (XML-RPC) or metadata[custom_id] (REST).
    std::size_t transactions_created(const std::string &custom_id) const;
    std::size_t transactions_created() const;
    std::vector<PushRecord> pushes() const;
    // Pushes answered 2xx.
    std::size_t pushes_delivered() const;

    // --- Inspection -----------------------------------------------------------------------
    // The XML-RPC status string of a transaction ("ready", "completed", ...) or the REST
    // state ("started", ...), settled to now; nullopt for an unknown id.
    std::optional<std::string> status_of(const std::string &transaction_id) const;
    // The id of the XML-RPC transaction created with that customId.
    std::optional<std::string> transaction_by_custom_id(const std::string &custom_id) const;
    // The line appended to a signed document (see above), for tests.
    static std::string signed_marker(const std::string &transaction_id, std::size_t document_index);

private:
    class State;
    friend struct XmlRpcCall;
    UniversignEmulatorOptions options_;
    emulator::EmulatorServer server_;
    std::shared_ptr<State> state_;
};

}  // namespace relais::universign_emulator
