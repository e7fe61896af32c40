// The universign connector as the host runs it, against the Universign emulator over HTTPS with
// the harness's test CA (tests/harness), on either API ("xmlrpc" or "rest"). The emulator's
// clock is manual: a job's later steps run after moving it by the wait the previous step asked
// for (at most `max_move` at a time), so days of signers not signing take no time.
//
// The host's backend here also serves wake (MemoryBackend does not): it records which jobs a
// status push woke, which is how a test sees that a push reached the job waiting for it.
#pragma once

#include "connector_harness.hpp"
#include "signing_files.hpp"

#include "universign_emulator.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace relais::test {

constexpr const char *kUniversignLogin = "relais@example.com";
constexpr const char *kUniversignPassword = "relais-universign-password";
constexpr const char *kUniversignApiKey = "relais-universign-api-key";
constexpr const char *kPushToken = "push-token-0123";

struct UniversignHarnessOptions {
    std::string api = "xmlrpc";  // or "rest"
    // Settings merged over the harness's (enabled, the API's URL and credentials,
    // output_directory, file_directory, callback_token, requests_per_second 1000).
    std::string settings = "{}";
    // Changes to the emulator's options before it starts (auth failure mode, error shape...).
    std::function<void(universign_emulator::UniversignEmulatorOptions &)> emulator;
    bool configure = true;
};

// The memory backend, with wake: a job the harness is running (or has left waiting) is woken,
// and the wake is recorded; any other id matches no job.
class WakingBackend : public MemoryBackend {
public:
    using MemoryBackend::MemoryBackend;
    bool wake(const std::string &connector, const std::string &idempotency_key, std::optional<int64_t> job_id) override;

    void job_started(int64_t job_id);
    void job_ended(int64_t job_id);
    // Job ids woken so far, in order (idempotency-key wakes appear as -1).
    std::vector<int64_t> wakes() const;

private:
    mutable std::mutex mutex_;
    std::set<int64_t> live_;
    std::vector<int64_t> wakes_;
};

// Built before the harness it is given to: the clock, and the host's backend on it.
struct UniversignHostHolder {
    std::shared_ptr<emulator::EmulatorClock> clock_;
    WakingBackend host_backend;
    UniversignHostHolder();
};

struct JobOptions {
    int max_steps = 100;
    // The longest clock move between two steps (null: the whole wait the step asked for).
    std::optional<std::chrono::milliseconds> max_move;
    int64_t job_id = 101;  // its call id is "job-<id>"; apart from the ids of jobs the connector enqueues
};

// One webhook answer.
struct PushAnswer {
    host::CallResult result;
    Poco::JSON::Object::Ptr json() const { return parse(result.body.empty() ? "{}" : result.body); }
};

class UniversignHarness : private UniversignHostHolder, public ConnectorHarness {
public:
    explicit UniversignHarness(UniversignHarnessOptions options = {});

    universign_emulator::UniversignEmulator &emulator() { return *emulator_; }
    emulator::EmulatorClock &clock() { return *clock_; }
    WakingBackend &host() { return host_backend; }
    const std::string &api() const { return api_; }
    bool xmlrpc() const { return api_ == "xmlrpc"; }
    // Where signed PDFs are written, and where documents[].file_path may point.
    std::filesystem::path output_dir() const { return dir() / "signed"; }
    std::filesystem::path file_dir() const { return dir() / "files"; }

    // Moves the emulator's clock (signers act, transactions expire, archives happen).
    void advance(std::chrono::milliseconds by) { clock_->advance(by); }

    // A request_signature job from its first step to its end (or options.max_steps).
    JobRun run_job(const std::string &input, JobOptions options = {});
    // One step of a request_signature job, as the scheduler runs it (the job marked live
    // for wakes while it has not ended).
    host::CallResult job_step(const std::string &input, uint32_t step, const std::optional<std::string> &checkpoint,
                              int64_t job_id = 101);
    // The jobs the connector enqueued, run once each in order (after moving the clock by their
    // delay); their results.
    std::vector<host::CallResult> run_queued(int max_jobs = 100);

    // The `status` webhook as the host hands it a request to /api/v1/hooks/universign/status?<query>.
    PushAnswer push(const std::string &method, const std::string &query, const std::string &body = "",
                    const std::string &content_type = "application/json");
    // The pushes the emulator would send now, delivered to nowhere and recorded: the URL the
    // emulator was given (see point_pushes_nowhere) ends with the connector's token.
    std::vector<universign_emulator::PushRecord> emulator_pushes();
    // Makes the emulator send its pushes (XML-RPC profile URL, REST webhook) to a closed local
    // port, with ?token=<token>: emulator_pushes() then shows what Universign would have sent.
    void point_pushes_nowhere(const std::string &token = kPushToken);
    // Replays one recorded emulator push to the webhook, as the host would receive it.
    PushAnswer replay(const universign_emulator::PushRecord &push);

    // Requests that reached the emulator (both APIs, refused ones included).
    std::size_t upstream_requests() const;

private:
    std::string api_;
    std::unique_ptr<universign_emulator::UniversignEmulator> emulator_;
};

// --- request_signature inputs ---------------------------------------------------------------

struct FieldSpec {
    int page = 1, x = 100, y = 200;
    std::string signer_json = "0";  // an index, or a JSON string (an email)
};

struct DocumentSpec {
    std::string name;
    std::string bytes;               // sent as file_base64 unless file_path is set
    std::string file_path;           // relative to file_directory
    std::vector<FieldSpec> fields;
};

struct SignerSpec {
    std::string first_name, last_name, email;
    std::string role = "signer";
};

// A request_signature input, built up by a test.
struct SignatureInput {
    std::string custom_id;
    std::vector<DocumentSpec> documents;
    std::vector<SignerSpec> signers;
    std::string extra;  // more members, ",\"description\":\"...\""

    explicit SignatureInput(std::string id) : custom_id(std::move(id)) {}
    SignatureInput &document(const std::string &name, const std::string &bytes, std::vector<FieldSpec> fields = {{}});
    SignatureInput &signer(const std::string &first, const std::string &last, const std::string &email,
                           const std::string &role = "signer");
    // JSON text; without_custom_id leaves custom_id out.
    std::string json(bool with_custom_id = true) const;
};

// One signer, one one-page document with a field for it.
std::string simple_input(const std::string &custom_id, const std::string &email = "alice@x.test");

// The documents array of a finished job's (or fetch_signed's) result, decoded.
struct ReturnedDocument {
    std::string name, bytes, sha256, file;
    int64_t size = -1;  // "bytes" as the connector said it
};
std::vector<ReturnedDocument> returned_documents(const Poco::JSON::Object::Ptr &result);

bool ends_with(const std::string &text, const std::string &suffix);
// A file's bytes ("" when it cannot be read).
std::string read_file(const std::filesystem::path &path);
// Regular files under `dir`.
std::size_t files_in(const std::filesystem::path &dir);

}  // namespace relais::test
