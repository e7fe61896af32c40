#include "chorus_file.hpp"

#include "chorus_input.hpp"

#include <relais/support/file_input.hpp>
#include <relais/support/media_type.hpp>

#include <Poco/String.h>

#include <map>

namespace relais::chorus {

namespace {

using support::MediaKind;

struct SyntaxInfo {
    const char *extension;  // ".pdf" or ".xml"
    MediaKind content;      // what the file's first bytes must show
};

// syntaxeFlux values seen in maintained clients (reference, section 4.1).
const std::map<std::string, SyntaxInfo> &syntaxes() {
    static const std::map<std::string, SyntaxInfo> known{
        {"IN_DP_E2_CII_FACTURX", {".pdf", MediaKind::pdf}},   {"IN_DP_E1_CII_16B", {".xml", MediaKind::xml}},
        {"IN_DP_E1_UBL_INVOICE", {".xml", MediaKind::xml}},   {"IN_DP_E2_UBL_INVOICE_MIN", {".xml", MediaKind::xml}},
        {"IN_DP_E2_CII_MIN_16B", {".xml", MediaKind::xml}},   {"IN_DP_E2_CPP_FACTURE_MIN", {".xml", MediaKind::xml}},
        {"IN_DP_E1_PES_FACTURE", {".xml", MediaKind::xml}},   {"IN_DP_E2_PES_FACTURE_MIN", {".xml", MediaKind::xml}},
        {"IN_DP_E1_XCBL", {".xml", MediaKind::xml}},          {"IN_DP_E2_CII_MIN", {".xml", MediaKind::xml}},
        {"IN_DP_E3_UBL_INVOICE", {".xml", MediaKind::xml}},
    };
    return known;
}

// A file name Chorus Pro keeps: letters, digits, - _ . only.
std::string safe_name(const std::string &text) {
    std::string out;
    for (const unsigned char c : text) out += std::isalnum(c) || c == '-' || c == '_' || c == '.' ? static_cast<char>(c) : '_';
    return out;
}

}  // namespace

std::string InvoiceFile::base64() const { return support::base64_encode(bytes); }

std::string syntax_flux(const std::string &name) {
    const auto lower = Poco::toLower(name);
    if (lower == "facturx" || lower == "factur-x") return "IN_DP_E2_CII_FACTURX";
    if (lower == "ubl") return "IN_DP_E1_UBL_INVOICE";
    if (lower == "cii") return "IN_DP_E1_CII_16B";
    return syntaxes().count(name) ? name : std::string();
}

InvoiceFile read_invoice_file(const Json &input, const std::string &invoice_number,
                              const std::filesystem::path &file_directory) {
    support::FileInputOptions options;
    options.directory = file_directory;
    options.directory_setting = "file_directory";
    options.max_bytes = kMaxFileBytes;
    // Read before the syntax is looked at, as before: a bad file is the first thing reported.
    auto read = support::read_file_input(input, options);

    InvoiceFile file;
    file.bytes = std::move(read.bytes);
    file.sha256 = std::move(read.sha256);
    const auto syntax_name = text_field(input, "syntax");
    file.syntax = syntax_flux(syntax_name);
    if (file.syntax.empty())
        throw invalid_input("syntax '" + syntax_name + "' is not known: use facturx, ubl, cii or a syntaxeFlux value "
                            "such as IN_DP_E2_UBL_INVOICE_MIN");
    const auto &info = syntaxes().at(file.syntax);

    file.name = read.name.empty() ? safe_name(invoice_number) + info.extension : read.name;
    if (file.name.size() > 200) throw invalid_input("file_name is longer than 200 characters");
    if (!Poco::toLower(file.name).ends_with(info.extension))
        throw invalid_input("file_name " + file.name + " must end with " + info.extension + " for syntax " + file.syntax);
    if (info.content == MediaKind::pdf && read.media_type.kind != MediaKind::pdf)
        throw invalid_input("syntax " + file.syntax + " needs a Factur-X PDF, but the file does not start with %PDF-");
    if (info.content == MediaKind::xml && read.media_type.kind != MediaKind::xml)
        throw invalid_input("syntax " + file.syntax + " needs an XML file, but the file does not start with '<'");
    return file;
}

}  // namespace relais::chorus
