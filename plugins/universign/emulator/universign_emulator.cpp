// The server: routes, quotas, the test switches and counters, and the push queue. The
// endpoints are in universign_xmlrpc_api.cpp and universign_rest_api.cpp.
#include "universign_emulator.hpp"

#include "universign_pushes.hpp"
#include "universign_state.hpp"

#include <relais/support/xmlrpc.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <sstream>

namespace relais::universign_emulator {

using emulator::Request;
using emulator::Response;
using Kind = TransactionEvent::Kind;

namespace {

UniversignEmulatorOptions with_clock(UniversignEmulatorOptions options) {
    // The transactions read the same clock as the server's quotas; it must exist before either.
    if (!options.server.clock) options.server.clock = std::make_shared<emulator::EmulatorClock>();
    return options;
}

// After a failed push, the next attempt (the REST webhooks' documented schedule, used for
// both APIs); none after the eighth attempt.
std::optional<std::chrono::minutes> retry_delay(int failed_attempt) {
    static constexpr std::array<int, 7> minutes{1, 5, 30, 120, 360, 1440, 2880};
    if (failed_attempt < 1 || failed_attempt > static_cast<int>(minutes.size())) return std::nullopt;
    return std::chrono::minutes(minutes[static_cast<std::size_t>(failed_attempt - 1)]);
}

const char *webhook_type(Kind kind) {
    switch (kind) {
    case Kind::created: return "transaction.lifecycle.created";
    case Kind::started: return "transaction.lifecycle.started";
    case Kind::signer_signed: return "action.closed";
    case Kind::signer_refused:
    case Kind::signer_failed: return "action.stalled";
    case Kind::completed: return "transaction.lifecycle.completed";
    case Kind::canceled: return "transaction.lifecycle.cancelled";
    case Kind::expired: return "transaction.lifecycle.expired";
    }
    return "";
}

}  // namespace

// --- State ------------------------------------------------------------------------------

UniversignEmulator::State::State(const UniversignEmulatorOptions &given, std::shared_ptr<emulator::EmulatorClock> c)
    : options(given), clock(std::move(c)), random(std::random_device{}()) {}

std::string UniversignEmulator::State::random_id(std::size_t length) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
    std::string id;
    for (std::size_t i = 0; i < length; ++i) id += kAlphabet[pick(random)];
    return id;
}

std::string UniversignEmulator::State::uuid() {
    // Version 4, as the ids recorded on the wire are.
    std::uniform_int_distribution<unsigned> byte(0, 255);
    unsigned char b[16];
    for (auto &x : b) x = static_cast<unsigned char>(byte(random));
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    char text[37];
    std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                  b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return text;
}

void UniversignEmulator::State::settle_all_locked(TimePoint now) {
    for (auto &[id, tx] : transactions) settle_locked(tx, now);
}

void UniversignEmulator::State::settle_locked(Transaction &tx, TimePoint now) {
    std::vector<TransactionEvent> events;
    settle(tx, now, timing(), events);
    if (!events.empty()) queue_pushes_locked(tx, events);
}

void UniversignEmulator::State::queue_pushes_locked(const Transaction &tx, const std::vector<TransactionEvent> &events) {
    for (const auto &e : events) {
        PendingPush push;
        push.due = e.at;
        if (tx.api == Api::xmlrpc) {
            // The guide: a push after each signer step, and the transaction's end.
            if (e.kind == Kind::created || e.kind == Kind::started || e.kind == Kind::completed) continue;
            const auto url = push_urls.find(tx.profile);
            if (url == push_urls.end() || url->second.empty()) continue;
            push.record.method = "GET";
            push.record.url = url->second + (url->second.find('?') == std::string::npos ? "?" : "&") + "id=" + tx.id +
                              "&signer=" + std::to_string(e.signer) + "&status=" + std::to_string(e.status);
        } else {
            if (webhook_url.empty()) continue;
            // The event schema is not documented (reference A.7): an envelope in the API's
            // usual object style, carrying the transaction as it is now.
            std::ostringstream body;
            body << R"({"object":"event","id":"evt_)" << random_id(12) << R"(","type":")" << webhook_type(e.kind)
                 << R"(","created_at":")" << rest_time(e.at) << R"(","payload":)"
                 << rest_transaction_json(tx, clock->now()) << "}";
            push.record.method = "POST";
            push.record.url = webhook_url;
            push.record.body = body.str();
        }
        pending_pushes.push_back(std::move(push));
    }
}

std::optional<int> UniversignEmulator::State::take_failure_locked(const std::string &method, bool xmlrpc) {
    for (auto it = failures.begin(); it != failures.end(); ++it) {
        if (!it->method.empty() && it->method != method) continue;
        const bool is_fault = it->code >= 1000;
        if (is_fault && !xmlrpc) continue;  // fault codes are XML-RPC's
        const int code = it->code;
        if (--it->remaining <= 0) failures.erase(it);
        return code;
    }
    return std::nullopt;
}

void UniversignEmulator::State::hold_if_asked(const std::string &method) {
    std::unique_lock lock(mutex);
    if (holds_disabled) return;
    const auto it = std::find_if(holds.begin(), holds.end(),
                                 [&](const InjectedFailure &h) { return h.method.empty() || h.method == method; });
    if (it == holds.end()) return;
    if (--it->remaining <= 0) holds.erase(it);
    const auto generation = hold_generation;
    ++held;
    hold_changed.wait(lock, [&] { return hold_generation != generation; });
    --held;
}

Response UniversignEmulator::State::over_quota(const Request &request, const emulator::QuotaExceeded &exceeded) const {
    if (emulator::path_under(request.path, "/sign/rpc") && options.xmlrpc.over_quota == XmlRpcOverQuota::fault_73040) {
        Response r;
        r.body = support::xmlrpc::encode_fault({73040, "Too many requests, please retry later"});
        r.header("Content-Type", "text/xml");
        return r;
    }
    auto r = emulator::path_under(request.path, "/sign/rpc")
                 ? Response::text(429, "Too Many Requests")
                 : rest_error(429, "too_many_requests", "too many requests, retry later");
    r.header("Retry-After", std::to_string(exceeded.retry_after.count()));
    return r;
}

// --- UniversignEmulator -----------------------------------------------------------------

UniversignEmulator::UniversignEmulator(UniversignEmulatorOptions options)
    : options_(with_clock(std::move(options))),
      server_(options_.server),
      state_(std::make_shared<State>(options_, options_.server.clock)) {
    const auto state = state_;
    server_.route("POST", "/sign/rpc/", [state](const Request &r) { return state->xmlrpc(r); });
    const auto rest = [&](const std::string &method, const std::string &path,
                          Response (State::*handler)(const Request &, const std::string &)) {
        const auto route = method + " " + path;
        server_.route(method, path, [state, route, handler](const Request &r) { return state->rest(r, route, handler); });
    };
    rest("POST", "/v1/files", &State::upload_file);
    rest("POST", "/v1/transactions", &State::create_transaction);
    rest("GET", "/v1/transactions/{tx}", &State::get_transaction);
    rest("POST", "/v1/transactions/{tx}/documents", &State::add_document);
    rest("POST", "/v1/transactions/{tx}/documents/{doc}/fields", &State::add_field);
    rest("POST", "/v1/transactions/{tx}/signatures", &State::assign_signature);
    rest("POST", "/v1/transactions/{tx}/participants", &State::add_participant);
    rest("POST", "/v1/transactions/{tx}/start", &State::start_transaction);
    rest("POST", "/v1/transactions/{tx}/cancel", &State::cancel_transaction);
    rest("GET", "/v1/transactions/{tx}/archive/documents/{doc}/download", &State::download_document);
    rest("GET", "/v1/archives/{tx}/documents/{doc}/download", &State::download_document);
    if (options_.requests_per_second > 0)
        server_.set_quota(options_.requests_per_second, 0,
                          [state](const Request &r, const emulator::QuotaExceeded &e) { return state->over_quota(r, e); });
}

UniversignEmulator::~UniversignEmulator() { stop(); }

void UniversignEmulator::start() {
    {
        std::lock_guard lock(state_->mutex);
        state_->holds_disabled = false;
    }
    server_.start();
}

void UniversignEmulator::stop() {
    {
        std::lock_guard lock(state_->mutex);
        state_->holds_disabled = true;
        ++state_->hold_generation;
    }
    state_->hold_changed.notify_all();
    server_.stop();
}

void UniversignEmulator::set_signer_behaviour(const std::string &email, SignerBehaviour behaviour) {
    std::lock_guard lock(state_->mutex);
    state_->behaviours[email] = behaviour;
}

void UniversignEmulator::set_push_url(const std::string &profile, const std::string &url) {
    std::lock_guard lock(state_->mutex);
    state_->push_urls[profile] = url;
}

void UniversignEmulator::set_webhook_url(const std::string &url) {
    std::lock_guard lock(state_->mutex);
    state_->webhook_url = url;
}

void UniversignEmulator::fail_next(int code, int count, const std::string &method) {
    if (count <= 0) return;
    std::lock_guard lock(state_->mutex);
    state_->failures.push_back({code, method, count});
}

void UniversignEmulator::lose_next_answers(int count, const std::string &method) {
    if (count <= 0) return;
    std::lock_guard lock(state_->mutex);
    state_->failures.push_back({0, method, count});
}

void UniversignEmulator::hold_next_answers(int count, const std::string &method) {
    if (count <= 0) return;
    std::lock_guard lock(state_->mutex);
    state_->holds.push_back({0, method, count});
}

void UniversignEmulator::release_held() {
    {
        std::lock_guard lock(state_->mutex);
        ++state_->hold_generation;
    }
    state_->hold_changed.notify_all();
}

std::size_t UniversignEmulator::held_count() const {
    std::lock_guard lock(state_->mutex);
    return state_->held;
}

std::size_t UniversignEmulator::deliver_due_pushes() {
    std::vector<PendingPush> due;
    Poco::Net::Context::Ptr context = options_.push_tls_context;
    {
        std::lock_guard lock(state_->mutex);
        const auto now = state_->clock->now();
        state_->settle_all_locked(now);
        for (auto it = state_->pending_pushes.begin(); it != state_->pending_pushes.end();) {
            if (it->due <= now) {
                due.push_back(std::move(*it));
                it = state_->pending_pushes.erase(it);
            } else {
                ++it;
            }
        }
    }
    // Sent unlocked: a receiver may well call the emulator back before it answers.
    for (auto &push : due) {
        push.record.status = send_push(push.record.url, push.record.method, push.record.body, context);
        std::lock_guard lock(state_->mutex);
        state_->sent_pushes.push_back(push.record);
        if (push.record.status >= 200 && push.record.status < 300) continue;
        if (const auto delay = retry_delay(push.record.attempt)) {
            PendingPush again = push;
            ++again.record.attempt;
            again.record.status = 0;
            again.due = state_->clock->now() + *delay;
            state_->pending_pushes.push_back(std::move(again));
        }
    }
    return due.size();
}

std::size_t UniversignEmulator::calls(const std::string &method) const {
    std::lock_guard lock(state_->mutex);
    const auto it = state_->calls.find(method);
    return it == state_->calls.end() ? 0 : it->second;
}

std::size_t UniversignEmulator::documents_fetched(const std::string &transaction_id) const {
    std::lock_guard lock(state_->mutex);
    const auto it = state_->transactions.find(transaction_id);
    return it == state_->transactions.end() ? 0 : it->second.documents_fetched;
}

std::size_t UniversignEmulator::transactions_created(const std::string &custom_id) const {
    std::lock_guard lock(state_->mutex);
    const auto it = state_->created_per_custom_id.find(custom_id);
    return it == state_->created_per_custom_id.end() ? 0 : it->second;
}

std::size_t UniversignEmulator::transactions_created() const {
    std::lock_guard lock(state_->mutex);
    return state_->created;
}

std::vector<PushRecord> UniversignEmulator::pushes() const {
    std::lock_guard lock(state_->mutex);
    return state_->sent_pushes;
}

std::size_t UniversignEmulator::pushes_delivered() const {
    std::lock_guard lock(state_->mutex);
    std::size_t n = 0;
    for (const auto &p : state_->sent_pushes) n += p.status >= 200 && p.status < 300;
    return n;
}

std::optional<std::string> UniversignEmulator::status_of(const std::string &transaction_id) const {
    std::lock_guard lock(state_->mutex);
    const auto now = state_->clock->now();
    state_->settle_all_locked(now);
    const auto it = state_->transactions.find(transaction_id);
    if (it == state_->transactions.end()) return std::nullopt;
    const auto &tx = it->second;
    return tx.api == Api::xmlrpc ? xmlrpc_status(tx) : rest_state(tx, now, state_->timing());
}

std::optional<std::string> UniversignEmulator::transaction_by_custom_id(const std::string &custom_id) const {
    std::lock_guard lock(state_->mutex);
    const auto it = state_->by_custom_id.find(custom_id);
    if (it == state_->by_custom_id.end()) return std::nullopt;
    return it->second;
}

std::string UniversignEmulator::signed_marker(const std::string &transaction_id, std::size_t document_index) {
    return "%relais-universign-emulator signed transaction=" + transaction_id +
           " document=" + std::to_string(document_index) + "\n";
}

}  // namespace relais::universign_emulator
