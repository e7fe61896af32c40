#include "chorus_file.hpp"

#include "chorus_input.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <Poco/String.h>

#include <fstream>
#include <map>
#include <sstream>

namespace relais::chorus {

namespace {

struct SyntaxInfo {
    const char *extension;  // ".pdf" or ".xml"
    const char *content;    // "pdf" or "xml"
};

// syntaxeFlux values seen in maintained clients (reference, section 4.1).
const std::map<std::string, SyntaxInfo> &syntaxes() {
    static const std::map<std::string, SyntaxInfo> known{
        {"IN_DP_E2_CII_FACTURX", {".pdf", "pdf"}},    {"IN_DP_E1_CII_16B", {".xml", "xml"}},
        {"IN_DP_E1_UBL_INVOICE", {".xml", "xml"}},    {"IN_DP_E2_UBL_INVOICE_MIN", {".xml", "xml"}},
        {"IN_DP_E2_CII_MIN_16B", {".xml", "xml"}},    {"IN_DP_E2_CPP_FACTURE_MIN", {".xml", "xml"}},
        {"IN_DP_E1_PES_FACTURE", {".xml", "xml"}},    {"IN_DP_E2_PES_FACTURE_MIN", {".xml", "xml"}},
        {"IN_DP_E1_XCBL", {".xml", "xml"}},           {"IN_DP_E2_CII_MIN", {".xml", "xml"}},
        {"IN_DP_E3_UBL_INVOICE", {".xml", "xml"}},
    };
    return known;
}

std::string decode_base64(const std::string &text) {
    for (const unsigned char c : text)
        if (!(std::isalnum(c) || c == '+' || c == '/' || c == '=' || std::isspace(c)))
            throw invalid_input("file_base64 is not base64: it holds the character '" + std::string(1, static_cast<char>(c)) + "'");
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in);
    std::string bytes;
    try {
        bytes.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
    } catch (const Poco::Exception &e) {
        throw invalid_input("file_base64 is not base64: " + e.displayText());
    }
    return bytes;
}

std::string read_file(const std::string &path_text, const std::filesystem::path &directory) {
    if (directory.empty())
        throw invalid_config("file_path needs the file_directory setting (the directory invoice files may be read "
                             "from); send the file as file_base64 instead");
    std::error_code ec;
    const auto root = std::filesystem::weakly_canonical(directory, ec);
    const auto path = std::filesystem::weakly_canonical(directory / path_text, ec);
    const auto relative = path.lexically_relative(root);
    if (ec || relative.empty() || *relative.begin() == "..")
        throw invalid_input("file_path " + path_text + " is outside file_directory " + directory.string());
    std::ifstream in(path, std::ios::binary);
    if (!in) throw invalid_input("file_path " + path_text + " cannot be read (" + path.string() + ")");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return bytes;
}

// A file name Chorus Pro keeps: letters, digits, - _ . only.
std::string safe_name(const std::string &text) {
    std::string out;
    for (const unsigned char c : text) out += std::isalnum(c) || c == '-' || c == '_' || c == '.' ? static_cast<char>(c) : '_';
    return out;
}

bool looks_like_xml(const std::string &bytes) {
    std::size_t i = bytes.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
    while (i < bytes.size() && std::isspace(static_cast<unsigned char>(bytes[i]))) ++i;
    return i < bytes.size() && bytes[i] == '<';
}

}  // namespace

std::string InvoiceFile::base64() const {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    encoder.close();
    return out.str();
}

std::string syntax_flux(const std::string &name) {
    const auto lower = Poco::toLower(name);
    if (lower == "facturx" || lower == "factur-x") return "IN_DP_E2_CII_FACTURX";
    if (lower == "ubl") return "IN_DP_E1_UBL_INVOICE";
    if (lower == "cii") return "IN_DP_E1_CII_16B";
    return syntaxes().count(name) ? name : std::string();
}

std::string sha256_hex(const std::string &bytes) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(bytes.data(), static_cast<unsigned>(bytes.size()));
    return Poco::DigestEngine::digestToHex(engine.digest());
}

InvoiceFile read_invoice_file(const Json &input, const std::string &invoice_number,
                              const std::filesystem::path &file_directory) {
    InvoiceFile file;
    const auto inline_file = text_field(input, "file_base64");
    const auto path = text_field(input, "file_path");
    if (inline_file.empty() == path.empty())
        throw invalid_input("give the invoice file as exactly one of file_base64 or file_path");
    file.bytes = path.empty() ? decode_base64(inline_file) : read_file(path, file_directory);
    if (file.bytes.empty()) throw invalid_input(std::string(path.empty() ? "file_base64" : "file_path") + ": the file is empty");
    if (file.bytes.size() > kMaxFileBytes)
        throw invalid_input("the file is " + std::to_string(file.bytes.size()) + " bytes; Chorus Pro takes 10 MB at most");

    const auto syntax_name = text_field(input, "syntax");
    file.syntax = syntax_flux(syntax_name);
    if (file.syntax.empty())
        throw invalid_input("syntax '" + syntax_name + "' is not known: use facturx, ubl, cii or a syntaxeFlux value "
                            "such as IN_DP_E2_UBL_INVOICE_MIN");
    const auto &info = syntaxes().at(file.syntax);

    file.name = text_field(input, "file_name");
    if (file.name.empty())
        file.name = path.empty() ? safe_name(invoice_number) + info.extension : std::filesystem::path(path).filename().string();
    if (file.name.size() > 200) throw invalid_input("file_name is longer than 200 characters");
    if (!Poco::toLower(file.name).ends_with(info.extension))
        throw invalid_input("file_name " + file.name + " must end with " + info.extension + " for syntax " + file.syntax);
    if (std::string(info.content) == "pdf" && !file.bytes.starts_with("%PDF-"))
        throw invalid_input("syntax " + file.syntax + " needs a Factur-X PDF, but the file does not start with %PDF-");
    if (std::string(info.content) == "xml" && !looks_like_xml(file.bytes))
        throw invalid_input("syntax " + file.syntax + " needs an XML file, but the file does not start with '<'");
    file.sha256 = sha256_hex(file.bytes);
    return file;
}

}  // namespace relais::chorus
