// What the connector remembers, in the host's durable plugin state:
//
//   erp/<mailbox>/<erp_id>   the ERP's event in that mailbox: its id, the version last written
//                            and a digest of what the ERP asked, so that create_event is
//                            idempotent (phase "creating" until the id is known) and
//                            push_planning can tell an unchanged event without comparing times
//   sync/<mailbox>           the last sync's state (EWS SyncState, Graph deltaLink) and window
#pragma once

#include "exchange_model.hpp"

#include <relais/plugin.hpp>
#include <relais/support/state_store.hpp>

#include <memory>
#include <optional>
#include <string>

namespace relais::exchange {

struct ErpRecord {
    std::string phase;  // creating, created
    std::string event_id, version, digest;
    std::string owner_call;
    int64_t at_ms = 0;
};

struct SyncRecord {
    std::string state;
    std::string window_from, window_to;
    std::string synced_at;
};

class Records {
public:
    explicit Records(std::shared_ptr<support::StateStore> state) : state_(std::move(state)) {}

    struct Versioned {
        ErpRecord record;
        uint64_t version = 0;
    };
    std::optional<Versioned> erp(const std::string &mailbox, const std::string &erp_id) const;
    // Compare-and-set: false when someone else wrote first.
    bool put_erp(const std::string &mailbox, const std::string &erp_id, const ErpRecord &record,
                 uint64_t expected) const;
    void set_erp(const std::string &mailbox, const std::string &erp_id, const ErpRecord &record) const;
    void erase_erp(const std::string &mailbox, const std::string &erp_id) const;

    std::optional<SyncRecord> sync(const std::string &mailbox) const;
    void set_sync(const std::string &mailbox, const SyncRecord &record) const;
    void erase_sync(const std::string &mailbox) const;

private:
    std::shared_ptr<support::StateStore> state_;
};

// A digest of what the ERP asked for an event (the fields push_planning writes).
std::string digest_of(const EventIn &event);
int64_t now_ms();
std::string now_iso();

}  // namespace relais::exchange
