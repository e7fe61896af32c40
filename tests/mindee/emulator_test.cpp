// The Mindee emulator on its own, over HTTPS with raw requests trusting a test CA: each
// version's key check, the strict multipart reader, file types and limits, the receipt
// convention read back field by field in v1's and v2's shapes, asynchronous jobs on a manual
// clock, model search, every injected failure, the sliding rate limits, signed webhooks to a
// local receiver, and the bodies' key sets against the recorded answers of the shared
// reference (read there at run time, never copied).
#include "temp_dir.hpp"

#include "certificate_authority.hpp"
#include "emulator_server.hpp"
#include "mindee_documents.hpp"
#include "mindee_emulator.hpp"
#include "mindee_webhooks.hpp"

#include <catch2/catch.hpp>

#include <Poco/Base64Encoder.h>
#include <Poco/DeflatingStream.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace relais;
using namespace relais::mindee_emulator;
using namespace std::chrono_literals;
using Json = Poco::JSON::Object::Ptr;
using Array = Poco::JSON::Array::Ptr;
using F = MindeeEmulator::Failure;

namespace {

constexpr const char *kV1Key = "relais-mindee-v1-key";
constexpr const char *kV2Key = "md_relais_test_key";
constexpr const char *kReceiptPath = "/v1/products/mindee/expense_receipts/v5";

// 2026-11-30 12:00:00 UTC.
emulator::EmulatorClock::time_point noon() {
    return std::chrono::sys_days(std::chrono::year(2026) / 11 / 30) + std::chrono::hours(12);
}

const std::string kRestaurant =
    R"({"supplier_name":"Café de la Gare","supplier_address":"1 place de la Gare, 75010 Paris","supplier_phone":"01 23 45 67 89",)"
    R"("registrations":[{"type":"SIRET","number":"73282932000074"},{"type":"VAT NUMBER","number":"FR44732829320"}],)"
    R"("date":"2026-11-30","time":"12:31","total_amount":24.5,"total_net":20.42,"total_tax":4.08,"tip":1.5,)"
    R"("taxes":[{"rate":20,"amount":4.08,"base":20.42,"code":"TVA"}],"receipt_number":"T-{42}",)"
    R"("category":"food","subcategory":"restaurant","document_type":"EXPENSE RECEIPT","currency":"EUR","country":"FR",)"
    R"("language":"fr","line_items":[{"description":"Menu \"du jour\"","quantity":1,"unit_price":20.42,"total":20.42}],)"
    R"("confidence":0.97,"confidences":{"date":0.42,"total_amount":0.85}})";

// A JPEG-like file (the emulator checks magic bytes, not the image): SOI, a comment segment
// holding the marker, EOI.
std::string jpeg(const std::string &marker_json = "") {
    std::string comment = marker_json.empty() ? "no receipt here" : "RELAIS-RECEIPT" + marker_json;
    std::string out = "\xFF\xD8\xFF\xFE";
    out += static_cast<char>(((comment.size() + 2) >> 8) & 0xFF);
    out += static_cast<char>((comment.size() + 2) & 0xFF);
    return out + comment + "}} trailing {\xFF\xD9";
}

std::string deflate(const std::string &data) {
    std::ostringstream out;
    Poco::DeflatingOutputStream z(out, Poco::DeflatingStreamBuf::STREAM_ZLIB);
    z << data;
    z.close();
    return out.str();
}

// A PDF with `pages` page objects, written as `/Type /Page` or `/Type/Page`, `compressed` more
// inside an object stream, and the marker in the first page's content.
std::string pdf(int pages, const std::string &marker_json = "", int compressed = 0, std::size_t padding = 0) {
    std::string out = "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Count " +
                      std::to_string(pages + compressed) + " >> endobj\n";
    for (int i = 0; i < pages; ++i)
        out += std::to_string(10 + i) + (i % 2 ? " 0 obj << /Type/Page /Parent 2 0 R >> endobj\n"
                                                : " 0 obj << /Type /Page /Parent 2 0 R >> endobj\n");
    if (!marker_json.empty()) out += "5 0 obj << /Length 99 >>\nstream\n% RELAIS-RECEIPT" + marker_json + "\nendstream endobj\n";
    if (compressed > 0) {
        std::string objects;
        for (int i = 0; i < compressed; ++i) objects += "<< /Type /Page /Parent 2 0 R >>\n";
        const auto data = deflate(objects);
        out += "6 0 obj << /Type /ObjStm /N " + std::to_string(compressed) + " /Filter /FlateDecode /Length " +
               std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream endobj\n";
    }
    return out + std::string(padding, ' ') + "%%EOF\n";
}

std::string base64(const std::string &bytes) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

Json parse(const std::string &text) { return Poco::JSON::Parser().parse(text).extract<Json>(); }

struct Part {
    std::string name;
    std::string content;
    std::optional<std::string> filename = std::nullopt;
};

constexpr const char *kBoundary = "relais-test-boundary-7f3a";
const std::string kMultipartType = std::string("multipart/form-data; boundary=") + kBoundary;

std::string multipart(const std::vector<Part> &parts) {
    std::string body;
    for (const auto &p : parts) {
        body += std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
        if (p.filename) body += "; filename=\"" + *p.filename + "\"\r\nContent-Type: application/octet-stream";
        body += "\r\n\r\n" + p.content + "\r\n";
    }
    return body + "--" + kBoundary + "--\r\n";
}

struct Reply {
    int status = 0;
    Poco::Net::NameValueCollection headers;
    std::string body;
    Json json() const {
        INFO(body);
        return parse(body);
    }
    std::string header(const std::string &name) const { return headers.has(name) ? headers.get(name) : ""; }
};

std::set<std::string> keys(const Json &o) {
    std::set<std::string> out;
    for (const auto &k : o->getNames()) out.insert(k);
    return out;
}

// Without the rate limits: on a frozen clock, only the tests about them should meet them.
MindeeEmulatorOptions no_limits() {
    MindeeEmulatorOptions o;
    o.v1_per_second = o.v1_per_minute = o.v2_enqueues_per_minute = o.v2_polls_per_minute = 0;
    return o;
}

// An emulator on a manual clock, over HTTPS, and a client that trusts only the test CA.
struct Site {
    test::TempDir dir{"relais-mindee-emulator"};
    emulator::TestCertificateAuthority ca{dir.path()};
    std::shared_ptr<emulator::EmulatorClock> clock = std::make_shared<emulator::EmulatorClock>(noon());
    std::unique_ptr<MindeeEmulator> mindee;

    explicit Site(MindeeEmulatorOptions o = no_limits()) {
        o.server.tls = ca.server_files();
        o.server.clock = clock;
        mindee = std::make_unique<MindeeEmulator>(o);
        mindee->start();
    }

    Reply send(const std::string &method, const std::string &target, const std::optional<std::string> &authorization,
               const std::string &body = "", const std::string &content_type = "") {
        const Poco::URI base(mindee->v2_url());
        Poco::Net::HTTPSClientSession session(base.getHost(), base.getPort(), ca.client_context());
        session.setTimeout(Poco::Timespan(20, 0));
        Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
        if (authorization) request.set("Authorization", *authorization);
        if (!content_type.empty()) request.setContentType(content_type);
        if (method == "POST") request.setContentLength64(static_cast<Poco::Int64>(body.size()));
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        auto &in = session.receiveResponse(response);
        Reply r;
        r.status = static_cast<int>(response.getStatus());
        for (const auto &[name, value] : response) r.headers.add(name, value);
        Poco::StreamCopier::copyToString(in, r.body);
        return r;
    }

    // v1
    Reply v1(const std::string &method, const std::string &target, const std::string &body = "",
             const std::string &content_type = "") {
        return send(method, target, std::string("Token ") + kV1Key, body, content_type);
    }
    Reply predict(const std::string &file, const std::string &name = "ticket.jpg", bool async = false) {
        return v1("POST", std::string(kReceiptPath) + (async ? "/predict_async" : "/predict"),
                  multipart({{"document", file, name}}), kMultipartType);
    }
    // v2
    Reply v2(const std::string &method, const std::string &target, const std::string &body = "",
             const std::string &content_type = "") {
        return send(method, target, std::string(kV2Key), body, content_type);
    }
    Reply enqueue(const std::string &file, std::vector<Part> extra = {}, const std::string &route = "/v2/inferences/enqueue") {
        std::vector<Part> parts{{"model_id", kReceiptModelId}, {"file", file, std::string("ticket.jpg")}};
        parts.insert(parts.end(), extra.begin(), extra.end());
        return v2("POST", route, multipart(parts), kMultipartType);
    }
    std::string path_of(const std::string &url) const { return Poco::URI(url).getPathEtc(); }

    void finish_after(std::chrono::milliseconds wait) {
        clock->advance(wait);
        mindee->finish_due_jobs();
    }
};

Json prediction(const Reply &r) { return r.json()->getObject("document")->getObject("inference")->getObject("prediction"); }
Json fields(const Reply &r) { return r.json()->getObject("inference")->getObject("result")->getObject("fields"); }

Json api_error(const Reply &r) { return r.json()->getObject("api_request")->getObject("error"); }

}  // namespace

// --- keys -------------------------------------------------------------------------------------

TEST_CASE("mindee emulator: v1 wants 'Token <key>', and says which is wrong in its envelope", "[mindee][emulator][auth]") {
    Site site;
    const auto target = std::string(kReceiptPath) + "/predict";
    const auto body = multipart({{"document", jpeg(kRestaurant), std::string("t.jpg")}});
    const auto none = site.send("POST", target, std::nullopt, body, kMultipartType);
    CHECK(none.status == 401);
    CHECK(none.json()->getObject("api_request")->getValue<std::string>("status") == "failure");
    CHECK(none.json()->getObject("api_request")->getValue<int>("status_code") == 401);
    CHECK(api_error(none)->getValue<std::string>("details") == "No token provided");
    CHECK(api_error(none)->getValue<std::string>("code") == "Unauthorized");
    for (const std::string &wrong : {std::string(kV1Key), std::string("Token nope"), "Bearer " + std::string(kV1Key), std::string("Token ")}) {
        const auto r = site.send("POST", target, wrong, body, kMultipartType);
        INFO(wrong);
        CHECK(r.status == 401);
        CHECK(api_error(r)->getValue<std::string>("details") == "Invalid token provided");
    }
    CHECK(site.send("POST", target, std::string("Token ") + kV1Key, body, kMultipartType).status == 201);
    CHECK(site.mindee->predictions() == 1);
    CHECK(site.mindee->v1_requests() == 6);
    CHECK(site.mindee->v2_requests() == 0);
}

TEST_CASE("mindee emulator: v2 wants the bare key, and answers RFC 9457 problems", "[mindee][emulator][auth]") {
    Site site;
    const auto none = site.send("GET", "/v2/search/models", std::nullopt);
    CHECK(none.status == 401);
    CHECK(none.json()->getValue<std::string>("code") == "401-008");
    CHECK(none.json()->getValue<std::string>("title") == "Missing credentials");
    for (const std::string &wrong : {"Token " + std::string(kV2Key), "Bearer " + std::string(kV2Key), std::string("md_other")}) {
        const auto r = site.send("GET", "/v2/search/models", wrong);
        INFO(wrong);
        CHECK(r.status == 401);
        CHECK(r.json()->getValue<std::string>("code") == "401-001");
        CHECK(r.json()->getValue<std::string>("detail") == "The provided API key is invalid.");
        CHECK(r.json()->getArray("errors")->size() == 0);
    }
    CHECK(site.send("GET", "/v2/search/models", std::string(kV2Key)).status == 200);
    // Each version's key is refused by the other.
    CHECK(site.send("GET", "/v2/search/models", std::string(kV1Key)).status == 401);
    CHECK(site.send("GET", std::string(kReceiptPath) + "/documents/x", std::string("Token ") + kV2Key).status == 401);
}

// --- uploads ----------------------------------------------------------------------------------

TEST_CASE("mindee emulator: malformed multipart, a missing file and unknown products are refused", "[mindee][emulator][upload]") {
    Site site;
    auto broken = multipart({{"document", jpeg(kRestaurant), std::string("t.jpg")}});
    broken.resize(broken.size() - 8);  // no closing delimiter
    auto r = site.v1("POST", std::string(kReceiptPath) + "/predict", broken, kMultipartType);
    CHECK(r.status == 400);
    CHECK(api_error(r)->getValue<std::string>("code") == "BadRequest");
    r = site.v2("POST", "/v2/inferences/enqueue", broken, kMultipartType);
    CHECK(r.status == 400);
    CHECK(r.json()->getValue<int>("status") == 400);

    r = site.v1("POST", std::string(kReceiptPath) + "/predict", multipart({{"file", jpeg(), std::string("t.jpg")}}), kMultipartType);
    CHECK(r.status == 400);
    CHECK_THAT(api_error(r)->getValue<std::string>("details"), Catch::Contains("document"));
    // A document part that is no file
    r = site.v1("POST", std::string(kReceiptPath) + "/predict", multipart({{"document", jpeg()}}), kMultipartType);
    CHECK(r.status == 400);
    r = site.v1("POST", std::string(kReceiptPath) + "/predict", "{}", "application/json");
    CHECK(r.status == 400);
    r = site.v1("POST", std::string(kReceiptPath) + "/predict", R"({"document":"not base64!"})", "application/json");
    CHECK(r.status == 400);
    r = site.v1("POST", "/v1/products/mindee/invoices/v4/predict", multipart({{"document", jpeg(), std::string("t.jpg")}}),
                kMultipartType);
    CHECK(r.status == 404);
    CHECK(api_error(r)->getValue<std::string>("code") == "NotFound");
    CHECK(site.mindee->predictions() == 0);

    // JSON with base64 is a way in too.
    r = site.v1("POST", std::string(kReceiptPath) + "/predict", R"({"document":")" + base64(jpeg(kRestaurant)) + R"("})",
                "application/json");
    CHECK(r.status == 201);
    CHECK(prediction(r)->getObject("total_amount")->getValue<double>("value") == Approx(24.5));
}

TEST_CASE("mindee emulator: file types by magic bytes, whatever the name", "[mindee][emulator][upload]") {
    Site site;
    const std::vector<std::pair<std::string, std::string>> accepted{
        {"\x89PNG\r\n\x1A\n" + std::string("rest"), "image/png"},
        {std::string("RIFF\x10\0\0\0WEBPVP8 ", 16), "image/webp"},
        {std::string("II*\0", 4) + "rest", "image/tiff"},
        {std::string("MM\0*", 4) + "rest", "image/tiff"},
        {std::string("\0\0\0\x18", 4) + "ftypheic" + "rest", "image/heic"},
        {jpeg(), "image/jpeg"},
        {pdf(1), "application/pdf"}};
    for (const auto &[bytes, mime] : accepted) {
        INFO(mime);
        const auto r = site.predict(bytes, "file.txt");
        CHECK(r.status == 201);
        const auto e = site.enqueue(bytes);
        REQUIRE(e.status == 202);
        site.finish_after(5s);
        const auto result = site.v2("GET", site.path_of(site.v2("GET", "/v2/jobs/" + e.json()->getObject("job")->getValue<std::string>("id") +
                                                                                "?redirect=false")
                                                                 .json()
                                                                 ->getObject("job")
                                                                 ->getValue<std::string>("result_url")));
        CHECK(result.json()->getObject("inference")->getObject("file")->getValue<std::string>("mime_type") == mime);
    }
    for (const std::string &refused : {std::string("GIF89a...."), std::string("plain text"), std::string()}) {
        const auto v1 = site.predict(refused, "receipt.jpg");
        CHECK(v1.status == 400);
        CHECK(api_error(v1)->getValue<std::string>("code") == "BadRequest");
        const auto v2 = site.enqueue(refused);
        CHECK(v2.status == 422);
        CHECK(v2.json()->getArray("errors")->getObject(0)->getValue<std::string>("pointer") == "#/file");
    }
}

TEST_CASE("mindee emulator: pages are /Type /Page objects, and each route has its limits", "[mindee][emulator][upload]") {
    CHECK(count_pages(pdf(3), FileType::pdf) == 3);  // /Pages is not a page, /Type/Page is
    CHECK(count_pages(pdf(2, "", 5), FileType::pdf) == 7);  // object streams are looked into
    CHECK(count_pages(jpeg(), FileType::jpeg) == 1);

    Site site;
    auto r = site.predict(pdf(10), "ten.pdf");
    CHECK(r.status == 201);
    CHECK(r.json()->getObject("document")->getValue<int>("n_pages") == 10);
    r = site.predict(pdf(11), "eleven.pdf");
    CHECK(r.status == 400);
    CHECK_THAT(api_error(r)->getValue<std::string>("details"), Catch::Contains("Too many pages"));
    CHECK(site.predict(pdf(4, "", 8), "objstm.pdf").status == 400);
    CHECK(site.predict(pdf(11), "eleven.pdf", true).status == 202);
    CHECK(site.predict(pdf(21), "long.pdf", true).status == 400);
    CHECK(site.predict(pdf(1, "", 0, 10u << 20), "big.pdf").status == 400);       // over 10 MB
    CHECK(site.predict(pdf(1, "", 0, 10u << 20), "big.pdf", true).status == 202);  // under 20 MB
    CHECK(site.predict(pdf(1, "", 0, 20u << 20), "huge.pdf", true).status == 400);
    CHECK(site.enqueue(pdf(200)).status == 202);
    r = site.enqueue(pdf(201));
    CHECK(r.status == 422);
    CHECK_THAT(r.json()->getArray("errors")->getObject(0)->getValue<std::string>("detail"), Catch::Contains("201"));
    CHECK(site.enqueue(pdf(1, "", 0, 30u << 20)).status == 202);  // v2 takes up to 100 MB
    CHECK(site.mindee->pages_billed() == 10);  // jobs are billed when they finish
    site.finish_after(5s);
    CHECK(site.mindee->pages_billed() == 10 + 11 + 1 + 200 + 1);
    CHECK(site.mindee->predictions() == 5);
}

// --- v1 readings ------------------------------------------------------------------------------

TEST_CASE("mindee emulator: v1 reads every field of the receipt convention", "[mindee][emulator][v1]") {
    Site site;
    const auto r = site.predict(jpeg(kRestaurant), "café.jpg");
    REQUIRE(r.status == 201);
    const auto body = r.json();
    CHECK(body->getObject("api_request")->getValue<int>("status_code") == 201);
    const auto document = body->getObject("document");
    CHECK(document->getValue<std::string>("name") == "café.jpg");
    CHECK(document->getValue<int>("n_pages") == 1);
    const auto inference = document->getObject("inference");
    CHECK(inference->getObject("product")->getValue<std::string>("version") == "5.3");
    CHECK(inference->getObject("product")->getValue<std::string>("name") == "mindee/expense_receipts");
    const auto p = inference->getObject("prediction");

    const auto value = [&](const char *field) { return p->getObject(field)->get("value"); };
    CHECK(value("supplier_name").convert<std::string>() == "Café de la Gare");
    CHECK(p->getObject("supplier_name")->getValue<std::string>("raw_value") == "Café de la Gare");
    CHECK(value("supplier_address").convert<std::string>() == "1 place de la Gare, 75010 Paris");
    CHECK(value("supplier_phone_number").convert<std::string>() == "01 23 45 67 89");
    CHECK(value("date").convert<std::string>() == "2026-11-30");
    CHECK(value("time").convert<std::string>() == "12:31");
    CHECK(value("total_amount").convert<double>() == Approx(24.5));
    CHECK(value("total_net").convert<double>() == Approx(20.42));
    CHECK(value("total_tax").convert<double>() == Approx(4.08));
    CHECK(value("tip").convert<double>() == Approx(1.5));
    CHECK(value("receipt_number").convert<std::string>() == "T-{42}");  // braces inside a string
    CHECK(value("category").convert<std::string>() == "food");
    CHECK(value("subcategory").convert<std::string>() == "restaurant");
    CHECK(value("document_type").convert<std::string>() == "EXPENSE RECEIPT");
    const auto locale = p->getObject("locale");
    CHECK(locale->getValue<std::string>("country") == "FR");
    CHECK(locale->getValue<std::string>("currency") == "EUR");
    CHECK(locale->getValue<std::string>("language") == "fr");
    CHECK(locale->getValue<std::string>("value") == "fr-FR");
    const auto tax = p->getArray("taxes")->getObject(0);
    CHECK(tax->getValue<double>("rate") == Approx(20));  // percent in v1
    CHECK(tax->getValue<double>("base") == Approx(20.42));
    CHECK(tax->getValue<double>("value") == Approx(4.08));
    CHECK(tax->getValue<std::string>("code") == "TVA");
    const auto registrations = p->getArray("supplier_company_registrations");
    REQUIRE(registrations->size() == 2);
    CHECK(registrations->getObject(0)->getValue<std::string>("type") == "SIRET");
    CHECK(registrations->getObject(0)->getValue<std::string>("value") == "73282932000074");
    CHECK(registrations->getObject(1)->getValue<std::string>("value") == "FR44732829320");
    const auto line = p->getArray("line_items")->getObject(0);
    CHECK(line->getValue<std::string>("description") == "Menu \"du jour\"");
    CHECK(line->getValue<double>("quantity") == Approx(1));
    CHECK(line->getValue<double>("unit_price") == Approx(20.42));
    CHECK(line->getValue<double>("total_amount") == Approx(20.42));
    // Confidences: the default, and the overrides
    CHECK(p->getObject("supplier_name")->getValue<double>("confidence") == Approx(0.97));
    CHECK(p->getObject("date")->getValue<double>("confidence") == Approx(0.42));
    CHECK(p->getObject("total_amount")->getValue<double>("confidence") == Approx(0.85));
    // Positions
    CHECK(p->getObject("date")->getValue<int>("page_id") == 0);
    CHECK(p->getObject("date")->getArray("polygon")->size() == 4);
    // The page-level prediction: the same without page_id, with the orientation
    const auto page = inference->getArray("pages")->getObject(0)->getObject("prediction");
    CHECK_FALSE(page->getObject("date")->has("page_id"));
    CHECK(page->getObject("date")->getValue<std::string>("value") == "2026-11-30");
    CHECK(page->getObject("orientation")->getValue<int>("degrees") == 0);
    CHECK_FALSE(p->has("orientation"));
    CHECK(site.mindee->predictions() == 1);
    CHECK(site.mindee->pages_billed() == 1);
}

TEST_CASE("mindee emulator: v1 without a marker is the empty prediction, a marker may ask to fail", "[mindee][emulator][v1]") {
    Site site;
    auto r = site.predict(pdf(2), "blank.pdf");
    REQUIRE(r.status == 201);
    const auto p = prediction(r);
    for (const char *field : {"date", "time", "total_amount", "total_net", "total_tax", "tip", "supplier_name",
                              "supplier_address", "supplier_phone_number", "receipt_number", "category", "subcategory",
                              "document_type", "locale"}) {
        INFO(field);
        CHECK(p->getObject(field)->isNull("value"));
        CHECK(p->getObject(field)->getValue<double>("confidence") == 0.0);
    }
    CHECK(p->getObject("date")->isNull("page_id"));
    CHECK(p->getObject("date")->getArray("polygon")->size() == 0);
    for (const char *list : {"taxes", "line_items", "supplier_company_registrations"}) CHECK(p->getArray(list)->size() == 0);
    const auto pages = r.json()->getObject("document")->getObject("inference")->getArray("pages");
    CHECK(pages->size() == 2);
    CHECK(pages->getObject(1)->getValue<int>("id") == 1);
    CHECK(site.mindee->pages_billed() == 2);

    // A marker on page 1 of a 2-page PDF: page 0 has the fields, page 1 empty ones.
    r = site.predict(pdf(2, kRestaurant), "two.pdf");
    const auto two = r.json()->getObject("document")->getObject("inference")->getArray("pages");
    CHECK(two->getObject(0)->getObject("prediction")->getObject("total_amount")->getValue<double>("value") == Approx(24.5));
    CHECK(two->getObject(1)->getObject("prediction")->getObject("total_amount")->isNull("value"));

    r = site.predict(jpeg(R"({"total_amount":3,"fail":"inference"})"));
    CHECK(r.status == 500);
    CHECK(api_error(r)->getValue<std::string>("message") == "Inference failed");
    CHECK(site.mindee->predictions() == 2);
}

TEST_CASE("mindee emulator: a v1 job waits, processes, redirects to its document", "[mindee][emulator][v1][async]") {
    for (const int status : {202, 200}) {
        DYNAMIC_SECTION("enqueue answers " << status) {
            auto o = no_limits();
            o.v1_async_enqueue_status = status;
            Site site(o);
            auto r = site.predict(jpeg(kRestaurant), "later.jpg", true);
            REQUIRE(r.status == status);
            const auto job = r.json()->getObject("job");
            CHECK(job->getValue<std::string>("status") == "waiting");
            CHECK(job->isNull("available_at"));
            CHECK(r.json()->getObject("api_request")->getArray("resources")->getElement<std::string>(0) == "job");
            const auto queue = std::string(kReceiptPath) + "/documents/queue/" + job->getValue<std::string>("id");

            r = site.v1("GET", queue);
            CHECK(r.status == 200);
            CHECK(r.json()->getObject("job")->getValue<std::string>("status") == "processing");
            site.clock->advance(2900ms);
            CHECK(site.mindee->finish_due_jobs() == 0);
            CHECK(site.mindee->predictions() == 0);
            site.clock->advance(100ms);
            CHECK(site.mindee->finish_due_jobs() == 1);
            CHECK(site.mindee->predictions() == 1);

            r = site.v1("GET", queue);
            REQUIRE(r.status == 302);
            const auto location = r.header("Location");
            CHECK(location.rfind(site.mindee->v1_url() + "/products/mindee/expense_receipts/v5/documents/", 0) == 0);
            r = site.v1("GET", site.path_of(location));
            REQUIRE(r.status == 200);
            CHECK(r.json()->getObject("job")->getValue<std::string>("status") == "completed");
            CHECK(r.json()->getObject("document")->getValue<std::string>("name") == "later.jpg");
            CHECK(prediction(r)->getObject("total_amount")->getValue<double>("value") == Approx(24.5));
            CHECK(site.v1("GET", std::string(kReceiptPath) + "/documents/queue/no-such-job").status == 404);
            CHECK(site.v1("GET", std::string(kReceiptPath) + "/documents/no-such-document").status == 404);
        }
    }
}

TEST_CASE("mindee emulator: a v1 job that fails says so in the job, not billed", "[mindee][emulator][v1][async]") {
    Site site;
    auto r = site.predict(pdf(1, R"({"fail":"inference"})"), "bad.pdf", true);
    REQUIRE(r.status == 202);
    const auto queue = std::string(kReceiptPath) + "/documents/queue/" + r.json()->getObject("job")->getValue<std::string>("id");
    site.finish_after(3s);
    r = site.v1("GET", queue);
    CHECK(r.status == 200);
    const auto job = r.json()->getObject("job");
    CHECK(job->getValue<std::string>("status") == "failed");
    CHECK(job->getObject("error")->getValue<std::string>("code") == "ServerError");
    CHECK(site.mindee->predictions() == 0);
}

// --- v2 ---------------------------------------------------------------------------------------

TEST_CASE("mindee emulator: a v2 job goes Processing, then Processed with a redirect to its result", "[mindee][emulator][v2]") {
    Site site;
    auto r = site.enqueue(jpeg(kRestaurant), {{"confidence", "true"}, {"alias", "ticket-42"}});
    REQUIRE(r.status == 202);
    auto job = r.json()->getObject("job");
    CHECK(job->getValue<std::string>("status") == "Processing");
    CHECK(job->getValue<std::string>("model_id") == kReceiptModelId);
    CHECK(job->getValue<std::string>("filename") == "ticket.jpg");
    CHECK(job->getValue<std::string>("alias") == "ticket-42");
    CHECK(job->isNull("completed_at"));
    CHECK(job->isNull("result_url"));
    CHECK(job->isNull("error"));
    const auto id = job->getValue<std::string>("id");
    CHECK(job->getValue<std::string>("polling_url") == site.mindee->v2_url() + "/v2/jobs/" + id);

    r = site.v2("GET", "/v2/jobs/" + id);
    CHECK(r.status == 200);
    CHECK(r.json()->getObject("job")->getValue<std::string>("status") == "Processing");
    CHECK(site.v2("GET", "/v2/inferences/" + id).status == 404);
    site.finish_after(3s);

    r = site.v2("GET", "/v2/jobs/" + id);
    REQUIRE(r.status == 302);
    const auto location = r.header("Location");
    CHECK(location == site.mindee->v2_url() + "/v2/inferences/" + id);
    r = site.v2("GET", "/v2/jobs/" + id + "?redirect=false");
    REQUIRE(r.status == 200);
    job = r.json()->getObject("job");
    CHECK(job->getValue<std::string>("status") == "Processed");
    CHECK(job->getValue<std::string>("result_url") == location);
    CHECK_FALSE(job->isNull("completed_at"));

    r = site.v2("GET", site.path_of(location));
    REQUIRE(r.status == 200);
    const auto inference = r.json()->getObject("inference");
    CHECK(inference->getObject("file")->getValue<std::string>("alias") == "ticket-42");
    CHECK(inference->getObject("file")->getValue<int>("page_count") == 1);
    CHECK(inference->getObject("active_options")->getValue<bool>("confidence"));
    const auto f = fields(r);
    CHECK(f->getObject("total_amount")->getValue<double>("value") == Approx(24.5));
    CHECK(f->getObject("tips_gratuity")->getValue<double>("value") == Approx(1.5));
    CHECK(f->getObject("purchase_category")->getValue<std::string>("value") == "food");
    CHECK(f->getObject("document_type")->getValue<std::string>("value") == "expense_receipt");
    CHECK(f->getObject("supplier_phone_number")->getValue<std::string>("value") == "01 23 45 67 89");
    CHECK(f->getObject("supplier_address")->getObject("fields")->getObject("complete")->getValue<std::string>("value") ==
          "1 place de la Gare, 75010 Paris");
    const auto tax = f->getObject("taxes")->getArray("items")->getObject(0)->getObject("fields");
    CHECK(tax->getObject("rate")->getValue<double>("value") == Approx(0.2));  // a fraction in v2
    CHECK(tax->getObject("amount")->getValue<double>("value") == Approx(4.08));
    CHECK(tax->getObject("base")->getValue<double>("value") == Approx(20.42));
    const auto locale = f->getObject("locale")->getObject("fields");
    CHECK(locale->getObject("currency")->getValue<std::string>("value") == "EUR");
    const auto reg = f->getObject("supplier_company_registration")->getArray("items")->getObject(1)->getObject("fields");
    CHECK(reg->getObject("type")->getValue<std::string>("value") == "VAT NUMBER");
    CHECK(reg->getObject("number")->getValue<std::string>("value") == "FR44732829320");
    const auto line = f->getObject("line_items")->getArray("items")->getObject(0)->getObject("fields");
    CHECK(line->getObject("total_price")->getValue<double>("value") == Approx(20.42));
    CHECK(line->getObject("description")->getValue<std::string>("value") == "Menu \"du jour\"");
    // Confidence words: 0.97 Certain, 0.85 High, 0.42 Low
    CHECK(f->getObject("supplier_name")->getValue<std::string>("confidence") == "Certain");
    CHECK(f->getObject("total_amount")->getValue<std::string>("confidence") == "High");
    CHECK(f->getObject("date")->getValue<std::string>("confidence") == "Low");
    CHECK(site.v2("GET", "/v2/products/extraction/results/" + id).status == 200);
    CHECK(site.mindee->predictions() == 1);
}

TEST_CASE("mindee emulator: v2 options: no confidence unless asked, the plural registrations, the products route",
          "[mindee][emulator][v2]") {
    auto o = no_limits();
    o.v2_registrations_plural = true;
    Site site(o);
    auto r = site.enqueue(jpeg(kRestaurant), {}, "/v2/products/extraction/enqueue");
    REQUIRE(r.status == 202);
    const auto id = r.json()->getObject("job")->getValue<std::string>("id");
    site.finish_after(3s);
    r = site.v2("GET", "/v2/jobs/" + id);
    REQUIRE(r.status == 302);
    CHECK(r.header("Location") == site.mindee->v2_url() + "/v2/products/extraction/results/" + id);
    const auto f = fields(site.v2("GET", site.path_of(r.header("Location"))));
    CHECK_FALSE(f->getObject("date")->has("confidence"));
    CHECK(f->has("supplier_company_registrations"));
    CHECK_FALSE(f->has("supplier_company_registration"));
    // A blank file: Processed, every field null
    r = site.enqueue(pdf(1));
    const auto blank = r.json()->getObject("job")->getValue<std::string>("id");
    site.finish_after(3s);
    const auto b = fields(site.v2("GET", "/v2/inferences/" + blank));
    CHECK(b->getObject("total_amount")->isNull("value"));
    CHECK(b->getObject("taxes")->getArray("items")->size() == 0);
}

TEST_CASE("mindee emulator: v2 form checks answer 422 with pointers, an unknown model 404", "[mindee][emulator][v2]") {
    Site site;
    const auto pointer = [](const Reply &r) {
        INFO(r.body);
        return r.json()->getArray("errors")->getObject(0)->getValue<std::string>("pointer");
    };
    auto r = site.v2("POST", "/v2/inferences/enqueue", multipart({{"file", jpeg(), std::string("a.jpg")}}), kMultipartType);
    CHECK(r.status == 422);
    CHECK(pointer(r) == "#/model_id");
    r = site.v2("POST", "/v2/inferences/enqueue", multipart({{"model_id", "receipts"}, {"file", jpeg(), std::string("a.jpg")}}),
                kMultipartType);
    CHECK(r.status == 422);
    CHECK(r.json()->getValue<std::string>("code") == "422-001");
    CHECK(r.json()->getArray("errors")->getObject(0)->getValue<std::string>("detail") == "model_id must be a valid UUID format");
    r = site.v2("POST", "/v2/inferences/enqueue",
                multipart({{"model_id", "00000000-0000-4000-8000-000000000000"}, {"file", jpeg(), std::string("a.jpg")}}),
                kMultipartType);
    CHECK(r.status == 404);
    r = site.v2("POST", "/v2/inferences/enqueue", multipart({{"model_id", kSplitModelId}, {"file", jpeg(), std::string("a.jpg")}}),
                kMultipartType);
    CHECK(r.status == 422);
    CHECK(site.enqueue(jpeg(), {{"file_base64", base64(jpeg())}}).status == 422);  // two sources
    CHECK(site.v2("POST", "/v2/inferences/enqueue", multipart({{"model_id", kReceiptModelId}}), kMultipartType).status == 422);
    r = site.enqueue(jpeg(), {{"confidence", "yes"}});
    CHECK(r.status == 422);
    CHECK(pointer(r) == "#/confidence");
    r = site.enqueue(jpeg(), {{"webhook_ids", "11111111-2222-4333-8444-555555555555"}});
    CHECK(r.status == 422);
    CHECK(pointer(r) == "#/webhook_ids");
    // base64 is a way in; the file then takes the alias as its name
    r = site.v2("POST", "/v2/inferences/enqueue",
                multipart({{"model_id", kReceiptModelId}, {"file_base64", base64(jpeg(kRestaurant))}, {"alias", "b64.jpg"}}),
                kMultipartType);
    CHECK(r.status == 202);
    CHECK(site.v2("GET", "/v2/jobs/nope").status == 404);
    CHECK(site.v2("GET", "/v2/inferences/nope").status == 404);
}

TEST_CASE("mindee emulator: a v2 job that fails is Failed, with its error", "[mindee][emulator][v2]") {
    Site site;
    auto r = site.enqueue(pdf(1, R"({"fail":"inference"})"));
    const auto id = r.json()->getObject("job")->getValue<std::string>("id");
    site.finish_after(3s);
    r = site.v2("GET", "/v2/jobs/" + id);
    CHECK(r.status == 200);
    const auto job = r.json()->getObject("job");
    CHECK(job->getValue<std::string>("status") == "Failed");
    CHECK(job->isNull("result_url"));
    CHECK(job->getObject("error")->getValue<int>("status") == 500);
    CHECK(keys(job->getObject("error")) == std::set<std::string>{"status", "detail", "title", "code", "errors"});
    CHECK(site.v2("GET", "/v2/inferences/" + id).status == 404);
    CHECK(site.mindee->predictions() == 0);
}

TEST_CASE("mindee emulator: a poll of a due job finishes it, without finish_due_jobs", "[mindee][emulator][v2]") {
    Site site;
    const auto id = site.enqueue(jpeg(kRestaurant)).json()->getObject("job")->getValue<std::string>("id");
    site.clock->advance(3s);
    CHECK(site.v2("GET", "/v2/jobs/" + id).status == 302);
    CHECK(site.mindee->predictions() == 1);
    CHECK(site.mindee->finish_due_jobs() == 0);
}

TEST_CASE("mindee emulator: model search filters by name and type, and spends no page", "[mindee][emulator][v2]") {
    Site site;
    auto r = site.v2("GET", "/v2/search/models");
    REQUIRE(r.status == 200);
    CHECK(r.json()->getArray("models")->size() == 2);
    const auto pagination = r.json()->getObject("pagination");
    CHECK(pagination->getValue<int>("total_items") == 2);
    CHECK(pagination->getValue<int>("page") == 1);
    CHECK(pagination->isNull("total_items_unfiltered"));
    r = site.v2("GET", "/v2/search/models?name=RECEIPT");
    REQUIRE(r.json()->getArray("models")->size() == 1);
    const auto model = r.json()->getArray("models")->getObject(0);
    CHECK(model->getValue<std::string>("id") == kReceiptModelId);
    CHECK(model->getArray("webhooks")->getObject(0)->getValue<std::string>("id") == kReceiptWebhookId);
    CHECK(site.v2("GET", "/v2/search/models?model_type=split").json()->getArray("models")->size() == 1);
    CHECK(site.v2("GET", "/v2/search/models?model_type=crop").json()->getArray("models")->size() == 0);
    CHECK(site.v2("GET", "/v2/search/models?name=receipts&model_type=split").json()->getArray("models")->size() == 0);
    CHECK(site.mindee->pages_billed() == 0);
    CHECK(site.mindee->predictions() == 0);
}

// --- failures and faults ----------------------------------------------------------------------

TEST_CASE("mindee emulator: each injected failure has Mindee's status and body in v1", "[mindee][emulator][failures]") {
    Site site;
    const auto next = [&](F failure) {
        site.mindee->fail_next(failure);
        return site.predict(jpeg(kRestaurant));
    };
    auto r = next(F::unauthorized);
    CHECK(r.status == 401);
    CHECK(api_error(r)->getValue<std::string>("details") == "Invalid token provided");
    r = next(F::plan_limit);
    CHECK(r.status == 403);
    CHECK(api_error(r)->getValue<std::string>("code") == "PlanLimitReached");
    r = next(F::too_many_requests);
    CHECK(r.status == 429);
    CHECK(r.header("Retry-After") == "1");
    CHECK(api_error(r)->getValue<std::string>("code") == "TooManyRequests");
    r = next(F::inference_failed);
    CHECK(r.status == 500);
    CHECK(api_error(r)->getValue<std::string>("code") == "failure");
    CHECK(api_error(r)->getValue<std::string>("details") == "Can not run prediction: ");
    r = next(F::bad_request_object_detail);
    CHECK(r.status == 400);
    CHECK(r.json()->getObject("api_request")->getValue<std::string>("status") == "success");
    CHECK(api_error(r)->getObject("details")->getArray("document")->size() == 1);
    r = next(F::created_without_document);
    CHECK(r.status == 201);
    CHECK_FALSE(r.json()->has("document"));
    CHECK(api_error(r)->getObject("details")->has("document"));
    for (const auto &[failure, status] : {std::pair{F::bad_gateway_html, 502}, std::pair{F::unavailable_html, 503},
                                          std::pair{F::gateway_timeout_html, 504}}) {
        r = next(failure);
        CHECK(r.status == status);
        CHECK_THAT(r.header("Content-Type"), Catch::StartsWith("text/html"));
        CHECK_THAT(r.body, Catch::Contains("<html>") && Catch::Contains(std::to_string(status)));
    }
    CHECK(site.mindee->predictions() == 0);
    // A failure is for requests that pass the key check: a refused key does not use it up.
    site.mindee->fail_next(F::inference_failed);
    CHECK(site.send("POST", std::string(kReceiptPath) + "/predict", std::nullopt, "", "").status == 401);
    CHECK(site.predict(jpeg(kRestaurant)).status == 500);
    CHECK(site.predict(jpeg(kRestaurant)).status == 201);
}

TEST_CASE("mindee emulator: injected failures in v2, by path and count, created_without_document waits for v1",
          "[mindee][emulator][failures]") {
    Site site;
    const auto next = [&](F failure) {
        site.mindee->fail_next(failure);
        return site.enqueue(jpeg(kRestaurant));
    };
    auto r = next(F::unauthorized);
    CHECK(r.status == 401);
    CHECK(r.json()->getValue<std::string>("code") == "401-001");
    r = next(F::plan_limit);
    CHECK(r.status == 402);
    CHECK(r.json()->getValue<std::string>("title") == "Plan limit reached");
    r = next(F::too_many_requests);
    CHECK(r.status == 429);
    CHECK(r.header("Retry-After") == "1");
    CHECK(r.json()->getValue<std::string>("code") == "429-001");
    r = next(F::inference_failed);
    CHECK(r.status == 500);
    CHECK(r.json()->getValue<int>("status") == 500);
    CHECK(next(F::bad_request_object_detail).status == 400);
    CHECK(next(F::bad_gateway_html).status == 502);

    // Two failures, only for polls
    const auto id = site.enqueue(jpeg(kRestaurant)).json()->getObject("job")->getValue<std::string>("id");
    site.mindee->fail_next(F::unavailable_html, 2, "/v2/jobs");
    CHECK(site.v2("GET", "/v2/search/models").status == 200);
    CHECK(site.v2("GET", "/v2/jobs/" + id).status == 503);
    CHECK(site.v2("GET", "/v2/jobs/" + id).status == 503);
    CHECK(site.v2("GET", "/v2/jobs/" + id).status == 200);

    site.mindee->fail_next(F::created_without_document);
    CHECK(site.enqueue(jpeg()).status == 202);  // v1 only: a v2 request leaves it queued
    auto v1 = site.predict(jpeg());
    CHECK(v1.status == 201);
    CHECK_FALSE(v1.json()->has("document"));
    CHECK(site.predict(jpeg()).json()->has("document"));
}

TEST_CASE("mindee emulator: the framework's faults still apply", "[mindee][emulator][failures]") {
    Site site;
    site.mindee->server().inject(emulator::Fault::malformed_body());
    const auto r = site.v2("GET", "/v2/search/models");
    CHECK(r.status == 200);
    CHECK_THROWS(parse(r.body));
    site.mindee->server().inject(emulator::Fault::reset());
    CHECK_THROWS(site.v2("GET", "/v2/search/models"));
    CHECK(site.v2("GET", "/v2/search/models").status == 200);
}

// --- rate limits ------------------------------------------------------------------------------

TEST_CASE("mindee emulator: v1's per-second limit is a sliding window, with Retry-After", "[mindee][emulator][quota]") {
    MindeeEmulatorOptions o;
    o.v1_per_second = 2;
    o.v1_per_minute = 0;
    Site site(o);
    const auto poll = [&] { return site.v1("GET", std::string(kReceiptPath) + "/documents/queue/none"); };
    CHECK(poll().status == 404);  // t = 0
    site.clock->advance(900ms);
    CHECK(poll().status == 404);  // t = 0.9
    auto r = poll();
    CHECK(r.status == 429);
    CHECK(api_error(r)->getValue<std::string>("code") == "TooManyRequests");
    CHECK(r.header("Retry-After") == "1");
    // A fixed window would open afresh at t = 1.0; the sliding one frees one slot at t = 1.0
    // (the request of t = 0 leaves) and the next at t = 1.9.
    site.clock->advance(150ms);  // t = 1.05
    CHECK(poll().status == 404);
    CHECK(poll().status == 429);
    site.clock->advance(800ms);  // t = 1.85
    CHECK(poll().status == 429);
    site.clock->advance(100ms);  // t = 1.95
    CHECK(poll().status == 404);
    CHECK(site.mindee->rate_limited() == 3);
}

TEST_CASE("mindee emulator: v1's per-minute limit says how long to wait", "[mindee][emulator][quota]") {
    MindeeEmulatorOptions o;
    o.v1_per_second = 0;
    o.v1_per_minute = 3;
    Site site(o);
    const auto poll = [&] { return site.v1("GET", std::string(kReceiptPath) + "/documents/queue/none"); };
    for (int i = 0; i < 3; ++i) {
        CHECK(poll().status == 404);
        site.clock->advance(10s);
    }
    const auto r = poll();  // t = 30 s, the first left at t = 60 s
    CHECK(r.status == 429);
    CHECK(r.header("Retry-After") == "30");
    site.clock->advance(30s);
    CHECK(poll().status == 404);
}

TEST_CASE("mindee emulator: v2 counts enqueues and polls in separate windows", "[mindee][emulator][quota]") {
    MindeeEmulatorOptions o;
    o.v2_enqueues_per_minute = 2;
    o.v2_polls_per_minute = 3;
    Site site(o);
    const auto id = site.enqueue(jpeg()).json()->getObject("job")->getValue<std::string>("id");
    CHECK(site.enqueue(jpeg()).status == 202);
    auto r = site.enqueue(jpeg());
    CHECK(r.status == 429);
    CHECK(r.json()->getValue<std::string>("code") == "429-001");
    CHECK(r.json()->getValue<std::string>("title") == "Too Many Requests");
    CHECK(r.header("Retry-After") == "60");
    for (int i = 0; i < 3; ++i) CHECK(site.v2("GET", "/v2/jobs/" + id).status == 200);
    r = site.v2("GET", "/v2/inferences/" + id);
    CHECK(r.status == 429);
    CHECK(site.v2("GET", "/v2/search/models").status == 200);  // not a poll
    CHECK(site.mindee->rate_limited() == 2);
    site.clock->advance(60s);
    CHECK(site.enqueue(jpeg()).status == 202);
    CHECK(site.v2("GET", "/v2/jobs/" + id).status != 429);
}

// --- webhooks ---------------------------------------------------------------------------------

TEST_CASE("mindee emulator: HMAC-SHA256 in hex, as RFC 4231 computes it", "[mindee][emulator][webhook]") {
    CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("mindee emulator: a Processed v2 job is POSTed, signed, to its webhook's receiver", "[mindee][emulator][webhook]") {
    Site site;
    emulator::ServerOptions receiver_options;
    receiver_options.tls = site.ca.server_files();
    emulator::EmulatorServer receiver(receiver_options);
    int answer = 200;
    receiver.route("POST", "/hooks/mindee", [&](const emulator::Request &) { return emulator::Response::json(answer, "{}"); });
    receiver.start();
    const std::string secret = "webhook-secret-0042";
    site.mindee->set_webhook_target(kReceiptWebhookId, receiver.base_url() + "/hooks/mindee", secret, site.ca.ca_file().string());

    auto r = site.enqueue(jpeg(kRestaurant), {{"webhook_ids", kReceiptWebhookId}});
    REQUIRE(r.status == 202);
    const auto id = r.json()->getObject("job")->getValue<std::string>("id");
    site.clock->advance(3s);
    CHECK(site.mindee->finish_due_jobs() == 1);  // delivered from this thread, before it returns
    REQUIRE(receiver.count("POST", "/hooks/mindee") == 1);
    const auto delivered = receiver.requests().back();
    CHECK_THAT(delivered.headers.get("Content-Type"), Catch::StartsWith("application/json"));
    CHECK(delivered.headers.get("X-Mindee-Hmac-Signature") == hmac_sha256_hex(secret, delivered.body));
    CHECK(delivered.headers.get("X-Mindee-Hmac-Signature") != hmac_sha256_hex("another secret", delivered.body));
    CHECK(delivered.body == site.v2("GET", "/v2/inferences/" + id).body);  // the result itself
    CHECK(site.mindee->webhooks_delivered() == 1);
    r = site.v2("GET", "/v2/jobs/" + id + "?redirect=false");
    const auto hook = r.json()->getObject("job")->getArray("webhooks")->getObject(0);
    CHECK(hook->getValue<std::string>("id") == kReceiptWebhookId);
    CHECK(hook->getValue<std::string>("status") == "Processed");
    CHECK(hook->isNull("error"));
    // The model search shows where the webhook points
    CHECK(site.v2("GET", "/v2/search/models?name=receipt").json()->getArray("models")->getObject(0)->getArray("webhooks")
              ->getObject(0)->getValue<std::string>("url") == receiver.base_url() + "/hooks/mindee");

    // A receiver that refuses: counted as failed, listed as Failed, not retried
    answer = 500;
    const auto second = site.enqueue(jpeg(kRestaurant), {{"webhook_ids", kReceiptWebhookId}})
                            .json()->getObject("job")->getValue<std::string>("id");
    site.finish_after(3s);
    CHECK(receiver.count("POST", "/hooks/mindee") == 2);
    CHECK(site.mindee->webhooks_delivered() == 1);
    CHECK(site.mindee->webhooks_failed() == 1);
    r = site.v2("GET", "/v2/jobs/" + second + "?redirect=false");
    CHECK(r.json()->getObject("job")->getArray("webhooks")->getObject(0)->getValue<std::string>("status") == "Failed");
    site.finish_after(60s);
    CHECK(receiver.count("POST", "/hooks/mindee") == 2);
    // A job enqueued without webhook ids sends nothing
    site.enqueue(jpeg(kRestaurant));
    site.finish_after(3s);
    CHECK(receiver.count("POST", "/hooks/mindee") == 2);
}

// --- drift from the recorded shapes -----------------------------------------------------------

namespace {

const std::filesystem::path kFixtures = MINDEE_SHARED_FIXTURES_DIR;

std::optional<Json> fixture(const std::string &relative) {
    std::ifstream in(kFixtures / relative);
    if (!in) return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    return parse(text.str());
}

// The keys of a v1 field: of the object itself, or of an array's first item.
std::set<std::string> field_keys(const Json &prediction, const std::string &field) {
    if (const auto o = prediction->getObject(field)) return keys(o);
    const auto a = prediction->getArray(field);
    if (a && a->size() > 0) return keys(a->getObject(0));
    return {};
}

// "simple", "list" or "object", as v2 nodes are.
std::string kind(const Json &node) {
    if (node->has("items")) return "list";
    if (node->has("fields")) return "object";
    return "simple";
}

}  // namespace

TEST_CASE("mindee emulator: v1 bodies have the recorded key sets", "[mindee][emulator][fixtures]") {
    const auto complete = fixture("v1/expense_receipts_v5/complete.json");
    if (!complete) {
        WARN("no recorded fixtures at " << kFixtures.string() << ": shape comparison skipped");
        return;
    }
    Site site;
    const auto ours = site.predict(jpeg(kRestaurant)).json();
    const auto theirs = *complete;
    CHECK(keys(ours) == keys(theirs));
    CHECK(keys(ours->getObject("api_request")) == keys(theirs->getObject("api_request")));
    const auto our_doc = ours->getObject("document"), their_doc = theirs->getObject("document");
    CHECK(keys(our_doc) == keys(their_doc));
    CHECK(keys(our_doc->getObject("inference")) == keys(their_doc->getObject("inference")));
    CHECK(keys(our_doc->getObject("inference")->getObject("product")) == keys(their_doc->getObject("inference")->getObject("product")));
    const auto our_p = our_doc->getObject("inference")->getObject("prediction");
    const auto their_p = their_doc->getObject("inference")->getObject("prediction");
    REQUIRE(keys(our_p) == keys(their_p));
    for (const auto &field : keys(their_p)) {
        INFO("document-level field " << field);
        const auto expected = field_keys(their_p, field);
        if (!expected.empty()) CHECK(field_keys(our_p, field) == expected);
    }
    const auto our_page = our_doc->getObject("inference")->getArray("pages")->getObject(0);
    const auto their_page = their_doc->getObject("inference")->getArray("pages")->getObject(0);
    CHECK(keys(our_page) == keys(their_page));
    const auto our_pp = our_page->getObject("prediction"), their_pp = their_page->getObject("prediction");
    REQUIRE(keys(our_pp) == keys(their_pp));
    for (const auto &field : keys(their_pp)) {
        INFO("page-level field " << field);
        const auto expected = field_keys(their_pp, field);
        if (!expected.empty()) CHECK(field_keys(our_pp, field) == expected);
    }

    if (const auto empty = fixture("v1/expense_receipts_v5/empty.json")) {
        const auto blank = site.predict(pdf(1), "blank.pdf").json();
        const auto our_e = blank->getObject("document")->getObject("inference")->getObject("prediction");
        const auto their_e = (*empty)->getObject("document")->getObject("inference")->getObject("prediction");
        REQUIRE(keys(our_e) == keys(their_e));
        for (const auto &field : keys(their_e)) {
            INFO("empty field " << field);
            if (their_e->getObject(field)) CHECK(keys(our_e->getObject(field)) == keys(their_e->getObject(field)));
            else CHECK(our_e->getArray(field)->size() == their_e->getArray(field)->size());
        }
    }

    // Errors and jobs
    if (const auto e = fixture("v1/errors/error_401_invalid_token.json")) {
        const auto r = site.send("GET", std::string(kReceiptPath) + "/documents/x", std::string("Token bad"));
        CHECK(keys(r.json()->getObject("api_request")) == keys((*e)->getObject("api_request")));
        CHECK(keys(api_error(r)) == keys((*e)->getObject("api_request")->getObject("error")));
    }
    const auto enqueued = site.predict(jpeg(kRestaurant), "j.jpg", true).json();
    if (const auto post = fixture("v1/async/post_success.json")) {
        CHECK(keys(enqueued) == keys(*post));
        CHECK(keys(enqueued->getObject("job")) == keys((*post)->getObject("job")));
    }
    const auto queue = std::string(kReceiptPath) + "/documents/queue/" + enqueued->getObject("job")->getValue<std::string>("id");
    if (const auto processing = fixture("v1/async/get_processing.json"))
        CHECK(keys(site.v1("GET", queue).json()->getObject("job")) == keys((*processing)->getObject("job")));
    site.finish_after(3s);
    const auto done = site.v1("GET", site.path_of(site.v1("GET", queue).header("Location"))).json();
    if (const auto completed = fixture("v1/async/get_completed.json")) {
        CHECK(keys(done) == keys(*completed));
        CHECK(keys(done->getObject("job")) == keys((*completed)->getObject("job")));
        CHECK(keys(done->getObject("document")) == keys((*completed)->getObject("document")));
    }
    if (const auto failed = fixture("v1/async/get_failed_job_error.json")) {
        const auto id = site.predict(pdf(1, R"({"fail":"inference"})"), "f.pdf", true).json()->getObject("job")->getValue<std::string>("id");
        site.finish_after(3s);
        const auto job = site.v1("GET", std::string(kReceiptPath) + "/documents/queue/" + id).json()->getObject("job");
        CHECK(keys(job) == keys((*failed)->getObject("job")));
        CHECK(keys(job->getObject("error")) == keys((*failed)->getObject("job")->getObject("error")));
    }
}

TEST_CASE("mindee emulator: v2 bodies have the recorded key sets and field kinds", "[mindee][emulator][fixtures]") {
    const auto complete = fixture("v2/extraction/financial_document_complete.json");
    if (!complete) {
        WARN("no recorded fixtures at " << kFixtures.string() << ": shape comparison skipped");
        return;
    }
    Site site;
    const auto enqueued = site.enqueue(jpeg(kRestaurant), {{"webhook_ids", kReceiptWebhookId}}).json();
    if (const auto processing = fixture("v2/job/ok_processing.json"))
        CHECK(keys(enqueued->getObject("job")) == keys((*processing)->getObject("job")));
    const auto id = enqueued->getObject("job")->getValue<std::string>("id");
    site.finish_after(3s);
    const auto job = site.v2("GET", "/v2/jobs/" + id + "?redirect=false").json()->getObject("job");
    if (const auto processed = fixture("v2/job/ok_processed_webhooks_ok.json")) {
        const auto their_job = (*processed)->getObject("job");
        CHECK(keys(job) == keys(their_job));
        REQUIRE(job->getArray("webhooks")->size() == 1);
        CHECK(keys(job->getArray("webhooks")->getObject(0)) == keys(their_job->getArray("webhooks")->getObject(0)));
    }

    const auto ours = site.v2("GET", "/v2/inferences/" + id).json();
    const auto theirs = *complete;
    CHECK(keys(ours) == keys(theirs));
    const auto oi = ours->getObject("inference"), ti = theirs->getObject("inference");
    CHECK(keys(oi) == keys(ti));
    for (const char *part : {"job", "model", "file", "result", "active_options"}) {
        INFO(part);
        CHECK(keys(oi->getObject(part)) == keys(ti->getObject(part)));
    }
    const auto of = oi->getObject("result")->getObject("fields"), tf = ti->getObject("result")->getObject("fields");
    int shared = 0;
    for (const auto &name : keys(of)) {
        if (!tf->has(name)) continue;  // e.g. time: not in the financial document's recording
        ++shared;
        INFO("field " << name);
        const auto o = of->getObject(name), t = tf->getObject(name);
        REQUIRE(kind(o) == kind(t));
        if (kind(t) == "object") {
            for (const auto &sub : keys(o->getObject("fields"))) CHECK(t->getObject("fields")->has(sub));
        } else if (kind(t) == "list" && t->getArray("items")->size() > 0 && o->getArray("items")->size() > 0) {
            const auto ot = o->getArray("items")->getObject(0), tt = t->getArray("items")->getObject(0);
            CHECK(kind(ot) == "object");
            for (const auto &sub : keys(ot->getObject("fields"))) CHECK(tt->getObject("fields")->has(sub));
        } else {
            CHECK(keys(o) == keys(t));
        }
    }
    CHECK(shared == 16);  // every field the connector reads but time

    if (const auto models = fixture("v2/search_models.json")) {
        const auto r = site.v2("GET", "/v2/search/models").json();
        CHECK(keys(r) == keys(*models));
        CHECK(keys(r->getObject("pagination")) == keys((*models)->getObject("pagination")));
        const auto model = r->getArray("models")->getObject(0), their_model = (*models)->getArray("models")->getObject(0);
        CHECK(keys(model) == keys(their_model));
        CHECK(keys(model->getArray("webhooks")->getObject(0)) == keys(their_model->getArray("webhooks")->getObject(0)));
    }
    if (const auto e = fixture("v2/errors/error_401_invalid_api_key.json"))
        CHECK(keys(site.send("GET", "/v2/jobs/x", std::string("md_bad")).json()) == keys(*e));
    if (const auto fail = fixture("v2/job/fail_422.json")) {
        const auto r = site.v2("POST", "/v2/inferences/enqueue", multipart({{"model_id", "x"}, {"file", jpeg(), std::string("a.jpg")}}),
                               kMultipartType);
        const auto their_error = (*fail)->getObject("job")->getObject("error");
        CHECK(keys(r.json()) == keys(their_error));
        CHECK(keys(r.json()->getArray("errors")->getObject(0)) == keys(their_error->getArray("errors")->getObject(0)));
    }
}
