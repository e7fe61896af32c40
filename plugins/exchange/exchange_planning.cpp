#include "exchange_planning.hpp"

#include <relais/support/json.hpp>

#include <Poco/JSON/Array.h>

#include <map>
#include <set>

namespace relais::exchange {

Json push_planning(Events &events, const Json &input, Call &call) {
    const auto mailbox = mailbox_of(input);
    const auto window = window_of(input);
    const auto list = support::array_at(input, "events");
    if (!list) throw invalid_input("events is required: the ERP's events of the window (an empty array clears it)");
    std::vector<EventIn> desired;
    std::set<std::string> ids;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const auto where = "events[" + std::to_string(i) + "]";
        desired.push_back(parse_event_in(support::object_in(list, i), where, true));
        if (!ids.insert(desired.back().erp_id).second)
            throw invalid_input(where + ".erp_id: " + desired.back().erp_id + " is twice in events");
    }

    // The ERP's events now in the window, by their mark; the others are left alone.
    std::map<std::string, Event> current;
    std::size_t foreign = 0;
    for (auto &e : events.backend()->list_events(mailbox, window, events.gate_for(call))) {
        if (e.erp_id.empty()) {
            ++foreign;
            continue;
        }
        current.emplace(e.erp_id, std::move(e));
    }

    Poco::JSON::Array::Ptr created = new Poco::JSON::Array, updated = new Poco::JSON::Array,
                           deleted = new Poco::JSON::Array;
    std::size_t unchanged = 0;
    for (const auto &want : desired) {
        const auto found = current.find(want.erp_id);
        if (found == current.end()) {
            bool made = false;
            const auto event = events.create_marked(mailbox, want, call, &made);
            (made ? created : updated)->add(event.id);
            continue;
        }
        const auto record = events.records()->erp(mailbox, want.erp_id);
        if (record && record->record.digest == digest_of(want) && record->record.version == found->second.version) {
            ++unchanged;
            continue;
        }
        updated->add(events.update_marked(mailbox, found->second, want, call).id);
    }
    for (const auto &[erp_id, event] : current) {
        if (ids.count(erp_id)) continue;
        events.delete_marked(mailbox, event, call);
        deleted->add(event.id);
    }

    Json out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("mailbox", mailbox);
    out->set("from", window.from);
    out->set("to", window.to);
    out->set("changed", created->size() + updated->size() + deleted->size() > 0);
    out->set("created", created);
    out->set("updated", updated);
    out->set("deleted", deleted);
    out->set("unchanged", static_cast<uint64_t>(unchanged));
    out->set("left_alone", static_cast<uint64_t>(foreign));
    return out;
}

}  // namespace relais::exchange
