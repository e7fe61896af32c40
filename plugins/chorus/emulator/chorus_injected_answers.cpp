// The answers a test injects (InjectedAnswer): the failures of reference section 6, each as
// PISTE or Chorus Pro gives it, and where they are taken from the queue.
#include "chorus_emulator.hpp"

#include "chorus_emulator_state.hpp"
#include "chorus_wire.hpp"

#include <Poco/JSON/Object.h>

#include <sstream>

namespace relais::chorus_emulator {

using emulator::Request;
using emulator::Response;

InjectedAnswer InjectedAnswer::technical_account_refused() {
    InjectedAnswer a;
    a.status = 401;
    a.headers.emplace_back("WWW-Authenticate",
                           R"(Bearer realm="PISTE",error="Unauthorized",error_description="login or password incorrects")");
    return a;
}

InjectedAnswer InjectedAnswer::forbidden() {
    InjectedAnswer a;
    a.status = 403;
    return a;
}

InjectedAnswer InjectedAnswer::business_error(int code, const std::string &libelle, int status) {
    InjectedAnswer a;
    a.status = status;
    auto body = wire::object();
    body->set("codeRetour", code);
    body->set("libelle", libelle);
    std::ostringstream text;
    body->stringify(text);
    a.body = text.str();
    a.content_type = "application/json;charset=UTF-8";
    return a;
}

InjectedAnswer InjectedAnswer::too_large() {
    InjectedAnswer a;
    a.status = 413;
    return a;
}

InjectedAnswer InjectedAnswer::too_many_requests(std::chrono::seconds retry_after) {
    InjectedAnswer a;
    a.status = 429;
    if (retry_after.count() > 0) a.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
    return a;
}

InjectedAnswer InjectedAnswer::gateway_error(int status, bool html) {
    InjectedAnswer a;
    a.status = status;
    if (html) {
        const auto code = std::to_string(status);
        a.body = "<html><head><title>" + code + "</title></head><body><h1>" + code +
                 "</h1><p>The server is temporarily unable to service your request.</p></body></html>";
        a.content_type = "text/html";
    }
    return a;
}

InjectedAnswer InjectedAnswer::under(std::string prefix) const {
    auto a = *this;
    a.path_prefix = std::move(prefix);
    return a;
}

std::optional<Response> ChorusEmulator::State::take_injected(const Request &request) {
    std::lock_guard lock(mutex);
    for (auto it = injected.begin(); it != injected.end(); ++it) {
        if (request.path.rfind(it->first.path_prefix, 0) != 0) continue;
        const auto a = it->first;
        if (--it->second <= 0) injected.erase(it);
        Response r;
        r.status = a.status;
        r.body = a.body;
        if (!a.content_type.empty()) r.header("Content-Type", a.content_type);
        for (const auto &[name, value] : a.headers) r.header(name, value);
        return r;
    }
    return std::nullopt;
}

void ChorusEmulator::inject(const InjectedAnswer &answer, int count) {
    if (count <= 0) return;
    std::lock_guard lock(state_->mutex);
    state_->injected.emplace_back(answer, count);
}

}  // namespace relais::chorus_emulator
