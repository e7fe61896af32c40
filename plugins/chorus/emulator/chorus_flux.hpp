// Deposited fluxes and the invoices they become, with their states moving on the emulator's
// clock (nothing is stored per state: the state at any instant follows from the deposit time):
//
//   flux     IN_RECU                       from the deposit, for a third of processing_delay
//            IN_EN_COURS_TRAITEMENT_CPP    until processing_delay has passed
//            IN_INTEGRE / IN_REJETE / IN_INCIDENTE   from then on, decided at deposit time
//   invoice  (of an IN_INTEGRE flux only, and visible only from the integration on)
//            DEPOSEE                       at the integration
//            then each step of its InvoicePlan, `after` the previous one (by default
//            MISE_A_DISPOSITION one processing_delay later, MISE_EN_PAIEMENT 20 later still)
//
// Numbering: numeroFluxDepot = "CPP001" + the syntax's interface code + a counter on 15
// digits (25 characters, as the reference's examples); identifiantFactureCPP from 3125108 and
// histoStatutId from 8548152 (the reference's fixtures' orders of magnitude), one sequence
// each for the whole emulator; an invoice reserves kStatusIdsPerInvoice status ids (a status
// past them in a longer plan reuses the last). Not synchronized: the emulator's state lock guards it.
#pragma once

#include "chorus_business_rules.hpp"
#include "chorus_emulator.hpp"
#include "chorus_invoice_file.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace relais::chorus_emulator {

using time_point = emulator::EmulatorClock::time_point;

// What the flux becomes once processed.
struct Outcome {
    std::string state;  // IN_INTEGRE, IN_REJETE or IN_INCIDENTE
    std::vector<DpError> dp_errors;
    std::vector<TechnicalError> technical_errors;
};

// Decides the outcome at deposit time: a forced one first, else what the file says.
// `supplier` is the depositing account's structure.
Outcome decide(const FileReading &reading, std::optional<ForcedOutcome> forced, const Structure &supplier,
               const std::vector<Structure> &structures);

constexpr std::int64_t kStatusIdsPerInvoice = 16;

struct Invoice {
    std::int64_t id = 0;  // identifiantFactureCPP
    std::int64_t first_status_id = 0;  // DEPOSEE's histoStatutId; the plan's steps follow
    InvoiceData data;  // as read from the file (empty when a forced integration had none)
    // The buyer and its service as Chorus Pro resolved them (0 / "" when unknown).
    std::int64_t buyer_id = 0;
    std::string buyer_name;
    std::int64_t service_id = 0;
    std::string service_name;
};

struct Flux {
    std::string number;  // numeroFluxDepot
    std::string syntax;
    std::string file_name;
    std::string file_sha256;
    std::string owner;  // login of the technical account that deposited it
    time_point deposited;
    std::optional<InvoiceData> read;  // the file as read, when readable
    Outcome outcome;
    std::optional<Invoice> invoice;  // when the outcome is IN_INTEGRE
};

struct Phase {
    std::string state;
    time_point since;
    bool terminal = false;
};

struct StatusEntry {
    std::string status;
    time_point since;
    std::string comment;
    std::int64_t id = 0;  // histoStatutId
};
// Newest first.
using StatusHistory = std::vector<StatusEntry>;

class FluxBook {
public:
    explicit FluxBook(std::chrono::milliseconds processing_delay) : delay_(processing_delay) {}

    // Numbers `flux` (and its invoice, when its outcome integrates it) and records it.
    const Flux &add(Flux flux, const std::vector<Structure> &structures);
    const Flux *find(const std::string &number) const;
    const std::deque<Flux> &all() const { return fluxes_; }

    Phase phase(const Flux &flux, time_point now) const;
    // The invoice's statuses reached by `now` along `plan`; empty while the flux is not
    // integrated yet.
    StatusHistory statuses(const Flux &flux, const InvoicePlan &plan, time_point now) const;

private:
    std::chrono::milliseconds delay_;
    std::deque<Flux> fluxes_;  // a deque: references stay valid as fluxes are added
    std::uint64_t next_flux_ = 1;
    std::int64_t next_invoice_ = 3125108;
    std::int64_t next_status_ = 8548152;
};

}  // namespace relais::chorus_emulator
