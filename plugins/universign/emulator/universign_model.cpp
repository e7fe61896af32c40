#include "universign_model.hpp"

#include <algorithm>
#include <cstdio>
#include <regex>

namespace relais::universign_emulator {

namespace {

using Kind = TransactionEvent::Kind;

// A REST draft never started is cancelled after 7 days (lifecycle guide).
constexpr auto kDraftLifetime = std::chrono::hours(24 * 7);

TimePoint expiry_of(const Transaction &tx) {
    const TimePoint from = tx.api == Api::rest && tx.started_at ? *tx.started_at : tx.creation_date;
    return from + tx.lifetime;
}

// The next signer (not an observer) still to act, or -1.
int next_to_act(const Transaction &tx) {
    for (std::size_t i = 0; i < tx.signers.size(); ++i) {
        const auto &s = tx.signers[i];
        if (s.observer) continue;
        if (s.state == SignerState::waiting || s.state == SignerState::ready || s.state == SignerState::accessed)
            return static_cast<int>(i);
    }
    return -1;
}

void end(Transaction &tx, TxState state, TimePoint at) {
    tx.state = state;
    tx.ended_at = at;
}

void record(const Transaction &tx, Kind kind, int signer, TimePoint at, std::vector<TransactionEvent> &events) {
    events.push_back({kind, tx.id, signer, xmlrpc_status_code(tx), at});
}

// The turn passes to the next signer, or the transaction is complete.
void give_turn(Transaction &tx, TimePoint at, std::vector<TransactionEvent> &events) {
    const int next = next_to_act(tx);
    if (next < 0) {
        end(tx, TxState::completed, at);
        record(tx, Kind::completed, current_signer(tx), at, events);
        return;
    }
    auto &signer = tx.signers[static_cast<std::size_t>(next)];
    signer.state = SignerState::ready;
    signer.turn_at = at;
}

}  // namespace

void start(Transaction &tx, TimePoint now, std::vector<TransactionEvent> &events) {
    tx.state = TxState::open;
    tx.started_at = now;
    for (auto &s : tx.signers)
        if (s.observer) s.state = SignerState::ready;  // observers can look from the start
    record(tx, Kind::started, 0, now, events);
    give_turn(tx, now, events);
}

void settle(Transaction &tx, TimePoint now, const Timing &timing, std::vector<TransactionEvent> &events) {
    if (tx.state == TxState::draft) {
        if (tx.created_at + kDraftLifetime <= now) {
            end(tx, TxState::canceled, tx.created_at + kDraftLifetime);
            record(tx, Kind::canceled, 0, tx.created_at + kDraftLifetime, events);
        }
        return;
    }
    while (tx.state == TxState::open) {
        const TimePoint expiry = expiry_of(tx);
        const int index = next_to_act(tx);
        // Stalled (a refusal, in REST) or everybody done: only the expiry can still come.
        if (index < 0 || tx.stalled) {
            if (expiry <= now) {
                end(tx, TxState::expired, expiry);
                record(tx, Kind::expired, current_signer(tx), expiry, events);
            }
            return;
        }
        auto &signer = tx.signers[static_cast<std::size_t>(index)];
        const TimePoint turn = signer.turn_at.value_or(tx.creation_date);
        const bool acts = signer.behaviour != SignerBehaviour::never;
        const TimePoint action = turn + timing.sign_after;
        if (expiry <= now && (!acts || expiry <= action)) {
            end(tx, TxState::expired, expiry);
            record(tx, Kind::expired, index, expiry, events);
            return;
        }
        if (!acts || action > now) {
            if (acts && turn + timing.sign_after / 2 <= now) signer.state = SignerState::accessed;
            return;
        }
        signer.action_at = action;
        switch (signer.behaviour) {
        case SignerBehaviour::sign: {
            signer.state = SignerState::has_signed;
            const auto at = events.size();
            give_turn(tx, action, events);
            // Signed first, then (when it was the last signature) completed; the signer's
            // push carries the status the transaction has after the signature.
            events.insert(events.begin() + static_cast<std::ptrdiff_t>(at),
                          {Kind::signer_signed, tx.id, index, xmlrpc_status_code(tx), action});
            break;
        }
        case SignerBehaviour::refuse:
        case SignerBehaviour::fail:
            signer.state = signer.behaviour == SignerBehaviour::refuse ? SignerState::refused : SignerState::failed;
            // XML-RPC: a refusal cancels the transaction, a failure fails it. REST: either
            // stalls it until it is cancelled or expires.
            if (tx.api == Api::rest)
                tx.stalled = true;
            else
                end(tx, signer.behaviour == SignerBehaviour::refuse ? TxState::canceled : TxState::failed, action);
            record(tx, signer.behaviour == SignerBehaviour::refuse ? Kind::signer_refused : Kind::signer_failed, index,
                   action, events);
            break;
        case SignerBehaviour::never:
            return;
        }
    }
}

void cancel(Transaction &tx, TimePoint now, std::vector<TransactionEvent> &events) {
    end(tx, TxState::canceled, now);
    record(tx, Kind::canceled, current_signer(tx), now, events);
}

int current_signer(const Transaction &tx) {
    const int next = next_to_act(tx);
    if (next >= 0) return next;
    int last = 0;
    for (std::size_t i = 0; i < tx.signers.size(); ++i)
        if (tx.signers[i].action_at) last = static_cast<int>(i);
    return last;
}

bool archived(const Transaction &tx, TimePoint now, const Timing &timing) {
    return tx.state == TxState::completed && tx.ended_at && *tx.ended_at + timing.archive_after <= now;
}

bool restored(Transaction &tx, TimePoint now, const Timing &timing) {
    if (!tx.restore_requested_at) {
        tx.restore_requested_at = now;
        return timing.restore_delay.count() <= 0;
    }
    return *tx.restore_requested_at + timing.restore_delay <= now;
}

std::string xmlrpc_status(const Transaction &tx) {
    switch (tx.state) {
    case TxState::draft:
    case TxState::open: return "ready";
    case TxState::completed: return "completed";
    case TxState::canceled: return "canceled";
    case TxState::failed: return "failed";
    case TxState::expired: return "expired";
    }
    return "ready";
}

int xmlrpc_status_code(const Transaction &tx) {
    switch (tx.state) {
    case TxState::draft:
    case TxState::open: return 0;
    case TxState::expired: return 1;
    case TxState::completed: return 2;
    case TxState::canceled: return 3;
    case TxState::failed: return 4;
    }
    return 0;
}

std::string xmlrpc_signer_status(const Signer &signer) {
    switch (signer.state) {
    case SignerState::waiting: return "waiting";
    case SignerState::ready: return "ready";
    case SignerState::accessed: return "accessed";
    case SignerState::has_signed: return "signed";
    case SignerState::refused: return "canceled";
    case SignerState::failed: return "failed";
    }
    return "waiting";
}

std::string rest_state(const Transaction &tx, TimePoint now, const Timing &timing) {
    switch (tx.state) {
    case TxState::draft: return "draft";
    case TxState::open: return "started";
    case TxState::completed: return archived(tx, now, timing) ? "archived" : "completed";
    case TxState::canceled: return "cancelled";
    case TxState::failed: return "cancelled";  // REST has no failed state: a failure stalls
    case TxState::expired: return "expired";
    }
    return "draft";
}

SignerBehaviour behaviour_from_email(const std::string &email) {
    const auto local = email.substr(0, email.find('@'));
    if (local.find("+refuse") != std::string::npos) return SignerBehaviour::refuse;
    if (local.find("+fail") != std::string::npos) return SignerBehaviour::fail;
    if (local.find("+never") != std::string::npos) return SignerBehaviour::never;
    return SignerBehaviour::sign;
}

std::string signed_content(const Transaction &tx, std::size_t document_index) {
    return tx.documents.at(document_index).content + UniversignEmulator::signed_marker(tx.id, document_index);
}

std::string rest_time(TimePoint t) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
    const auto day = std::chrono::floor<std::chrono::days>(seconds);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{seconds - day};
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                  static_cast<long>(hms.seconds().count()));
    return text;
}

int count_pages(const std::string &pdf) {
    // "/Type /Page" not followed by "s" (the page tree is /Type /Pages), spaces optional.
    static const std::regex page(R"(/Type\s*/Page(?![a-zA-Z]))");
    const auto n = std::distance(std::sregex_iterator(pdf.begin(), pdf.end(), page), std::sregex_iterator());
    return std::max<int>(1, static_cast<int>(n));
}

}  // namespace relais::universign_emulator
