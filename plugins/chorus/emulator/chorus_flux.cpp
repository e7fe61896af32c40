#include "chorus_flux.hpp"

#include <algorithm>
#include <cstdio>

namespace relais::chorus_emulator {

Outcome decide(const FileReading &reading, std::optional<ForcedOutcome> forced, const Structure &supplier,
               const std::vector<Structure> &structures) {
    Outcome outcome;
    if (forced == ForcedOutcome::integrated) {
        outcome.state = "IN_INTEGRE";
        return outcome;
    }
    if (forced == ForcedOutcome::incident) {
        outcome.state = "IN_INCIDENTE";  // not processed: no invoice, no error list
        return outcome;
    }
    outcome.state = "IN_REJETE";
    if (reading.error) {
        outcome.technical_errors.push_back(*reading.error);
        return outcome;
    }
    outcome.dp_errors = business_errors(*reading.invoice, supplier, structures);
    if (forced == ForcedOutcome::rejected && outcome.dp_errors.empty()) {
        // A sound invoice rejected on demand still names itself, as a real rejection does.
        const auto &invoice = *reading.invoice;
        outcome.dp_errors.push_back({invoice.seller_siret, invoice.buyer_siret, invoice.number,
                                     "Demande de paiement rejetee (rejet force par le scenario de test). "});
    }
    if (outcome.dp_errors.empty()) outcome.state = "IN_INTEGRE";
    return outcome;
}

const Flux &FluxBook::add(Flux flux, const std::vector<Structure> &structures) {
    char counter[24];
    std::snprintf(counter, sizeof(counter), "%015llu", static_cast<unsigned long long>(next_flux_++));
    flux.number = "CPP001" + interface_code(flux.syntax) + counter;
    if (flux.outcome.state == "IN_INTEGRE") {
        Invoice invoice;
        invoice.id = next_invoice_++;
        invoice.first_status_id = next_status_;
        next_status_ += kStatusIdsPerInvoice;
        if (flux.read) invoice.data = *flux.read;
        if (const auto *buyer = find_structure(structures, invoice.data.buyer_siret)) {
            invoice.buyer_id = buyer->id;
            invoice.buyer_name = buyer->name;
            if (const auto *service = find_service(*buyer, invoice.data.buyer_reference)) {
                invoice.service_id = service->id;
                invoice.service_name = service->label;
            }
        }
        flux.invoice = std::move(invoice);
    }
    fluxes_.push_back(std::move(flux));
    return fluxes_.back();
}

const Flux *FluxBook::find(const std::string &number) const {
    for (const auto &f : fluxes_)
        if (f.number == number) return &f;
    return nullptr;
}

Phase FluxBook::phase(const Flux &flux, time_point now) const {
    const auto processing = flux.deposited + delay_ / 3;
    const auto processed = flux.deposited + delay_;
    if (now >= processed) return {flux.outcome.state, processed, true};
    if (now >= processing) return {"IN_EN_COURS_TRAITEMENT_CPP", processing, false};
    return {"IN_RECU", flux.deposited, false};
}

StatusHistory FluxBook::statuses(const Flux &flux, const InvoicePlan &plan, time_point now) const {
    StatusHistory history;
    if (!flux.invoice) return history;
    auto at = flux.deposited + delay_;  // the integration
    if (now < at) return history;
    const auto id_of = [&](std::size_t index) {
        return flux.invoice->first_status_id +
               static_cast<std::int64_t>(std::min<std::size_t>(index, kStatusIdsPerInvoice - 1));
    };
    history.push_back({"DEPOSEE", at, "", id_of(0)});
    for (std::size_t i = 0; i < plan.size(); ++i) {
        at += plan[i].after;
        if (now < at) break;
        history.push_back({plan[i].status, at, plan[i].comment, id_of(i + 1)});
    }
    std::reverse(history.begin(), history.end());
    return history;
}

InvoicePlan plan_paid(std::chrono::milliseconds available, std::chrono::milliseconds then) {
    return {{"MISE_A_DISPOSITION", available, ""}, {"MISE_EN_PAIEMENT", then, ""}};
}

InvoicePlan plan_rejected(std::chrono::milliseconds available, std::chrono::milliseconds then,
                          const std::string &reason) {
    return {{"MISE_A_DISPOSITION", available, ""}, {"REJETEE", then, reason}};
}

InvoicePlan plan_suspended(std::chrono::milliseconds available, std::chrono::milliseconds then,
                           const std::string &reason) {
    return {{"MISE_A_DISPOSITION", available, ""}, {"SUSPENDUE", then, reason}};
}

InvoicePlan plan_available_only(std::chrono::milliseconds available) { return {{"MISE_A_DISPOSITION", available, ""}}; }

}  // namespace relais::chorus_emulator
