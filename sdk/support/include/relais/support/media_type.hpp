// relais/support/media_type.hpp: what a file is, from its first bytes rather than from its
// name: a client may call a photo receipt.pdf, and an API that gets a JPEG labelled PDF
// refuses it with a message less clear than ours.
#pragma once

#include <string_view>

namespace relais::support {

enum class MediaKind { unknown, pdf, jpeg, png, webp, tiff, heic, heif, xml, zip, gzip };

struct MediaType {
    MediaKind kind = MediaKind::unknown;
    std::string_view mime = "application/octet-stream";
    std::string_view extension;  // with its dot (".pdf"), "" when unknown

    bool known() const { return kind != MediaKind::unknown; }
};

// Recognises, from the signature at the start of `bytes`:
//   PDF  "%PDF-"                 JPEG FF D8 FF             PNG  89 "PNG" 0D 0A 1A 0A
//   WEBP "RIFF" size "WEBP"      TIFF "II*\0", "MM\0*" (and BigTIFF "II+\0", "MM\0+")
//   HEIC/HEIF an ISO BMFF "ftyp" box whose brands name HEVC images (heic, heix, hevc, ...:
//        HEIC) or only the HEIF image structure (mif1, msf1: HEIF)
//   XML  an optional UTF-8 BOM, white space, then '<' opening a declaration, a comment or an
//        element            ZIP  "PK" 03 04 (and 05 06 empty, 07 08 spanned)   gzip 1F 8B
// and answers MediaKind::unknown otherwise.
MediaType detect_media_type(std::string_view bytes);

// The description of a kind: its MIME type and usual extension.
MediaType media_type_of(MediaKind kind);

// "pdf", "jpeg", ...: for messages.
std::string_view to_string(MediaKind kind);

}  // namespace relais::support
