#include <relais/support/media_type.hpp>

#include <cstdint>
#include <initializer_list>

namespace relais::support {

namespace {

bool starts_with(std::string_view bytes, std::string_view prefix, std::size_t at = 0) {
    return bytes.size() >= at + prefix.size() && bytes.substr(at, prefix.size()) == prefix;
}

std::uint32_t big_endian_32(std::string_view bytes, std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
    return v;
}

bool is_one_of(std::string_view brand, std::initializer_list<std::string_view> brands) {
    for (const auto b : brands)
        if (brand == b) return true;
    return false;
}

// ISO/IEC 14496-12 file type box: size(4) "ftyp" major_brand(4) minor_version(4)
// compatible_brands(4 each) up to the box's size. HEIF files (ISO/IEC 23008-12) carry the
// brands of their content; AVIF (also HEIF-structured, but AV1) is not one we take.
MediaKind heif_kind(std::string_view bytes) {
    if (!starts_with(bytes, "ftyp", 4) || bytes.size() < 16) return MediaKind::unknown;
    std::size_t box_end = big_endian_32(bytes, 0);
    if (box_end < 16 || box_end % 4 != 0) return MediaKind::unknown;
    if (box_end > bytes.size()) box_end = bytes.size() - bytes.size() % 4;
    bool hevc = false;
    bool structure = false;
    for (std::size_t at = 8; at + 4 <= box_end; at += 4) {
        if (at == 12) continue;  // minor_version, not a brand
        const auto brand = bytes.substr(at, 4);
        if (is_one_of(brand, {"heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs"})) hevc = true;
        if (is_one_of(brand, {"mif1", "msf1"})) structure = true;
    }
    if (hevc) return MediaKind::heic;
    const auto major = bytes.substr(8, 4);
    if (structure && !is_one_of(major, {"avif", "avis"})) return MediaKind::heif;
    return MediaKind::unknown;
}

bool is_xml(std::string_view bytes) {
    std::size_t i = starts_with(bytes, "\xEF\xBB\xBF") ? 3 : 0;
    while (i < bytes.size() && (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\r' || bytes[i] == '\n')) ++i;
    if (i + 1 >= bytes.size() || bytes[i] != '<') return false;
    const auto next = static_cast<unsigned char>(bytes[i + 1]);
    // "<?xml", "<!--", "<!DOCTYPE" or an element's name (which may start with a non-ASCII letter).
    return next == '?' || next == '!' || next == '_' || next == ':' || (next >= 'A' && next <= 'Z') ||
           (next >= 'a' && next <= 'z') || next >= 0x80;
}

MediaKind kind_of(std::string_view b) {
    if (starts_with(b, "%PDF-")) return MediaKind::pdf;
    if (starts_with(b, "\xFF\xD8\xFF")) return MediaKind::jpeg;
    if (starts_with(b, "\x89PNG\r\n\x1A\n")) return MediaKind::png;
    if (starts_with(b, "RIFF") && starts_with(b, "WEBP", 8)) return MediaKind::webp;
    if (starts_with(b, std::string_view("II*\0", 4)) || starts_with(b, std::string_view("MM\0*", 4)) ||
        starts_with(b, std::string_view("II+\0", 4)) || starts_with(b, std::string_view("MM\0+", 4)))
        return MediaKind::tiff;
    if (const auto heif = heif_kind(b); heif != MediaKind::unknown) return heif;
    if (starts_with(b, "PK\x03\x04") || starts_with(b, "PK\x05\x06") || starts_with(b, "PK\x07\x08"))
        return MediaKind::zip;
    if (starts_with(b, "\x1F\x8B")) return MediaKind::gzip;
    if (is_xml(b)) return MediaKind::xml;
    return MediaKind::unknown;
}

}  // namespace

MediaType media_type_of(MediaKind kind) {
    switch (kind) {
    case MediaKind::pdf: return {kind, "application/pdf", ".pdf"};
    case MediaKind::jpeg: return {kind, "image/jpeg", ".jpg"};
    case MediaKind::png: return {kind, "image/png", ".png"};
    case MediaKind::webp: return {kind, "image/webp", ".webp"};
    case MediaKind::tiff: return {kind, "image/tiff", ".tiff"};
    case MediaKind::heic: return {kind, "image/heic", ".heic"};
    case MediaKind::heif: return {kind, "image/heif", ".heif"};
    case MediaKind::xml: return {kind, "application/xml", ".xml"};
    case MediaKind::zip: return {kind, "application/zip", ".zip"};
    case MediaKind::gzip: return {kind, "application/gzip", ".gz"};
    case MediaKind::unknown: break;
    }
    return {};
}

MediaType detect_media_type(std::string_view bytes) { return media_type_of(kind_of(bytes)); }

std::string_view to_string(MediaKind kind) {
    switch (kind) {
    case MediaKind::pdf: return "pdf";
    case MediaKind::jpeg: return "jpeg";
    case MediaKind::png: return "png";
    case MediaKind::webp: return "webp";
    case MediaKind::tiff: return "tiff";
    case MediaKind::heic: return "heic";
    case MediaKind::heif: return "heif";
    case MediaKind::xml: return "xml";
    case MediaKind::zip: return "zip";
    case MediaKind::gzip: return "gzip";
    case MediaKind::unknown: break;
    }
    return "unknown";
}

}  // namespace relais::support
