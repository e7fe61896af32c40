// Reading a deposited file as Chorus Pro would, far enough to decide what becomes of the flux.
//
// The EN 16931 business terms the emulator reads, and where each syntax keeps them (elements
// are found by local name: any prefix, any namespace declaration):
//
//   term                        UBL 2.1 Invoice / CreditNote (from the root)
//   BT-1   invoice number       cbc:ID
//   BT-2   issue date           cbc:IssueDate (YYYY-MM-DD)
//   BT-3   type code            cbc:InvoiceTypeCode (cbc:CreditNoteTypeCode)
//   BT-5   currency             cbc:DocumentCurrencyCode
//   BT-10  buyer reference      cbc:BuyerReference
//   BT-13  purchase order       cac:OrderReference/cbc:ID
//   BT-30  seller SIRET         cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID
//   BT-47  buyer SIRET          cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID
//   BT-81  payment means code   cac:PaymentMeans/cbc:PaymentMeansCode
//   BT-109 total without VAT    cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount
//   BT-112 total with VAT       cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount
//   BT-115 amount due           cac:LegalMonetaryTotal/cbc:PayableAmount
//
//   term    CII D16B CrossIndustryInvoice (agreement = rsm:SupplyChainTradeTransaction/
//           ram:ApplicableHeaderTradeAgreement, settlement = .../ram:ApplicableHeaderTradeSettlement)
//   BT-1    rsm:ExchangedDocument/ram:ID
//   BT-2    rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString (format 102, YYYYMMDD)
//   BT-3    rsm:ExchangedDocument/ram:TypeCode
//   BT-5    settlement/ram:InvoiceCurrencyCode
//   BT-10   agreement/ram:BuyerReference
//   BT-13   agreement/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID
//   BT-30   agreement/ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID
//   BT-47   agreement/ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID
//   BT-81   settlement/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode
//   BT-109  settlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxBasisTotalAmount
//   BT-112  .../ram:GrandTotalAmount
//   BT-115  .../ram:DuePayableAmount
//
// Chorus Pro reads BT-10 as the service code (codeServiceExecutant) and BT-13 as the
// commitment number (numero d'engagement).
//
// Assumptions, where the real platform's checks are unknown or too big to copy:
// - The first matching element in document order is taken; nothing is validated against the
//   XSDs or the EN 16931 schematron. The errors raised are the ones a connector must handle:
//   a file that is not XML (or not PDF), a root that is not the declared syntax's, a missing
//   BT-1 or BT-2, an amount that is not a decimal (the reference quotes Chorus Pro's XSD error
//   for "-1 324,60"). Each is one technical error, ERR_XSD_001 / IRRECEVABILITE, whose text is
//   the emulator's, in the style of the reference's examples (French, without accents).
// - The UBL syntaxes (IN_DP_E1_UBL_INVOICE, IN_DP_E2_UBL_INVOICE_MIN, IN_DP_E3_UBL_INVOICE)
//   need an Invoice or CreditNote root; the CII ones (IN_DP_E1_CII_16B, IN_DP_E2_CII_MIN_16B,
//   IN_DP_E2_CII_MIN) a CrossIndustryInvoice root. The namespace URI is not checked.
// - IN_DP_E2_CII_FACTURX: the file must start with "%PDF-". Its CII is found by scanning the
//   PDF's `stream ... endstream` segments, inflating those whose dictionary names
//   /FlateDecode (zlib), and taking the first that contains "CrossIndustryInvoice". Object
//   streams, other filters, encryption and PDF/A-3 conformance are not looked at.
// - The E2 syntaxes' embedded PDF (UBL/CII "MIN") is not required.
// - The CPP, PES and XCBL syntaxes are accepted at deposit but not read: such a flux ends
//   rejected with a technical error saying the emulator does not read them (force_outcome()
//   still decides for them).
#pragma once

#include <optional>
#include <string>

namespace relais::chorus_emulator {

enum class Syntax { ubl, cii, facturx, not_read };

// The family of a syntaxeFlux value of the reference's list; nullopt for any other value.
std::optional<Syntax> syntax_family(const std::string &syntaxe_flux);
// The 4-digit interface code of numeroFluxDepot and of FSO<code>A (the reference gives 1110
// for UBL, 1113 for CPP and 1117 for Factur-X; CII is taken as 1117 too, PES as 1115 and XCBL
// as 1111: unverified).
std::string interface_code(const std::string &syntaxe_flux);

struct InvoiceData {
    Syntax read_as = Syntax::ubl;  // ubl or cii: which element names the messages quote
    std::string number;            // BT-1
    std::string issue_date;        // BT-2, YYYY-MM-DD
    std::string type_code;         // BT-3
    std::string currency;          // BT-5
    std::string buyer_reference;   // BT-10
    std::string order_reference;   // BT-13
    std::string seller_siret;      // BT-30
    std::string buyer_siret;       // BT-47
    std::string payment_means;     // BT-81
    double total_without_vat = 0;  // BT-109
    double total_with_vat = 0;     // BT-112
    double amount_due = 0;         // BT-115
};

struct TechnicalError {
    std::string code = "ERR_XSD_001";       // codeErreur
    std::string nature = "IRRECEVABILITE";  // natureErreur
    std::string label;                      // libelleErreur
};

// Exactly one of the two is set.
struct FileReading {
    std::optional<InvoiceData> invoice;
    std::optional<TechnicalError> error;
};

// Reads `bytes` as a file of `syntaxe_flux` (a value syntax_family knows).
FileReading read_invoice_file(const std::string &bytes, const std::string &syntaxe_flux);

// The CII XML embedded in a Factur-X PDF; nullopt when there is none.
std::optional<std::string> embedded_cii(const std::string &pdf);

}  // namespace relais::chorus_emulator
