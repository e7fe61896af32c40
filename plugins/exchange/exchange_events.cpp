#include "exchange_events.hpp"

#include <relais/support/json.hpp>

#include <Poco/JSON/Array.h>

#include <regex>

namespace relais::exchange {

namespace {

using std::chrono::milliseconds;

// A creation under way in another call keeps others from creating the same erp_id.
constexpr milliseconds kBusyWindow{std::chrono::minutes(3)};

std::string utc_of(const std::string &value, const std::string &field) {
    static const std::regex date(R"(\d{4}-\d{2}-\d{2})");
    static const std::regex instant(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z)");
    if (std::regex_match(value, date)) return value + "T00:00:00Z";
    if (std::regex_match(value, instant)) return value;
    throw invalid_input(field + ": expected a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SSZ), found '" + value +
                        "'");
}

}  // namespace

std::string mailbox_of(const Json &input) {
    const auto mailbox = input ? support::string_at(input, "mailbox") : std::nullopt;
    if (!mailbox || mailbox->empty()) throw invalid_input("mailbox is required (the SMTP address of the calendar's owner)");
    const auto at = mailbox->find('@');
    if (at == std::string::npos || at == 0 || at + 1 == mailbox->size() ||
        mailbox->find_first_of(" \t\r\n/<>\"") != std::string::npos)
        throw invalid_input("mailbox: '" + *mailbox + "' is not an SMTP address");
    return *mailbox;
}

Window window_of(const Json &input) {
    const auto from = support::string_at(input, "from"), to = support::string_at(input, "to");
    if (!from || !to) throw invalid_input("from and to are required (dates or UTC times)");
    Window w{utc_of(*from, "from"), utc_of(*to, "to")};
    if (w.to <= w.from) throw invalid_input("to must come after from");
    // EWS refuses a calendar view over two years (ErrorCalendarViewRangeTooBig).
    if (std::stoi(w.to.substr(0, 4)) - std::stoi(w.from.substr(0, 4)) > 2 ||
        (std::stoi(w.to.substr(0, 4)) - std::stoi(w.from.substr(0, 4)) == 2 && w.to.substr(5) > w.from.substr(5)))
        throw invalid_input("from and to are more than 2 years apart: Exchange reads at most 2 years at once");
    return w;
}

Json events_json(const std::vector<Event> &events) {
    Json out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto &e : events) list->add(e.to_json());
    out->set("count", static_cast<uint64_t>(events.size()));
    out->set("events", list);
    return out;
}

Events::Events(Settings settings, std::shared_ptr<CalendarBackend> backend, std::shared_ptr<Records> records, Host host)
    : settings_(std::move(settings)), backend_(std::move(backend)), records_(std::move(records)), host_(host) {}

Gate Events::gate_for(const Call &call) const {
    return Gate{&call, call.is_job() ? std::chrono::seconds(10) : std::chrono::seconds(30)};
}

Json Events::list(const Json &input, Call &call) {
    const auto mailbox = mailbox_of(input);
    const auto window = window_of(input);
    auto out = events_json(backend_->list_events(mailbox, window, gate_for(call)));
    out->set("mailbox", mailbox);
    out->set("from", window.from);
    out->set("to", window.to);
    return out;
}

Json Events::get(const Json &input, Call &call) {
    const auto mailbox = mailbox_of(input);
    const auto id = support::string_at(input, "id").value_or("");
    if (id.empty()) throw invalid_input("id is required");
    return backend_->get_event(mailbox, id, gate_for(call)).to_json();
}

Event Events::create_marked(const std::string &mailbox, const EventIn &event, Call &call, bool *created) {
    const auto gate = gate_for(call);
    const auto digest = digest_of(event);
    for (int attempt = 0; attempt < 4; ++attempt) {
        const auto current = records_->erp(mailbox, event.erp_id);
        if (current && current->record.phase == "created") {
            try {
                auto existing = backend_->get_event(mailbox, current->record.event_id, gate);
                if (created) *created = false;
                return existing;
            } catch (const Error &e) {
                if (e.status() != RELAIS_NOT_FOUND) throw;
                // Deleted in Outlook since: the ERP asks for it again, so it is made again.
                records_->erase_erp(mailbox, event.erp_id);
                continue;
            }
        }
        if (current && current->record.owner_call != call.id() &&
            milliseconds(now_ms() - current->record.at_ms) < kBusyWindow)
            throw Error(RELAIS_TRANSIENT, "erp_id " + event.erp_id + " is being created in " + mailbox +
                                              " by another call; try again shortly",
                        nullptr, std::chrono::seconds(3));
        ErpRecord creating{"creating", "", "", digest, call.id(), now_ms()};
        if (!records_->put_erp(mailbox, event.erp_id, creating, current ? current->version : 0)) continue;
        // An earlier attempt, or a host whose state was lost, may have made it: the mark says.
        if (auto found = backend_->find_by_erp_id(mailbox, event.erp_id, gate)) {
            records_->set_erp(mailbox, event.erp_id, {"created", found->id, found->version, digest, call.id(), now_ms()});
            host_.info("erp_id " + event.erp_id + " in " + mailbox + ": the event an earlier attempt made is kept");
            if (created) *created = false;
            return *found;
        }
        try {
            auto made = backend_->create_event(mailbox, event, gate);
            records_->set_erp(mailbox, event.erp_id, {"created", made.id, made.version, digest, call.id(), now_ms()});
            if (created) *created = true;
            return made;
        } catch (const Uncertain &) {
            throw;  // the record stays "creating": the retry looks for the mark first
        } catch (const Error &) {
            records_->erase_erp(mailbox, event.erp_id);
            throw;
        }
    }
    throw Error(RELAIS_TRANSIENT, "erp_id " + event.erp_id + ": its record kept changing; try again", nullptr,
                std::chrono::seconds(2));
}

Json Events::create(const Json &input, Call &call) {
    const auto mailbox = mailbox_of(input);
    const auto event = parse_event_in(input, "input", true);
    bool created = false;
    auto out = create_marked(mailbox, event, call, &created).to_json();
    out->set("created", created);
    return out;
}

std::string Events::event_id_of(const Json &input, const std::string &mailbox, const Gate &gate) {
    if (const auto id = support::string_at(input, "id"); id && !id->empty()) return *id;
    const auto erp_id = support::string_at(input, "erp_id").value_or("");
    if (erp_id.empty()) throw invalid_input("id or erp_id is required");
    if (const auto rec = records_->erp(mailbox, erp_id); rec && rec->record.phase == "created")
        return rec->record.event_id;
    if (const auto found = backend_->find_by_erp_id(mailbox, erp_id, gate)) return found->id;
    throw not_found("no event of erp_id " + erp_id + " in " + mailbox);
}

Event Events::update_marked(const std::string &mailbox, const Event &current, const EventIn &event, Call &call) {
    auto updated = backend_->update_event(mailbox, current.id, current.version, event, gate_for(call));
    if (!event.erp_id.empty())
        records_->set_erp(mailbox, event.erp_id,
                          {"created", updated.id, updated.version, digest_of(event), call.id(), now_ms()});
    return updated;
}

Json Events::update(const Json &input, Call &call) {
    const auto mailbox = mailbox_of(input);
    const auto gate = gate_for(call);
    const auto id = event_id_of(input, mailbox, gate);
    const auto event = parse_event_in(input, "input", false);
    const auto version = support::string_at(input, "version").value_or("");
    auto updated = backend_->update_event(mailbox, id, version, event, gate);
    if (!event.erp_id.empty())
        records_->set_erp(mailbox, event.erp_id,
                          {"created", updated.id, updated.version, digest_of(event), call.id(), now_ms()});
    return updated.to_json();
}

void Events::delete_marked(const std::string &mailbox, const Event &current, Call &call) {
    try {
        backend_->delete_event(mailbox, current.id, gate_for(call));
    } catch (const Error &e) {
        if (e.status() != RELAIS_NOT_FOUND) throw;  // already gone: what was asked
    }
    if (!current.erp_id.empty()) records_->erase_erp(mailbox, current.erp_id);
}

Json Events::remove(const Json &input, Call &call) {
    const auto mailbox = mailbox_of(input);
    const auto gate = gate_for(call);
    const auto id = event_id_of(input, mailbox, gate);
    backend_->delete_event(mailbox, id, gate);
    if (const auto erp_id = support::string_at(input, "erp_id"); erp_id && !erp_id->empty())
        records_->erase_erp(mailbox, *erp_id);
    Json out = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("mailbox", mailbox);
    out->set("id", id);
    out->set("deleted", true);
    return out;
}

}  // namespace relais::exchange
