#include "exchange_sync.hpp"

#include <relais/support/json.hpp>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/Timespan.h>

#include <map>
#include <set>

namespace relais::exchange {

namespace {

constexpr int kMaxPages = 500;  // a round longer than this is a loop, not a calendar

std::string day_iso(int offset_days) {
    Poco::DateTime day;
    day.assign(day.year(), day.month(), day.day());
    day += Poco::Timespan(offset_days, 0, 0, 0, 0);
    return Poco::DateTimeFormatter::format(day, "%Y-%m-%dT%H:%M:%SZ");
}

Json changes_json(const std::vector<Change> &changes, Change::Kind kind) {
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto &c : changes)
        if (c.kind == kind) list->add(c.event.to_json());
    Json holder = new Poco::JSON::Object;
    holder->set("list", list);
    return holder;
}

}  // namespace

Json Sync::sync_mailbox(const Json &input, Call &call) {
    const auto mailbox = mailbox_of(input);
    const bool full = input && support::bool_at(input, "full").value_or(false);
    const auto &backend = events_->backend();
    const auto &records = events_->records();
    // At most max_threads mailboxes at once, every caller together.
    try {
        call.take_quota("mailbox_syncs", "", 1, call.is_job() ? std::chrono::seconds(1) : std::chrono::seconds(60));
    } catch (const Error &e) {
        if (e.status() != RELAIS_RATE_LIMITED || !call.is_job()) throw;
        Json progress = new Poco::JSON::Object;
        progress->set("mailbox", mailbox);
        progress->set("waiting_for", "a sync slot (max_threads)");
        return call.continue_later(std::max(e.retry_after(), std::chrono::milliseconds(500)), progress);
    }
    const auto gate = events_->gate_for(call);

    auto kept = full ? std::nullopt : records->sync(mailbox);
    Window window{kept ? kept->window_from : day_iso(-1),
                  kept ? kept->window_to : day_iso(static_cast<int>(events_->settings().sync_window_days))};
    std::string state = kept ? kept->state : "";
    bool full_resync = false;
    std::vector<Change> changes;
    const auto before = backend->requests_sent();
    try {
        for (int page = 0;; ++page) {
            if (page >= kMaxPages) throw Error(RELAIS_TRANSIENT, "the sync of " + mailbox + " did not end after " +
                                                                     std::to_string(kMaxPages) + " pages");
            auto next = backend->sync(mailbox, state, window, gate);
            if (next.full_resync) {
                // The state was refused: what was read with it is dropped, this is a new round.
                full_resync = true;
                changes.clear();
            }
            for (auto &c : next.changes) changes.push_back(std::move(c));
            state = next.next_state;
            if (!next.more) break;
        }
    } catch (const Error &e) {
        if (e.status() == RELAIS_RATE_LIMITED && call.is_job()) {
            Json progress = new Poco::JSON::Object;
            progress->set("mailbox", mailbox);
            progress->set("throttled", e.what());
            return call.continue_later(std::max(e.retry_after(), std::chrono::milliseconds(500)), progress);
        }
        throw;
    }

    // Series masters become their occurrences in the window (read once).
    std::set<std::string> masters;
    for (const auto &c : changes)
        if (c.kind != Change::Kind::deleted && c.event.type == "seriesMaster") masters.insert(c.event.id);
    if (!masters.empty()) {
        std::vector<Change> expanded;
        std::map<std::string, std::string> uid_of_master;
        for (const auto &c : changes)
            if (masters.count(c.event.id)) uid_of_master[c.event.id] = c.event.ical_uid;
        const auto occurrences = backend->list_events(mailbox, window, gate);
        for (auto &c : changes) {
            if (!masters.count(c.event.id)) {
                expanded.push_back(std::move(c));
                continue;
            }
            for (const auto &o : occurrences)
                if (o.series_id == c.event.id || (!o.ical_uid.empty() && o.ical_uid == uid_of_master[c.event.id]))
                    expanded.push_back({c.kind, o});
        }
        changes = std::move(expanded);
    }
    records->set_sync(mailbox, {state, window.from, window.to, now_iso()});

    Json out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("mailbox", mailbox);
    out->set("backend", backend->name());
    out->set("full_resync", full_resync);
    out->set("first_sync", !kept);
    out->set("window", [&] {
        Json w = new Poco::JSON::Object;
        w->set("from", window.from);
        w->set("to", window.to);
        return w;
    }());
    std::size_t counts[3] = {0, 0, 0};
    for (const auto &c : changes) ++counts[static_cast<int>(c.kind)];
    out->set("created", changes_json(changes, Change::Kind::created)->getArray("list"));
    out->set("updated", changes_json(changes, Change::Kind::updated)->getArray("list"));
    out->set("deleted", changes_json(changes, Change::Kind::deleted)->getArray("list"));
    Json count = new Poco::JSON::Object;
    count->set("created", static_cast<uint64_t>(counts[0]));
    count->set("updated", static_cast<uint64_t>(counts[1]));
    count->set("deleted", static_cast<uint64_t>(counts[2]));
    out->set("counts", count);
    out->set("requests", static_cast<uint64_t>(backend->requests_sent() - before));
    return out;
}

Json Sync::sync_all(const Json &, Call &call) {
    const auto &mailboxes = events_->settings().mailboxes;
    const auto slot = std::to_string(now_ms() / 1000 / std::max<int64_t>(1, events_->settings().sync_interval_seconds));
    int64_t queued = 0;
    for (const auto &mailbox : mailboxes) {
        Json input = new Poco::JSON::Object;
        input->set("mailbox", mailbox);
        if (host_.enqueue("sync_mailbox", input, "sync_all:" + mailbox + ":" + slot).created) ++queued;
    }
    if (!mailboxes.empty())
        call.info("sync_all: " + std::to_string(queued) + " of " + std::to_string(mailboxes.size()) +
                  " mailbox syncs queued");
    Json out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("mailboxes", static_cast<uint64_t>(mailboxes.size()));
    out->set("queued", queued);
    return out;
}

}  // namespace relais::exchange
