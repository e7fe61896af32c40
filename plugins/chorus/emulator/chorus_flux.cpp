#include "chorus_flux.hpp"

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
        invoice.deposited_status_id = next_status_++;
        invoice.available_status_id = next_status_++;
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

StatusHistory FluxBook::statuses(const Flux &flux, time_point now) const {
    StatusHistory history;
    if (!flux.invoice) return history;
    const auto integrated = flux.deposited + delay_;
    const auto available = integrated + delay_;
    if (now >= available) history.emplace_back("MISE_A_DISPOSITION", available);
    if (now >= integrated) history.emplace_back("DEPOSEE", integrated);
    return history;
}

}  // namespace relais::chorus_emulator
