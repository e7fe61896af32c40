// relais/support/multipart.hpp's encoder, read back by the emulators' strict multipart reader
// (tests/emulator/multipart.hpp), and that reader's refusals.
#include "emulator_server.hpp"
#include "multipart.hpp"

#include <relais/support/bytes.hpp>
#include <relais/support/http_client.hpp>
#include <relais/support/multipart.hpp>

#include <catch2/catch.hpp>

#include <functional>

using namespace relais::support;
using namespace relais::emulator;
using namespace std::string_literals;

namespace {

// Bytes that would trip a careless reader: CRLF, "--", a near-boundary, NUL and high bytes.
std::string tricky_bytes() {
    std::string bytes = "\xFF\xD8\xFF\xE0\r\n--\r\n--relais-\r\n\r\n\0--"s;
    for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
    return bytes + "\r\n";
}

// The HttpError message a parse throws; fails the test when it throws none.
std::string refusal(const std::string &content_type, const std::string &body, const MultipartLimits &limits = {}) {
    try {
        parse_multipart(content_type, body, limits);
    } catch (const HttpError &e) {
        CHECK(e.response().status == 400);
        CHECK_THAT(e.response().body, Catch::Contains("invalid_multipart"));
        return e.response().body;
    }
    FAIL("accepted: " << body);
    return {};
}

const std::string kType = "multipart/form-data; boundary=XyZ";

std::string part(const std::string &headers, const std::string &content) {
    return "--XyZ\r\n" + headers + "\r\n\r\n" + content + "\r\n";
}

}  // namespace

TEST_CASE("multipart: fields and files round-trip through the encoder and the reader", "[support][multipart]") {
    const auto photo = tricky_bytes();
    Multipart form;
    form.field("language", "fr").file("document", "reçu 2026.jpg", "image/jpeg", photo).field("empty", "");
    form.file("raw", "", "", "x");
    const auto encoded = form.encode();
    CHECK(encoded.content_type == "multipart/form-data; boundary=" + encoded.boundary);
    CHECK(encoded.body.find(encoded.boundary) != std::string::npos);
    CHECK(photo.find(encoded.boundary) == std::string::npos);

    const auto read = parse_multipart(encoded.content_type, encoded.body);
    REQUIRE(read.parts.size() == 4);
    CHECK(read.parts[0].name == "language");
    CHECK(read.parts[0].content == "fr");
    CHECK_FALSE(read.parts[0].filename.has_value());
    CHECK(read.parts[0].content_type.empty());
    const auto *document = read.find("document");
    REQUIRE(document);
    CHECK(document->filename == std::optional<std::string>("reçu 2026.jpg"));
    CHECK(document->content_type == "image/jpeg");
    CHECK(document->content == photo);
    CHECK(sha256_hex(document->content) == sha256_hex(photo));
    CHECK(read.field("empty") == std::optional<std::string>(""));
    CHECK(read.parts[3].filename == std::optional<std::string>(""));
    CHECK(read.parts[3].content_type == "application/octet-stream");
    CHECK_FALSE(read.field("absent").has_value());
}

TEST_CASE("multipart: quotes and line breaks in names are escaped, and read back", "[support][multipart]") {
    Multipart form;
    form.file("a\"b", "evil\"; name=\"x\r\nContent-Type: text/html.pdf", "application/pdf", "%PDF-");
    const auto encoded = form.encode("B0undary");
    CHECK(encoded.body.find("name=\"a%22b\"; filename=\"evil%22; name=%22x%0D%0AContent-Type: text/html.pdf\"") !=
          std::string::npos);
    const auto read = parse_multipart(encoded.content_type, encoded.body);
    REQUIRE(read.parts.size() == 1);
    CHECK(read.parts[0].name == "a\"b");
    CHECK(read.parts[0].filename == std::optional<std::string>("evil\"; name=\"x\r\nContent-Type: text/html.pdf"));
    CHECK(read.parts[0].content_type == "application/pdf");
    // A backslash is a character of a file name (Windows paths), not an escape.
    CHECK(parse_multipart(kType, part("Content-Disposition: form-data; name=\"f\"; filename=\"C:\\x\\\"", "1") + "--XyZ--")
              .parts[0]
              .filename == std::optional<std::string>("C:\\x\\"));
}

TEST_CASE("multipart: the encoder's boundaries are checked", "[support][multipart]") {
    Multipart form;
    CHECK_THROWS_AS(form.encode(), std::logic_error);  // no part
    form.field("text", "a --B0undary inside");
    CHECK_THROWS_AS(form.encode("B0undary"), std::invalid_argument);
    CHECK_THROWS_AS(form.encode(""), std::invalid_argument);
    CHECK_THROWS_AS(form.encode(std::string(71, 'a')), std::invalid_argument);
    CHECK_THROWS_AS(form.encode("ends with space "), std::invalid_argument);
    CHECK_THROWS_AS(form.encode("semi;colon"), std::invalid_argument);
    CHECK_THROWS_AS(Multipart().file("f", "f.pdf", "application/pdf\r\nX-Evil: 1", "x"), std::invalid_argument);
    // A boundary with characters outside a token goes quoted in the Content-Type.
    const auto spaced = form.encode("a b:c");
    CHECK(spaced.content_type == "multipart/form-data; boundary=\"a b:c\"");
    CHECK(parse_multipart(spaced.content_type, spaced.body).field("text") == std::optional<std::string>("a --B0undary inside"));
    // Two encodings pick different boundaries.
    CHECK(form.encode().boundary != form.encode().boundary);
}

TEST_CASE("multipart: the reader takes what RFC 2046 allows around the parts", "[support][multipart]") {
    const auto body = part("Content-Disposition: form-data; name=a", "1");
    // A preamble, transport padding after a delimiter, an epilogue, header names in any case,
    // other headers ignored.
    const auto read = parse_multipart(
        "Multipart/Form-Data ; boundary=\"XyZ\"",
        "preamble\r\n--XyZ  \r\ncontent-disposition: Form-Data; name=\"a\"\r\nX-Other: y\r\n\r\n1\r\n--XyZ-- \r\nepilogue");
    CHECK(read.field("a") == std::optional<std::string>("1"));
    CHECK(read.parts[0].headers.size() == 2);
    // The escapes read the same in a token as in a quoted string.
    CHECK(parse_multipart(kType, part("Content-Disposition: form-data; name=a%22b", "1") + "--XyZ--").parts[0].name ==
          "a\"b");
    CHECK(parse_multipart(kType, body + "--XyZ--").field("a") == std::optional<std::string>("1"));
}

TEST_CASE("multipart: malformed bodies are refused with 400 and a reason", "[support][multipart]") {
    const auto a = part("Content-Disposition: form-data; name=\"a\"", "1");
    CHECK_THAT(refusal("application/json", a + "--XyZ--"), Catch::Contains("not multipart/form-data"));
    CHECK_THAT(refusal("multipart/form-data", a + "--XyZ--"), Catch::Contains("no boundary"));
    CHECK_THAT(refusal("multipart/form-data; boundary=", a), Catch::Contains("boundary"));
    CHECK_THAT(refusal("multipart/form-data; boundary=\"" + std::string(71, 'x') + "\"", a), Catch::Contains("70"));
    CHECK_THAT(refusal("multipart/form-data; boundary=a; boundary=b", a), Catch::Contains("twice"));
    CHECK_THAT(refusal(kType, a), Catch::Contains("closing"));                          // no closing delimiter
    CHECK_THAT(refusal(kType, a + "--XyZ"), Catch::Contains("not followed by CRLF"));  // cut
    CHECK_THAT(refusal(kType, "--XyZ--\r\n"), Catch::Contains("no part"));
    CHECK_THAT(refusal(kType, "no delimiter at all"), Catch::Contains("no delimiter"));
    CHECK_THAT(refusal(kType, a + "--XyZ--junk"), Catch::Contains("closing delimiter"));
    // LF alone is not a delimiter's line break.
    CHECK_THAT(refusal(kType, "--XyZ\nContent-Disposition: form-data; name=a\n\n1\n--XyZ--"), Catch::Contains("CRLF"));
    // The boundary inside a part's content.
    CHECK_THAT(refusal(kType, part("Content-Disposition: form-data; name=a", "x\r\n--XyZabc") + "--XyZ--"),
               Catch::Contains("CRLF"));
    CHECK_THAT(refusal(kType, part("Content-Type: text/plain", "1") + "--XyZ--"), Catch::Contains("no Content-Disposition"));
    CHECK_THAT(refusal(kType, part("Content-Disposition: attachment; name=a", "1") + "--XyZ--"),
               Catch::Contains("not form-data"));
    CHECK_THAT(refusal(kType, part("Content-Disposition: form-data; filename=a", "1") + "--XyZ--"),
               Catch::Contains("no name"));
    CHECK_THAT(refusal(kType, part("Content-Disposition: form-data; name=\"a", "1") + "--XyZ--"),
               Catch::Contains("not closed"));
    CHECK_THAT(refusal(kType, part("Content-Disposition: form-data; name=a; name=b", "1") + "--XyZ--"),
               Catch::Contains("twice"));
    CHECK_THAT(refusal(kType, part("Content-Disposition: form-data; name=a; filename*=UTF-8''x", "1") + "--XyZ--"),
               Catch::Contains("filename*"));
    CHECK_THAT(refusal(kType, part("Content-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b", "1") +
                                  "--XyZ--"),
               Catch::Contains("two Content-Disposition"));
    CHECK_THAT(refusal(kType, part("Content-Disposition: form-data;\r\n name=a", "1") + "--XyZ--"),
               Catch::Contains("folded"));
    CHECK_THAT(refusal(kType, part("Content-Disposition form-data", "1") + "--XyZ--"), Catch::Contains("no ':'"));
    CHECK_THAT(refusal(kType, part("Content-Disposition : form-data; name=a", "1") + "--XyZ--"),
               Catch::Contains("not a token"));
    CHECK_THAT(refusal(kType, "--XyZ\r\nContent-Disposition: form-data; name=a"), Catch::Contains("empty line"));
    // Without the empty line, the content is taken for a header.
    CHECK_THAT(refusal(kType, "--XyZ\r\nContent-Disposition: form-data; name=a\r\n1\r\n--XyZ--"),
               Catch::Contains("no ':'"));
}

TEST_CASE("multipart: the reader's caps on parts, part size and headers", "[support][multipart]") {
    MultipartLimits limits;
    limits.max_parts = 2;
    limits.max_part_bytes = 10;
    limits.max_header_bytes = 64;
    const auto a = part("Content-Disposition: form-data; name=a", "0123456789");
    CHECK(parse_multipart(kType, a + a + "--XyZ--", limits).parts.size() == 2);
    CHECK_THAT(refusal(kType, a + a + a + "--XyZ--", limits), Catch::Contains("more than 2 parts"));
    CHECK_THAT(refusal(kType, part("Content-Disposition: form-data; name=a", "0123456789X") + "--XyZ--", limits),
               Catch::Contains("larger than 10 bytes"));
    CHECK_THAT(refusal(kType, part("Content-Disposition: form-data; name=a\r\nX: " + std::string(60, 'y'), "1") + "--XyZ--",
                       limits),
               Catch::Contains("exceed 64 bytes"));
    CHECK_THAT(refusal(kType, "--XyZ\r\nContent-Disposition: form-data; name=" + std::string(10000, 'a'), limits),
               Catch::Contains("exceed 64 bytes"));
}

TEST_CASE("multipart: HttpRequest::multipart sends the body an emulator handler reads", "[support][multipart]") {
    EmulatorServer server;
    server.route("POST", "/documents", [](const Request &r) {
        const auto form = r.multipart();
        const auto *file = form.find("document");
        if (!file || !file->filename) return error_response(400, "no_file", "no document part");
        Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
        o->set("filename", *file->filename);
        o->set("type", file->content_type);
        o->set("sha256", sha256_hex(file->content));
        o->set("language", form.field("language").value_or(""));
        return Response::json(200, o);
    });
    server.route("POST", "/json", [](const Request &r) {
        r.multipart();
        return Response::json(200, "{}");
    });
    server.start();

    const auto photo = tricky_bytes();
    Multipart form;
    form.field("language", "fr").file("document", "receipt.jpg", "image/jpeg", photo);
    auto request = HttpRequest::post(server.base_url() + "/documents").multipart(form);
    CHECK_THAT(request.content_type, Catch::StartsWith("multipart/form-data; boundary=relais-"));
    HttpClient http;
    const auto answer = http.send(request);
    REQUIRE(answer.status == 200);
    const auto body = answer.json();
    CHECK(body->getValue<std::string>("filename") == "receipt.jpg");
    CHECK(body->getValue<std::string>("type") == "image/jpeg");
    CHECK(body->getValue<std::string>("sha256") == sha256_hex(photo));
    CHECK(body->getValue<std::string>("language") == "fr");

    // A handler asking for a multipart body of a JSON request answers 400 by itself.
    const auto refused = http.send(HttpRequest::post(server.base_url() + "/json").json(relais::Json(new Poco::JSON::Object)));
    CHECK(refused.status == 400);
    CHECK_THAT(refused.body, Catch::Contains("not multipart/form-data"));
}
