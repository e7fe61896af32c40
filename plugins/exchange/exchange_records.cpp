#include "exchange_records.hpp"

#include <relais/support/bytes.hpp>
#include <relais/support/json.hpp>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

namespace relais::exchange {

namespace {

using support::string_at;

// Keys are at most 512 bytes: long erp ids and mailboxes go by their digest.
std::string erp_key(const std::string &mailbox, const std::string &erp_id) {
    const auto key = "erp/" + mailbox + "/" + erp_id;
    return key.size() <= 400 ? key : "erp/" + support::sha256_hex(mailbox + "\n" + erp_id);
}

std::string sync_key(const std::string &mailbox) { return "sync/" + mailbox; }

}  // namespace

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string now_iso() {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FORMAT);
}

std::string digest_of(const EventIn &e) {
    std::string text;
    const auto add = [&](const std::string &v) { text += std::to_string(v.size()) + ":" + v + ";"; };
    for (const auto *v : {&e.erp_id, &e.subject, &e.location, &e.body, &e.start, &e.end, &e.time_zone, &e.start_date,
                          &e.end_date, &e.show_as})
        add(*v);
    add(e.is_all_day ? "1" : "0");
    for (const auto &c : e.categories) add("c" + c);
    add(e.reminder_minutes ? std::to_string(*e.reminder_minutes) : "-");
    for (const auto &a : e.attendees) add("a" + a.email + "/" + a.name + "/" + a.type);
    return support::sha256_hex(text);
}

std::optional<Records::Versioned> Records::erp(const std::string &mailbox, const std::string &erp_id) const {
    const auto v = state_->read(erp_key(mailbox, erp_id));
    if (!v) return std::nullopt;
    const auto j = support::parse_json_object(v->value, RELAIS_INTERNAL, "the record of erp_id " + erp_id);
    ErpRecord r;
    r.phase = string_at(j, "phase").value_or("");
    r.event_id = string_at(j, "event_id").value_or("");
    r.version = string_at(j, "version").value_or("");
    r.digest = string_at(j, "digest").value_or("");
    r.owner_call = string_at(j, "owner_call").value_or("");
    r.at_ms = support::integer_at(j, "at_ms").value_or(0);
    return Versioned{r, v->version};
}

namespace {
std::string text_of(const ErpRecord &r) {
    Json j = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    j->set("phase", r.phase);
    j->set("event_id", r.event_id);
    j->set("version", r.version);
    j->set("digest", r.digest);
    j->set("owner_call", r.owner_call);
    j->set("at_ms", r.at_ms);
    return relais::to_string(j);
}
}  // namespace

bool Records::put_erp(const std::string &mailbox, const std::string &erp_id, const ErpRecord &record,
                      uint64_t expected) const {
    return state_->write(erp_key(mailbox, erp_id), text_of(record), expected).written;
}

void Records::set_erp(const std::string &mailbox, const std::string &erp_id, const ErpRecord &record) const {
    state_->write(erp_key(mailbox, erp_id), text_of(record));
}

void Records::erase_erp(const std::string &mailbox, const std::string &erp_id) const {
    state_->erase(erp_key(mailbox, erp_id));
}

std::optional<SyncRecord> Records::sync(const std::string &mailbox) const {
    const auto v = state_->get(sync_key(mailbox));
    if (!v) return std::nullopt;
    const auto j = support::parse_json_object(*v, RELAIS_INTERNAL, "the sync state of " + mailbox);
    SyncRecord r;
    r.state = string_at(j, "state").value_or("");
    r.window_from = string_at(j, "window_from").value_or("");
    r.window_to = string_at(j, "window_to").value_or("");
    r.synced_at = string_at(j, "synced_at").value_or("");
    return r;
}

void Records::set_sync(const std::string &mailbox, const SyncRecord &r) const {
    Json j = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    j->set("state", r.state);
    j->set("window_from", r.window_from);
    j->set("window_to", r.window_to);
    j->set("synced_at", r.synced_at);
    state_->put(sync_key(mailbox), relais::to_string(j));
}

void Records::erase_sync(const std::string &mailbox) const { state_->erase(sync_key(mailbox)); }

}  // namespace relais::exchange
