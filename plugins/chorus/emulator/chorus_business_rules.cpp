#include "chorus_business_rules.hpp"

namespace relais::chorus_emulator {

namespace {

constexpr std::size_t kMaxCommitmentLength = 50;

// Where each term sits, as the messages name it.
struct Tags {
    const char *seller;
    const char *buyer;
    const char *service;
    const char *commitment;
    const char *payment_means;
};

Tags tags_for(Syntax read_as) {
    if (read_as == Syntax::cii)
        return {"SellerTradeParty.SpecifiedLegalOrganization.ID", "BuyerTradeParty.SpecifiedLegalOrganization.ID",
                "ApplicableHeaderTradeAgreement.BuyerReference",
                "ApplicableHeaderTradeAgreement.BuyerOrderReferencedDocument.IssuerAssignedID",
                "FichierXml.SupplyChainTradeTransaction.ApplicableHeaderTradeSettlement."
                "SpecifiedTradeSettlementPaymentMeans.TypeCode.value"};
    return {"AccountingSupplierParty.Party.PartyLegalEntity.CompanyID",
            "AccountingCustomerParty.Party.PartyLegalEntity.CompanyID", "BuyerReference", "OrderReference.ID",
            "FichierXml.PaymentMeans.PaymentMeansCode.value"};
}

}  // namespace

const Structure *find_structure(const std::vector<Structure> &structures, const std::string &siret) {
    for (const auto &s : structures)
        if (s.siret == siret) return &s;
    return nullptr;
}

const Service *find_service(const Structure &structure, const std::string &code) {
    for (const auto &s : structure.services)
        if (s.code == code) return &s;
    return nullptr;
}

std::vector<DpError> business_errors(const InvoiceData &invoice, const Structure &supplier,
                                     const std::vector<Structure> &structures) {
    std::vector<DpError> errors;
    const auto tags = tags_for(invoice.read_as);
    const auto fail = [&](std::string label) {
        errors.push_back({invoice.seller_siret, invoice.buyer_siret, invoice.number, std::move(label)});
    };

    if (invoice.seller_siret != supplier.siret)
        fail(std::string("L'identifiant fournisseur de la demande de paiement (balise : ") + tags.seller + ".value) " +
             "n'est pas reference dans notre systeme. ");

    const auto *buyer = find_structure(structures, invoice.buyer_siret);
    if (!buyer) {
        fail(std::string("L'identifiant destinataire de la demande de paiement (balise : ") + tags.buyer + ".value) " +
             "n'est pas reference dans notre systeme. ");
    } else if (!buyer->is_public) {
        fail("Le destinataire " + buyer->siret + " de la demande de paiement est une structure privee : " +
             "il ne peut pas recevoir de facture par Chorus Pro. ");
    } else {
        const auto &service_code = invoice.buyer_reference;
        const auto &commitment = invoice.order_reference;
        const Service *service = service_code.empty() ? nullptr : find_service(*buyer, service_code);
        if (!service_code.empty() && (!service || !service->active))
            fail("Le code service " + service_code + " (balise : " + tags.service + ") n'existe pas ou n'est pas " +
                 "actif pour le destinataire " + buyer->siret + ". ");
        if (buyer->service_code_required && service_code.empty())
            fail(std::string("Le code service est obligatoire pour le destinataire ") + buyer->siret + " (balise : " +
                 tags.service + "). ");
        if ((buyer->commitment_required || (service && service->commitment_required)) && commitment.empty())
            fail(std::string("Le numero d'engagement est obligatoire pour le destinataire ") + buyer->siret +
                 (service && service->commitment_required ? " et le service " + service->code : std::string()) +
                 " (balise : " + tags.commitment + "). ");
        if (buyer->service_or_commitment && service_code.empty() && commitment.empty())
            fail(std::string("Le code service ou le numero d'engagement est obligatoire pour le destinataire ") +
                 buyer->siret + ". ");
        if (commitment.size() > kMaxCommitmentLength)
            fail("Le numero d'engagement " + commitment + " depasse 50 caracteres. ");
        if (service_code == "FACTURES_PUBLIQUES" && !supplier.is_public)
            fail("Le service FACTURES_PUBLIQUES est reserve aux factures entre structures publiques : il ne peut "
                 "pas etre utilise par un fournisseur prive. ");
    }

    // Credit notes carry no payment means (OCA sends none), so only invoices need one.
    if (invoice.type_code != "381" && invoice.payment_means.empty())
        fail(std::string("L'element ") + tags.payment_means + " est obligatoire");
    return errors;
}

}  // namespace relais::chorus_emulator
