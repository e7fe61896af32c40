// The connector's parsers on Mindee's recorded answers, read from the shared reference where
// they are (../shared/reference/fixtures/mindee: their licence lets us read them, not copy
// them): each normalised expense checked field by field, and each recorded error classed.
#include "mindee_errors.hpp"
#include "mindee_expense.hpp"
#include "mindee_jobs.hpp"
#include "mindee_reading.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Parser.h>

#include <filesystem>
#include <fstream>
#include <iterator>

using namespace relais;
using namespace relais::mindee;
namespace fs = std::filesystem;

namespace {

const fs::path kShared = MINDEE_SHARED_FIXTURES_DIR;

std::string read(const fs::path &p) {
    std::ifstream in(p, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Json fixture(const std::string &relative) {
    return Poco::JSON::Parser().parse(read(kShared / relative)).extract<Json>();
}

bool have_fixtures() {
    if (fs::exists(kShared)) return true;
    WARN("no shared reference beside this checkout (" << kShared.string() << "): the recorded answers are not parsed");
    return false;
}

Json expense(const Reading &r, double review_below = 0.7) {
    ExpenseContext c;
    c.api_version = "test";
    c.recorded_by = "jdupont";
    c.review_below = review_below;
    c.today = "2026-12-03";
    return expense_json(r, c);
}

bool flagged(const Json &e, const std::string &field, const std::string &reason) {
    const auto flags = e->getArray("needs_review");
    for (unsigned i = 0; i < flags->size(); ++i) {
        const auto f = flags->getObject(i);
        if (f->getValue<std::string>("field") == field && f->getValue<std::string>("reason") == reason) return true;
    }
    return false;
}

support::HttpResponse answer(int status, const std::string &relative, const std::string &type = "application/json") {
    support::HttpResponse r;
    r.status = status;
    r.body = read(kShared / relative);
    r.headers.push_back({"Content-Type", type});
    return r;
}

}  // namespace

TEST_CASE("mindee fixtures: the recorded v1 receipt (complete.json) normalises field by field", "[mindee][fixtures]") {
    if (!have_fixtures()) return;
    const auto r = read_v1_prediction(fixture("v1/expense_receipts_v5/complete.json"));
    CHECK(r.document_id == "d96fb043-8fb8-4adc-820c-387aae83376d");
    CHECK(r.pages == 1);
    const auto e = expense(r);
    CHECK(e->getValue<double>("total_amount") == Approx(10.2));
    CHECK(e->getValue<double>("total_net") == Approx(8.5));
    CHECK(e->getValue<double>("total_tax") == Approx(1.7));
    CHECK(e->isNull("tip"));
    const auto tax = e->getArray("taxes")->getObject(0);
    CHECK(tax->getValue<double>("rate") == Approx(20.0));  // v1 gives percent, kept
    CHECK(tax->getValue<double>("amount") == Approx(1.7));
    CHECK(tax->getValue<double>("base") == Approx(8.5));
    CHECK(tax->getValue<std::string>("code") == "VAT");
    CHECK(e->getValue<std::string>("date") == "2016-02-26");
    CHECK(e->getValue<std::string>("time") == "15:20");
    const auto supplier = e->getObject("supplier");
    CHECK(supplier->getValue<std::string>("name") == "clachan");
    CHECK(supplier->getValue<std::string>("address") == "34 Kingley Street W1B 50H");
    CHECK(supplier->getValue<std::string>("phone") == "02074940834");
    CHECK(supplier->getArray("registrations")->size() == 2);
    CHECK(supplier->getArray("registrations")->getObject(0)->getValue<std::string>("type") == "VAT NUMBER");
    // A British VAT number is no SIREN.
    CHECK(supplier->isNull("siren"));
    CHECK(supplier->isNull("siret"));
    CHECK(supplier->isNull("vat"));
    CHECK(e->getValue<std::string>("receipt_number") == "54/7500");
    CHECK(e->getValue<std::string>("category") == "food");
    CHECK(e->getValue<std::string>("subcategory") == "restaurant");
    CHECK(e->getValue<std::string>("document_type") == "EXPENSE RECEIPT");
    CHECK(e->getValue<std::string>("currency") == "GBP");
    CHECK(e->getValue<std::string>("country") == "GB");
    CHECK(e->getValue<std::string>("language") == "en");
    const auto line = e->getArray("line_items")->getObject(0);
    CHECK(line->getValue<std::string>("description") == "Meantime Pale");
    CHECK(line->getValue<double>("quantity") == Approx(2.0));
    CHECK(line->isNull("unit_price"));
    CHECK(line->getValue<double>("total") == Approx(10.2));
    CHECK(e->getObject("confidence")->getValue<double>("total_amount") == Approx(0.99));
    CHECK(e->getObject("confidence")->getValue<double>("currency") == Approx(0.82));
    // 8.5 + 1.7 = 10.2: consistent; everything read with 0.82 or more: nothing to review.
    CHECK(e->getArray("needs_review")->size() == 0);
    CHECK(e->getValue<std::string>("recorded_by") == "jdupont");
    CHECK(e->getValue<int>("pages") == 1);
}

TEST_CASE("mindee fixtures: the recorded blank receipt (empty.json) is a result with empty fields to review",
          "[mindee][fixtures]") {
    if (!have_fixtures()) return;
    const auto e = expense(read_v1_prediction(fixture("v1/expense_receipts_v5/empty.json")));
    CHECK(e->isNull("total_amount"));
    CHECK(e->isNull("date"));
    CHECK(e->getObject("supplier")->isNull("name"));
    CHECK(e->getArray("taxes")->size() == 0);
    CHECK(e->getArray("line_items")->size() == 0);
    CHECK(flagged(e, "total_amount", "missing"));
    CHECK(flagged(e, "date", "missing"));
    CHECK(flagged(e, "supplier.name", "missing"));
}

TEST_CASE("mindee fixtures: the recorded v2 result gives the same expense shape, the rate in percent",
          "[mindee][fixtures]") {
    if (!have_fixtures()) return;
    const auto r = read_v2_result(fixture("v2/extraction/financial_document_complete.json"));
    CHECK(r.pages == 1);
    const auto e = expense(r);
    CHECK(e->getValue<double>("total_amount") == Approx(204.75));
    CHECK(e->getValue<double>("total_net") == Approx(195.0));
    CHECK(e->getValue<double>("total_tax") == Approx(9.75));
    CHECK(e->isNull("tip"));
    const auto tax = e->getArray("taxes")->getObject(0);
    CHECK(tax->getValue<double>("rate") == Approx(5.0));  // v2's 0.05
    CHECK(tax->getValue<double>("amount") == Approx(9.75));
    CHECK(tax->getValue<double>("base") == Approx(31.5));
    CHECK(e->getValue<std::string>("date") == "2019-11-02");
    const auto supplier = e->getObject("supplier");
    CHECK(supplier->getValue<std::string>("name") == "John Smith");
    CHECK(supplier->getValue<std::string>("address") == "1, Fake Street, 00001, Fake City USA");
    CHECK(supplier->getValue<std::string>("phone") == "01.11.11.11.11");
    const auto registrations = supplier->getArray("registrations");
    REQUIRE(registrations->size() == 2);
    CHECK(registrations->getObject(1)->getValue<std::string>("type") == "SIRET");
    CHECK(registrations->getObject(1)->getValue<std::string>("number") == "11111111111111");
    // The recorded numbers are placeholders that fail their check digits: not offered for autofill.
    CHECK(supplier->isNull("siret"));
    CHECK(supplier->isNull("vat"));
    CHECK(e->getValue<std::string>("category") == "food");
    CHECK(e->getValue<std::string>("subcategory") == "restaurant");
    CHECK(e->getValue<std::string>("document_type") == "invoice");
    CHECK(e->getValue<std::string>("currency") == "EUR");
    CHECK(e->getValue<std::string>("country") == "FR");
    const auto lines = e->getArray("line_items");
    REQUIRE(lines->size() == 3);
    CHECK(lines->getObject(0)->getValue<std::string>("description") == "Front and rear brake cables");
    CHECK(lines->getObject(1)->getValue<double>("quantity") == Approx(2.0));
    CHECK(lines->getObject(2)->getValue<double>("total") == Approx(45.0));
    // No confidence option in the recording: no confidence, and nothing flagged for it.
    CHECK(e->getObject("confidence")->size() == 0);
    // 31.5 at 5 % is 1.575, not the 9.75 recorded: the tax line is flagged (the sums agree).
    CHECK(flagged(e, "taxes[0]", "tax_rate_mismatch"));
    CHECK_FALSE(flagged(e, "total_amount", "totals_mismatch"));
}

TEST_CASE("mindee fixtures: recorded v1 and v2 jobs read as processing, processed or failed", "[mindee][fixtures]") {
    if (!have_fixtures()) return;
    CHECK(read_v1_job(fixture("v1/async/post_success.json")).status == JobState::Status::processing);
    CHECK(read_v1_job(fixture("v1/async/post_success.json")).id == "76c90710-3a1b-4b91-8a39-31a6543e347c");
    CHECK(read_v1_job(fixture("v1/async/get_processing.json")).status == JobState::Status::processing);
    CHECK(read_v1_job(fixture("v1/async/get_completed.json")).status == JobState::Status::processed);
    const auto failed = read_v1_job(fixture("v1/async/get_failed_job_error.json"));
    CHECK(failed.status == JobState::Status::failed);
    CHECK(failed.reason == "ServerError: An error occurred");

    CHECK(read_v2_job(fixture("v2/job/ok_processing.json")).status == JobState::Status::processing);
    const auto done = read_v2_job(fixture("v2/job/ok_processed_webhooks_ok.json"));
    CHECK(done.status == JobState::Status::processed);
    CHECK(done.result_url == "https://api-v2.mindee.net/v2/inferences/12345678-1234-1234-1234-123456789ABC");
    const auto v2_failed = read_v2_job(fixture("v2/job/fail_422.json"));
    CHECK(v2_failed.status == JobState::Status::failed);
    CHECK(v2_failed.reason.find("#/model_id: model_id must be a valid UUID format") != std::string::npos);
}

TEST_CASE("mindee fixtures: every recorded error is classed from its HTTP status, with Mindee's words",
          "[mindee][fixtures]") {
    if (!have_fixtures()) return;
    const auto v1 = ApiVersion::v1;
    auto e = mindee_error(answer(401, "v1/errors/error_401_invalid_token.json"), v1, "reading r.jpg");
    CHECK(e.status() == RELAIS_UNAUTHORIZED);
    CHECK_THAT(e.what(), Catch::Contains("Invalid token provided"));
    CHECK(mindee_error(answer(401, "v1/errors/error_401_no_token.json"), v1, "x").status() == RELAIS_UNAUTHORIZED);
    e = mindee_error(answer(403, "v1/errors/error_403_sync_disallowed.json"), v1, "x");
    CHECK(e.status() == RELAIS_FORBIDDEN);
    CHECK_THAT(e.what(), Catch::Contains("does not support synchronous mode"));
    CHECK(mindee_error(answer(403, "v1/errors/error_403_async_disallowed.json"), v1, "x").status() == RELAIS_FORBIDDEN);
    e = mindee_error(answer(429, "v1/errors/error_429_too_many_requests.json"), v1, "x");
    CHECK(e.status() == RELAIS_RATE_LIMITED);
    CHECK(e.retry_after() > std::chrono::milliseconds(0));
    e = mindee_error(answer(500, "v1/errors/error_500_inference_fail.json"), v1, "x");
    CHECK(e.status() == RELAIS_PERMANENT);
    CHECK_THAT(e.what(), Catch::Contains("Inference failed"));
    e = mindee_error(answer(502, "v1/errors/error_50x.html", "text/html"), v1, "x");
    CHECK(e.status() == RELAIS_TRANSIENT);
    CHECK_THAT(e.what(), Catch::Contains("An error occurred"));
    CHECK_THAT(e.what(), !Catch::Contains("<"));
    // The body says "status": "success"; the HTTP status says 400, and wins.
    e = mindee_error(answer(400, "v1/errors/error_400_with_object_in_detail.json"), v1, "x");
    CHECK(e.status() == RELAIS_INVALID_INPUT);
    CHECK_THAT(e.what(), Catch::Contains("error message"));
    CHECK(mindee_error(answer(400, "v1/errors/error_400_no_details.json"), v1, "x").status() == RELAIS_INVALID_INPUT);
    // A 201 without a document is no reading.
    CHECK_THROWS_AS(read_v1_prediction(fixture("v1/errors/success_with_object_response_in_detail.json")), Error);

    e = mindee_error(answer(401, "v2/errors/error_401_invalid_api_key.json"), ApiVersion::v2, "x");
    CHECK(e.status() == RELAIS_UNAUTHORIZED);
    CHECK_THAT(e.what(), Catch::Contains("The provided API key is invalid"));
    CHECK(mindee_error(answer(401, "v2/errors/error_401_missing_credentials.json"), ApiVersion::v2, "x").status() ==
          RELAIS_UNAUTHORIZED);
    // The failed job's error, answered as an HTTP 422 at enqueue: our model_id is at fault.
    support::HttpResponse r422;
    r422.status = 422;
    r422.body = to_string(fixture("v2/job/fail_422.json")->getObject("job")->getObject("error"));
    CHECK(mindee_error(r422, ApiVersion::v2, "x").status() == RELAIS_INVALID_CONFIG);
}
