// An emulator of Chorus Pro behind the PISTE gateway, strict as the reference
// (shared/reference/chorus-pro.md) describes it:
//
//   POST /api/oauth/token                     client credentials in the form body (never Basic);
//                                             {access_token, token_type "Bearer", expires_in,
//                                             scope}; 401 {"error":"invalid_client",...} for an
//                                             unknown client, 400 {"error":"unsupported_grant_type"}
//   every /cpro/... call                      Authorization: Bearer <a live token> (else 401 from
//                                             the gateway), then cpro-account: base64(login:password)
//                                             of a technical account (else 401, empty body,
//                                             WWW-Authenticate: Bearer realm="PISTE",error="Unauthorized",
//                                             error_description="login or password incorrects");
//                                             set_forbidden(true): 403 with an empty body
//   GET  /cpro/transverses/v1/health-check    {"body":"OK","statusCodeValue":200,"statusCode":"OK"}
//   POST /cpro/transverses/v1/recuperer/tauxtva
//   POST /cpro/factures/v1/deposer/flux       base64 fichierFlux, nomFichier extension matching
//                                             syntaxeFlux (.pdf Factur-X, .xml UBL/CII), known
//                                             syntaxeFlux; 400 {codeRetour, libelle} otherwise, 413
//                                             over 10 MB; {numeroFluxDepot, dateDepot, syntaxeFlux}
//   POST /cpro/transverses/v1/consulterCRDetaille   the flux's state, moving with the clock:
//                                             IN_RECU, IN_EN_COURS_TRAITEMENT_CPP, then IN_INTEGRE,
//                                             IN_REJETE (listeErreurDP / listeErreurTechnique) or
//                                             IN_INCIDENTE; unknown flux: codeRetour 20001
//   POST /cpro/factures/v1/rechercher/fournisseur   the supplier's invoices, paged (10 by default),
//                                             filtered by flux, number, statutCourant and the
//                                             periodeDate{Depot,Facture,HeureEtatCourant}{Du,Au}
//                                             ranges
//   POST /cpro/factures/v1/consulter/historique     an invoice's statuses, newest first
//   an integrated invoice moves through its statuses on the emulator's clock (InvoicePlan):
//   DEPOSEE, MISE_A_DISPOSITION, then MISE_EN_PAIEMENT by default; SUSPENDUE, REJETEE and any
//   other status on demand, per invoice number (plan_invoice)
//   POST /cpro/structures/v1/rechercher       by SIRET (paged)
//   POST /cpro/structures/v1/consulter        idStructureCPP (or idStructure): flags
//   POST /cpro/structures/v1/rechercher/services   a structure's services (paged)
//   a search that finds nothing               200, codeRetour 20000, "TRA_MSG_00.015 ...", no
//                                             list (as documented); NoResultForm picks the other
//                                             plausible forms
//   quotas on /cpro: 5 per second and 50,000 per day by default (the test space), 429 beyond
//   any other /cpro path: 404
//
// What a deposited file becomes is read from the file itself (see chorus_invoice_file.hpp):
// a well-formed UBL 2.1 Invoice, CII CrossIndustryInvoice, or Factur-X PDF carrying a CII is
// integrated when its buyer is a known public structure and the buyer's requirements (service
// code, commitment number) are met; otherwise the flux ends IN_REJETE with the reason, as
// Chorus Pro answers asynchronously. force_outcome() overrides this for the next deposits.
//
// On top of the framework's faults, clock and request log (tests/emulator).
#pragma once

#include "emulator_server.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace relais::chorus_emulator {

struct PisteClient {
    std::string client_id;
    std::string client_secret;
};

struct TechnicalAccount {
    std::string login;     // TECH_1_...@cpro.fr
    std::string password;
};

struct Service {
    int64_t id = 0;          // idService
    std::string code;        // codeService
    std::string label;       // libelleService
    bool active = true;
    bool commitment_required = false;  // consulter/service parametres.numeroEngagement
};

struct Structure {
    int64_t id = 0;             // idStructureCPP
    std::string siret;          // identifiantStructure (14 digits)
    std::string name;           // designationStructure / raisonSocialeStructure
    bool is_public = true;      // structurePriveePublique PUBLIQUE / PRIVEE
    bool service_code_required = false;   // parametres.codeServiceDoitEtreRenseigne
    bool commitment_required = false;     // parametres.numeroEJDoitEtreRenseigne
    bool service_or_commitment = false;   // parametres.gestionNumeroEJOuCodeService
    std::vector<Service> services;
};

// The standard data (chorus_dataset.cpp): the supplier structure of the default technical
// account and public buyers with each kind of requirement. SIRETs pass the Luhn check.
std::vector<Structure> standard_structures();
constexpr const char *kSupplierSiret = "12345678200010";          // id 26000001, private: the supplier
constexpr const char *kBuyerSiret = "21000000100011";             // id 26000101, no requirement
constexpr const char *kServiceCodeBuyerSiret = "21000000200019";  // id 26000102, service code required
constexpr const char *kCommitmentBuyerSiret = "21000000300017";   // id 26000103, commitment number required
constexpr const char *kManyServicesBuyerSiret = "21000000400015"; // id 26000104, 25 active services
constexpr const char *kEitherBuyerSiret = "13000000500012";       // id 26000105, service code or commitment

// How a search that finds nothing is answered. The reference documents the first (Pastell sees
// it on rechercher/recipiendaire) and leaves open whether every search does the same, or
// whether business codes come as HTTP 400: a client has to read all three.
enum class NoResultForm {
    code_20000,      // 200 {codeRetour 20000, libelle "TRA_MSG_00.015 - ..."}, no list
    empty_list,      // 200 {codeRetour 0, the list empty, parametresRetour total 0}
    http_400_20000,  // 400 {codeRetour 20000, libelle "TRA_MSG_00.015 - ..."}
};

// An answer a test puts in place of the next matching /cpro answers, after the gateway's own
// checks passed: each failure the reference (section 6) says a client meets.
struct InjectedAnswer {
    int status = 500;
    std::string body;
    std::string content_type;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string path_prefix;  // only requests whose path starts with it; "" for any

    // 401, empty body, WWW-Authenticate naming the login or password of the technical account.
    static InjectedAnswer technical_account_refused();
    // 403 with an empty body (the application not subscribed, or the account not attached).
    static InjectedAnswer forbidden();
    // `status` (400 usually) with {"codeRetour": code, "libelle": libelle}.
    static InjectedAnswer business_error(int code, const std::string &libelle, int status = 400);
    // 413, empty body.
    static InjectedAnswer too_large();
    // 429, with Retry-After when `retry_after` is above 0.
    static InjectedAnswer too_many_requests(std::chrono::seconds retry_after);
    // 500, 502 or 503 from the gateway: an HTML page, or nothing.
    static InjectedAnswer gateway_error(int status, bool html);
    InjectedAnswer under(std::string prefix) const;
};

// One step of an integrated invoice's life: `status` from `after` past the previous step (the
// first step counts from DEPOSEE, which an invoice is at its flux's integration). `comment` is
// the history's histoStatutCommentaire (where Chorus Pro puts a rejection's or suspension's
// reason) and the search's commentaireEtatCourant.
struct StatusStep {
    std::string status;
    std::chrono::milliseconds after{0};
    std::string comment;
};
// The statuses an invoice goes through after DEPOSEE, in order; it stays at the last one.
using InvoicePlan = std::vector<StatusStep>;

// The usual plans (reference 4.6): made available to the buyer `available` after the deposit's
// integration, then paid, rejected or suspended by the buyer `then` later.
InvoicePlan plan_paid(std::chrono::milliseconds available, std::chrono::milliseconds then);
InvoicePlan plan_rejected(std::chrono::milliseconds available, std::chrono::milliseconds then,
                          const std::string &reason = "Facture rejetee par le destinataire");
InvoicePlan plan_suspended(std::chrono::milliseconds available, std::chrono::milliseconds then,
                           const std::string &reason = "Piece justificative manquante");
// Made available, then nothing more (an invoice the buyer never processes).
InvoicePlan plan_available_only(std::chrono::milliseconds available);

struct ChorusEmulatorOptions {
    emulator::ServerOptions server;
    std::vector<PisteClient> clients{{"relais-piste-client", "relais-piste-secret"}};
    std::vector<TechnicalAccount> accounts{{"TECH_1_relais@cpro.fr", "Relais-Tech-2026"}};
    std::chrono::seconds token_lifetime{3600};
    int per_second = 5;     // 0: no limit
    int per_day = 50000;    // 0: no limit
    bool retry_after_on_429 = true;
    // From the deposit to the final state, on the emulator's clock. The flux is IN_RECU for
    // the first third of it, IN_EN_COURS_TRAITEMENT_CPP for the rest. Invoices of an
    // integrated flux are DEPOSEE, then follow invoice_plan.
    std::chrono::milliseconds processing_delay{std::chrono::seconds(30)};
    // What an integrated invoice goes through after DEPOSEE, unless plan_invoice() gave its
    // number another plan. Absent: MISE_A_DISPOSITION one processing_delay after the
    // integration, MISE_EN_PAIEMENT 20 processing_delays after that (plan_paid).
    std::optional<InvoicePlan> invoice_plan;
    // deposerFluxFacture's limit per file (reference section 7: 10 MB, 413 above). Tests of
    // the boundary lower it rather than push 10 MB through TLS and JSON twice.
    std::size_t max_file_bytes = 10u << 20;
    // The reference leaves open whether an unknown flux answers 200 or 400 (with codeRetour
    // 20001 either way).
    bool unknown_flux_as_400 = false;
    NoResultForm no_result = NoResultForm::code_20000;
    std::vector<Structure> structures = standard_structures();
};

// Terminal states a test can force on the next deposits, whatever their content.
enum class ForcedOutcome { integrated, rejected, incident };

struct FluxRecord {
    std::string number;          // numeroFluxDepot
    std::string syntax;          // syntaxeFlux
    std::string file_name;       // nomFichier as deposited
    std::string file_sha256;     // hex of the decoded file
    std::string invoice_number;  // read from the file, "" when unreadable
    std::string state;           // the state consulterCRDetaille would give now
};

class ChorusEmulator {
public:
    explicit ChorusEmulator(ChorusEmulatorOptions options = {});

    void start() { server_.start(); }
    void stop() { server_.stop(); }
    emulator::EmulatorServer &server() { return server_; }

    // The API base, as the connector's api_url setting: https://localhost:PORT
    std::string api_url() const { return server_.base_url(); }
    // The token endpoint, as the connector's oauth_url setting: https://localhost:PORT/api/oauth/token
    std::string oauth_url() const { return server_.base_url() + "/api/oauth/token"; }

    // Requests under /cpro (answered or refused) and to the token endpoint.
    std::size_t api_requests() const { return server_.count("", "/cpro"); }
    std::size_t token_requests() const { return server_.count("POST", "/api/oauth/token"); }

    // Deposits accepted (a numeroFluxDepot allocated), in all and per file (SHA-256, hex).
    std::size_t deposits() const;
    std::map<std::string, int> deposits_by_file() const;
    std::vector<FluxRecord> fluxes() const;
    std::optional<FluxRecord> flux(const std::string &number) const;

    // Every token issued so far stops working now (as after expires_in): the next API call
    // with one answers 401, and a new token must be asked for.
    void expire_tokens();
    // 403 with an empty body on every /cpro call (an application not subscribed to the API).
    void set_forbidden(bool forbidden);
    // The next `count` deposits end in this state whatever their content.
    void force_outcome(ForcedOutcome outcome, int count = 1);
    // Invoices numbered `invoice_number` (BT-1, the supplier's own) follow `plan` from now on,
    // counted from their integration: deposited already or not, integrated or not yet.
    void plan_invoice(const std::string &invoice_number, InvoicePlan plan);
    // The next `count` deposits are recorded, then the connection is reset instead of
    // answering: the client does not know whether its flux was received.
    void lose_deposit_answers(int count = 1);
    // Changes the quotas on /cpro (0: no limit).
    void set_quota(int per_second, int per_day);
    // How searches that find nothing answer from now on.
    void set_no_result_form(NoResultForm form);
    // The next `count` /cpro requests under answer.path_prefix get `answer` instead of their
    // endpoint's (the request is not processed). Consumed in the order injected.
    void inject(const InjectedAnswer &answer, int count = 1);

private:
    class State;
    ChorusEmulatorOptions options_;
    emulator::EmulatorServer server_;
    std::shared_ptr<State> state_;
};

}  // namespace relais::chorus_emulator
