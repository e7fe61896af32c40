// The invoice file of a submit_invoice input, checked locally before any quota is spent:
// given inline (file_base64) or by path (file_path, only under the file_directory setting, so
// an API client cannot make the host send any file it can read), not empty, at most 10 MB,
// with the extension and the first bytes its syntax needs. Decoding, confinement, size cap and
// type detection are the SDK's (relais/support/file_input.hpp); the rules here are Chorus Pro's.
//
// Syntaxes: the short names map to the syntaxeFlux values maintained clients use
//   facturx → IN_DP_E2_CII_FACTURX (.pdf)   ubl → IN_DP_E1_UBL_INVOICE (.xml)
//   cii     → IN_DP_E1_CII_16B (.xml)
// and any syntaxeFlux of the reference's table is accepted as is.
#pragma once

#include <relais/plugin.hpp>
#include <relais/support/bytes.hpp>

#include <cstddef>
#include <filesystem>
#include <string>

namespace relais::chorus {

constexpr std::size_t kMaxFileBytes = 10u << 20;

struct InvoiceFile {
    std::string bytes;
    std::string name;     // nomFichier
    std::string syntax;   // syntaxeFlux
    std::string sha256;   // hex, of the bytes
    std::string base64() const;
};

// Reads the file fields of `input` (file_base64 | file_path, file_name, syntax). Throws
// invalid_input naming the field; invalid_config when file_path is used without a
// file_directory setting.
InvoiceFile read_invoice_file(const Json &input, const std::string &invoice_number,
                              const std::filesystem::path &file_directory);

// The syntaxeFlux for a short name or a syntaxeFlux; "" when unknown.
std::string syntax_flux(const std::string &name);

using relais::support::sha256_hex;

}  // namespace relais::chorus
