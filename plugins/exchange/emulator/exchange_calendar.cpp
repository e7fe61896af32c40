#include "exchange_calendar.hpp"

#include "exchange_recurrence.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/String.h>

#include <algorithm>
#include <sstream>

namespace relais::exchange_emulator {

IdMaker::IdMaker() : random_(std::random_device{}()) {}

std::string IdMaker::random(std::size_t length, bool hex) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::uniform_int_distribution<std::size_t> pick(0, hex ? 15 : sizeof kAlphabet - 2);
    std::string out;
    for (std::size_t i = 0; i < length; ++i) out += hex ? kHex[pick(random_)] : kAlphabet[pick(random_)];
    return out;
}

std::string IdMaker::item_id() { return "AAMkAD" + random(60) + "AAA"; }
std::string IdMaker::change_key() { return "DwAAABYA" + random(32); }
std::string IdMaker::uid() { return "040000008200E00074C5B7101A82E008" + random(80, true); }
std::string IdMaker::token() { return "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + random(120) + "." + random(43); }

StoredEvent &MailboxCalendar::create(Event event, TimePoint now, IdMaker &ids) {
    event.id = ids.item_id();
    event.change_key = ids.change_key();
    if (event.uid.empty()) event.uid = ids.uid();
    event.created = event.modified = now;
    StoredEvent stored{std::move(event), ++seq_, 0};
    stored.seq = stored.created_seq;
    const auto id = stored.event.id;
    return events_.emplace(id, std::move(stored)).first->second;
}

void MailboxCalendar::changed(StoredEvent &stored, TimePoint now, IdMaker &ids) {
    stored.event.change_key = ids.change_key();
    stored.event.modified = now;
    stored.seq = ++seq_;
}

bool MailboxCalendar::remove(const std::string &id) {
    const auto it = events_.find(id);
    if (it == events_.end()) return false;
    deleted_.push_back({it->second.event, id, it->second.event.change_key, it->second.created_seq, ++seq_});
    events_.erase(it);
    return true;
}

StoredEvent *MailboxCalendar::find(const std::string &id) {
    const auto it = events_.find(id);
    return it == events_.end() ? nullptr : &it->second;
}

const StoredEvent *MailboxCalendar::find(const std::string &id) const {
    const auto it = events_.find(id);
    return it == events_.end() ? nullptr : &it->second;
}

const Tombstone *MailboxCalendar::find_deleted(const std::string &id) const {
    for (const auto &t : deleted_)
        if (t.id == id) return &t;
    return nullptr;
}

namespace {

void by_start(std::vector<const StoredEvent *> &events) {
    std::sort(events.begin(), events.end(), [](const StoredEvent *a, const StoredEvent *b) {
        if (a->event.start != b->event.start) return a->event.start < b->event.start;
        return a->event.id < b->event.id;
    });
}

}  // namespace

std::vector<Event> MailboxCalendar::view(TimePoint start, TimePoint end) const {
    std::vector<Event> found;
    for (const auto &[id, e] : events_) {
        if (e.event.recurrence) {
            for (auto &o : occurrences(e.event, start, end)) found.push_back(std::move(o));
            continue;
        }
        const bool ends_after = e.event.end > start || (e.event.end == e.event.start && e.event.start == start);
        if (ends_after && e.event.start < end) found.push_back(e.event);
    }
    std::sort(found.begin(), found.end(), [](const Event &a, const Event &b) {
        if (a.start != b.start) return a.start < b.start;
        return a.id < b.id;
    });
    return found;
}

std::optional<Event> MailboxCalendar::find_any(const std::string &id) const {
    if (const auto *stored = find(id)) return stored->event;
    if (const auto master = master_of(id))
        if (const auto *series = find(*master)) return occurrence_by_id(series->event, id);
    return std::nullopt;
}

std::vector<const StoredEvent *> MailboxCalendar::all() const {
    std::vector<const StoredEvent *> found;
    for (const auto &[id, e] : events_) found.push_back(&e);
    by_start(found);
    return found;
}

std::vector<Change> MailboxCalendar::changes_since(std::uint64_t since) const {
    std::vector<Change> changes;
    for (const auto &[id, e] : events_) {
        if (e.seq <= since) continue;
        changes.push_back({e.created_seq > since ? Change::Kind::created : Change::Kind::updated, &e, nullptr, e.seq});
    }
    for (const auto &t : deleted_)
        if (t.deleted_seq > since && t.created_seq <= since)
            changes.push_back({Change::Kind::deleted, nullptr, &t, t.deleted_seq});
    std::sort(changes.begin(), changes.end(), [](const Change &a, const Change &b) { return a.seq < b.seq; });
    return changes;
}

std::string encode_token(const SyncToken &token, bool url_safe) {
    std::ostringstream text;
    text << "relais-exchange|" << token.kind << '|' << token.mailbox << '|' << token.epoch << '|' << token.seq << '|'
         << token.window_start << '|' << token.window_end << '|' << (token.initial ? 1 : 0);
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << text.str();
    encoder.close();
    std::string encoded = out.str();
    if (url_safe) {
        for (auto &c : encoded) c = c == '+' ? '-' : c == '/' ? '_' : c;
        while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
    }
    return encoded;
}

std::optional<SyncToken> decode_token(const std::string &text) {
    std::string standard = text;
    for (auto &c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (standard.size() % 4 != 0) standard += '=';
    std::string decoded;
    try {
        std::istringstream in(standard);
        Poco::Base64Decoder decoder(in);
        decoded.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
    } catch (const Poco::Exception &) {
        return std::nullopt;
    }
    std::vector<std::string> parts;
    std::istringstream fields(decoded);
    for (std::string part; std::getline(fields, part, '|');) parts.push_back(part);
    if (parts.size() != 8 || parts[0] != "relais-exchange") return std::nullopt;
    SyncToken token;
    try {
        token.kind = parts[1];
        token.mailbox = parts[2];
        token.epoch = std::stoull(parts[3]);
        token.seq = std::stoull(parts[4]);
        token.window_start = std::stoll(parts[5]);
        token.window_end = std::stoll(parts[6]);
        token.initial = parts[7] == "1";
    } catch (const std::exception &) {
        return std::nullopt;
    }
    return token;
}

std::string mailbox_key(const std::string &address) { return Poco::toLower(address); }

}  // namespace relais::exchange_emulator
