// Pushed deliveries as a receiver sees them: signed POSTs over verified HTTPS, in order, at
// least once; retried with backoff on failure (on a test clock: the test moves time once the
// deliverer waits), kept as failed after the last attempt and sent again on demand; resumed
// after a restart; one endpoint down never holding another back.
#include "events/delivery_store.hpp"
#include "events/event_deliverer.hpp"
#include "events/event_log.hpp"
#include "jobs/sqlite_job_store.hpp"

#include "certificate_authority.hpp"
#include "receiver.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Parser.h>

using namespace relais;
using namespace relais::host;
using namespace relais::host::events;
using namespace std::chrono_literals;

namespace {

constexpr int64_t T0 = 1'780'000'000'000;
const std::string kSecret = "whsec-test-4d1f9a7c2b";
constexpr auto kPatience = 10s;

// The log, the positions and the deliverer on one relais.db, opened and closed as a host does.
struct Rig {
    test::TempDir dir{"relais-deliveries"};
    ManualClock clock{T0};
    test::TempDir ca_dir{"relais-deliveries-ca"};
    emulator::TestCertificateAuthority ca{ca_dir.path()};
    std::unique_ptr<EventLog> log;
    std::unique_ptr<DeliveryStore> store;
    std::unique_ptr<EventDeliverer> deliverer;
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::pair<std::string, std::string>> outcomes;  // endpoint, outcome

    Rig() { SqliteJobStore make_db(dir.path()); }
    ~Rig() { close(); }

    EventEndpoint endpoint(const std::string &name, const std::string &url, std::vector<std::string> types = {}) const {
        EventEndpoint e;
        e.name = name;
        e.url = url;
        e.secret = kSecret;
        e.ca_file = ca.ca_file();
        for (const auto &t : types) e.types.emplace_back(t, "types");
        return e;
    }

    void open(std::vector<EventEndpoint> endpoints, DeliveryPolicy policy = quick()) {
        log = std::make_unique<EventLog>(dir.path(), clock);
        store = std::make_unique<DeliveryStore>(dir.path());
        deliverer = std::make_unique<EventDeliverer>(*log, *store, clock, std::move(endpoints), policy,
                                                     [this](const std::string &endpoint, std::string_view outcome) {
                                                         {
                                                             std::lock_guard<std::mutex> lock(mutex);
                                                             outcomes.emplace_back(endpoint, std::string(outcome));
                                                         }
                                                         changed.notify_all();
                                                     });
        log->set_on_emitted([this](const Event &) { deliverer->notify(); });
        deliverer->start();
    }
    void close() {
        deliverer.reset();
        store.reset();
        log.reset();
    }

    static DeliveryPolicy quick() {
        DeliveryPolicy p;
        p.max_attempts = 4;
        p.first_delay = 60s;
        p.max_delay = 600s;
        p.timeout = 5s;
        return p;
    }

    std::size_t count(const std::string &outcome, const std::string &endpoint = "erp") {
        std::lock_guard<std::mutex> lock(mutex);
        return static_cast<std::size_t>(std::count(outcomes.begin(), outcomes.end(), std::make_pair(endpoint, outcome)));
    }
    bool wait_outcome(const std::string &outcome, std::size_t n, const std::string &endpoint = "erp") {
        std::unique_lock<std::mutex> lock(mutex);
        return changed.wait_for(lock, kPatience, [&] {
            return static_cast<std::size_t>(std::count(outcomes.begin(), outcomes.end(),
                                                       std::make_pair(endpoint, outcome))) >= n;
        });
    }
    // Once the deliverer waits for its next retry, moves time by `ms`.
    void advance_when_waiting(int64_t ms) {
        REQUIRE(clock.await_waiting(1, kPatience));
        clock.advance(ms);
    }
    std::function<int64_t()> receiver_clock() {
        return [this] { return clock.now_ms() / 1000; };
    }
    DeliveryRecord only_record(const std::string &endpoint = "erp") {
        DeliveryFilter f;
        f.endpoint = endpoint;
        const auto records = store->list(f);
        REQUIRE(records.size() == 1);
        return records[0];
    }
};

Poco::JSON::Object::Ptr parsed(const std::string &body) {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

TEST_CASE("deliveries: each event is POSTed once, in order, signed, over verified HTTPS", "[events][deliveries]") {
    Rig rig;
    test::EventReceiver receiver(kSecret, &rig.ca.server_files(), rig.receiver_clock());
    rig.open({rig.endpoint("erp", receiver.url())});
    rig.log->emit("chorus", "invoice.status_changed", "F-1", R"({"status":"MISE_EN_PAIEMENT"})");
    rig.log->emit("chorus", "invoice.paid", "F-1", R"({"amount":10})");
    REQUIRE(rig.wait_outcome("delivered", 2));

    const auto got = receiver.received();
    REQUIRE(got.size() == 2);
    const auto first = parsed(got[0].body);
    CHECK(first->getValue<std::string>("type") == "invoice.status_changed");
    CHECK(first->getValue<std::string>("connector") == "chorus");
    CHECK(first->getValue<std::string>("subject") == "F-1");
    CHECK(first->getValue<std::string>("created_at").rfind("2026-", 0) == 0);
    CHECK(first->getObject("data")->getValue<std::string>("status") == "MISE_EN_PAIEMENT");
    CHECK(first->getValue<std::string>("id") == got[0].event_id);
    CHECK(parsed(got[1].body)->getValue<std::string>("type") == "invoice.paid");
    for (const auto &r : got) {
        CHECK(r.valid);
        CHECK(r.signature.rfind("t=" + std::to_string(T0 / 1000) + ",v1=", 0) == 0);
        CHECK(r.body.find(kSecret) == std::string::npos);
    }

    // The signature holds for these exact bytes only, with this secret only, and only while fresh.
    const auto &r = got[0];
    CHECK(test::signature_valid(kSecret, r.signature, r.body, T0 / 1000 + 299));
    std::string tampered = r.body;
    tampered.replace(tampered.find("MISE_EN_PAIEMENT"), 16, "REJETEE_________");
    CHECK_FALSE(test::signature_valid(kSecret, r.signature, tampered, T0 / 1000));
    CHECK_FALSE(test::signature_valid("whsec-test-another-one", r.signature, r.body, T0 / 1000));
    CHECK_FALSE(test::signature_valid(kSecret, r.signature, r.body, T0 / 1000 + 301));
    // Nothing needed a second attempt.
    CHECK(rig.store->list(DeliveryFilter{}).empty());
}

TEST_CASE("deliveries: a refused delivery is retried after a backoff, and later events wait their turn",
          "[events][deliveries]") {
    Rig rig;
    test::EventReceiver receiver(kSecret, &rig.ca.server_files(), rig.receiver_clock());
    receiver.answer_next({500, 503});
    rig.open({rig.endpoint("erp", receiver.url())});
    rig.log->emit("chorus", "invoice.paid", "F-1", "{}");
    REQUIRE(rig.wait_outcome("retrying", 1));
    auto record = rig.only_record();
    CHECK(record.state == DeliveryState::retrying);
    CHECK(record.attempts == 1);
    CHECK(record.last_error == "HTTP 500");
    // 60 s, less up to half of it as jitter.
    REQUIRE(record.next_attempt_at);
    CHECK(*record.next_attempt_at >= T0 + 30'000);
    CHECK(*record.next_attempt_at <= T0 + 60'000);

    rig.log->emit("chorus", "invoice.paid", "F-2", "{}");
    rig.advance_when_waiting(60'000);
    REQUIRE(rig.wait_outcome("retrying", 2));
    record = rig.only_record();
    CHECK(record.attempts == 2);
    CHECK(record.last_error == "HTTP 503");
    // The second delay doubles: 120 s less jitter, from the time of the second attempt.
    CHECK(*record.next_attempt_at >= T0 + 60'000 + 60'000);
    CHECK(*record.next_attempt_at <= T0 + 60'000 + 120'000);
    CHECK(receiver.received().size() == 2);  // F-2 has not gone before F-1

    rig.advance_when_waiting(120'000);
    REQUIRE(rig.wait_outcome("delivered", 2));
    const auto got = receiver.received();
    REQUIRE(got.size() == 4);
    std::vector<std::string> subjects;
    for (const auto &r : got) subjects.push_back(parsed(r.body)->getValue<std::string>("subject"));
    CHECK(subjects == std::vector<std::string>{"F-1", "F-1", "F-1", "F-2"});
    CHECK(got[0].event_id == got[2].event_id);
    record = rig.only_record();
    CHECK(record.state == DeliveryState::delivered);
    CHECK(record.attempts == 3);
}

TEST_CASE("deliveries: after the last attempt a delivery is kept as failed, the next event goes, and a retry sends it",
          "[events][deliveries]") {
    Rig rig;
    test::EventReceiver receiver(kSecret, &rig.ca.server_files(), rig.receiver_clock());
    receiver.answer_next({500, 500, 500, 500});
    rig.open({rig.endpoint("erp", receiver.url())});
    rig.log->emit("chorus", "invoice.paid", "F-1", "{}");
    rig.log->emit("chorus", "invoice.paid", "F-2", "{}");
    for (int i = 1; i < 4; ++i) {
        REQUIRE(rig.wait_outcome("retrying", static_cast<std::size_t>(i)));
        rig.advance_when_waiting(600'000);
    }
    REQUIRE(rig.wait_outcome("failed", 1));
    REQUIRE(rig.wait_outcome("delivered", 1));
    auto got = receiver.received();
    REQUIRE(got.size() == 5);
    CHECK(parsed(got[4].body)->getValue<std::string>("subject") == "F-2");
    auto record = rig.only_record();
    CHECK(record.state == DeliveryState::failed);
    CHECK(record.attempts == 4);
    CHECK(record.last_error == "HTTP 500");
    CHECK_FALSE(record.next_attempt_at);

    // Sent again on demand (the receiver is fixed now), and recorded as delivered.
    CHECK(rig.store->retry_failed(record.sequence, rig.clock.now_ms()) == 1);
    rig.deliverer->notify();
    REQUIRE(rig.wait_outcome("delivered", 2));
    got = receiver.received();
    REQUIRE(got.size() == 6);
    CHECK(parsed(got[5].body)->getValue<std::string>("subject") == "F-1");
    CHECK(rig.only_record().state == DeliveryState::delivered);
    CHECK(rig.store->retry_failed(record.sequence, rig.clock.now_ms()) == 0);
}

TEST_CASE("deliveries: an event not delivered when the host stops is delivered after it starts again",
          "[events][deliveries]") {
    Rig rig;
    test::EventReceiver receiver(kSecret, &rig.ca.server_files(), rig.receiver_clock());
    rig.open({rig.endpoint("erp", receiver.url())});
    receiver.server().stop();  // the ERP is down
    rig.log->emit("chorus", "invoice.paid", "F-1", "{}");
    REQUIRE(rig.wait_outcome("retrying", 1));
    CHECK(rig.only_record().last_error.find("onnection") != std::string::npos);
    rig.close();

    // Emitted while nothing delivers (the deliverer is stopped).
    {
        EventLog log(rig.dir.path(), rig.clock);
        log.emit("chorus", "invoice.paid", "F-2", "{}");
    }
    receiver.server().start();
    rig.clock.advance(3'600'000);
    rig.open({rig.endpoint("erp", receiver.url())});
    REQUIRE(rig.wait_outcome("delivered", 2));
    const auto got = receiver.received();
    REQUIRE(got.size() == 2);
    CHECK(parsed(got[0].body)->getValue<std::string>("subject") == "F-1");
    CHECK(parsed(got[1].body)->getValue<std::string>("subject") == "F-2");
    CHECK(rig.only_record().state == DeliveryState::delivered);

    // And once delivered, a restart sends nothing again.
    rig.close();
    rig.open({rig.endpoint("erp", receiver.url())});
    rig.log->emit("chorus", "invoice.paid", "F-3", "{}");
    REQUIRE(rig.wait_outcome("delivered", 3));
    CHECK(receiver.received().size() == 3);
}

TEST_CASE("deliveries: an endpoint that is down holds no other back, each gets only the types it asked for",
          "[events][deliveries]") {
    Rig rig;
    test::EventReceiver up(kSecret, nullptr, rig.receiver_clock());  // plain HTTP
    test::EventReceiver down(kSecret, &rig.ca.server_files(), rig.receiver_clock());
    const auto down_url = down.url();
    down.server().stop();
    rig.open({rig.endpoint("down", down_url), rig.endpoint("erp", up.url(), {"invoice.*"})});
    rig.log->emit("chorus", "invoice.paid", "F-1", "{}");
    rig.log->emit("chorus", "structure.updated", "S-1", "{}");
    rig.log->emit("chorus", "invoice.rejected", "F-2", "{}");
    REQUIRE(rig.wait_outcome("delivered", 2));
    REQUIRE(rig.wait_outcome("retrying", 1, "down"));
    const auto got = up.received();
    REQUIRE(got.size() == 2);
    CHECK(parsed(got[0].body)->getValue<std::string>("subject") == "F-1");
    CHECK(parsed(got[1].body)->getValue<std::string>("subject") == "F-2");
    CHECK(rig.count("delivered", "down") == 0);
}

TEST_CASE("deliveries: an endpoint seen for the first time gets the events emitted from then on",
          "[events][deliveries]") {
    Rig rig;
    test::EventReceiver receiver(kSecret, nullptr, rig.receiver_clock());
    {
        EventLog log(rig.dir.path(), rig.clock);
        log.emit("chorus", "invoice.paid", "before", "{}");
    }
    rig.open({rig.endpoint("erp", receiver.url())});
    rig.log->emit("chorus", "invoice.paid", "after", "{}");
    REQUIRE(rig.wait_outcome("delivered", 1));
    const auto got = receiver.received();
    REQUIRE(got.size() == 1);
    CHECK(parsed(got[0].body)->getValue<std::string>("subject") == "after");
}

TEST_CASE("deliveries: the backoff doubles up to its ceiling", "[events][deliveries]") {
    DeliveryPolicy p;
    p.first_delay = 60s;
    p.max_delay = 6h;
    CHECK(backoff_delay(p, 1) == 60s);
    CHECK(backoff_delay(p, 2) == 120s);
    CHECK(backoff_delay(p, 5) == 960s);
    CHECK(backoff_delay(p, 10) == 6h);
    CHECK(backoff_delay(p, 60) == 6h);
    // The default policy spreads its attempts over about a day.
    DeliveryPolicy defaults;
    std::chrono::milliseconds total{0};
    for (int i = 1; i < defaults.max_attempts; ++i) total += backoff_delay(defaults, i);
    CHECK(total > 12h);
    CHECK(total < 30h);
}
