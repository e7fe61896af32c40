// The emulator's shared state and the entry points of its three endpoints: EWS
// (exchange_ews_api.cpp, exchange_ews_operations.cpp), the token endpoint (exchange_oauth.cpp)
// and Graph (exchange_graph_api.cpp); exchange_emulator.cpp holds the switches and counters.
#pragma once

#include "exchange_calendar.hpp"
#include "exchange_emulator.hpp"
#include "ntlm_server.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace relais::exchange_emulator {

enum class Api { ews, graph, token };

struct InjectedFailure {
    Failure failure;
    std::string operation;  // "" for any
    int remaining = 0;
};

struct IssuedToken {
    std::string tenant;  // tenant id
    std::string client_id;
    std::string audience;  // "graph" or "ews"
    TimePoint expires;
    std::uint64_t generation = 0;  // expire_tokens() moves the State's on
};

// Who a call authenticated as.
struct Caller {
    const Account *account = nullptr;          // Basic or NTLM
    const Application *application = nullptr;  // Bearer
    std::string name;                          // for messages
};

class ExchangeEmulator::State {
public:
    State(const ExchangeEmulatorOptions &options, std::shared_ptr<emulator::EmulatorClock> clock,
          std::function<std::string()> base_url);

    emulator::Response ews(const emulator::Request &request);
    emulator::Response token(const emulator::Request &request);
    using GraphHandler = emulator::Response (State::*)(const emulator::Request &, MailboxCalendar &);
    emulator::Response graph(const emulator::Request &request, const std::string &route, GraphHandler handler);

    // Graph handlers (token, mailbox and failures done, locked).
    emulator::Response get_user(const emulator::Request &r, MailboxCalendar &calendar);
    emulator::Response calendar_view(const emulator::Request &r, MailboxCalendar &calendar);
    emulator::Response delta(const emulator::Request &r, MailboxCalendar &calendar);
    emulator::Response list_events(const emulator::Request &r, MailboxCalendar &calendar);
    emulator::Response create_event(const emulator::Request &r, MailboxCalendar &calendar);
    emulator::Response get_event(const emulator::Request &r, MailboxCalendar &calendar);
    emulator::Response update_event(const emulator::Request &r, MailboxCalendar &calendar);
    emulator::Response delete_event(const emulator::Request &r, MailboxCalendar &calendar);
    emulator::Response cancel_event(const emulator::Request &r, MailboxCalendar &calendar);

    // Blocks the call when a hold_next_answers() applies to it, until released. Not locked:
    // it takes the mutex itself and returns without it.
    void hold_if_asked(const std::string &operation);
    // The failure injected for this call, if one applies (locked).
    std::optional<Failure> take_failure_locked(const std::string &operation, Api api);
    // The token of a Bearer header: nullptr, with `why`, when unknown, expired or for another
    // audience (locked).
    const IssuedToken *bearer_locked(const emulator::Request &request, const std::string &audience, std::string &why);
    const Application *application_of(const IssuedToken &token) const;
    MailboxCalendar *calendar_locked(const std::string &address);
    // Counts a call in flight on a mailbox (made with `lock` held); the guard counts it out,
    // taking `lock` again if it was released meanwhile.
    class InFlight {
    public:
        InFlight(State &state, std::unique_lock<std::mutex> &lock, std::map<std::string, int> &counts,
                 std::map<std::string, int> &peaks, const std::string &mailbox);
        ~InFlight();
        InFlight(const InFlight &) = delete;
        InFlight &operator=(const InFlight &) = delete;
        int now() const { return now_; }  // including this one

    private:
        void count_out();
        State &state_;
        std::unique_lock<std::mutex> &lock_;
        std::map<std::string, int> &counts_;
        std::string key_;
        int now_;
    };
    void sleep_latency() const;

    const ExchangeEmulatorOptions options;
    const std::shared_ptr<emulator::EmulatorClock> clock;
    const std::function<std::string()> base_url;

    mutable std::mutex mutex;
    IdMaker ids;
    std::map<std::string, MailboxCalendar> calendars;  // by mailbox_key
    std::map<std::string, IssuedToken> tokens;         // by access token
    std::uint64_t token_generation = 1;
    std::size_t tokens_issued = 0;
    std::map<std::string, std::size_t> calls;
    std::deque<InjectedFailure> failures;
    std::map<std::string, int> graph_in_flight, graph_peak, ews_in_flight, ews_peak, syncs_in_flight, syncs_peak;
    // Calls in flight per mailbox on either API, and the most mailboxes busy at once.
    std::map<std::string, int> any_in_flight;
    std::size_t peak_busy_mailboxes = 0;
    std::map<std::string, std::pair<long long, int>> graph_window;  // mailbox -> (10-minute window, count)
    // hold_next_answers(): the holds still to apply (`failure` unused), the calls blocked now,
    // and a generation release_held() moves on (a blocked call waits for it to change).
    std::deque<InjectedFailure> holds;
    std::size_t held = 0;
    std::uint64_t hold_generation = 0;
    bool holds_disabled = false;  // while stopping: nothing may block the server's stop
    std::condition_variable hold_changed;
    bool ews_blocked = false;
    emulator::NtlmVerifier ntlm;

private:
    // EWS, after authentication: the operation with its target mailbox resolved.
    emulator::Response ews_operation(const emulator::Request &request, const Caller &caller);
};

// The Graph error body {"error": {"code", "message", "innerError"}}.
emulator::Response graph_error(int status, const std::string &code, const std::string &message);

}  // namespace relais::exchange_emulator
