// The server: routes, the PISTE gateway's checks, the test switches, and the transverses
// probes. The business endpoints are in chorus_factures_api.cpp and chorus_structures_api.cpp.
#include "chorus_emulator.hpp"

#include "chorus_emulator_state.hpp"
#include "chorus_wire.hpp"

#include <Poco/JSON/Array.h>

namespace relais::chorus_emulator {

using emulator::Request;
using emulator::Response;

namespace {

ChorusEmulatorOptions with_clock(ChorusEmulatorOptions options) {
    // The state reads the same clock as the server's quotas; it must exist before either.
    if (!options.server.clock) options.server.clock = std::make_shared<emulator::EmulatorClock>();
    return options;
}

Structure supplier_structure(const std::vector<Structure> &structures) {
    for (const auto &s : structures)
        if (s.siret == kSupplierSiret) return s;
    Structure s;  // a dataset without it: the account still acts for that SIRET
    s.siret = kSupplierSiret;
    s.is_public = false;
    return s;
}

}  // namespace

ChorusEmulator::State::State(const ChorusEmulatorOptions &given, std::shared_ptr<emulator::EmulatorClock> shared_clock)
    : options(given), clock(std::move(shared_clock)), supplier(supplier_structure(given.structures)),
      tokens(given.token_lifetime), fluxes(given.processing_delay), no_result_form(given.no_result),
      default_plan(given.invoice_plan.value_or(plan_paid(given.processing_delay, 20 * given.processing_delay))) {}

const InvoicePlan &ChorusEmulator::State::plan_of(const Flux &flux) const {
    if (flux.invoice) {
        const auto it = plans.find(flux.invoice->data.number);
        if (it != plans.end()) return it->second;
    }
    return default_plan;
}

Response ChorusEmulator::State::token(const Request &request) {
    return token_endpoint(request, options.clients, tokens, clock->now());
}

const TechnicalAccount *ChorusEmulator::State::account_of(const Request &request) const {
    // NameValueCollection compares names case-insensitively: CPRO-ACCOUNT works as well.
    const auto header = request.header("cpro-account");
    if (!header) return nullptr;
    const auto decoded = wire::decode_base64(*header);
    if (!decoded) return nullptr;
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) return nullptr;
    const auto login = decoded->substr(0, colon);
    const auto password = decoded->substr(colon + 1);
    for (const auto &account : options.accounts)
        if (account.login == login && account.password == password) return &account;
    return nullptr;
}

Response ChorusEmulator::State::gateway(const Request &request, Endpoint endpoint) {
    if (auto refused = check_bearer(request, tokens, clock->now())) return *refused;
    const auto *account = account_of(request);
    if (!account) {
        // The reference's one confirmed answer (OCA): 401, the reason only in this header.
        Response refused;
        refused.status = 401;
        refused.header("WWW-Authenticate",
                       R"(Bearer realm="PISTE",error="Unauthorized",error_description="login or password incorrects")");
        return refused;
    }
    {
        std::lock_guard lock(mutex);
        if (forbidden) {
            Response refused;
            refused.status = 403;  // empty body, as seen in the sandbox
            return refused;
        }
    }
    if (auto injected_answer = take_injected(request)) return *injected_answer;
    return (this->*endpoint)(request, *account);
}

Response ChorusEmulator::State::no_result(const char *list_name, const wire::Json &parametres_retour) const {
    const NoResultForm form = no_result_form;
    if (form == NoResultForm::empty_list) {
        auto body = wire::success(wire::kTransverseOk);
        body->set(list_name, Poco::JSON::Array::Ptr(new Poco::JSON::Array));
        body->set("parametresRetour", parametres_retour);
        return wire::answer(body);
    }
    auto body = wire::object();
    body->set("codeRetour", wire::kNoResult);
    body->set("libelle", wire::kNoResultLibelle);
    return wire::answer(body, form == NoResultForm::http_400_20000 ? 400 : 200);
}

Response ChorusEmulator::State::over_quota(const Request &, const emulator::QuotaExceeded &exceeded) const {
    // PISTE's real 429 body and headers are unknown (reference §6): this body is an assumption,
    // in the gateway's OAuth-style {error, error_description} shape.
    auto body = wire::object();
    body->set("error", "Too Many Requests");
    body->set("error_description", exceeded.window == emulator::QuotaExceeded::Window::second
                                       ? "Quota exceeded: too many requests per second"
                                       : "Quota exceeded: daily quota exhausted");
    auto response = Response::json(429, body);
    if (options.retry_after_on_429) response.header("Retry-After", std::to_string(exceeded.retry_after.count()));
    return response;
}

Response ChorusEmulator::State::health_check(const Request &, const TechnicalAccount &) {
    // A serialized Spring ResponseEntity, as go-cpro models it; "OK" is assumed (reference §4.12).
    auto body = wire::object();
    body->set("body", "OK");
    body->set("statusCodeValue", 200);
    body->set("statusCode", "OK");
    return wire::answer(body);
}

Response ChorusEmulator::State::vat_rates(const Request &request, const TechnicalAccount &) {
    wire::body_of(request);  // {} is what clients send; anything but an object is refused
    auto body = wire::success(wire::kTransverseOk);
    Poco::JSON::Array::Ptr rates = new Poco::JSON::Array;
    auto rate = wire::object();
    rate->set("codeTauxTva", "TVA1");
    rate->set("libelleTauxTva", "Art 293B(FranchiseEnBase)");
    rate->set("valeurTauxTva", 0);
    rates->add(rate);
    body->set("listeTauxTva", rates);
    return wire::answer(body);
}

FluxRecord ChorusEmulator::State::record_of(const Flux &flux) const {
    FluxRecord record;
    record.number = flux.number;
    record.syntax = flux.syntax;
    record.file_name = flux.file_name;
    record.file_sha256 = flux.file_sha256;
    record.invoice_number = flux.read ? flux.read->number : "";
    record.state = fluxes.phase(flux, clock->now()).state;
    return record;
}

ChorusEmulator::ChorusEmulator(ChorusEmulatorOptions options)
    : options_(with_clock(std::move(options))),
      server_(options_.server),
      state_(std::make_shared<State>(options_, options_.server.clock)) {
    const auto state = state_;
    const auto api = [&](const std::string &method, const std::string &path, State::Endpoint endpoint) {
        server_.route(method, path, [state, endpoint](const Request &r) { return state->gateway(r, endpoint); });
    };
    server_.route("POST", "/api/oauth/token", [state](const Request &r) { return state->token(r); });
    api("GET", "/cpro/transverses/v1/health-check", &State::health_check);
    api("POST", "/cpro/transverses/v1/recuperer/tauxtva", &State::vat_rates);
    api("POST", "/cpro/transverses/v1/consulterCRDetaille", &State::flux_report);
    api("POST", "/cpro/factures/v1/deposer/flux", &State::deposit);
    api("POST", "/cpro/factures/v1/rechercher/fournisseur", &State::search_invoices);
    api("POST", "/cpro/factures/v1/consulter/historique", &State::invoice_history);
    api("POST", "/cpro/structures/v1/rechercher", &State::search_structures);
    api("POST", "/cpro/structures/v1/consulter", &State::consult_structure);
    api("POST", "/cpro/structures/v1/rechercher/services", &State::search_services);
    set_quota(options_.per_second, options_.per_day);
}

std::size_t ChorusEmulator::deposits() const {
    std::lock_guard lock(state_->mutex);
    return state_->fluxes.all().size();
}

std::map<std::string, int> ChorusEmulator::deposits_by_file() const {
    std::lock_guard lock(state_->mutex);
    std::map<std::string, int> counts;
    for (const auto &f : state_->fluxes.all()) ++counts[f.file_sha256];
    return counts;
}

std::vector<FluxRecord> ChorusEmulator::fluxes() const {
    std::lock_guard lock(state_->mutex);
    std::vector<FluxRecord> records;
    for (const auto &f : state_->fluxes.all()) records.push_back(state_->record_of(f));
    return records;
}

std::optional<FluxRecord> ChorusEmulator::flux(const std::string &number) const {
    std::lock_guard lock(state_->mutex);
    const auto *f = state_->fluxes.find(number);
    if (!f) return std::nullopt;
    return state_->record_of(*f);
}

void ChorusEmulator::expire_tokens() { state_->tokens.expire_all(); }

void ChorusEmulator::set_forbidden(bool forbidden) {
    std::lock_guard lock(state_->mutex);
    state_->forbidden = forbidden;
}

void ChorusEmulator::force_outcome(ForcedOutcome outcome, int count) {
    std::lock_guard lock(state_->mutex);
    for (int i = 0; i < count; ++i) state_->forced.push_back(outcome);
}

void ChorusEmulator::plan_invoice(const std::string &invoice_number, InvoicePlan plan) {
    std::lock_guard lock(state_->mutex);
    state_->plans[invoice_number] = std::move(plan);
}

void ChorusEmulator::lose_deposit_answers(int count) {
    std::lock_guard lock(state_->mutex);
    state_->answers_to_lose += count;
}

void ChorusEmulator::set_no_result_form(NoResultForm form) { state_->no_result_form = form; }

void ChorusEmulator::set_quota(int per_second, int per_day) {
    const auto state = state_;
    server_.set_quota(
        per_second, per_day,
        [state](const Request &r, const emulator::QuotaExceeded &e) { return state->over_quota(r, e); }, "/cpro");
}

}  // namespace relais::chorus_emulator
