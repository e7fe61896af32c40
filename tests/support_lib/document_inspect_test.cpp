// The SDK's look at a document before it is uploaded: whole or cut, encrypted, its pages; and
// French company numbers found on it.
#include <relais/support/company_ids.hpp>
#include <relais/support/document_inspect.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace relais::support;
using namespace std::string_literals;

namespace {

std::string le32(uint32_t v) { return {char(v), char(v >> 8), char(v >> 16), char(v >> 24)}; }
std::string be32(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

// A little-endian TIFF with `pages` image directories of one entry each, chained.
std::string tiff(int pages) {
    std::string t = "II*\0"s + le32(8);
    for (int p = 0; p < pages; ++p) {
        const auto at = static_cast<uint32_t>(t.size());
        t += "\x01\x00"s;                                   // one entry
        t += "\x00\x01\x03\x00"s + le32(1) + le32(16);     // ImageWidth SHORT 1 = 16
        t += le32(p + 1 < pages ? at + 18 : 0);             // next IFD
    }
    return t;
}

std::string box(const std::string &type, const std::string &payload) {
    return be32(static_cast<uint32_t>(8 + payload.size())) + type + payload;
}

}  // namespace

TEST_CASE("document_inspect: TIFF pages follow the directory chain, a cut chain is a cut file", "[kit][document]") {
    CHECK(inspect_document(tiff(1)).pages == 1);
    const auto three = inspect_document(tiff(3));
    CHECK(three.media_type.kind == MediaKind::tiff);
    CHECK(three.pages == 3);
    CHECK(three.truncated.empty());
    const auto t = tiff(3);
    CHECK_FALSE(inspect_document(t.substr(0, t.size() - 10)).truncated.empty());
}

TEST_CASE("document_inspect: WEBP and HEIC are whole when their headers say so", "[kit][document]") {
    const std::string webp = "RIFF" + le32(12) + "WEBPVP8 " + le32(0);
    CHECK(inspect_document(webp).media_type.kind == MediaKind::webp);
    CHECK(inspect_document(webp).truncated.empty());
    CHECK_FALSE(inspect_document(webp.substr(0, 14)).truncated.empty());

    const auto heic = box("ftyp", "heic\0\0\0\0mif1heic"s) + box("meta", std::string(20, '\0')) + box("mdat", std::string(64, 'x'));
    const auto info = inspect_document(heic);
    CHECK(info.media_type.kind == MediaKind::heic);
    CHECK(info.truncated.empty());
    CHECK(info.pages == 1);
    CHECK_THAT(inspect_document(heic.substr(0, heic.size() - 5)).truncated, Catch::Contains("mdat"));
}

TEST_CASE("document_inspect: PDF pages are /Type /Page objects, never /Pages, /Encrypt is seen", "[kit][document]") {
    const std::string pdf = "%PDF-1.4\n1 0 obj <</Type/Pages/Count 2>> endobj\n2 0 obj <</Type /Page>> endobj\n"
                            "3 0 obj <</Type\n/Page /Parent 1 0 R>> endobj\ntrailer <</Root 9 0 R>>\n%%EOF\n";
    const auto info = inspect_document(pdf);
    CHECK(info.pages == 2);
    CHECK_FALSE(info.encrypted);
    CHECK(info.truncated.empty());
    CHECK(inspect_document(pdf + "trailer <</Encrypt 5 0 R>>\n%%EOF").encrypted);
    // /EncryptMetadata alone is no encryption dictionary
    CHECK_FALSE(inspect_document("%PDF-1.7\n<</EncryptMetadata false>>\n%%EOF").encrypted);
    CHECK(inspect_document("%PDF-1.4\n2 0 obj <</Type /Page>>").truncated.find("%%EOF") != std::string::npos);
    CHECK(leading_bytes_hex("%PDF") == "25 50 44 46");
}

TEST_CASE("company_ids: French VAT numbers are checked by their key and give their SIREN", "[kit][company]") {
    CHECK(parse_french_vat("FR44732829320") == "FR44732829320");
    CHECK(parse_french_vat("fr 44 732 829 320") == "FR44732829320");
    CHECK(siren_of_vat("FR44732829320") == "732829320");
    CHECK_FALSE(parse_french_vat("FR45732829320"));  // wrong key
    CHECK_FALSE(parse_french_vat("FR44732829321"));  // SIREN fails Luhn
    CHECK_FALSE(parse_french_vat("DE44732829320"));
    CHECK_FALSE(parse_french_vat("FR 11 111 111 111"));
    CHECK(parse_french_vat("FRA1732829320"));  // a key with a letter cannot be checked here: taken
}
