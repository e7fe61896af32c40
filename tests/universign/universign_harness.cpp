#include "universign_harness.hpp"

#include <catch2/catch.hpp>

#include <relais/support/bytes.hpp>

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace relais::test {

namespace fs = std::filesystem;
using universign_emulator::PushRecord;
using universign_emulator::UniversignEmulator;
using universign_emulator::UniversignEmulatorOptions;

// --- WakingBackend --------------------------------------------------------------------------

bool WakingBackend::wake(const std::string &, const std::string &idempotency_key, std::optional<int64_t> job_id) {
    std::lock_guard lock(mutex_);
    if (!job_id) {
        // The harness's jobs have no idempotency key: nothing to match.
        (void)idempotency_key;
        wakes_.push_back(-1);
        return false;
    }
    if (!live_.count(*job_id)) return false;
    wakes_.push_back(*job_id);
    return true;
}

void WakingBackend::job_started(int64_t job_id) {
    std::lock_guard lock(mutex_);
    live_.insert(job_id);
}

void WakingBackend::job_ended(int64_t job_id) {
    std::lock_guard lock(mutex_);
    live_.erase(job_id);
}

std::vector<int64_t> WakingBackend::wakes() const {
    std::lock_guard lock(mutex_);
    return wakes_;
}

// --- The harness ----------------------------------------------------------------------------

namespace {

ConnectorHarnessOptions harness_options(const UniversignHarnessOptions &o, host::PluginBackend *backend) {
    ConnectorHarnessOptions h;
    h.configure = o.configure;
    h.backend = backend;
    return h;
}

// A time with whole seconds: XML-RPC dates carry no fraction, so the emulator and the
// connector then agree on every instant.
emulator::EmulatorClock::time_point start_time() {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::string to_text(const Poco::JSON::Object::Ptr &json) {
    std::ostringstream out;
    json->stringify(out);
    return out.str();
}

}  // namespace

UniversignHostHolder::UniversignHostHolder()
    : clock_(std::make_shared<emulator::EmulatorClock>(start_time())),
      host_backend([c = clock_] {
          return std::chrono::duration_cast<std::chrono::milliseconds>(c->now().time_since_epoch()).count();
      }) {}

UniversignHarness::UniversignHarness(UniversignHarnessOptions options)
    : ConnectorHarness("universign", harness_options(options, &host_backend)), api_(options.api) {
    UniversignEmulatorOptions e;
    e.server.tls = server_tls();
    e.server.clock = clock_;
    if (options.emulator) options.emulator(e);
    emulator_ = std::make_unique<UniversignEmulator>(e);
    emulator_->start();

    fs::create_directories(output_dir());
    fs::create_directories(file_dir());
    auto base = parse("{}");
    base->set("enabled", true);
    base->set("api", api_);
    if (xmlrpc()) {
        base->set("url", emulator_->xmlrpc_url());
        base->set("username", std::string(kUniversignLogin));
        base->set("password", std::string(kUniversignPassword));
    } else {
        base->set("rest_url", emulator_->rest_url());
        base->set("api_key", std::string(kUniversignApiKey));
    }
    base->set("output_directory", output_dir().string());
    base->set("file_directory", file_dir().string());
    base->set("callback_token", std::string(kPushToken));
    base->set("requests_per_second", 1000);
    load(to_text(base), options.settings);
}

host::CallResult UniversignHarness::job_step(const std::string &input, uint32_t n,
                                             const std::optional<std::string> &checkpoint, int64_t job_id) {
    host_backend.job_started(job_id);
    auto r = step("request_signature", input, n, checkpoint, "job-" + std::to_string(job_id));
    if (!(r.ok() && r.later)) host_backend.job_ended(job_id);
    return r;
}

JobRun UniversignHarness::run_job(const std::string &input, JobOptions options) {
    JobRun run;
    run.steps.push_back(job_step(input, 1, std::nullopt, options.job_id));
    for (int i = 1; i < options.max_steps && run.waiting(); ++i) {
        const auto later = *run.last().later;
        auto move = std::chrono::milliseconds(later.delay_ms);
        if (options.max_move) move = std::min(move, *options.max_move);
        clock_->advance(move);
        run.steps.push_back(job_step(input, static_cast<uint32_t>(run.steps.size() + 1), later.checkpoint, options.job_id));
    }
    return run;
}

std::vector<host::CallResult> UniversignHarness::run_queued(int max_jobs) {
    std::vector<host::CallResult> results;
    for (int i = 0; i < max_jobs; ++i) {
        const auto job = host_backend.pop();
        if (!job) break;
        clock_->advance(std::chrono::milliseconds(job->delay_ms));
        host_backend.job_started(job->id);
        results.push_back(step(job->action, job->input, 1, std::nullopt, "job-" + std::to_string(job->id)));
        host_backend.job_ended(job->id);
    }
    return results;
}

PushAnswer UniversignHarness::push(const std::string &method, const std::string &query, const std::string &body,
                                   const std::string &content_type) {
    host::PluginInstance::WebhookCall call;
    call.hook = "status";
    call.method = method;
    call.query = query;  // the raw query, as the host hands it over (the token among it)
    call.body = body;
    call.remote_address = "127.0.0.1";
    if (!body.empty()) {
        call.headers.emplace_back("content-type", content_type);
        call.headers.emplace_back("content-length", std::to_string(body.size()));
    }
    return PushAnswer{instance().handle_webhook(call)};
}

void UniversignHarness::point_pushes_nowhere(const std::string &token) {
    // Port 9 (discard) on loopback: nothing listens, the emulator's attempt fails at once and
    // is recorded with the URL it used.
    const std::string url = "http://127.0.0.1:9/api/v1/hooks/universign/status?token=" + token;
    emulator_->set_push_url("default", url);
    emulator_->set_webhook_url(url);
}

std::vector<PushRecord> UniversignHarness::emulator_pushes() {
    const auto before = emulator_->pushes().size();
    emulator_->deliver_due_pushes();
    auto all = emulator_->pushes();
    return std::vector<PushRecord>(all.begin() + static_cast<std::ptrdiff_t>(before), all.end());
}

PushAnswer UniversignHarness::replay(const PushRecord &p) {
    const auto q = p.url.find('?');
    return push(p.method, q == std::string::npos ? "" : p.url.substr(q + 1), p.body);
}

std::size_t UniversignHarness::upstream_requests() const { return emulator_->server().requests().size(); }

// --- Inputs ---------------------------------------------------------------------------------

SignatureInput &SignatureInput::document(const std::string &name, const std::string &bytes, std::vector<FieldSpec> fields) {
    DocumentSpec d;
    d.name = name;
    d.bytes = bytes;
    d.fields = std::move(fields);
    documents.push_back(std::move(d));
    return *this;
}

SignatureInput &SignatureInput::signer(const std::string &first, const std::string &last, const std::string &email,
                                       const std::string &role) {
    SignerSpec s;
    s.first_name = first;
    s.last_name = last;
    s.email = email;
    s.role = role;
    signers.push_back(std::move(s));
    return *this;
}

std::string SignatureInput::json(bool with_custom_id) const {
    std::string out = "{";
    if (with_custom_id) out += "\"custom_id\":" + json_string(custom_id) + ",";
    out += "\"documents\":[";
    for (std::size_t i = 0; i < documents.size(); ++i) {
        const auto &d = documents[i];
        if (i) out += ",";
        out += "{\"name\":" + json_string(d.name) + ",";
        if (!d.file_path.empty()) out += "\"file_path\":" + json_string(d.file_path);
        else out += "\"file_base64\":\"" + base64(d.bytes) + "\"";
        out += ",\"fields\":[";
        for (std::size_t f = 0; f < d.fields.size(); ++f) {
            const auto &field = d.fields[f];
            if (f) out += ",";
            out += "{\"page\":" + std::to_string(field.page) + ",\"x\":" + std::to_string(field.x) +
                   ",\"y\":" + std::to_string(field.y) + ",\"signer\":" + field.signer_json + "}";
        }
        out += "]}";
    }
    out += "],\"signers\":[";
    for (std::size_t i = 0; i < signers.size(); ++i) {
        const auto &s = signers[i];
        if (i) out += ",";
        out += "{\"first_name\":" + json_string(s.first_name) + ",\"last_name\":" + json_string(s.last_name) +
               ",\"email\":" + json_string(s.email) + ",\"role\":" + json_string(s.role) + "}";
    }
    out += "]" + extra + "}";
    return out;
}

std::string simple_input(const std::string &custom_id, const std::string &email) {
    return SignatureInput(custom_id)
        .document("devis.pdf", signing_pdf(1, "quote " + custom_id))
        .signer("Alice", "Martin", email)
        .json();
}

std::vector<ReturnedDocument> returned_documents(const Poco::JSON::Object::Ptr &result) {
    std::vector<ReturnedDocument> out;
    if (!result || !result->has("documents")) return out;
    const auto list = result->getArray("documents");
    for (unsigned i = 0; i < list->size(); ++i) {
        const auto d = list->getObject(i);
        ReturnedDocument r;
        r.name = d->optValue<std::string>("name", "");
        r.bytes = support::base64_decode(d->optValue<std::string>("file_base64", ""));
        r.sha256 = d->optValue<std::string>("sha256", "");
        r.file = d->optValue<std::string>("file", "");
        r.size = d->optValue<int64_t>("bytes", -1);
        out.push_back(std::move(r));
    }
    return out;
}

bool ends_with(const std::string &text, const std::string &suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string read_file(const std::filesystem::path &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "";
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::size_t files_in(const std::filesystem::path &dir) {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto &entry : fs::recursive_directory_iterator(dir, ec))
        if (entry.is_regular_file()) ++n;
    return n;
}

}  // namespace relais::test
