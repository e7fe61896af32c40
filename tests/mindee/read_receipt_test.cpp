// read_receipt as the ERP calls it, synchronously, against the Mindee emulator over HTTPS: the
// same expense from v1 and v2, every field of our sample receipts, the tax-rate convention,
// the review flags, the local refusals that cost no request, and the failures Mindee answers.
#include "mindee_harness.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace relais;
using namespace relais::test;
using mindee_emulator::MindeeEmulator;

namespace {

MindeeHarnessOptions sync_options(const std::string &version) {
    MindeeHarnessOptions o;
    o.api_version = version;
    // v2 has no synchronous route: the call enqueues and polls, on real time.
    o.manual_clock = false;
    o.processing_time = std::chrono::milliseconds(150);
    o.settings = R"({"poll_initial_delay_ms":50,"poll_max_delay_ms":200})";
    return o;
}

bool flagged(const Poco::JSON::Object::Ptr &e, const std::string &field, const std::string &reason) {
    const auto flags = e->getArray("needs_review");
    for (unsigned i = 0; i < flags->size(); ++i) {
        const auto f = flags->getObject(i);
        if (f->getValue<std::string>("field") == field && f->getValue<std::string>("reason") == reason) return true;
    }
    return false;
}

void check_restaurant(const Poco::JSON::Object::Ptr &e, const std::string &version) {
    CHECK(e->getValue<double>("total_amount") == Approx(24.5));
    CHECK(e->getValue<double>("total_net") == Approx(20.42));
    CHECK(e->getValue<double>("total_tax") == Approx(4.08));
    const auto tax = e->getArray("taxes")->getObject(0);
    CHECK(tax->getValue<double>("rate") == Approx(20.0));  // percent, whichever version read it
    CHECK(tax->getValue<double>("amount") == Approx(4.08));
    CHECK(tax->getValue<double>("base") == Approx(20.42));
    CHECK(e->getValue<std::string>("date") == "2026-11-30");
    CHECK(e->getValue<std::string>("time") == "12:31");
    const auto supplier = e->getObject("supplier");
    CHECK(supplier->getValue<std::string>("name") == "Café de la Gare");
    CHECK(supplier->getValue<std::string>("address") == "1 place de la Gare, 75010 Paris");
    CHECK(supplier->getValue<std::string>("siret") == "73282932000074");
    CHECK(supplier->getValue<std::string>("siren") == "732829320");
    CHECK(supplier->getValue<std::string>("vat") == "FR44732829320");
    CHECK(e->getValue<std::string>("receipt_number") == "T-0042");
    CHECK(e->getValue<std::string>("currency") == "EUR");
    CHECK(e->getValue<std::string>("country") == "FR");
    CHECK(e->getValue<std::string>("language") == "fr");
    const auto line = e->getArray("line_items")->getObject(0);
    CHECK(line->getValue<std::string>("description") == "Menu du jour");
    CHECK(line->getValue<double>("total") == Approx(20.42));
    CHECK(e->getValue<std::string>("api_version") == version);
    CHECK(e->getValue<std::string>("recorded_by") == "jdupont");
    CHECK(e->getValue<int>("pages") == 1);
    CHECK(e->getObject("file")->getValue<std::string>("media_type") == "image/jpeg");
    CHECK(e->getArray("needs_review")->size() == 0);
    CHECK_FALSE(e->getValue<bool>("from_cache"));
    CHECK_FALSE(e->has("raw"));
}

}  // namespace

TEST_CASE("mindee read_receipt: the restaurant JPEG gives the same expense from v1 and v2", "[mindee][read]") {
    for (const std::string version : {"v1", "v2"}) {
        DYNAMIC_SECTION(version) {
            MindeeHarness h(sync_options(version));
            const auto e = h.ok("read_receipt", receipt_input(mindee_sample("receipt-restaurant.jpg"), "ticket.jpg"));
            check_restaurant(e, version);
            CHECK(h.emulator().predictions() == 1);
            CHECK(e->getObject("confidence")->getValue<double>("total_amount") > 0.8);
        }
    }
}

TEST_CASE("mindee read_receipt: the taxi PNG, its 10 % rate and its doubtful date flagged for review",
          "[mindee][read]") {
    for (const std::string version : {"v1", "v2"}) {
        DYNAMIC_SECTION(version) {
            MindeeHarness h(sync_options(version));
            const auto e = h.ok("read_receipt", receipt_input(mindee_sample("receipt-taxi.png"), "taxi.png"));
            CHECK(e->getValue<double>("total_amount") == Approx(38.5));
            CHECK(e->getArray("taxes")->getObject(0)->getValue<double>("rate") == Approx(10.0));
            CHECK(e->getObject("supplier")->getValue<std::string>("siren") == "552100554");
            CHECK(e->getObject("supplier")->isNull("siret"));
            CHECK(e->getValue<std::string>("category") == "transport");
            // 0.42 read (v1), Low (v2, 0.3): under review_below 0.7 either way.
            CHECK(flagged(e, "date", "low_confidence"));
            CHECK_FALSE(flagged(e, "total_amount", "low_confidence"));
        }
    }
}

TEST_CASE("mindee read_receipt: inconsistent totals, a future date and a blank page are flagged, not refused",
          "[mindee][read]") {
    MindeeHarness h(sync_options("v1"));
    // net + tax = 110, total 120
    const auto wrong = make_pdf(PdfOptions(1).marker(receipt_marker(120, 100, 10, 10, "2026-01-15")));
    auto e = h.ok("read_receipt", receipt_input(wrong, "wrong.pdf"));
    CHECK(flagged(e, "total_amount", "totals_mismatch"));
    const auto future = make_pdf(PdfOptions(1).marker(receipt_marker(12, 10, 2, 20, "2099-05-01")));
    e = h.ok("read_receipt", receipt_input(future, "future.pdf"));
    CHECK(flagged(e, "date", "date_in_future"));
    CHECK(e->getArray("needs_review")->size() == 1);
    e = h.ok("read_receipt", receipt_input(make_pdf(PdfOptions(1)), "blank.pdf"));
    CHECK(e->isNull("total_amount"));
    CHECK(flagged(e, "total_amount", "missing"));
    CHECK(flagged(e, "supplier.name", "missing"));
    // review_below 0 flags no confidence at all
    h.configure(R"({"review_below":0})");
    e = h.ok("read_receipt", receipt_input(mindee_sample("receipt-taxi.png"), "taxi.png", R"(,"include_raw":true)"));
    CHECK_FALSE(flagged(e, "date", "low_confidence"));
    CHECK(e->getObject("raw")->has("document"));
}

TEST_CASE("mindee read_receipt: a bad file is refused here, with zero upstream requests", "[mindee][read][local]") {
    MindeeHarness h(sync_options("v1"));
    const auto refused = [&](const std::string &input, const std::string &reason, const std::string &words) {
        const auto r = h.read(input);
        INFO(r.message);
        CHECK(r.status == RELAIS_INVALID_INPUT);
        CHECK_THAT(r.message, Catch::Contains(words));
        if (!reason.empty()) CHECK_THAT(r.body + r.message + r.detail_json, Catch::Contains(reason));
    };
    const auto jpeg = mindee_sample("receipt-restaurant.jpg");
    refused(receipt_input("", "empty.jpg"), "", "empty");
    refused(receipt_input("plain text, not a receipt", "notes.txt"), "type", "not a file Mindee reads");
    refused(receipt_input("PK\x03\x04zipzipzip", "archive.zip"), "type", "zip");
    refused(receipt_input(jpeg.substr(0, jpeg.size() / 2), "cut.jpg"), "truncated", "end-of-image");
    const auto png = mindee_sample("receipt-taxi.png");
    refused(receipt_input(png.substr(0, png.size() - 40), "cut.png"), "truncated", "IEND");
    const auto pdf = make_pdf(PdfOptions(2));
    refused(receipt_input(pdf.substr(0, pdf.size() - 20), "cut.pdf"), "truncated", "%%EOF");
    refused(receipt_input(make_pdf(PdfOptions(1).encrypt()), "locked.pdf"), "encrypted", "encrypted");
    // v1 synchronous: 10 pages at most, and the message says a job takes 20
    refused(receipt_input(make_pdf(PdfOptions(11)), "long.pdf"), "too_many_pages", "send it as a job");
    refused(receipt_input(make_pdf(PdfOptions(12).in_object_stream()), "long-objstm.pdf"), "too_many_pages", "12 pages");
    h.configure(R"({"v1_sync_max_mb":1})");
    refused(receipt_input(make_pdf(PdfOptions(1).pad(std::string(1100000, ' '))), "big.pdf"), "too_large",
            "at most 1 MB");
    CHECK(h.upstream_requests() == 0);

    // ... and padding after %%EOF, which scanners add, is no truncation
    h.configure(R"({"v1_sync_max_mb":10})");
    h.ok("read_receipt", receipt_input(make_pdf(PdfOptions(3).pad(std::string(64, '\0'))), "padded.pdf"));
    CHECK(h.emulator().predictions() == 1);
}

TEST_CASE("mindee read_receipt: the same file read again costs nothing until force, eight at once make one read",
          "[mindee][read][dedupe]") {
    MindeeHarness h(sync_options("v2"));
    const auto input = receipt_input(mindee_sample("receipt-restaurant.jpg"), "ticket.jpg");
    auto first = h.ok("read_receipt", input);
    const auto requests = h.upstream_requests();
    auto again = h.ok("read_receipt", input);
    CHECK(again->getValue<bool>("from_cache"));
    CHECK(h.upstream_requests() == requests);
    CHECK(h.emulator().pages_billed() == 1);
    check_restaurant(first, "v2");
    // Another name, same bytes: still the same receipt.
    CHECK(h.ok("read_receipt", receipt_input(mindee_sample("receipt-restaurant.jpg"), "copy.jpg"))->getValue<bool>("from_cache"));
    // A restart keeps it (the host's state).
    h.restart();
    CHECK(h.ok("read_receipt", input)->getValue<bool>("from_cache"));
    CHECK(h.emulator().pages_billed() == 1);
    // force reads again
    const auto forced = h.ok("read_receipt", receipt_input(mindee_sample("receipt-restaurant.jpg"), "ticket.jpg",
                                                            R"(,"force":true)"));
    CHECK_FALSE(forced->getValue<bool>("from_cache"));
    CHECK(h.emulator().pages_billed() == 2);

    // Eight threads, one new file: one upstream read.
    const auto taxi = receipt_input(mindee_sample("receipt-taxi.png"), "taxi.png");
    std::vector<std::thread> threads;
    std::vector<host::CallResult> results(8);
    for (int i = 0; i < 8; ++i) threads.emplace_back([&, i] { results[static_cast<std::size_t>(i)] = h.read(taxi); });
    for (auto &t : threads) t.join();
    for (const auto &r : results) {
        INFO(r.message);
        CHECK(r.ok());
    }
    CHECK(h.emulator().pages_billed() == 3);
}

TEST_CASE("mindee read_receipt: Mindee's refusals and outages, each with its class and Mindee's words",
          "[mindee][read][errors]") {
    using F = MindeeEmulator::Failure;
    for (const std::string version : {"v1", "v2"}) {
        DYNAMIC_SECTION(version) {
            MindeeHarness h(sync_options(version));
            const auto input = receipt_input(mindee_sample("receipt-restaurant.jpg"), "ticket.jpg", R"(,"force":true)");
            const auto fails = [&](F failure, relais_status status, const std::string &words) {
                h.emulator().fail_next(failure);
                const auto r = h.read(input);
                INFO(r.message);
                CHECK(r.status == status);
                CHECK_THAT(r.message, Catch::Contains(words, Catch::CaseSensitive::No));
                CHECK_THAT(r.message, !Catch::Contains("<html", Catch::CaseSensitive::No));
                return r;
            };
            fails(F::unauthorized, RELAIS_UNAUTHORIZED, "refused the API key");
            fails(F::plan_limit, RELAIS_PERMANENT, "plan is exhausted");
            fails(F::inference_failed, RELAIS_PERMANENT, "could not read this file");
            fails(F::bad_gateway_html, RELAIS_TRANSIENT, "HTTP 502");
            fails(F::unavailable_html, RELAIS_TRANSIENT, "HTTP 503");
            fails(F::gateway_timeout_html, RELAIS_TRANSIENT, "HTTP 504");
            const auto limited = fails(F::too_many_requests, RELAIS_RATE_LIMITED, "rate limit");
            CHECK(limited.retry_after_ms > 0);
            if (version == "v1") {
                fails(F::bad_request_object_detail, RELAIS_INVALID_INPUT, "error");
                fails(F::created_without_document, RELAIS_INVALID_INPUT, "could not read the document");
            }
            // After all that, a read works.
            check_restaurant(h.ok("read_receipt", receipt_input(mindee_sample("receipt-restaurant.jpg"), "ticket.jpg")),
                             version);
        }
    }
}

TEST_CASE("mindee read_receipt: a wrong key is refused, and a disabled connector says so", "[mindee][read]") {
    MindeeHarness h(sync_options("v2"));
    h.configure(R"({"api_key":"md_not_the_right_key"})");
    auto r = h.read(receipt_input(mindee_sample("receipt-restaurant.jpg"), "ticket.jpg"));
    CHECK(r.status == RELAIS_UNAUTHORIZED);
    CHECK_THAT(r.message, !Catch::Contains("md_not_the_right_key"));
    h.configure(R"({"enabled":false})");
    r = h.read(receipt_input(mindee_sample("receipt-restaurant.jpg"), "ticket.jpg"));
    CHECK(r.status == RELAIS_INVALID_CONFIG);
    CHECK_THAT(r.message, Catch::Contains("disabled"));
}
