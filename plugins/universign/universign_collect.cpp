#include "universign_collect.hpp"

#include <relais/support/json.hpp>

#include <Poco/JSON/Array.h>

#include <unordered_set>

namespace relais::universign {

namespace {

constexpr uint32_t kOpenPage = 1000;
constexpr uint32_t kRestBatch = 200;

}  // namespace

Json Collector::Tally::to_json() const {
    Json o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("open", open);
    o->set("checked", checked);
    o->set("changed", changed);
    o->set("woken", woken);
    o->set("finished", finished);
    o->set("api_calls", api_calls);
    o->set("listed", listed);
    return o;
}

Collector::Tally Collector::Tally::from(const Json &json) {
    Tally t;
    const auto get = [&](const char *key) { return support::integer_at(json, key).value_or(0); };
    t.open = get("open");
    t.checked = get("checked");
    t.changed = get("changed");
    t.woken = get("woken");
    t.finished = get("finished");
    t.api_calls = get("api_calls");
    t.listed = get("listed");
    return t;
}

Collector::Collector(std::shared_ptr<Signatures> signatures, Host host)
    : signatures_(std::move(signatures)), host_(host) {}

Json Collector::run(const Json &input, Call &call) {
    const auto &api = signatures_->api();
    const Gate gate{&call, call.is_job() ? std::chrono::seconds(60) : std::chrono::seconds(30)};
    const auto before = api->requests_sent();
    const auto checkpoint = call.is_job() ? call.checkpoint() : Json();
    Tally tally = checkpoint ? Tally::from(checkpoint) : Tally{};
    Json out;
    if (const auto one = input ? support::string_at(input, "transaction_id") : std::nullopt; one && !one->empty()) {
        const auto custom = signatures_->records()->custom_id_of(*one);
        if (!custom) throw not_found("the transaction " + *one + " was not created by this connector");
        tally.open = 1;
        settle({*one, *custom, 0}, std::nullopt, tally, gate);
        tally.api_calls += static_cast<int64_t>(api->requests_sent() - before);
        return tally.to_json();
    }
    if (api->api() == Api::xmlrpc) {
        out = run_xmlrpc(call, tally);
    } else {
        out = run_rest(checkpoint, call, tally);
        if (call.continues()) return out;
    }
    tally.api_calls += static_cast<int64_t>(api->requests_sent() - before);
    if (tally.open > 0)
        call.info("collect_signatures: " + std::to_string(tally.open) + " open, " + std::to_string(tally.changed) +
                  " changed, " + std::to_string(tally.finished) + " settled, " + std::to_string(tally.woken) +
                  " job(s) woken, in " + std::to_string(tally.api_calls) + " request(s)");
    return tally.to_json();
}

Json Collector::run_xmlrpc(Call &call, Tally &tally) {
    const auto &records = signatures_->records();
    const Gate gate{&call, std::chrono::seconds(60)};
    std::vector<Records::Open> open;
    std::optional<std::string> cursor;
    do {
        auto page = records->open_page(cursor, kOpenPage);
        for (auto &o : page.open) open.push_back(std::move(o));
        cursor = page.next_cursor;
    } while (cursor);
    tally.open = static_cast<int64_t>(open.size());
    if (open.empty()) return tally.to_json();

    // Only what this connector created can be open, so the listing starts a day before the
    // oldest (a relaunch moves creationDate later, never earlier).
    int64_t oldest = open.front().created_at_ms;
    for (const auto &o : open) oldest = std::min(oldest, o.created_at_ms);
    std::optional<std::chrono::system_clock::time_point> not_before;
    if (oldest > 0)
        not_before = std::chrono::system_clock::time_point(std::chrono::milliseconds(oldest)) - std::chrono::hours(24);

    std::unordered_set<std::string> waiting;
    bool listed = true;
    try {
        for (int64_t start = 0;; start += kOpenPage) {
            const auto page = signatures_->api()->list_waiting(start, not_before, gate);
            if (!page) {
                listed = false;
                break;
            }
            for (const auto &id : page->ids) waiting.insert(id);
            tally.listed += static_cast<int64_t>(page->ids.size());
            if (!page->more) break;
        }
    } catch (const Error &e) {
        if (e.status() == RELAIS_RATE_LIMITED || e.status() == RELAIS_UNAUTHORIZED) throw;
        // The guide marks the filter experimental: a server that refuses it is read one
        // transaction at a time instead.
        call.warn(std::string("requester.listTransactions failed (") + e.what() +
                  "); reading each open transaction instead");
        listed = false;
    }
    for (const auto &o : open) {
        if (listed && waiting.count(o.transaction_id)) continue;
        settle(o, std::nullopt, tally, gate);
    }
    return tally.to_json();
}

Json Collector::run_rest(const Json &checkpoint, Call &call, Tally &tally) {
    const auto &records = signatures_->records();
    const Gate gate{&call, std::chrono::seconds(60)};
    std::optional<std::string> cursor;
    if (checkpoint)
        if (const auto c = support::string_at(checkpoint, "cursor")) cursor = *c;
    for (;;) {
        const auto page = records->open_page(cursor, kRestBatch);
        tally.open += static_cast<int64_t>(page.open.size());
        for (const auto &o : page.open) {
            const auto current = records->read(o.custom_id);
            const auto view = signatures_->api()->info(o.transaction_id, gate);
            if (current && current->record.state == state_name(view.state) && !is_final(view.state)) {
                ++tally.checked;
                continue;
            }
            settle(o, view, tally, gate);
        }
        cursor = page.next_cursor;
        if (!cursor) break;
        if (call.is_job()) {
            Json next = tally.to_json();
            next->set("cursor", *cursor);
            return call.continue_later(std::chrono::milliseconds(0), next);
        }
    }
    return tally.to_json();
}

void Collector::settle(const Records::Open &open, std::optional<TransactionView> view, Tally &tally,
                       const Gate &gate) const {
    const auto &records = signatures_->records();
    ++tally.checked;
    const auto current = records->read(open.custom_id);
    if (!current || current->record.transaction_id != open.transaction_id) {
        records->mark_final(open.transaction_id);  // an index left behind
        return;
    }
    ++tally.changed;
    if (const auto woken = signatures_->wake_jobs(current->record); woken > 0) {
        tally.woken += static_cast<int64_t>(woken);
        return;  // the job reads the state itself and ends
    }
    // No job waits on it: settle it here.
    if (!view) view = signatures_->api()->info(open.transaction_id, gate);
    auto seen = signatures_->enriched(*view, &current->record);
    records->update(open.custom_id, [&](Record &r) {
        r.state = state_name(seen.state);
        r.universign_state = seen.raw_state;
    });
    if (!is_final(seen.state)) return;
    Json data = seen.to_json();
    if (seen.state == State::completed) {
        std::vector<SignedDocument> documents;
        try {
            documents = signatures_->documents_of(seen, gate);
        } catch (const Error &e) {
            host_.warn("the signed documents of " + seen.id + " (custom_id " + seen.custom_id +
                       ") could not be fetched yet: " + e.what());
            return;  // still open: the next run tries again
        }
        const auto files = signatures_->write_files(seen.custom_id, documents);
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (std::size_t i = 0; i < documents.size(); ++i) {
            Json d = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            d->set("name", documents[i].name);
            d->set("bytes", static_cast<uint64_t>(documents[i].bytes.size()));
            if (i < files.size()) d->set("file", files[i]);
            list->add(d);
        }
        data->set("documents", list);
    }
    records->update(open.custom_id, [](Record &r) { r.phase = "final"; });
    records->mark_final(open.transaction_id);
    try {
        host_.emit_event(std::string("signature.") + state_name(seen.state), seen.custom_id, data,
                         "universign:" + seen.id + ":" + state_name(seen.state));
    } catch (const Error &e) {
        host_.warn("the event of " + seen.id + " could not be emitted: " + e.what());
    }
    ++tally.finished;
}

Json Collector::on_push(const std::string &transaction_id, const std::string &hint) const {
    Json out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("transaction_id", transaction_id);
    const auto custom = signatures_->records()->custom_id_of(transaction_id);
    const auto current = custom ? signatures_->records()->read(*custom) : std::nullopt;
    if (!current) {
        out->set("known", false);
        return out;
    }
    out->set("known", true);
    const auto woken = signatures_->wake_jobs(current->record);
    out->set("woken", woken > 0);
    bool queued = false;
    if (woken == 0 && current->record.phase == "open") {
        Json input = new Poco::JSON::Object;
        input->set("transaction_id", transaction_id);
        try {
            queued = host_.enqueue("collect_signatures", input, "universign-push:" + transaction_id + ":" + hint).created;
        } catch (const Error &e) {
            host_.warn("the push for " + transaction_id + " could not queue its check: " + e.what());
        }
    }
    out->set("queued", queued);
    return out;
}

}  // namespace relais::universign
