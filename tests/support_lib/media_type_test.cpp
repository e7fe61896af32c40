// relais/support/media_type.hpp: file types from their first bytes.
#include <relais/support/media_type.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace relais::support;
using namespace std::string_literals;

namespace {

MediaKind kind(const std::string &bytes) { return detect_media_type(bytes).kind; }

// An ISO BMFF "ftyp" box: size, "ftyp", major brand, minor version, compatible brands.
std::string ftyp(const std::string &major, const std::string &compatible) {
    const auto size = static_cast<char>(16 + compatible.size());
    return "\0\0\0"s + size + "ftyp" + major + "\0\0\0\0"s + compatible + "\0\0\0\x10mdat"s;
}

}  // namespace

TEST_CASE("media type: each signature gives its kind, MIME type and extension", "[support][media]") {
    const auto pdf = detect_media_type("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
    CHECK(pdf.kind == MediaKind::pdf);
    CHECK(pdf.mime == "application/pdf");
    CHECK(pdf.extension == ".pdf");
    CHECK(pdf.known());

    const auto jpeg = detect_media_type("\xFF\xD8\xFF\xE0\0\x10JFIF\0"s);
    CHECK(jpeg.kind == MediaKind::jpeg);
    CHECK(jpeg.mime == "image/jpeg");
    CHECK(jpeg.extension == ".jpg");
    CHECK(kind("\xFF\xD8\xFF\xE1\0\x18" "Exif"s) == MediaKind::jpeg);

    CHECK(detect_media_type("\x89PNG\r\n\x1A\n\0\0\0\rIHDR"s).mime == "image/png");
    CHECK(detect_media_type("RIFF\x24\0\0\0WEBPVP8 "s).mime == "image/webp");
    CHECK(detect_media_type("II*\0\x08\0\0\0"s).mime == "image/tiff");
    CHECK(kind("MM\0*\0\0\0\x08"s) == MediaKind::tiff);
    CHECK(kind("II+\0\x08\0\0\0"s) == MediaKind::tiff);  // BigTIFF
    CHECK(detect_media_type("PK\x03\x04\x14\0\0\0"s).mime == "application/zip");
    CHECK(kind("PK\x05\x06"s + std::string(18, '\0')) == MediaKind::zip);  // an empty archive
    CHECK(kind("PK\x07\x08PK\x03\x04"s) == MediaKind::zip);                // spanned
    CHECK(detect_media_type("\x1F\x8B\x08\0\0\0\0\0"s).mime == "application/gzip");
    CHECK(detect_media_type("\x1F\x8B\x08\0\0\0\0\0"s).extension == ".gz");
}

TEST_CASE("media type: HEIC and HEIF from the ftyp box's brands", "[support][media]") {
    const auto heic = detect_media_type(ftyp("heic", "mif1heic"));
    CHECK(heic.kind == MediaKind::heic);
    CHECK(heic.mime == "image/heic");
    CHECK(heic.extension == ".heic");
    CHECK(kind(ftyp("mif1", "mif1heic")) == MediaKind::heic);  // iPhone photos: HEVC in the compatible brands
    CHECK(kind(ftyp("heix", "")) == MediaKind::heic);
    CHECK(kind(ftyp("msf1", "msf1hevc")) == MediaKind::heic);
    CHECK(detect_media_type(ftyp("mif1", "mif1")).mime == "image/heif");
    // AVIF and MP4 have ftyp boxes too, but are not HEIC.
    CHECK(kind(ftyp("avif", "mif1miaf")) == MediaKind::unknown);
    CHECK(kind(ftyp("isom", "isomiso2mp41")) == MediaKind::unknown);
    // The brands are read within the box only; a box too short to have any is not one.
    CHECK(kind("\0\0\0\x0c" "ftypheic"s) == MediaKind::unknown);
    CHECK(kind("\0\0\0\x10" "ftypisom\0\0\0\0heic"s) == MediaKind::unknown);
}

TEST_CASE("media type: XML after an optional BOM and white space", "[support][media]") {
    CHECK(kind("<?xml version=\"1.0\"?><Invoice/>") == MediaKind::xml);
    CHECK(kind("\xEF\xBB\xBF<?xml version=\"1.0\"?>") == MediaKind::xml);
    CHECK(kind("\xEF\xBB\xBF \r\n\t<Invoice xmlns=\"urn:x\"/>") == MediaKind::xml);
    CHECK(kind("<!-- generated --><a/>") == MediaKind::xml);
    CHECK(kind("<rsm:CrossIndustryInvoice/>") == MediaKind::xml);
    CHECK(detect_media_type("<a/>").mime == "application/xml");
    CHECK(kind("<") == MediaKind::unknown);
    CHECK(kind("< a/>") == MediaKind::unknown);
    CHECK(kind("x<a/>") == MediaKind::unknown);
    CHECK(kind("\xEF\xBB") == MediaKind::unknown);
}

TEST_CASE("media type: anything else, and truncated signatures, are unknown", "[support][media]") {
    for (const auto &bytes : {""s, "%PDF"s, "\xFF\xD8"s, "\x89PNG\r\n\x1A"s, "RIFF\0\0\0\0WAVE"s, "II*"s, "PK\x03"s,
                              "\x1F"s, "{\"json\":true}"s, "plain text"s, " %PDF-1.7"s}) {
        const auto type = detect_media_type(bytes);
        CHECK(type.kind == MediaKind::unknown);
        CHECK(type.mime == "application/octet-stream");
        CHECK(type.extension.empty());
        CHECK_FALSE(type.known());
    }
    CHECK(to_string(MediaKind::heic) == "heic");
    CHECK(to_string(MediaKind::unknown) == "unknown");
}
