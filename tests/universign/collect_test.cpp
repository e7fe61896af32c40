// collect_signatures (the periodic task) over many open transactions: XML-RPC lists the
// waiting ones a thousand at a time and asks only about those no longer listed, so a thousand
// open transactions cost a couple of requests; REST has no list, and reads each one. The
// transactions that moved are counted, and the job waiting for one of them is woken.
#include "universign_harness.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>

using namespace relais;
using namespace relais::test;
using namespace std::chrono_literals;

namespace {

struct Collected {
    int64_t open, checked, changed, woken, finished, api_calls, listed;
};

Collected collect(UniversignHarness &h) {
    const auto before = h.upstream_requests();
    const auto r = h.ok("collect_signatures", "{}");
    Collected c{r->optValue<int64_t>("open", -1),     r->optValue<int64_t>("checked", -1),
                r->optValue<int64_t>("changed", -1),  r->optValue<int64_t>("woken", -1),
                r->optValue<int64_t>("finished", -1), r->optValue<int64_t>("api_calls", -1),
                r->optValue<int64_t>("listed", -1)};
    // What it says it sent is what reached Universign.
    CHECK(c.api_calls == static_cast<int64_t>(h.upstream_requests() - before));
    return c;
}

// Signed documents downloaded so far (REST; XML-RPC's come with getDocuments).
std::size_t downloads(UniversignHarness &h) {
    return h.emulator().calls("GET /v1/transactions/{tx}/archive/documents/{doc}/download") +
           h.emulator().calls("GET /v1/archives/{tx}/documents/{doc}/download");
}

std::string small_input(const std::string &custom_id, const std::string &email, const std::string &pdf) {
    return SignatureInput(custom_id).document("devis.pdf", pdf).signer("Client", "Test", email).json();
}

}  // namespace

TEST_CASE("universign collect_signatures: open transactions checked in few requests, the moved ones found",
          "[universign][collect]") {
    const std::string api = GENERATE(as<std::string>{}, "xmlrpc", "rest");
    CAPTURE(api);
    UniversignHarnessOptions o;
    o.api = api;
    UniversignHarness h(o);
    // 1,000 for XML-RPC, whose point is the listing. REST creates a transaction in seven
    // requests (draft, upload, document, field, signature, participant, start): 100 of them
    // keep this test within seconds, and REST reads each open transaction anyway.
    const int open = h.xmlrpc() ? 1000 : 100;
    const int signing = 10;  // the others' signers never act
    const auto pdf = signing_pdf(1, "collected quote");
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < open - signing; ++i) {
        const auto r = h.call("request_signature", small_input("COL-" + std::to_string(i), "client+never@x.test", pdf));
        INFO(r.message);
        REQUIRE(r.ok());
    }
    // Of those who sign, one is followed by a job, which the collection should wake.
    for (int i = 0; i < signing - 1; ++i) h.ok("request_signature", small_input("COL-SIGN-" + std::to_string(i), "alice@x.test", pdf));
    const auto job_input = small_input("COL-SIGN-JOB", "alice@x.test", pdf);
    const auto first = h.job_step(job_input, 1, std::nullopt);
    INFO(first.message);
    REQUIRE(first.later);
    WARN("created " << open << " transactions in "
                    << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
                    << " ms");

    // Nothing moved yet.
    auto c = collect(h);
    CHECK(c.open == open);
    CHECK(c.changed == 0);
    CHECK(c.finished == 0);
    CHECK(c.woken == 0);
    if (h.xmlrpc()) {
        CHECK(c.listed == open);
        CHECK(c.api_calls <= open / 50 + 3);
    } else {
        CHECK(c.api_calls == open);
        CHECK(c.checked == open);
    }

    // Two minutes later, the ten have signed: nine settled here (their documents fetched and
    // written), the tenth left to the job it wakes.
    h.advance(2min);
    const auto downloads_before = downloads(h);
    c = collect(h);
    CHECK(c.open == open);
    CHECK(c.changed == signing);
    CHECK(c.woken == 1);
    CHECK(c.finished + c.woken == signing);
    const auto wakes = h.host().wakes();
    CHECK(std::find(wakes.begin(), wakes.end(), 101) != wakes.end());
    if (h.xmlrpc()) {
        CHECK(c.listed == open - signing);
        CHECK(c.api_calls <= open / 50 + 3);
        CHECK(c.api_calls >= 1 + signing);  // the list, then each one no longer listed
    } else {
        // One GET per open transaction, and the downloads of the documents of those settled.
        CHECK(c.api_calls - static_cast<int64_t>(downloads(h) - downloads_before) == open);
    }
    CHECK(files_in(h.output_dir()) == static_cast<std::size_t>(signing - 1));

    // The woken job ends with its document; the finished ones are no longer open.
    const auto done = h.job_step(job_input, 2, first.later->checkpoint);
    INFO(done.message);
    CHECK(done.ok());
    CHECK_FALSE(done.later);
    c = collect(h);
    CHECK(c.open == open - signing);
    CHECK(c.changed == 0);
    CHECK(c.woken == 0);

    // One transaction asked about alone (what a push enqueues): one look, or none needed.
    const auto one = h.ok("collect_signatures", R"({"transaction_id":)" +
                                                    json_string(parse(first.later->checkpoint)->getValue<std::string>("transaction_id")) +
                                                    "}");
    CHECK(one->optValue<int64_t>("api_calls", -1) <= 1);
}
