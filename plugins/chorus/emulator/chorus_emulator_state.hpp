// The emulator's state and its endpoints (internal to the chorus_emulator library). Routes hold
// a shared pointer to it, so a request still being answered when the emulator is destroyed
// finds it alive. One lock guards the fluxes and the test switches; the token table has its own.
#pragma once

#include "chorus_emulator.hpp"
#include "chorus_flux.hpp"
#include "chorus_oauth.hpp"
#include "chorus_wire.hpp"

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>

namespace relais::chorus_emulator {

class ChorusEmulator::State {
public:
    using Endpoint = emulator::Response (State::*)(const emulator::Request &, const TechnicalAccount &);

    State(const ChorusEmulatorOptions &options, std::shared_ptr<emulator::EmulatorClock> clock);

    // POST /api/oauth/token
    emulator::Response token(const emulator::Request &request);
    // The PISTE gateway's checks (Bearer token, then cpro-account, then the 403 switch), then
    // `endpoint` for the account the request acts as.
    emulator::Response gateway(const emulator::Request &request, Endpoint endpoint);
    // The 429 of the /cpro quota.
    emulator::Response over_quota(const emulator::Request &request, const emulator::QuotaExceeded &exceeded) const;

    // transverses (chorus_emulator.cpp)
    emulator::Response health_check(const emulator::Request &request, const TechnicalAccount &account);
    emulator::Response vat_rates(const emulator::Request &request, const TechnicalAccount &account);
    // factures and the flux report (chorus_factures_api.cpp)
    emulator::Response deposit(const emulator::Request &request, const TechnicalAccount &account);
    emulator::Response flux_report(const emulator::Request &request, const TechnicalAccount &account);
    emulator::Response search_invoices(const emulator::Request &request, const TechnicalAccount &account);
    emulator::Response invoice_history(const emulator::Request &request, const TechnicalAccount &account);
    // structures (chorus_structures_api.cpp)
    emulator::Response search_structures(const emulator::Request &request, const TechnicalAccount &account);
    emulator::Response consult_structure(const emulator::Request &request, const TechnicalAccount &account);
    emulator::Response search_services(const emulator::Request &request, const TechnicalAccount &account);

    FluxRecord record_of(const Flux &flux) const;  // under the lock
    // A search that found nothing, in the form chosen (set_no_result_form); `list_name` and
    // `parametres_retour` make the empty-list form.
    emulator::Response no_result(const char *list_name, const wire::Json &parametres_retour) const;

    const ChorusEmulatorOptions options;
    const std::shared_ptr<emulator::EmulatorClock> clock;
    // The structure every technical account acts for: the one with kSupplierSiret (the
    // options' TechnicalAccount names no structure). Fluxes are nevertheless kept per account
    // (login): each account sees only its own deposits.
    const Structure supplier;
    TokenTable tokens;

    mutable std::mutex mutex;
    FluxBook fluxes;
    std::deque<ForcedOutcome> forced;
    int answers_to_lose = 0;
    bool forbidden = false;
    // Read by searches that already hold `mutex`: atomic rather than under it.
    std::atomic<NoResultForm> no_result_form;
    std::deque<std::pair<InjectedAnswer, int>> injected;
    const InvoicePlan default_plan;
    std::map<std::string, InvoicePlan> plans;  // by invoice number (plan_invoice)
    // The plan the invoice of `flux` follows (under the lock).
    const InvoicePlan &plan_of(const Flux &flux) const;

private:
    const TechnicalAccount *account_of(const emulator::Request &request) const;
    // The first injected answer for this request's path, used up by one.
    std::optional<emulator::Response> take_injected(const emulator::Request &request);
};

}  // namespace relais::chorus_emulator
