#include "chorus_invoice_file.hpp"

#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/Node.h>
#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/XMLReader.h>
#include <Poco/String.h>

#include <cstdlib>
#include <initializer_list>
#include <map>
#include <regex>
#include <sstream>

namespace relais::chorus_emulator {

namespace {

using Poco::XML::Element;
using Poco::XML::Node;

// A CII inflated out of a PDF is an XML of some kilobytes; more is not an invoice.
constexpr std::size_t kMaxInflated = 32u << 20;

const std::map<std::string, Syntax> &syntaxes() {
    static const std::map<std::string, Syntax> all{
        {"IN_DP_E1_UBL_INVOICE", Syntax::ubl},       {"IN_DP_E2_UBL_INVOICE_MIN", Syntax::ubl},
        {"IN_DP_E3_UBL_INVOICE", Syntax::ubl},       {"IN_DP_E1_CII_16B", Syntax::cii},
        {"IN_DP_E2_CII_MIN_16B", Syntax::cii},       {"IN_DP_E2_CII_MIN", Syntax::cii},
        {"IN_DP_E2_CII_FACTURX", Syntax::facturx},   {"IN_DP_E2_CPP_FACTURE_MIN", Syntax::not_read},
        {"IN_DP_E1_PES_FACTURE", Syntax::not_read},  {"IN_DP_E2_PES_FACTURE_MIN", Syntax::not_read},
        {"IN_DP_E1_XCBL", Syntax::not_read},
    };
    return all;
}

TechnicalError irrecevable(const std::string &why) {
    TechnicalError e;
    e.label = "IRRECEVABILITE: " + why;
    return e;
}

FileReading rejected(const std::string &why) { return {std::nullopt, irrecevable(why)}; }

const Element *child(const Element *parent, const char *local_name) {
    if (!parent) return nullptr;
    for (Node *n = parent->firstChild(); n; n = n->nextSibling())
        if (n->nodeType() == Node::ELEMENT_NODE && n->localName() == local_name) return static_cast<const Element *>(n);
    return nullptr;
}

const Element *descend(const Element *from, std::initializer_list<const char *> path) {
    for (const char *name : path) from = child(from, name);
    return from;
}

std::string text_at(const Element *from, std::initializer_list<const char *> path) {
    const auto *e = descend(from, path);
    return e ? Poco::trim(e->innerText()) : std::string();
}

// xs:decimal, as the XSDs type amounts: an optional sign, digits, an optional fraction.
double decimal_at(const Element *from, std::initializer_list<const char *> path, std::optional<std::string> &bad) {
    const auto text = text_at(from, path);
    if (text.empty()) return 0;
    static const std::regex decimal(R"([+-]?(\d+(\.\d*)?|\.\d+))");
    if (!std::regex_match(text, decimal)) {
        if (!bad) bad = "cvc-datatype-valid.1.2.1: '" + text + "' is not a valid value for 'decimal'.";
        return 0;
    }
    return std::strtod(text.c_str(), nullptr);
}

InvoiceData read_ubl(const Element *root) {
    InvoiceData d;
    d.read_as = Syntax::ubl;
    d.number = text_at(root, {"ID"});
    d.issue_date = text_at(root, {"IssueDate"});
    d.type_code = text_at(root, {root->localName() == "CreditNote" ? "CreditNoteTypeCode" : "InvoiceTypeCode"});
    d.currency = text_at(root, {"DocumentCurrencyCode"});
    d.buyer_reference = text_at(root, {"BuyerReference"});
    d.order_reference = text_at(root, {"OrderReference", "ID"});
    d.seller_siret = text_at(root, {"AccountingSupplierParty", "Party", "PartyLegalEntity", "CompanyID"});
    d.buyer_siret = text_at(root, {"AccountingCustomerParty", "Party", "PartyLegalEntity", "CompanyID"});
    d.payment_means = text_at(root, {"PaymentMeans", "PaymentMeansCode"});
    return d;
}

InvoiceData read_cii(const Element *root) {
    InvoiceData d;
    d.read_as = Syntax::cii;
    const auto *document = child(root, "ExchangedDocument");
    d.number = text_at(document, {"ID"});
    const auto date = text_at(document, {"IssueDateTime", "DateTimeString"});
    // Format 102 is CCYYMMDD; anything else is passed on as written.
    d.issue_date = date.size() == 8 ? date.substr(0, 4) + "-" + date.substr(4, 2) + "-" + date.substr(6, 2) : date;
    d.type_code = text_at(document, {"TypeCode"});
    const auto *transaction = child(root, "SupplyChainTradeTransaction");
    const auto *agreement = child(transaction, "ApplicableHeaderTradeAgreement");
    d.buyer_reference = text_at(agreement, {"BuyerReference"});
    d.seller_siret = text_at(agreement, {"SellerTradeParty", "SpecifiedLegalOrganization", "ID"});
    d.buyer_siret = text_at(agreement, {"BuyerTradeParty", "SpecifiedLegalOrganization", "ID"});
    d.order_reference = text_at(agreement, {"BuyerOrderReferencedDocument", "IssuerAssignedID"});
    const auto *settlement = child(transaction, "ApplicableHeaderTradeSettlement");
    d.currency = text_at(settlement, {"InvoiceCurrencyCode"});
    d.payment_means = text_at(settlement, {"SpecifiedTradeSettlementPaymentMeans", "TypeCode"});
    return d;
}

FileReading read_xml(const std::string &xml, Syntax expected, const std::string &syntaxe_flux) {
    Poco::XML::DOMParser parser;
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
    // No DTD loading, no external entities: a deposited file must not make the emulator fetch.
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
    Poco::AutoPtr<Poco::XML::Document> document;
    try {
        document = parser.parseMemory(xml.data(), xml.size());
    } catch (const Poco::XML::SAXParseException &e) {
        return rejected("le fichier n'est pas un XML bien forme : " + e.message() +
                        " - ligne: " + std::to_string(e.getLineNumber()) +
                        " - position: " + std::to_string(e.getColumnNumber()));
    } catch (const Poco::Exception &e) {
        return rejected("le fichier n'est pas un XML bien forme : " + e.displayText());
    }
    const Element *root = document->documentElement();
    if (!root) return rejected("le fichier ne contient aucun element");
    const auto name = root->localName();
    const bool ubl = name == "Invoice" || name == "CreditNote";
    const bool cii = name == "CrossIndustryInvoice";
    if (expected == Syntax::ubl && !ubl)
        return rejected("l'element racine " + name + " ne correspond pas a la syntaxe " + syntaxe_flux +
                        " (attendu : Invoice ou CreditNote UBL 2.1)");
    if (expected == Syntax::cii && !cii)
        return rejected("l'element racine " + name + " ne correspond pas a la syntaxe " + syntaxe_flux +
                        " (attendu : CrossIndustryInvoice CII D16B)");

    auto data = ubl ? read_ubl(root) : read_cii(root);
    std::optional<std::string> bad_amount;
    if (ubl) {
        const auto *totals = child(root, "LegalMonetaryTotal");
        data.total_without_vat = decimal_at(totals, {"TaxExclusiveAmount"}, bad_amount);
        data.total_with_vat = decimal_at(totals, {"TaxInclusiveAmount"}, bad_amount);
        data.amount_due = decimal_at(totals, {"PayableAmount"}, bad_amount);
    } else {
        const auto *totals = descend(root, {"SupplyChainTradeTransaction", "ApplicableHeaderTradeSettlement",
                                            "SpecifiedTradeSettlementHeaderMonetarySummation"});
        data.total_without_vat = decimal_at(totals, {"TaxBasisTotalAmount"}, bad_amount);
        data.total_with_vat = decimal_at(totals, {"GrandTotalAmount"}, bad_amount);
        data.amount_due = decimal_at(totals, {"DuePayableAmount"}, bad_amount);
    }
    if (bad_amount) return rejected(*bad_amount);
    if (data.number.empty())
        return rejected(ubl ? "l'element " + name + ".ID est obligatoire"
                            : "l'element CrossIndustryInvoice.ExchangedDocument.ID est obligatoire");
    if (data.issue_date.empty())
        return rejected(ubl ? "l'element " + name + ".IssueDate est obligatoire"
                            : "l'element CrossIndustryInvoice.ExchangedDocument.IssueDateTime est obligatoire");
    return {data, std::nullopt};
}

std::optional<std::string> inflate(const std::string &compressed) {
    try {
        std::istringstream in(compressed);
        Poco::InflatingInputStream inflater(in, Poco::InflatingStreamBuf::STREAM_ZLIB);
        std::string out;
        char buffer[16384];
        while (inflater.read(buffer, sizeof(buffer)) || inflater.gcount() > 0) {
            out.append(buffer, static_cast<std::size_t>(inflater.gcount()));
            if (out.size() > kMaxInflated) return std::nullopt;
        }
        return out;
    } catch (const Poco::Exception &) {
        return std::nullopt;  // not zlib data: not the stream we look for
    }
}

}  // namespace

std::optional<Syntax> syntax_family(const std::string &syntaxe_flux) {
    const auto it = syntaxes().find(syntaxe_flux);
    if (it == syntaxes().end()) return std::nullopt;
    return it->second;
}

std::string interface_code(const std::string &syntaxe_flux) {
    if (syntaxe_flux.find("_UBL_") != std::string::npos) return "1110";
    if (syntaxe_flux.find("_CPP_") != std::string::npos) return "1113";
    if (syntaxe_flux.find("_PES_") != std::string::npos) return "1115";
    if (syntaxe_flux.find("_XCBL") != std::string::npos) return "1111";
    return "1117";  // CII and Factur-X
}

std::optional<std::string> embedded_cii(const std::string &pdf) {
    std::size_t at = 0;
    while ((at = pdf.find("stream", at)) != std::string::npos) {
        const auto keyword = at;
        at += 6;
        if (keyword >= 3 && pdf.compare(keyword - 3, 3, "end") == 0) continue;  // "endstream"
        // The stream keyword is followed by CRLF or LF, then the data (PDF 32000, 7.3.8.1).
        auto data = at;
        if (data < pdf.size() && pdf[data] == '\r') ++data;
        if (data >= pdf.size() || pdf[data] != '\n') continue;
        ++data;
        const auto end = pdf.find("endstream", data);
        if (end == std::string::npos) break;
        at = end + 9;
        // The stream's dictionary sits between its "N 0 obj" and the keyword.
        const auto object_start = pdf.rfind("obj", keyword);
        const auto dictionary = pdf.substr(object_start == std::string::npos ? 0 : object_start,
                                           keyword - (object_start == std::string::npos ? 0 : object_start));
        auto content = pdf.substr(data, end - data);
        if (dictionary.find("/FlateDecode") != std::string::npos) {
            auto inflated = inflate(content);
            if (!inflated) continue;
            content = std::move(*inflated);
        }
        if (content.find("CrossIndustryInvoice") != std::string::npos) {
            // The EOL before "endstream" is not part of the data.
            while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
            return content;
        }
    }
    return std::nullopt;
}

FileReading read_invoice_file(const std::string &bytes, const std::string &syntaxe_flux) {
    const auto family = syntax_family(syntaxe_flux).value_or(Syntax::not_read);
    switch (family) {
    case Syntax::ubl:
    case Syntax::cii:
        return read_xml(bytes, family, syntaxe_flux);
    case Syntax::facturx: {
        if (bytes.rfind("%PDF-", 0) != 0)
            return rejected("le fichier n'est pas un PDF (syntaxe " + syntaxe_flux + ")");
        const auto xml = embedded_cii(bytes);
        if (!xml) return rejected("aucun fichier factur-x.xml embarque dans le PDF (no embedded factur-x.xml)");
        return read_xml(*xml, Syntax::cii, syntaxe_flux);
    }
    case Syntax::not_read:
        break;
    }
    TechnicalError e;
    e.code = "ERR_EMULATEUR";
    e.nature = "NON_TRAITE";
    e.label = "L'emulateur ne lit pas la syntaxe " + syntaxe_flux +
              " : seules les syntaxes UBL, CII et Factur-X sont lues (force_outcome() decide pour les autres)";
    return {std::nullopt, e};
}

}  // namespace relais::chorus_emulator
