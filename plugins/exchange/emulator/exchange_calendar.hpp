// The calendars both APIs are views of: per mailbox, its events, the deleted ones' tombstones
// and one change log (a sequence number per change), from which EWS SyncFolderItems and
// Graph delta both read what changed since a token. Not synchronized: the State guards it.
#pragma once

#include "exchange_emulator.hpp"
#include "exchange_time.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace relais::exchange_emulator {

struct StoredEvent {
    Event event;
    std::uint64_t created_seq = 0;  // the change that created it
    std::uint64_t seq = 0;          // its last change
};

struct Tombstone {
    Event event;  // as it was (a deleted series' occurrences are reported removed)
    std::string id;
    std::string change_key;
    std::uint64_t created_seq = 0;
    std::uint64_t deleted_seq = 0;
};

// One change since a token, oldest first.
struct Change {
    enum class Kind { created, updated, deleted };
    Kind kind;
    const StoredEvent *event = nullptr;  // null for deleted
    const Tombstone *tombstone = nullptr;
    std::uint64_t seq = 0;
};

// Random ids in the shapes Exchange uses (letters and digits only, so they travel in XML,
// URLs and JSON untouched).
class IdMaker {
public:
    IdMaker();
    std::string item_id();     // "AAMkAD..." as EWS and Graph show them
    std::string change_key();  // "DwAAABYA..."
    std::string uid();         // iCal UID, "040000008200E00074C5B7101A82E008..."
    std::string token();       // opaque access tokens
private:
    std::string random(std::size_t length, bool hex = false);
    std::mt19937_64 random_;
};

class MailboxCalendar {
public:
    MailboxCalendar(std::string address, std::string display_name)
        : address_(std::move(address)), display_name_(std::move(display_name)) {}

    const std::string &address() const { return address_; }
    const std::string &display_name() const { return display_name_; }
    std::uint64_t epoch() const { return epoch_; }
    std::uint64_t seq() const { return seq_; }
    // Every token given before is refused from now on.
    void invalidate_tokens() { ++epoch_; }

    // Stores a new event: id, change key and uid (when empty) made here.
    StoredEvent &create(Event event, TimePoint now, IdMaker &ids);
    // Records a change made to `stored` in place: a new change key, a new sequence number.
    void changed(StoredEvent &stored, TimePoint now, IdMaker &ids);
    bool remove(const std::string &id);

    StoredEvent *find(const std::string &id);
    const StoredEvent *find(const std::string &id) const;
    const Tombstone *find_deleted(const std::string &id) const;
    std::vector<const StoredEvent *> all() const;  // by start then id
    // The calendar view of [start, end): single events and the occurrences of series, by
    // start then id.
    std::vector<Event> view(TimePoint start, TimePoint end) const;
    // A stored event or an occurrence of a stored series.
    std::optional<Event> find_any(const std::string &id) const;
    // Changes after `since`, one per event (its latest), oldest first. An event created and
    // deleted after `since` is left out; one created after it is `created` however often it
    // changed since.
    std::vector<Change> changes_since(std::uint64_t since) const;

private:
    std::string address_;
    std::string display_name_;
    std::map<std::string, StoredEvent> events_;
    std::vector<Tombstone> deleted_;
    std::uint64_t seq_ = 0;
    std::uint64_t epoch_ = 1;
};

// What a sync or delta token carries. Encoded as base64 text, so a client cannot tell it from
// a real one and must keep it verbatim.
struct SyncToken {
    std::string kind;  // "ews", "skip", "delta"
    std::string mailbox;
    std::uint64_t epoch = 0;
    std::uint64_t seq = 0;
    long long window_start = 0, window_end = 0;  // Graph delta: the window, seconds since the epoch
    bool initial = false;                        // Graph delta: still in the first round
};
std::string encode_token(const SyncToken &token, bool url_safe);
std::optional<SyncToken> decode_token(const std::string &text);

// Mailbox addresses compare case-insensitively: the key is the address in lower case.
std::string mailbox_key(const std::string &address);

}  // namespace relais::exchange_emulator
