// The server: routes, the test switches and counters, the injected failures and the
// in-flight counts. The endpoints are in exchange_ews_api.cpp, exchange_oauth.cpp and
// exchange_graph_api.cpp.
#include "exchange_emulator.hpp"

#include "exchange_state.hpp"

#include <algorithm>
#include <thread>

namespace relais::exchange_emulator {

using emulator::Request;
using emulator::Response;

namespace {

ExchangeEmulatorOptions with_clock(ExchangeEmulatorOptions options) {
    // Tokens, events and quotas read the same clock as the server; it must exist before either.
    if (!options.server.clock) options.server.clock = std::make_shared<emulator::EmulatorClock>();
    return options;
}

bool is_item_operation(const std::string &operation) {
    return operation == "GetItem" || operation == "UpdateItem" || operation == "DeleteItem" ||
           operation.find("/events/{id}") != std::string::npos;
}

// Whether an API has a shape for the failure on that operation (see Failure).
bool applies(Failure failure, Api api, const std::string &operation) {
    switch (failure) {
    case Failure::unavailable:
    case Failure::server_error:
    case Failure::lose_answer: return true;
    case Failure::server_busy:
    case Failure::server_busy_message:
    case Failure::error_page_redirect:
    case Failure::exceeded_connection_count: return api == Api::ews;
    case Failure::too_many_requests: return api == Api::graph;
    case Failure::impersonate_user_denied:
    case Failure::non_existent_mailbox: return api != Api::token;
    case Failure::item_not_found: return api != Api::token && is_item_operation(operation);
    case Failure::invalid_sync_state:
        return operation == "SyncFolderItems" || operation == "GET /v1.0/users/{mailbox}/calendarView/delta";
    }
    return false;
}

}  // namespace

// --- State ------------------------------------------------------------------------------

ExchangeEmulator::State::State(const ExchangeEmulatorOptions &given, std::shared_ptr<emulator::EmulatorClock> c,
                               std::function<std::string()> base)
    : options(given), clock(std::move(c)), base_url(std::move(base)), ntlm(given.ews.ntlm_domain) {
    for (const auto &m : options.mailboxes)
        calendars.emplace(mailbox_key(m.address), MailboxCalendar(m.address, m.display_name));
    for (const auto &a : options.accounts) ntlm.add_account(a.user, a.password);
    ews_blocked = options.ews.blocked;
}

std::optional<Failure> ExchangeEmulator::State::take_failure_locked(const std::string &operation, Api api) {
    for (auto it = failures.begin(); it != failures.end(); ++it) {
        if (!it->operation.empty() && it->operation != operation) continue;
        if (!applies(it->failure, api, operation)) continue;
        const auto failure = it->failure;
        if (--it->remaining <= 0) failures.erase(it);
        return failure;
    }
    return std::nullopt;
}

void ExchangeEmulator::State::hold_if_asked(const std::string &operation) {
    std::unique_lock lock(mutex);
    if (holds_disabled) return;
    const auto it = std::find_if(holds.begin(), holds.end(), [&](const InjectedFailure &h) {
        return h.operation.empty() || h.operation == operation;
    });
    if (it == holds.end()) return;
    if (--it->remaining <= 0) holds.erase(it);
    const auto generation = hold_generation;
    ++held;
    hold_changed.wait(lock, [&] { return hold_generation != generation; });
    --held;
}

MailboxCalendar *ExchangeEmulator::State::calendar_locked(const std::string &address) {
    const auto it = calendars.find(mailbox_key(address));
    return it == calendars.end() ? nullptr : &it->second;
}

ExchangeEmulator::State::InFlight::InFlight(State &state, std::unique_lock<std::mutex> &lock,
                                            std::map<std::string, int> &counts, std::map<std::string, int> &peaks,
                                            const std::string &mailbox)
    : state_(state), lock_(lock), counts_(counts), key_(mailbox_key(mailbox)), now_(++counts[key_]) {
    auto &peak = peaks[key_];
    peak = std::max(peak, now_);
    ++state_.any_in_flight[key_];
    const auto busy = static_cast<std::size_t>(std::count_if(state_.any_in_flight.begin(), state_.any_in_flight.end(),
                                                             [](const auto &m) { return m.second > 0; }));
    state_.peak_busy_mailboxes = std::max(state_.peak_busy_mailboxes, busy);
}

void ExchangeEmulator::State::InFlight::count_out() {
    --counts_[key_];
    --state_.any_in_flight[key_];
}

ExchangeEmulator::State::InFlight::~InFlight() {
    if (lock_.owns_lock()) {
        count_out();
        return;
    }
    lock_.lock();
    count_out();
    lock_.unlock();
}

void ExchangeEmulator::State::sleep_latency() const {
    // The emulated service's own work time, not a test's wait.
    if (options.latency.count() > 0) std::this_thread::sleep_for(options.latency);
}

// --- ExchangeEmulator -------------------------------------------------------------------

ExchangeEmulator::ExchangeEmulator(ExchangeEmulatorOptions options)
    : options_(with_clock(std::move(options))), server_(options_.server) {
    state_ = std::make_shared<State>(options_, options_.server.clock, [this] { return server_.base_url(); });
    const auto state = state_;
    server_.route("POST", "/EWS/Exchange.asmx", [state](const Request &r) { return state->ews(r); });
    server_.route("POST", "/{tenant}/oauth2/v2.0/token", [state](const Request &r) { return state->token(r); });
    const auto graph = [&](const std::string &method, const std::string &path, State::GraphHandler handler) {
        const auto route = method + " /v1.0" + path;
        server_.route(method, "/v1.0" + path,
                      [state, route, handler](const Request &r) { return state->graph(r, route, handler); });
    };
    graph("GET", "/users/{mailbox}", &State::get_user);
    graph("GET", "/users/{mailbox}/calendarView", &State::calendar_view);
    graph("GET", "/users/{mailbox}/calendarView/delta", &State::delta);
    graph("GET", "/users/{mailbox}/events", &State::list_events);
    graph("POST", "/users/{mailbox}/events", &State::create_event);
    graph("GET", "/users/{mailbox}/events/{id}", &State::get_event);
    graph("PATCH", "/users/{mailbox}/events/{id}", &State::update_event);
    graph("DELETE", "/users/{mailbox}/events/{id}", &State::delete_event);
    graph("POST", "/users/{mailbox}/events/{id}/cancel", &State::cancel_event);
}

ExchangeEmulator::~ExchangeEmulator() { stop(); }

void ExchangeEmulator::start() {
    {
        std::lock_guard lock(state_->mutex);
        state_->holds_disabled = false;
    }
    server_.start();
}

void ExchangeEmulator::stop() {
    {
        std::lock_guard lock(state_->mutex);
        state_->holds_disabled = true;
        ++state_->hold_generation;
    }
    state_->hold_changed.notify_all();
    server_.stop();
}

void ExchangeEmulator::hold_next_answers(int count, const std::string &operation) {
    if (count <= 0) return;
    std::lock_guard lock(state_->mutex);
    state_->holds.push_back({Failure::lose_answer, operation, count});
}

void ExchangeEmulator::release_held() {
    {
        std::lock_guard lock(state_->mutex);
        ++state_->hold_generation;
    }
    state_->hold_changed.notify_all();
}

std::size_t ExchangeEmulator::held_count() const {
    std::lock_guard lock(state_->mutex);
    return state_->held;
}

void ExchangeEmulator::fail_next(Failure failure, int count, const std::string &operation) {
    if (count <= 0) return;
    std::lock_guard lock(state_->mutex);
    state_->failures.push_back({failure, operation, count});
}

void ExchangeEmulator::expire_sync_states(const std::string &mailbox) {
    std::lock_guard lock(state_->mutex);
    for (auto &[key, calendar] : state_->calendars)
        if (mailbox.empty() || key == mailbox_key(mailbox)) calendar.invalidate_tokens();
}

void ExchangeEmulator::expire_tokens() {
    std::lock_guard lock(state_->mutex);
    ++state_->token_generation;
}

void ExchangeEmulator::set_ews_blocked(bool blocked) {
    std::lock_guard lock(state_->mutex);
    state_->ews_blocked = blocked;
}

Event ExchangeEmulator::add_event(const std::string &mailbox, Event event) {
    std::lock_guard lock(state_->mutex);
    auto *calendar = state_->calendar_locked(mailbox);
    if (!calendar) throw std::invalid_argument("no mailbox " + mailbox);
    return calendar->create(std::move(event), state_->clock->now(), state_->ids).event;
}

bool ExchangeEmulator::touch_event(const std::string &mailbox, const std::string &id, const std::string &new_subject) {
    std::lock_guard lock(state_->mutex);
    auto *calendar = state_->calendar_locked(mailbox);
    auto *stored = calendar ? calendar->find(id) : nullptr;
    if (!stored) return false;
    stored->event.subject = new_subject;
    calendar->changed(*stored, state_->clock->now(), state_->ids);
    return true;
}

bool ExchangeEmulator::remove_event(const std::string &mailbox, const std::string &id) {
    std::lock_guard lock(state_->mutex);
    auto *calendar = state_->calendar_locked(mailbox);
    return calendar && calendar->remove(id);
}

std::size_t ExchangeEmulator::calls(const std::string &operation) const {
    std::lock_guard lock(state_->mutex);
    const auto it = state_->calls.find(operation);
    return it == state_->calls.end() ? 0 : it->second;
}

std::size_t ExchangeEmulator::peak_graph_concurrency(const std::string &mailbox) const {
    std::lock_guard lock(state_->mutex);
    const auto it = state_->graph_peak.find(mailbox_key(mailbox));
    return it == state_->graph_peak.end() ? 0 : static_cast<std::size_t>(it->second);
}

std::size_t ExchangeEmulator::peak_ews_concurrency(const std::string &mailbox) const {
    std::lock_guard lock(state_->mutex);
    const auto it = state_->ews_peak.find(mailbox_key(mailbox));
    return it == state_->ews_peak.end() ? 0 : static_cast<std::size_t>(it->second);
}

std::size_t ExchangeEmulator::peak_busy_mailboxes() const {
    std::lock_guard lock(state_->mutex);
    return state_->peak_busy_mailboxes;
}

std::size_t ExchangeEmulator::tokens_issued() const {
    std::lock_guard lock(state_->mutex);
    return state_->tokens_issued;
}

std::vector<Event> ExchangeEmulator::events(const std::string &mailbox) const {
    std::lock_guard lock(state_->mutex);
    std::vector<Event> found;
    if (auto *calendar = state_->calendar_locked(mailbox))
        for (const auto *e : calendar->all()) found.push_back(e->event);
    return found;
}

std::optional<Event> ExchangeEmulator::event(const std::string &mailbox, const std::string &id) const {
    std::lock_guard lock(state_->mutex);
    auto *calendar = state_->calendar_locked(mailbox);
    const auto *stored = calendar ? calendar->find(id) : nullptr;
    if (!stored) return std::nullopt;
    return stored->event;
}

}  // namespace relais::exchange_emulator
