// Business events through `relais serve`, as an ERP sees them: emitted by a plugin's action,
// read with GET /api/v1/events after a cursor that survives a restart, and pushed, signed, to
// a receiver on loopback, retried when it refuses, kept as failed and sent again on demand.
// The endpoint's secret shows in no log line and no API answer.
#include "http_client.hpp"
#include "plugin_files.hpp"
#include "serve_process.hpp"
#include "temp_dir.hpp"

#include "../events/receiver.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <csignal>
#include <fstream>
#include <thread>

using namespace relais;
using test::HttpClient;
using test::ServeProcess;

namespace {

const std::string kClientToken = "client-token-0123456789abcdef";
const std::string kAdminToken = "admin-token-0123456789abcdef";
const std::string kEventsSecret = "Events-Secret-9b2e61d04c";

int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A plugin directory with the emitter, a data directory and a configuration file whose
// host.events section is `events` (JSON).
struct Host {
    test::TempDir dir;
    std::string plugins = (dir / "plugins").string();
    std::string data = (dir / "data").string();
    std::string config = (dir / "relais.json").string();

    explicit Host(const std::string &events = "{}") {
        test::copy_plugin(test::test_plugin_case_dir("emitter"), "emitter", plugins);
        std::ofstream(config) << R"({
          "host": {
            "log": {"level": "debug"},
            "events": )" << events << R"(,
            "tokens": [
              {"name": "erp", "token": ")" << kClientToken << R"(", "scopes": ["client"]},
              {"name": "admin", "token": ")" << kAdminToken << R"(", "scopes": ["admin"]}
            ]
          },
          "connectors": {"emitter": {}}})";
    }

    std::unique_ptr<ServeProcess> serve() const {
        return std::make_unique<ServeProcess>(plugins, std::vector<std::string>{"--config", config, "--data-dir", data},
                                              std::vector<std::pair<std::string, std::string>>{
                                                  {"EVENTS_SECRET", kEventsSecret}});
    }
};

test::HttpResult emit(HttpClient &http, const std::string &type, const std::string &subject,
                      const std::string &extra = "") {
    return http.post("/api/v1/connectors/emitter/actions/emit", kClientToken,
                     R"({"type":")" + type + R"(","subject":")" + subject + R"(","data":{"n":")" + subject + "\"}" +
                         extra + "}");
}

std::vector<std::string> subjects(const test::HttpResult &r) {
    std::vector<std::string> out;
    const auto events = r.json()->getArray("events");
    for (std::size_t i = 0; i < events->size(); ++i) out.push_back(events->getObject(i)->getValue<std::string>("subject"));
    return out;
}

std::string message_of(const test::HttpResult &r) {
    return r.json()->getObject("error")->getValue<std::string>("message");
}

Poco::JSON::Object::Ptr parsed(const std::string &body) {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

TEST_CASE("service events: read after a cursor, filtered, paged, deduplicated, and kept across a restart",
          "[service][events]") {
    Host host;
    auto serve = host.serve();
    HttpClient http(serve->url());

    CHECK(http.get("/api/v1/events").status == 401);
    auto r = http.get("/api/v1/events", kClientToken);
    REQUIRE(r.status == 200);
    CHECK(r.json()->getArray("events")->size() == 0);
    const auto start = r.json()->getValue<std::string>("next_cursor");
    CHECK(http.get("/api/v1/events", kAdminToken).status == 200);  // any valid token reads

    REQUIRE(emit(http, "invoice.paid", "F-1").status == 200);
    REQUIRE(emit(http, "invoice.rejected", "F-2").status == 200);
    REQUIRE(emit(http, "structure.updated", "S-1").status == 200);
    REQUIRE(emit(http, "invoice.paid", "F-3", R"(,"dedupe_key":"F-3/paid")").status == 200);
    REQUIRE(emit(http, "invoice.paid", "F-3", R"(,"dedupe_key":"F-3/paid")").status == 200);  // dropped
    // A bad type is the plugin's invalid input.
    r = emit(http, "Invoice Paid", "F-4");
    CHECK(r.status == 400);
    CHECK(message_of(r).find("lowercase letters") != std::string::npos);

    r = http.get("/api/v1/events?after=" + start, kClientToken);
    REQUIRE(r.status == 200);
    CHECK(subjects(r) == std::vector<std::string>{"F-1", "F-2", "S-1", "F-3"});
    const auto first = r.json()->getArray("events")->getObject(0);
    CHECK(first->getValue<std::string>("type") == "invoice.paid");
    CHECK(first->getValue<std::string>("connector") == "emitter");
    CHECK(first->getValue<std::string>("id").rfind("evt_", 0) == 0);
    CHECK(first->getObject("data")->getValue<std::string>("n") == "F-1");
    const auto end = r.json()->getValue<std::string>("next_cursor");
    // Nothing new: the same cursor back.
    r = http.get("/api/v1/events?after=" + end, kClientToken);
    CHECK(r.json()->getArray("events")->size() == 0);
    CHECK(r.json()->getValue<std::string>("next_cursor") == end);

    // Pages of two.
    std::vector<std::string> paged;
    std::string cursor = start;
    for (int i = 0; i < 4; ++i) {
        r = http.get("/api/v1/events?limit=2&after=" + cursor, kClientToken);
        REQUIRE(r.status == 200);
        const auto page = subjects(r);
        if (page.empty()) break;
        CHECK(page.size() <= 2);
        paged.insert(paged.end(), page.begin(), page.end());
        cursor = r.json()->getValue<std::string>("next_cursor");
    }
    CHECK(paged == std::vector<std::string>{"F-1", "F-2", "S-1", "F-3"});

    CHECK(subjects(http.get("/api/v1/events?type=invoice.*", kClientToken)) ==
          std::vector<std::string>{"F-1", "F-2", "F-3"});
    CHECK(subjects(http.get("/api/v1/events?type=invoice.rejected,structure.updated", kClientToken)) ==
          std::vector<std::string>{"F-2", "S-1"});
    CHECK(subjects(http.get("/api/v1/events?connector=other", kClientToken)).empty());

    for (const auto &[query, parameter] : std::vector<std::pair<std::string, std::string>>{
             {"after=42", "after"}, {"limit=0", "limit"}, {"limit=501", "limit"}, {"limit=ten", "limit"},
             {"type=Invoice", "type"}, {"type=invoice.,x", "type"}, {"typ=invoice.paid", "typ"}}) {
        r = http.get("/api/v1/events?" + query, kClientToken);
        INFO(query << " -> " << r.body);
        CHECK(r.status == 400);
        CHECK(message_of(r).find(parameter) != std::string::npos);
    }

    // The cursor still means the same after a restart.
    serve->signal(SIGTERM);
    REQUIRE(serve->wait_exit() == 0);
    serve = host.serve();
    HttpClient again(serve->url());
    REQUIRE(emit(again, "invoice.paid", "F-5").status == 200);
    CHECK(subjects(again.get("/api/v1/events?after=" + end, kClientToken)) == std::vector<std::string>{"F-5"});
    CHECK(again.get("/metrics", kClientToken).body.find("relais_events_total{connector=\"emitter\"} 1") !=
          std::string::npos);
}

TEST_CASE("service events: pushed signed to an endpoint, retried, kept as failed and sent again, the secret stays hidden",
          "[service][events]") {
    test::EventReceiver receiver(kEventsSecret, nullptr, now_s);
    Host host(R"({"delivery": {"max_attempts": 2, "first_retry_seconds": 0.05, "max_retry_seconds": 0.1},
                  "endpoints": [{"name": "erp", "url": ")" + receiver.url() + R"(", "secret": "${env:EVENTS_SECRET}",
                                 "types": ["invoice.*"]}]})");
    auto serve = host.serve();
    HttpClient http(serve->url());

    // Delivered at once.
    REQUIRE(emit(http, "invoice.paid", "F-1").status == 200);
    REQUIRE(receiver.wait_for(1));
    auto got = receiver.received();
    CHECK(got[0].valid);
    CHECK(got[0].status == 200);
    CHECK(parsed(got[0].body)->getValue<std::string>("subject") == "F-1");

    // Not for this endpoint: not sent. Refused once: sent again shortly after.
    receiver.answer_next({500});
    REQUIRE(emit(http, "structure.updated", "S-1").status == 200);
    REQUIRE(emit(http, "invoice.paid", "F-2").status == 200);
    REQUIRE(receiver.wait_for(3));
    got = receiver.received();
    CHECK(got[1].status == 500);
    CHECK(got[2].status == 200);
    CHECK(parsed(got[2].body)->getValue<std::string>("subject") == "F-2");
    CHECK(got[1].event_id == got[2].event_id);

    // Refused at every attempt: failed, listed, and sent again by an administrator.
    receiver.answer_next({500, 500});
    REQUIRE(emit(http, "invoice.rejected", "F-3").status == 200);
    REQUIRE(receiver.wait_for(5));
    test::HttpResult failed;
    for (int i = 0; i < 200; ++i) {  // the record follows the answer by a moment
        failed = http.get("/api/v1/events/deliveries?state=failed", kClientToken);
        if (failed.status == 200 && failed.json()->getArray("deliveries")->size() == 1) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    REQUIRE(failed.json()->getArray("deliveries")->size() == 1);
    const auto delivery = failed.json()->getArray("deliveries")->getObject(0);
    CHECK(delivery->getValue<std::string>("endpoint") == "erp");
    CHECK(delivery->getValue<int>("attempts") == 2);
    CHECK(delivery->getValue<std::string>("last_error") == "HTTP 500");
    const auto id = delivery->getValue<std::string>("event_id");
    CHECK(id == receiver.received()[4].event_id);

    CHECK(http.post("/api/v1/events/" + id + "/retry", kClientToken).status == 403);
    CHECK(http.post("/api/v1/events/evt_000000000000000000000000/retry", kAdminToken).status == 404);
    auto r = http.post("/api/v1/events/" + id + "/retry", kAdminToken);
    REQUIRE(r.status == 200);
    CHECK(r.json()->getValue<int>("retried") == 1);
    REQUIRE(receiver.wait_for(6));
    got = receiver.received();
    CHECK(got[5].event_id == id);
    CHECK(got[5].status == 200);

    const auto metrics = http.get("/metrics", kClientToken).body;
    CHECK(metrics.find("relais_event_deliveries_total{endpoint=\"erp\",outcome=\"failed\"} 1") != std::string::npos);

    // The secret: in no answer and in no log line.
    for (const auto &path : {"/api/v1/events", "/api/v1/events/deliveries", "/api/v1/connectors", "/metrics"})
        CHECK(http.get(path, kAdminToken).body.find(kEventsSecret) == std::string::npos);
    serve->signal(SIGTERM);
    REQUIRE(serve->wait_exit() == 0);
    for (const auto &line : serve->output()) {
        INFO(line);
        CHECK(line.find(kEventsSecret) == std::string::npos);
    }
    for (const auto &g : receiver.received()) CHECK(g.body.find(kEventsSecret) == std::string::npos);
}
