#include <relais/support/document_inspect.hpp>

#include <Poco/InflatingStream.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <sstream>

namespace relais::support {

namespace {

std::string_view without_padding(std::string_view bytes) {
    while (!bytes.empty()) {
        const char c = bytes.back();
        if (c != '\0' && c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
        bytes.remove_suffix(1);
    }
    return bytes;
}

uint32_t be32(std::string_view b, std::size_t at) {
    return (uint32_t(uint8_t(b[at])) << 24) | (uint32_t(uint8_t(b[at + 1])) << 16) | (uint32_t(uint8_t(b[at + 2])) << 8) |
           uint32_t(uint8_t(b[at + 3]));
}

uint32_t le32(std::string_view b, std::size_t at) {
    return uint32_t(uint8_t(b[at])) | (uint32_t(uint8_t(b[at + 1])) << 8) | (uint32_t(uint8_t(b[at + 2])) << 16) |
           (uint32_t(uint8_t(b[at + 3])) << 24);
}

uint16_t tiff16(std::string_view b, std::size_t at, bool little) {
    const auto lo = uint8_t(b[at + (little ? 0 : 1)]), hi = uint8_t(b[at + (little ? 1 : 0)]);
    return uint16_t(lo | (hi << 8));
}

uint32_t tiff32(std::string_view b, std::size_t at, bool little) { return little ? le32(b, at) : be32(b, at); }

// A name token boundary: what may follow "/Page" when it is the whole name.
bool ends_name(std::string_view text, std::size_t at) {
    if (at >= text.size()) return true;
    const char c = text[at];
    return !(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == '#');
}

// Occurrences of "/Type /Page" (any white space, or none, between the two names), not /Pages.
std::size_t count_page_objects(std::string_view text) {
    std::size_t count = 0;
    for (std::size_t at = text.find("/Type"); at != std::string_view::npos; at = text.find("/Type", at + 5)) {
        std::size_t i = at + 5;
        while (i < text.size() && (text[i] == ' ' || text[i] == '\r' || text[i] == '\n' || text[i] == '\t')) ++i;
        if (text.substr(i, 5) == "/Page" && ends_name(text, i + 5)) ++count;
    }
    return count;
}

bool has_name(std::string_view text, std::string_view name) {
    for (std::size_t at = text.find(name); at != std::string_view::npos; at = text.find(name, at + 1))
        if (ends_name(text, at + name.size())) return true;
    return false;
}

// The inflated contents of every stream whose dictionary says /Type /ObjStm and /FlateDecode.
std::string object_streams(std::string_view pdf) {
    std::string out;
    for (std::size_t at = pdf.find("/ObjStm"); at != std::string_view::npos; at = pdf.find("/ObjStm", at + 7)) {
        const auto dict_start = pdf.rfind("obj", at);
        const auto stream = pdf.find("stream", at);
        if (stream == std::string_view::npos) break;
        const auto dict = pdf.substr(dict_start == std::string_view::npos ? 0 : dict_start,
                                     stream - (dict_start == std::string_view::npos ? 0 : dict_start));
        if (dict.find("/FlateDecode") == std::string_view::npos) continue;
        std::size_t data = stream + 6;
        if (data < pdf.size() && pdf[data] == '\r') ++data;
        if (data < pdf.size() && pdf[data] == '\n') ++data;
        const auto end = pdf.find("endstream", data);
        if (end == std::string_view::npos) break;
        try {
            std::istringstream compressed(std::string(pdf.substr(data, end - data)));
            Poco::InflatingInputStream inflate(compressed, Poco::InflatingStreamBuf::STREAM_ZLIB);
            std::string chunk(4096, '\0');
            std::size_t total = 0;
            // Bounded: a compression bomb must not exhaust memory.
            while (inflate && total < (64u << 20)) {
                inflate.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
                const auto n = static_cast<std::size_t>(inflate.gcount());
                if (n == 0) break;
                out.append(chunk.data(), n);
                total += n;
            }
        } catch (const std::exception &) {
            // A stream we cannot inflate holds no page we can count.
        }
        at = end;
    }
    return out;
}

void inspect_pdf(std::string_view bytes, DocumentInfo &info) {
    const auto body = without_padding(bytes);
    const auto tail = body.substr(body.size() > 1024 ? body.size() - 1024 : 0);
    if (tail.find("%%EOF") == std::string_view::npos) info.truncated = "the PDF has no %%EOF marker at its end";
    info.encrypted = has_name(bytes, "/Encrypt");
    info.pages = count_page_objects(bytes);
    if (bytes.find("/ObjStm") != std::string_view::npos) info.pages += count_page_objects(object_streams(bytes));
}

void inspect_jpeg(std::string_view bytes, DocumentInfo &info) {
    const auto body = without_padding(bytes);
    if (body.size() < 4 || uint8_t(body[body.size() - 2]) != 0xFF || uint8_t(body[body.size() - 1]) != 0xD9)
        info.truncated = "the JPEG ends before its end-of-image marker (FF D9)";
    info.pages = 1;
}

void inspect_png(std::string_view bytes, DocumentInfo &info) {
    const auto body = without_padding(bytes);
    const auto tail = body.substr(body.size() > 64 ? body.size() - 64 : 0);
    if (tail.find("IEND") == std::string_view::npos) info.truncated = "the PNG has no IEND chunk at its end";
    info.pages = 1;
}

void inspect_webp(std::string_view bytes, DocumentInfo &info) {
    info.pages = 1;
    if (bytes.size() < 12) {
        info.truncated = "the WEBP file is shorter than its header";
        return;
    }
    const uint64_t declared = uint64_t(le32(bytes, 4)) + 8;
    if (declared > bytes.size())
        info.truncated = "the WEBP file is " + std::to_string(bytes.size()) + " bytes, but its header says " +
                         std::to_string(declared);
}

void inspect_tiff(std::string_view bytes, DocumentInfo &info) {
    if (bytes.size() < 8) {
        info.truncated = "the TIFF file is shorter than its header";
        return;
    }
    const bool little = bytes[0] == 'I';
    if (tiff16(bytes, 2, little) != 42) {  // BigTIFF (43): pages not counted, taken as one
        info.pages = 1;
        return;
    }
    uint64_t ifd = tiff32(bytes, 4, little);
    std::size_t pages = 0;
    while (ifd != 0 && pages < 100000) {
        if (ifd + 2 > bytes.size()) {
            info.truncated = "the TIFF file ends before its image directory " + std::to_string(pages + 1);
            break;
        }
        const uint64_t entries = tiff16(bytes, ifd, little);
        const uint64_t next_at = ifd + 2 + entries * 12;
        if (next_at + 4 > bytes.size()) {
            info.truncated = "the TIFF file ends inside its image directory " + std::to_string(pages + 1);
            break;
        }
        ++pages;
        const uint64_t next = tiff32(bytes, next_at, little);
        if (next <= ifd) break;  // a loop or a backwards chain: stop counting
        ifd = next;
    }
    info.pages = std::max<std::size_t>(pages, 1);
}

void inspect_heif(std::string_view bytes, DocumentInfo &info) {
    info.pages = 1;
    uint64_t at = 0;
    while (at < bytes.size()) {
        if (at + 8 > bytes.size()) {
            info.truncated = "the HEIC file ends inside a box header";
            return;
        }
        uint64_t size = be32(bytes, at);
        if (size == 1) {
            if (at + 16 > bytes.size()) {
                info.truncated = "the HEIC file ends inside a box header";
                return;
            }
            size = (uint64_t(be32(bytes, at + 8)) << 32) | be32(bytes, at + 12);
        } else if (size == 0) {
            return;  // the last box runs to the end of the file
        }
        if (size < 8 || at + size > bytes.size()) {
            const auto type = std::string(bytes.substr(at + 4, 4));
            info.truncated = "the HEIC file ends inside its '" + type + "' box";
            return;
        }
        at += size;
    }
}

}  // namespace

DocumentInfo inspect_document(std::string_view bytes) {
    DocumentInfo info;
    info.media_type = detect_media_type(bytes);
    switch (info.media_type.kind) {
    case MediaKind::pdf: inspect_pdf(bytes, info); break;
    case MediaKind::jpeg: inspect_jpeg(bytes, info); break;
    case MediaKind::png: inspect_png(bytes, info); break;
    case MediaKind::webp: inspect_webp(bytes, info); break;
    case MediaKind::tiff: inspect_tiff(bytes, info); break;
    case MediaKind::heic:
    case MediaKind::heif: inspect_heif(bytes, info); break;
    default: break;
    }
    return info;
}

std::string leading_bytes_hex(std::string_view bytes, std::size_t count) {
    std::string out;
    char hex[4];
    for (std::size_t i = 0; i < std::min(count, bytes.size()); ++i) {
        std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned>(static_cast<unsigned char>(bytes[i])));
        if (!out.empty()) out += ' ';
        out += hex;
    }
    return out;
}

}  // namespace relais::support
