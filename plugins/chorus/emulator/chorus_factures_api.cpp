// factures/v1/deposer/flux, transverses/v1/consulterCRDetaille, factures/v1/rechercher/fournisseur
// and factures/v1/consulter/historique: a deposit, then what a supplier polls about it.
#include "chorus_emulator_state.hpp"
#include "chorus_wire.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/SHA2Engine.h>
#include <Poco/String.h>

#include <algorithm>
#include <set>

namespace relais::chorus_emulator {

using emulator::Request;
using emulator::Response;
using wire::refuse;

namespace {

constexpr std::size_t kMaxFileNameLength = 200;
// Invoices per page of rechercher/fournisseur at most. The real cap is unknown; a larger
// nbResultatsParPage is lowered to it, and parametresRetour says so.
constexpr int kMaxInvoicesPerPage = 500;

std::string sha256_hex(const std::string &bytes) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(bytes.data(), static_cast<unsigned>(bytes.size()));
    return Poco::DigestEngine::digestToHex(engine.digest());
}

bool ends_with(const std::string &text, const std::string &suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The name must have the extension its syntax implies: .pdf for Factur-X, .xml otherwise.
void check_file_name(const std::string &name, const std::string &syntax, Syntax family) {
    if (name.empty()) refuse(400, wire::kBadFileName, "Le champ nomFichier est obligatoire");
    if (name.size() > kMaxFileNameLength)
        refuse(400, wire::kBadFileName, "Le champ nomFichier depasse 200 caracteres");
    const auto lower = Poco::toLower(name);
    const auto dot = lower.rfind('.');
    if (dot == std::string::npos || dot + 1 == lower.size())
        refuse(400, wire::kBadFileName, "Le nom de fichier " + name + " (champ nomFichier) n'a pas d'extension");
    // Chorus Pro takes several invoices in one .tar.gz or .zip; the emulator does not unpack.
    for (const char *archive : {".tar.gz", ".tgz", ".zip", ".gz"})
        if (ends_with(lower, archive))
            refuse(400, wire::kNotSupportedHere,
                   "Le fichier " + name + " est une archive : l'emulateur ne decompresse pas les archives, "
                   "deposer une facture par flux (.xml ou .pdf)");
    const std::string expected = family == Syntax::facturx ? ".pdf" : ".xml";
    if (!ends_with(lower, expected))
        refuse(400, wire::kBadFileName,
               "L'extension du fichier " + name + " (champ nomFichier) ne correspond pas a la syntaxe " + syntax +
                   " (attendu : " + expected + ")");
}

// The file size limit (options.max_file_bytes) is said in the answer in MB, as Chorus Pro does.
std::string decoded_file(const std::optional<std::string> &content, std::size_t max_bytes) {
    const std::string too_large = "Le fichier depasse la taille maximale autorisee (" +
                                  (max_bytes % (1u << 20) == 0 ? std::to_string(max_bytes >> 20) + " Mo"
                                                               : std::to_string(max_bytes) + " octets") +
                                  ")";
    if (!content || content->empty()) refuse(400, wire::kInvalidField, "Le champ fichierFlux est obligatoire");
    // Refused on its encoded size first, as a gateway does, before decoding megabytes.
    if (content->size() / 4 * 3 > max_bytes + 2) refuse(413, wire::kFileTooLarge, too_large);
    auto bytes = wire::decode_base64(*content);
    if (!bytes)
        refuse(400, wire::kInvalidField,
               "Le champ fichierFlux n'est pas un contenu base64 valide (alphabet standard, avec remplissage, "
               "sans retour a la ligne)");
    if (bytes->empty()) refuse(400, wire::kInvalidField, "Le fichier depose (champ fichierFlux) est vide");
    if (bytes->size() > max_bytes) refuse(413, wire::kFileTooLarge, too_large);
    return std::move(*bytes);
}

wire::Json dp_error_json(const DpError &e) {
    auto item = wire::object();
    item->set("identifiantFournisseur", e.supplier_id);
    item->set("identifiantDestinataire", e.buyer_id);
    item->set("numeroDP", e.invoice_number);
    item->set("libelleErreurDP", e.label);
    return item;
}

wire::Json technical_error_json(const TechnicalError &e) {
    auto item = wire::object();
    item->set("codeErreur", e.code);
    item->set("natureErreur", e.nature);
    item->set("libelleErreur", e.label);
    return item;
}

std::string type_of_invoice(const std::string &type_code) {
    if (type_code == "381") return "AVOIR";
    if (type_code == "386") return "ACOMPTE";
    return "FACTURE";
}

// How the invoices reach Chorus Pro here. The value Chorus Pro gives a flux deposit is not in
// the reference (its examples show DEPOT_PDF_API, from deposer/pdf); "FLUX" is assumed.
constexpr const char *kModeDepot = "FLUX";

std::vector<std::string> string_list(const wire::Json &body, const std::string &name) {
    std::vector<std::string> items;
    if (!body->has(name) || body->isNull(name)) return items;
    const auto array = body->getArray(name);
    if (!array) refuse(400, wire::kInvalidField, "Le champ " + name + " doit etre une liste");
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto v = array->get(static_cast<unsigned>(i));
        if (!v.isString()) refuse(400, wire::kInvalidField, "Le champ " + name + " doit etre une liste de chaines");
        items.push_back(v.extract<std::string>());
    }
    return items;
}

std::optional<std::string> day_field(const wire::Json &body, const std::string &name) {
    auto value = wire::text_field(body, name);
    if (value && !wire::valid_day(*value))
        refuse(400, wire::kInvalidField, "Le champ " + name + " doit etre une date au format AAAA-MM-JJ");
    return value;
}

// periodeDateHeureEtatCourantDu / Au: the reference gives no format for them; a day as the
// other periods, or a date and time as dateHeureEtatCourant is written, are both taken.
std::optional<time_point> moment_field(const wire::Json &body, const std::string &name, bool upper) {
    const auto value = wire::text_field(body, name);
    if (!value) return std::nullopt;
    const auto t = wire::bound(*value, upper);
    if (!t)
        refuse(400, wire::kInvalidField,
               "Le champ " + name + " doit etre une date AAAA-MM-JJ ou une date et heure AAAA-MM-JJTHH:MM:SS+HH:MM");
    return t;
}

}  // namespace

Response ChorusEmulator::State::deposit(const Request &request, const TechnicalAccount &account) {
    const auto body = wire::body_of(request);
    const auto content = wire::text_field(body, "fichierFlux");
    const auto name = wire::text_field(body, "nomFichier");
    const auto syntax = wire::text_field(body, "syntaxeFlux");
    wire::bool_field(body, "avecSignature");          // optional; a boolean when present
    wire::integer_field(body, "idUtilisateurCourant");  // optional; an integer when present

    if (!syntax || syntax->empty()) refuse(400, wire::kUnknownSyntax, "Le champ syntaxeFlux est obligatoire");
    const auto family = syntax_family(*syntax);
    if (!family)
        refuse(400, wire::kUnknownSyntax, "La syntaxe " + *syntax + " (champ syntaxeFlux) n'est pas reconnue");
    check_file_name(name.value_or(""), *syntax, *family);
    const auto bytes = decoded_file(content, options.max_file_bytes);

    // Read outside the lock: parsing a large file must not hold other clients up.
    const auto reading = read_invoice_file(bytes, *syntax);
    Flux flux;
    flux.syntax = *syntax;
    flux.file_name = *name;
    flux.file_sha256 = sha256_hex(bytes);
    flux.owner = account.login;
    flux.read = reading.invoice;

    auto answer = wire::success(wire::kGestionOk);
    bool lose = false;
    {
        std::lock_guard lock(mutex);
        std::optional<ForcedOutcome> forced_outcome;
        if (!forced.empty()) {
            forced_outcome = forced.front();
            forced.pop_front();
        }
        flux.outcome = decide(reading, forced_outcome, supplier, options.structures);
        flux.deposited = clock->now();
        const auto &recorded = fluxes.add(std::move(flux), options.structures);
        answer->set("numeroFluxDepot", recorded.number);
        answer->set("dateDepot", wire::day(recorded.deposited));
        answer->set("syntaxeFlux", recorded.syntax);
        if (answers_to_lose > 0) {
            --answers_to_lose;
            lose = true;
        }
    }
    // The flux is received; the client will not know it.
    if (lose) throw emulator::DropConnection();
    return wire::answer(answer);
}

Response ChorusEmulator::State::flux_report(const Request &request, const TechnicalAccount &account) {
    const auto body = wire::body_of(request);
    const auto number = wire::text_field(body, "numeroFluxDepot");
    wire::text_field(body, "syntaxeFlux");  // optional, not needed
    if (!number || number->empty()) refuse(400, wire::kInvalidField, "Le champ numeroFluxDepot est obligatoire");

    std::lock_guard lock(mutex);
    const auto *flux = fluxes.find(*number);
    if (!flux || flux->owner != account.login) {
        // The libelle is the one the reference quotes; whether HTTP 200 or 400 comes with it is not known.
        auto unknown = wire::object();
        unknown->set("codeRetour", wire::kNotFound);
        unknown->set("libelle", "POQ_MSG_01.003 - Flux introuvable.");
        return wire::answer(unknown, options.unknown_flux_as_400 ? 400 : 200);
    }
    const auto phase = fluxes.phase(*flux, clock->now());
    const auto interface = "FSO" + interface_code(flux->syntax) + "A";
    auto answer = wire::success(wire::kTransverseOk);
    answer->set("codeInterfaceDepotFlux", interface);
    answer->set("dateDepotFlux", wire::iso_paris(flux->deposited));
    answer->set("dateHeureEtatCourantFlux", wire::iso_paris(phase.since));
    answer->set("etatCourantDepotFlux", phase.state);
    answer->set("nomFichier", interface + "_CPP001_" + flux->number);
    if (phase.terminal) {
        // Both lists are absent when empty (OCA copes with either).
        if (!flux->outcome.dp_errors.empty()) {
            Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
            for (const auto &e : flux->outcome.dp_errors) list->add(dp_error_json(e));
            answer->set("listeErreurDP", list);
        }
        if (!flux->outcome.technical_errors.empty()) {
            Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
            for (const auto &e : flux->outcome.technical_errors) list->add(technical_error_json(e));
            answer->set("listeErreurTechnique", list);
        }
    }
    return wire::answer(answer);
}

Response ChorusEmulator::State::search_invoices(const Request &request, const TechnicalAccount &account) {
    const auto body = wire::body_of(request);
    const auto flux_number = wire::text_field(body, "numeroFluxDepot");
    const auto invoice_number = wire::text_field(body, "numeroFacture");
    const auto statuses_wanted = string_list(body, "statutCourant");
    const auto from = day_field(body, "periodeDateDepotDu");
    const auto to = day_field(body, "periodeDateDepotAu");
    const auto issued_from = day_field(body, "periodeDateFactureDu");
    const auto issued_to = day_field(body, "periodeDateFactureAu");
    const auto status_from = moment_field(body, "periodeDateHeureEtatCourantDu", false);
    const auto status_to = moment_field(body, "periodeDateHeureEtatCourantAu", true);
    const auto page = wire::page_of(body, {"rechercheFactureParFournisseur"}, kMaxInvoicesPerPage);
    const auto block = wire::object_field(body, "rechercheFactureParFournisseur");
    const bool descending = block && wire::text_field(block, "triSens") == std::optional<std::string>("Descendant");

    std::lock_guard lock(mutex);
    const auto now = clock->now();
    struct Hit {
        const Flux *flux;
        std::string status;
        time_point since;
        std::string comment;
    };
    std::vector<Hit> hits;
    const std::set<std::string> wanted(statuses_wanted.begin(), statuses_wanted.end());
    for (const auto &flux : fluxes.all()) {
        if (flux.owner != account.login || !flux.invoice) continue;
        const auto history = fluxes.statuses(flux, plan_of(flux), now);
        if (history.empty()) continue;  // not integrated yet: Chorus Pro does not know the invoice
        const auto &current = history.front();
        const auto deposited = wire::day(flux.deposited);
        const auto &issued = flux.invoice->data.issue_date;
        if (flux_number && *flux_number != flux.number) continue;
        if (invoice_number && *invoice_number != flux.invoice->data.number) continue;
        if (!wanted.empty() && !wanted.count(current.status)) continue;
        if (from && deposited < *from) continue;
        if (to && deposited > *to) continue;
        if (issued_from && issued < *issued_from) continue;
        if (issued_to && issued > *issued_to) continue;
        if (status_from && current.since < *status_from) continue;
        if (status_to && current.since > *status_to) continue;
        hits.push_back({&flux, current.status, current.since, current.comment});
    }
    if (descending) std::reverse(hits.begin(), hits.end());

    // No hit: Chorus Pro's "no result" (codeRetour 20000 by default). A page past the last of
    // a search that did find invoices is an empty page, not "no result".
    const auto s = wire::slice(page, hits.size());
    if (hits.empty()) return no_result("listeFactures", s.parametres_retour);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (auto i = s.begin; i < s.end; ++i) {
        const auto &flux = *hits[i].flux;
        const auto &invoice = *flux.invoice;
        const auto &data = invoice.data;
        auto item = wire::object();
        item->set("identifiantFactureCPP", invoice.id);
        item->set("numeroFacture", data.number);
        item->set("numeroFluxDepot", flux.number);
        item->set("statut", hits[i].status);
        item->set("dateDepot", wire::day(flux.deposited));
        item->set("dateFacture", data.issue_date);
        item->set("dateHeureEtatCourant", wire::iso_paris(hits[i].since));
        item->set("idDestinataire", invoice.buyer_id);
        item->set("codeDestinataire", data.buyer_siret);
        item->set("designationDestinataire", invoice.buyer_name);
        item->set("idServiceExecutant", invoice.service_id);
        item->set("codeServiceExecutant", data.buyer_reference);
        item->set("nomServiceExecutant", invoice.service_name);
        item->set("idFournisseur", supplier.id);
        item->set("codeFournisseur", data.seller_siret);
        item->set("designationFournisseur", supplier.name);
        item->set("typeIdentifiantFournisseur", "SIRET");
        item->set("montantHT", data.total_without_vat);
        item->set("montantTTC", data.total_with_vat);
        item->set("montantAPayer", data.amount_due);
        item->set("devise", data.currency);
        item->set("typeFacture", type_of_invoice(data.type_code));
        item->set("typeDemandePaiement", "FACTURE");
        item->set("modeDepot", kModeDepot);
        item->set("numeroBonCommande", data.order_reference);
        item->set("numeroMarche", "");
        item->set("commentaireEtatCourant", hits[i].comment);
        item->set("rejetTraite", false);
        list->add(item);
    }
    auto answer = wire::success(wire::kTransverseOk);
    answer->set("listeFactures", list);
    answer->set("parametresRetour", s.parametres_retour);
    return wire::answer(answer);
}

Response ChorusEmulator::State::invoice_history(const Request &request, const TechnicalAccount &account) {
    const auto body = wire::body_of(request);
    const auto id = wire::integer_field(body, "idFacture");
    if (!id) refuse(400, wire::kInvalidField, "Le champ idFacture est obligatoire");

    std::lock_guard lock(mutex);
    const auto now = clock->now();
    for (const auto &flux : fluxes.all()) {
        if (flux.owner != account.login || !flux.invoice || flux.invoice->id != *id) continue;
        const auto history = fluxes.statuses(flux, plan_of(flux), now);
        if (history.empty()) break;  // not integrated yet
        auto answer = wire::success(wire::kGestionOk);
        answer->set("idFacture", flux.invoice->id);
        answer->set("numeroFacture", flux.invoice->data.number);
        answer->set("modeDepot", kModeDepot);
        answer->set("statutCourantCode", history.front().status);
        Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
        for (const auto &entry : history) {
            auto item = wire::object();
            item->set("histoStatutId", entry.id);
            item->set("histoStatutCode", entry.status);
            item->set("histoStatutDatePassage", wire::day_minute(entry.since));
            item->set("histoStatutCommentaire", entry.comment);
            list->add(item);
        }
        auto statuses = wire::object();
        statuses->set("histoStatut", list);
        answer->set("historiquesDesStatuts", statuses);
        return wire::answer(answer);
    }
    refuse(400, wire::kNotFound, "La facture " + std::to_string(*id) + " (champ idFacture) est introuvable");
}

}  // namespace relais::chorus_emulator
