// relais/support/document_inspect.hpp: what an uploaded document is, looked at locally before
// it is sent anywhere: its type (from its first bytes), whether it is whole, whether it is an
// encrypted PDF, and how many pages it has. OCR and e-signature APIs bill or refuse by page and
// answer a cut or locked file with a vague error after the upload; checked here, the caller
// learns at once what is wrong, and no quota or page is spent.
//
// Whole: JPEG ends with its EOI marker (FF D9); PNG has its IEND chunk; PDF has "%%EOF" in its
// last 1 KiB; WEBP is as long as its RIFF header says; TIFF's first IFD lies inside the file;
// HEIC/HEIF's top-level boxes all fit in the file. Trailing NUL or white-space padding, which
// some scanners and mail gateways add, is tolerated.
//
// Pages: 1 for JPEG, PNG, WEBP and HEIC (Mindee reads them as one page); a TIFF's IFD chain;
// a PDF's page objects (/Type /Page), including those inside compressed object streams
// (PDF 1.5+), which is where modern writers put them.
#pragma once

#include <relais/support/media_type.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace relais::support {

struct DocumentInfo {
    MediaType media_type;
    std::size_t pages = 0;  // 0 when it could not be counted (a PDF whose page tree is unreadable)
    bool encrypted = false;  // a PDF with an /Encrypt dictionary (password or permissions)
    // Why the file is not whole ("the JPEG ends before its end-of-image marker"), empty if it is.
    std::string truncated;
};

// Looks at `bytes`; never throws for any content.
DocumentInfo inspect_document(std::string_view bytes);

// The first bytes of a file as hex ("25 50 44 46"), for messages about an unknown type.
std::string leading_bytes_hex(std::string_view bytes, std::size_t count = 8);

}  // namespace relais::support
