// What the connector remembers of the transactions it created, in the host's durable plugin
// state (compare-and-set across workers and hosts, relais/support/state_store.hpp).
//
//   tx/<custom_id>       the record: the custom_id's transaction and where its creation stands
//                        (phase sending -> [drafting -> starting ->] open -> final; uncertain
//                        after a lost answer), the jobs waiting on it, the signers as sent (REST
//                        answers carry neither names nor roles), the last state seen, and which
//                        signed documents are already kept
//   open/<transaction>   the transactions still waiting for signers, walked by the periodic
//                        task: {"custom_id", "created_at_ms"}; removed once final
//   id/<transaction>     custom_id, for pushes, which name only the transaction
//   doc/<transaction>/<index>[/<chunk>]  a signed document, kept as soon as it came, so that a
//                        step repeated after a crash never fetches it again (expires after
//                        kSpoolTtl); chunks keep each value under the state's 1 MiB
#pragma once

#include "universign_model.hpp"
#include "universign_settings.hpp"

#include <relais/plugin.hpp>
#include <relais/support/state_store.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace relais::universign {

struct SignerRecord {
    std::string email, first_name, last_name, role = "signer";
};

struct Record {
    std::string custom_id;
    std::string api;    // "xmlrpc" or "rest"
    std::string phase;  // sending, drafting, starting, uncertain, open, final
    std::string transaction_id;
    std::string draft_id;  // REST, until started
    std::string owner_call;   // the call that set the phase
    int64_t phase_at_ms = 0;  // when
    std::vector<std::string> call_ids;  // jobs waiting on it
    std::vector<SignerRecord> signers;
    std::string state, universign_state;  // last seen
    int64_t created_at_ms = 0;
    std::vector<bool> kept;  // signed documents kept, by index
    std::size_t document_count = 0;

    Json to_json() const;
    static Record from_json(const Json &json);
};

class Records {
public:
    Records(std::shared_ptr<support::StateStore> state, Host host);

    struct Versioned {
        Record record;
        uint64_t version = 0;
    };
    std::optional<Versioned> read(const std::string &custom_id) const;
    // Writes when the record is still at `version` (0: absent); false when someone else wrote.
    bool write(const Record &record, uint64_t version) const;
    // Reads, changes and writes again until the write holds (a few attempts); the record
    // as written, or nullopt when there is none.
    std::optional<Record> update(const std::string &custom_id, const std::function<void(Record &)> &change) const;
    void erase(const std::string &custom_id) const;

    // The indexes.
    void mark_open(const Record &record) const;
    void mark_final(const std::string &transaction_id) const;
    std::optional<std::string> custom_id_of(const std::string &transaction_id) const;
    struct Open {
        std::string transaction_id, custom_id;
        int64_t created_at_ms = 0;
    };
    struct OpenPage {
        std::vector<Open> open;
        std::optional<std::string> next_cursor;
    };
    OpenPage open_page(const std::optional<std::string> &cursor, uint32_t limit) const;

    // Signed documents kept.
    void keep_document(const std::string &transaction_id, std::size_t index, const SignedDocument &document) const;
    std::optional<SignedDocument> kept_document(const std::string &transaction_id, std::size_t index) const;

    static constexpr std::chrono::hours kSpoolTtl{48};

private:
    std::shared_ptr<support::StateStore> state_;
    Host host_;
};

int64_t now_ms();

}  // namespace relais::universign
