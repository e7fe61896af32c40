#include "chorus_follow_up.hpp"

#include "chorus_states.hpp"

#include <relais/support/json.hpp>

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <optional>

namespace relais::chorus {

using support::integer_at;
using support::object_in;
using support::string_at;

namespace {

const std::string kOpenPrefix = "follow/open/";
const std::string kLastRoundKey = "follow/last_round";

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string utc_date(int64_t ms) {
    const std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[16];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d", &tm);
    return buffer;
}

bool offers_follow_up(const Host &host) {
    return host.offers(RELAIS_CAP_STATE_V2 | RELAIS_CAP_EVENTS);
}

struct OpenItem {
    std::string key;
    uint64_t version = 0;
    Json item;
};

// Every open item, page by page of the state's listing.
std::map<int64_t, OpenItem> open_items(const Host &host) {
    std::map<int64_t, OpenItem> items;
    std::optional<std::string> cursor;
    do {
        const auto page = host.state_list(kOpenPrefix, cursor, 200);
        for (const auto &key : page.keys) {
            const auto read = host.state_read(key);
            if (!read) continue;  // finished meanwhile
            Json item;
            try {
                item = parse_object(read->value, RELAIS_INTERNAL, "the follow-up item " + key);
            } catch (const Error &e) {
                host.warn(std::string(e.what()) + ": dropped");
                host.state_delete(key);
                continue;
            }
            const auto id = integer_at(item, "invoice_id").value_or(0);
            if (id > 0) items[id] = {key, read->version, item};
        }
        cursor = page.next_cursor;
    } while (cursor);
    return items;
}

Json event_data(const Json &item, const std::string &old_status, const Json &found) {
    Json d = new Poco::JSON::Object;
    d->set("invoice_id", integer_at(item, "invoice_id").value_or(0));
    d->set("invoice_number", string_at(item, "invoice_number").value_or(""));
    d->set("flux_number", string_at(item, "flux_number").value_or(""));
    d->set("submission_key", string_at(item, "submission_key").value_or(""));
    d->set("old_status", old_status);
    if (found) {
        const auto status = string_at(found, "status").value_or("");
        d->set("new_status", status);
        d->set("status_changed_at", string_at(found, "status_changed_at").value_or(""));
        d->set("comment", string_at(found, "comment").value_or(""));
        d->set("final", invoice_status_is_final(status));
    }
    d->set("deposit_date", string_at(item, "deposit_date").value_or(""));
    d->set("invoice_date", string_at(item, "invoice_date").value_or(""));
    return d;
}

}  // namespace

FollowUp::FollowUp(std::shared_ptr<ChorusApi> api, std::shared_ptr<Queries> queries, Host host)
    : api_(std::move(api)), queries_(std::move(queries)), host_(host) {}

void FollowUp::add(const SubmissionRecord &r) {
    if (!r.invoices || !offers_follow_up(host_)) return;
    for (std::size_t i = 0; i < r.invoices->size(); ++i) {
        const auto invoice = object_in(r.invoices, i);
        const auto id = integer_at(invoice, "invoice_id").value_or(0);
        const auto status = string_at(invoice, "status").value_or("");
        if (id <= 0 || invoice_status_is_final(status)) continue;
        Json item = new Poco::JSON::Object;
        item->set("invoice_id", id);
        item->set("invoice_number", string_at(invoice, "invoice_number").value_or(r.invoice_number));
        item->set("flux_number", string_at(invoice, "flux_number").value_or(r.flux_number));
        item->set("submission_key", r.key);
        item->set("status", status);
        item->set("status_changed_at", string_at(invoice, "status_changed_at").value_or(""));
        item->set("deposit_date", string_at(invoice, "deposit_date").value_or(r.deposit_date));
        item->set("invoice_date", string_at(invoice, "invoice_date").value_or(""));
        item->set("followed_since", now_ms());
        // Version 0: only when absent, so a finish repeated after a crash does not rewind it.
        host_.state_write(kOpenPrefix + std::to_string(id), relais::to_string(item), 0);
    }
}

Json FollowUp::run(const Json &, const Call &call) {
    if (!offers_follow_up(host_))
        throw Error(RELAIS_UNSUPPORTED, "the status follow-up needs a host with versioned plugin state and business "
                                        "events (relais serve)");
    const auto &s = api_->settings();
    const auto started = now_ms();
    auto items = open_items(host_);
    Json summary = new Poco::JSON::Object;
    summary->set("open", static_cast<int64_t>(items.size()));

    // Past the bound: no longer followed.
    int64_t stopped = 0;
    const auto bound_ms = s.status_follow_max_days * 86'400'000;
    for (auto it = items.begin(); it != items.end();) {
        const auto since = integer_at(it->second.item, "followed_since").value_or(started);
        if (started - since <= bound_ms) {
            ++it;
            continue;
        }
        const auto &item = it->second.item;
        const auto status = string_at(item, "status").value_or("");
        auto data = event_data(item, status, nullptr);
        data->set("followed_days", s.status_follow_max_days);
        host_.emit_event("invoice.follow_up_stopped", string_at(item, "invoice_number").value_or(""), data,
                         "chorus/" + std::to_string(it->first) + "/stopped");
        host_.state_delete(it->second.key);
        host_.info("invoice " + string_at(item, "invoice_number").value_or("") + " still " + status + " after " +
                   std::to_string(s.status_follow_max_days) + " days: no longer followed");
        ++stopped;
        it = items.erase(it);
    }
    summary->set("stopped", stopped);
    if (items.empty()) {
        summary->set("changed", 0);
        summary->set("finished", 0);
        return summary;
    }

    // One search for all of them: their deposit dates, and since the previous round only the
    // invoices whose status changed meanwhile.
    std::string first_day, last_day;
    for (const auto &[id, open] : items) {
        const auto day = string_at(open.item, "deposit_date").value_or("");
        if (day.empty()) continue;
        if (first_day.empty() || day < first_day) first_day = day;
        if (last_day.empty() || day > last_day) last_day = day;
    }
    Json criteria = new Poco::JSON::Object;
    if (!first_day.empty()) criteria->set("periodeDateDepotDu", first_day);
    if (!last_day.empty()) criteria->set("periodeDateDepotAu", last_day);
    const auto last_round = host_.state_read(kLastRoundKey);
    if (last_round) {
        try {
            criteria->set("periodeDateHeureEtatCourantDu", utc_date(std::stoll(last_round->value) - 86'400'000));
        } catch (const std::exception &) {
            host_.warn("the follow-up's last round is unreadable: all followed invoices are searched");
        }
    }
    const auto found = queries_->invoices(criteria, 100, 1'000'000, call);
    const auto list = found->getArray("invoices");

    int64_t changed = 0, finished = 0;
    for (std::size_t i = 0; list && i < list->size(); ++i) {
        const auto invoice = object_in(list, i);
        const auto id = integer_at(invoice, "invoice_id").value_or(0);
        const auto it = items.find(id);
        if (it == items.end()) continue;  // not one this host follows
        auto &open = it->second;
        const auto old_status = string_at(open.item, "status").value_or("");
        const auto status = string_at(invoice, "status").value_or("");
        if (status.empty() || status == old_status) continue;
        const auto when = string_at(invoice, "status_changed_at").value_or("");
        // First the event (kept once by its key), then the item: a crash in between repeats
        // an event the host drops, never loses one.
        host_.emit_event("invoice.status_changed", string_at(open.item, "invoice_number").value_or(""),
                         event_data(open.item, old_status, invoice),
                         "chorus/" + std::to_string(id) + "/" + status + "/" + when);
        ++changed;
        if (invoice_status_is_final(status)) {
            host_.state_delete(open.key);
            ++finished;
            continue;
        }
        open.item->set("status", status);
        open.item->set("status_changed_at", when);
        const auto written = host_.state_write(open.key, relais::to_string(open.item), open.version);
        if (written.written) open.version = written.version;
    }
    // Only a complete round moves the bound: a failed one is searched again from the same day.
    host_.state_write(kLastRoundKey, std::to_string(started));
    summary->set("changed", changed);
    summary->set("finished", finished);
    summary->set("pages_read", found->getValue<int64_t>("pages_read"));
    summary->set("still_open", static_cast<int64_t>(items.size()) - finished);
    return summary;
}

}  // namespace relais::chorus
