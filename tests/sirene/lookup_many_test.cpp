// lookup_many: a thousand SIRETs in a few requests under the 30-per-minute quota, results in
// input order with per-item errors, and the quota honoured through INSEE's 429 and headers.
#include "sirene_batching.hpp"
#include "sirene_examples.hpp"
#include "sirene_harness.hpp"
#include "sirene_queries.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

#include <relais/support/http_client.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/URI.h>

using namespace relais;
using namespace relais::test;
using namespace std::chrono_literals;

namespace {

std::string many(const std::vector<std::string> &ids, bool raw = false) {
    std::string list;
    for (const auto &id : ids) list += (list.empty() ? "" : ",") + json_string(id);
    return "{\"identifiers\":[" + list + "],\"include_raw\":" + (raw ? "true" : "false") + "}";
}

std::vector<std::string> synthetic_sirets(const sirene_emulator::Dataset &data, std::size_t n) {
    std::vector<std::string> out;
    for (const auto &s : data.sirets_where([](const Record &) { return true; }))
        if (synthetic(s) && out.size() < n) out.push_back(s);
    REQUIRE(out.size() == n);
    return out;
}

Poco::JSON::Object::Ptr item(const Poco::JSON::Object::Ptr &result, unsigned i) { return result->getArray("items")->getObject(i); }

}  // namespace

TEST_CASE("sirene lookup_many: 1,000 SIRETs cost ten requests under the 30 per minute quota", "[sirene][lookup_many]") {
    SireneHarness h;  // the real quota: 30 requests per minute
    const auto ids = synthetic_sirets(h.data(), 1000);
    const auto started = std::chrono::steady_clock::now();
    const auto result = h.ok("lookup_many", many(ids));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    const auto items = result->getArray("items");
    REQUIRE(items->size() == 1000);
    for (unsigned i = 0; i < items->size(); ++i) {
        const auto it = items->getObject(i);
        INFO(ids[i]);
        REQUIRE(it->getValue<bool>("ok"));
        CHECK(it->getValue<std::string>("input") == ids[i]);  // input order
        CHECK(it->getObject("record")->getValue<std::string>("siret") == ids[i]);
        CHECK_FALSE(it->getObject("record")->has("raw"));
    }
    const auto stats = result->getObject("stats");
    CHECK(stats->getValue<int>("found") == 1000);
    CHECK(stats->getValue<int>("batches") == 10);
    CHECK(stats->getValue<int>("upstream_requests") == 10);
    CHECK(h.emulator().api_requests() == 10);
    CHECK(h.emulator().rate_limited() == 0);
    CHECK(elapsed < 60s);  // ten requests fit in one window: no waiting for the quota
    // Each batch was one form POST ("siret:A OR siret:B ...": too long for a URL).
    for (const auto &r : h.emulator().server().requests()) {
        CHECK(r.method == "POST");
        CHECK(r.path == "/api-sirene/3.11/siret");
    }
}

namespace {

// The q of a recorded form POST, decoded.
std::string posted_q(const std::string &body) {
    for (std::size_t start = 0; start < body.size();) {
        auto end = body.find('&', start);
        if (end == std::string::npos) end = body.size();
        const auto pair = body.substr(start, end - start);
        if (pair.rfind("q=", 0) == 0) {
            auto encoded = pair.substr(2);
            std::replace(encoded.begin(), encoded.end(), '+', ' ');
            std::string q;
            Poco::URI::decode(encoded, q);
            return q;
        }
        start = end + 1;
    }
    return {};
}

}  // namespace

TEST_CASE("sirene lookup_many: with batch_size 1000 each request's q stays under the API's length limit",
          "[sirene][lookup_many]") {
    // 1000 SIRETs in one q would be some 24,000 characters, which INSEE's search refuses (the
    // emulator, like it, answers 400): the batches are cut by the length of their q too.
    HarnessOptions options;
    options.settings = R"({"batch_size":1000})";
    SireneHarness h(options);
    const auto ids = synthetic_sirets(h.data(), 1000);
    const auto result = h.ok("lookup_many", many(ids));
    const auto stats = result->getObject("stats");
    CHECK(stats->getValue<int>("found") == 1000);
    CHECK(stats->getValue<int>("failed") == 0);
    const auto requests = h.emulator().server().requests();
    REQUIRE(requests.size() > 1);
    CHECK(stats->getValue<std::size_t>("batches") == requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const auto &r = requests[i];
        CHECK(r.status == 200);
        const auto q = posted_q(r.body);
        CHECK(q.size() <= sirene::kMaxBatchQuery);
        // Full batches: no room left for another SIRET.
        if (i + 1 < requests.size()) CHECK(q.size() + std::string(" OR siret:00000000000000").size() > sirene::kMaxBatchQuery);
    }
}

TEST_CASE("sirene lookup_many: batches are planned within both the count and the query length", "[sirene][lookup_many]") {
    std::vector<sirene::Identifier> ids;
    for (int i = 0; i < 400; ++i) {
        // SIRENs ask for a head office: a longer term than a SIRET's.
        const auto digits = std::to_string(100000000 + i);
        ids.push_back(i % 3 ? sirene::Identifier{sirene::IdKind::siret, digits + "00012"}
                            : sirene::Identifier{sirene::IdKind::siren, digits});
    }
    std::size_t planned = 0;
    for (const auto &batch : sirene::plan_batches(ids, 1000)) {
        CHECK(sirene::batch_query(batch).size() <= sirene::kMaxBatchQuery);
        planned += batch.size();
    }
    CHECK(planned == ids.size());
    for (const auto &batch : sirene::plan_batches(ids, 7)) CHECK(batch.size() <= 7);
    CHECK(sirene::plan_batches(ids, 7).size() == (ids.size() + 6) / 7);
}

TEST_CASE("sirene lookup_many: results keep input order with per-item errors", "[sirene][lookup_many]") {
    SireneHarness h;
    const auto sirets = synthetic_sirets(h.data(), 2);
    const auto head = examples(h.data(), [](const Record &e) { return head_office(e) && published(e); })[0];
    const std::vector<std::string> input = {
        sirets[0],          // found
        "73282932000074",   // valid, unknown
        "12345",            // malformed
        sirets[1],          // found
        head.substr(0, 9),  // a SIREN: its head office
        sirets[0],          // a duplicate
        "809893225",        // a SIREN without establishment here: the legal unit
        "39860733300059",   // the recorded one
        "35600000049838",   // La Poste's rule broken
    };
    const auto result = h.ok("lookup_many", many(input));
    REQUIRE(result->getArray("items")->size() == input.size());
    CHECK(item(result, 0)->getValue<bool>("ok"));
    CHECK(item(result, 1)->getObject("error")->getValue<std::string>("class") == "not_found");
    CHECK(item(result, 2)->getObject("error")->getValue<std::string>("class") == "invalid_input");
    CHECK(item(result, 2)->getObject("error")->getValue<std::string>("reason") == "length");
    CHECK(item(result, 2)->isNull("identifier"));
    CHECK(item(result, 3)->getObject("record")->getValue<std::string>("siret") == sirets[1]);
    CHECK(item(result, 4)->getObject("record")->getValue<std::string>("siret") == head);
    CHECK(item(result, 5)->getObject("record")->getValue<std::string>("siret") == sirets[0]);
    CHECK(item(result, 6)->getObject("record")->getValue<std::string>("source") == "legal_unit");
    CHECK(item(result, 7)->getObject("record")->getValue<std::string>("name") == "BERTRAND GRONDIN");
    CHECK(item(result, 8)->getObject("error")->getValue<std::string>("reason") == "la_poste_digit_sum");
    const auto stats = result->getObject("stats");
    CHECK(stats->getValue<int>("requested") == 9);
    CHECK(stats->getValue<int>("invalid") == 2);
    CHECK(stats->getValue<int>("unique") == 6);
    CHECK(stats->getValue<int>("not_found") == 1);
    // One batch for the six, then /siren for the SIREN without a head office.
    CHECK(stats->getValue<int>("upstream_requests") == 2);
    CHECK(h.emulator().api_requests() == 2);
}

TEST_CASE("sirene lookup_many: after a 429 it waits for X-Rate-Limit-Reset, then finishes",
          "[sirene][lookup_many][quota]") {
    // 5 requests per 1 s window, and another program with the same key has just used them:
    // the connector's first request meets a 429 and must wait for the reset INSEE announces.
    HarnessOptions options;
    options.requests_per_window = 5;
    options.window = 1s;
    options.settings = R"({"quota_per_minute":1000,"batch_size":20,"rate_limit_wait_seconds":30})";
    SireneHarness h(options);
    support::HttpClientOptions trust;
    trust.extra_ca_file = h.ca_file().string();
    support::HttpClient other(trust);
    for (int i = 0; i < 5; ++i)
        REQUIRE(other.send(support::HttpRequest::get(h.emulator().base_url() + "/informations")
                               .header("X-INSEE-Api-Key-Integration", "relais-test-key"))
                    .status == 200);
    const auto ids = synthetic_sirets(h.data(), 100);
    const auto result = h.ok("lookup_many", many(ids));
    CHECK(result->getObject("stats")->getValue<int>("found") == 100);
    CHECK(result->getObject("stats")->getValue<int>("failed") == 0);
    CHECK(h.emulator().rate_limited() == 1);  // the first try, and no other: the headers pace the rest
    std::size_t batches = 0;
    for (const auto &r : h.emulator().server().requests()) batches += r.status == 200 && r.path == "/api-sirene/3.11/siret";
    CHECK(batches == 5);
}

TEST_CASE("sirene lookup_many: paced by its own quota setting when INSEE says nothing", "[sirene][lookup_many][quota]") {
    // No X-Rate-Limit-* from this emulator: the connector's own window (4 per second here) is
    // all that paces it.
    HarnessOptions options;
    options.requests_per_window = 0;
    options.settings = R"({"quota_per_minute":4,"quota_window_seconds":1,"batch_size":25})";
    SireneHarness h(options);
    const auto ids = synthetic_sirets(h.data(), 250);  // 10 requests: three windows
    const auto started = std::chrono::steady_clock::now();
    const auto result = h.ok("lookup_many", many(ids));
    CHECK(result->getObject("stats")->getValue<int>("found") == 250);
    CHECK(h.emulator().api_requests() == 10);
    CHECK(std::chrono::steady_clock::now() - started >= 2s);  // 4 + 4 + 2, a window apart
    // Never more than 4 in any second, by the emulator's own arrival times.
    const auto requests = h.emulator().server().requests();
    for (std::size_t i = 0; i + 4 < requests.size(); ++i) CHECK(requests[i + 4].time - requests[i].time >= 900ms);
}

TEST_CASE("sirene lookup_many: when the quota cannot be waited for, the rest fail as rate_limited with a delay",
          "[sirene][lookup_many][quota]") {
    HarnessOptions options;
    options.requests_per_window = 2;
    options.settings = R"({"quota_per_minute":1000,"batch_size":10,"rate_limit_wait_seconds":0})";
    SireneHarness h(options);
    const auto ids = synthetic_sirets(h.data(), 50);
    const auto result = h.ok("lookup_many", many(ids));
    const auto stats = result->getObject("stats");
    CHECK(stats->getValue<int>("found") == 20);   // two batches got through
    CHECK(stats->getValue<int>("failed") == 30);  // INSEE said 0 left for a minute: the rest were not sent
    for (unsigned i = 20; i < 50; ++i) {
        const auto error = item(result, i)->getObject("error");
        CHECK(error->getValue<std::string>("class") == "rate_limited");
        CHECK(error->getValue<int64_t>("retry_after_ms") > 0);
    }
    CHECK(h.emulator().api_requests() == 2);
    CHECK(h.emulator().rate_limited() == 0);  // known from X-Rate-Limit-Remaining: no request wasted on a 429
}

TEST_CASE("sirene lookup_many: INSEE's 400 to a batch is the connector's fault and fails the call as internal",
          "[sirene][lookup_many][errors]") {
    SireneHarness h;
    // The identifiers were checked here and the q is the connector's own: no item is the
    // caller's to fix, and every other batch would be built the same way.
    h.emulator().refuse_next(400, "Nombre incorrect de paramètres ou les paramètres sont mal formatés");
    const auto r = h.call("lookup_many", many(synthetic_sirets(h.data(), 30)));
    CHECK(r.status == RELAIS_INTERNAL);
    CHECK_THAT(r.message, Catch::Contains("HTTP 400"));
    CHECK(h.emulator().api_requests() == 1);
}

TEST_CASE("sirene lookup_many: an input that is not a list of strings is refused as a whole", "[sirene][lookup_many]") {
    SireneHarness h;
    CHECK(h.call("lookup_many", "{}").status == RELAIS_INVALID_INPUT);
    const auto r = h.call("lookup_many", R"({"identifiers":["39860733300059",39860733300059]})");
    CHECK(r.status == RELAIS_INVALID_INPUT);
    CHECK(r.message == "identifiers[1] must be a string (a SIRET or SIREN)");
    CHECK(h.emulator().api_requests() == 0);
}

TEST_CASE("sirene lookup_many: a wrong key fails the whole call, not item by item", "[sirene][lookup_many]") {
    SireneHarness h;
    REQUIRE(h.configure(R"({"api_key":"wrong"})").ok());
    const auto r = h.call("lookup_many", many(synthetic_sirets(h.data(), 30)));
    CHECK(r.status == RELAIS_UNAUTHORIZED);
    CHECK(h.emulator().api_requests() == 1);
}
