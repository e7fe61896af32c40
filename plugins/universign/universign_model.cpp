#include "universign_model.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Array.h>
#include <Poco/Timestamp.h>

namespace relais::universign {

const char *state_name(State state) {
    switch (state) {
    case State::waiting_signers: return "waiting_signers";
    case State::completed: return "completed";
    case State::refused: return "refused";
    case State::canceled: return "canceled";
    case State::expired: return "expired";
    case State::failed: return "failed";
    }
    return "waiting_signers";
}

bool is_final(State state) { return state != State::waiting_signers; }

std::string iso8601(std::chrono::system_clock::time_point time) {
    const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(time);
    return Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(std::chrono::system_clock::to_time_t(seconds)),
                                           Poco::DateTimeFormat::ISO8601_FORMAT);
}

Json TransactionView::to_json() const {
    Json o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("transaction_id", id);
    if (!custom_id.empty()) o->set("custom_id", custom_id);
    o->set("state", state_name(state));
    o->set("universign_state", raw_state);
    if (!created_at.empty()) o->set("created_at", created_at);
    if (current_signer >= 0) o->set("current_signer", current_signer);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto &s : signers) {
        Json j = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        j->set("index", s.index);
        j->set("email", s.email);
        if (!s.first_name.empty()) j->set("first_name", s.first_name);
        if (!s.last_name.empty()) j->set("last_name", s.last_name);
        j->set("role", s.role);
        j->set("state", s.state);
        if (!s.url.empty()) j->set("url", s.url);
        if (!s.action_date.empty()) j->set("action_date", s.action_date);
        if (!s.error.empty()) j->set("error", s.error);
        list->add(j);
    }
    o->set("signers", list);
    return o;
}

}  // namespace relais::universign
