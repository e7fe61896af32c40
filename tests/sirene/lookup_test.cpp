// lookup through the host, over HTTPS against the emulator: the recorded and synthetic
// companies, every kind of answer, and the failures that must not cost a request.
#include "sirene_examples.hpp"
#include "sirene_harness.hpp"

#include "plugins/plugin_backend.hpp"

#include <relais/support/http_client.hpp>

#include <catch2/catch.hpp>

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

using namespace relais;
using namespace relais::test;

namespace {

std::string input(const std::string &identifier, bool raw = true) {
    return "{\"identifier\":" + json_string(identifier) + ",\"include_raw\":" + (raw ? "true" : "false") + "}";
}

std::string str(const Poco::JSON::Object::Ptr &o, const std::string &key) { return o->getValue<std::string>(key); }

// What the plugin logs through the host (logger relais.plugin.sirene), kept while it lives.
class PluginLog {
public:
    PluginLog() : logger_(Poco::Logger::get("relais.plugin.sirene")), previous_level_(logger_.getLevel()) {
        previous_channel_ = logger_.getChannel();
        lines_ = new Lines;
        logger_.setChannel(lines_);
        logger_.setLevel(Poco::Message::PRIO_INFORMATION);
    }
    ~PluginLog() {
        logger_.setChannel(previous_channel_);
        logger_.setLevel(previous_level_);
    }
    PluginLog(const PluginLog &) = delete;
    PluginLog &operator=(const PluginLog &) = delete;

    std::vector<std::string> lines() const { return lines_->all(); }
    bool has(const std::string &text) const {
        const auto all = lines();
        return std::any_of(all.begin(), all.end(), [&](const std::string &l) { return l.find(text) != std::string::npos; });
    }

private:
    class Lines : public Poco::Channel {
    public:
        void log(const Poco::Message &message) override {
            std::lock_guard lock(mutex_);
            lines_.push_back(message.getText());
        }
        std::vector<std::string> all() const {
            std::lock_guard lock(mutex_);
            return lines_;
        }

    private:
        mutable std::mutex mutex_;
        std::vector<std::string> lines_;
    };

    Poco::Logger &logger_;
    const int previous_level_;
    Poco::Channel::Ptr previous_channel_;
    Poco::AutoPtr<Lines> lines_;
};

// A call with a deadline, as the host's scheduler gives one.
class CallWithDeadline final : public relais_call_ctx {
public:
    explicit CallWithDeadline(std::chrono::milliseconds left) : deadline_(std::chrono::steady_clock::now() + left) {}
    relais_status acquire_quota(uint32_t, uint64_t, uint64_t *) override { return RELAIS_OK; }
    bool cancelled() const override { return false; }
    uint64_t remaining_ms() const override {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
        return static_cast<uint64_t>(std::max<int64_t>(0, left.count()));
    }

private:
    std::chrono::steady_clock::time_point deadline_;
};

// Another program with the same key spends INSEE's window.
void spend_the_window(SireneHarness &h, int requests) {
    support::HttpClientOptions trust;
    trust.extra_ca_file = h.ca_file().string();
    support::HttpClient other(trust);
    for (int i = 0; i < requests; ++i)
        REQUIRE(other.send(support::HttpRequest::get(h.emulator().base_url() + "/informations")
                               .header("X-INSEE-Api-Key-Integration", "relais-test-key"))
                    .status == 200);
}

}  // namespace

TEST_CASE("sirene lookup: the recorded SIRET comes back normalised, with the raw record, in one request", "[sirene][lookup]") {
    SireneHarness h;
    const auto r = h.ok("lookup", input("398 607 333 00059"));
    CHECK(str(r, "siret") == "39860733300059");
    CHECK(str(r, "name") == "BERTRAND GRONDIN");
    CHECK(r->getValue<bool>("individual"));
    CHECK(str(r->getObject("legal_form"), "label") == "Entrepreneur individuel");
    CHECK(str(r->getObject("activity"), "code") == "56.10C");
    CHECK(str(r->getObject("address"), "postal_code") == "97490");
    CHECK(str(r, "state") == "closed");
    CHECK(str(r, "closed_on") == "2016-04-01");
    CHECK_FALSE(r->getValue<bool>("cached"));
    CHECK(str(r->getObject("raw"), "siret") == "39860733300059");
    CHECK(h.emulator().api_requests() == 1);
    CHECK(h.emulator().server().count("GET", "/api-sirene/3.11/siret/{siret}") == 1);
    // The key went in the header INSEE expects, and never in the URL.
    const auto sent = h.emulator().server().requests().back();
    CHECK(sent.headers.get("X-INSEE-Api-Key-Integration") == "relais-test-key");
    CHECK(sent.query.empty());
    CHECK_FALSE(h.ok("lookup", input("39860733300059", false))->has("raw"));
}

TEST_CASE("sirene lookup: a SIREN resolves to its head office in one request", "[sirene][lookup]") {
    SireneHarness h;
    const auto siret = examples(h.data(), [](const Record &e) {
        return head_office(e) && published(e) && ul(e, "categorieJuridiqueUniteLegale") != "1000";
    })[0];
    const auto r = h.ok("lookup", input(siret.substr(0, 9)));
    CHECK(str(r, "siret") == siret);
    CHECK(r->getValue<bool>("head_office"));
    CHECK(str(r, "head_office_siret") == siret);
    CHECK(h.emulator().api_requests() == 1);
    const auto sent = h.emulator().server().requests().back();
    CHECK(sent.path == "/api-sirene/3.11/siret");
    CHECK_THAT(sent.query, Catch::Contains("etablissementSiege%3Atrue"));
}

TEST_CASE("sirene lookup: the recorded SIREN, with no establishment at hand, falls back to the legal unit", "[sirene][lookup]") {
    SireneHarness h;
    const auto r = h.ok("lookup", input("809893225"));
    CHECK(str(r, "source") == "legal_unit");
    CHECK(str(r, "name") == "PAPANGOO");
    CHECK(str(r->getObject("legal_form"), "code") == "5710");
    CHECK(str(r, "head_office_siret") == "80989322500015");
    CHECK(r->isNull("address"));
    CHECK(h.emulator().api_requests() == 2);  // the head-office search (404), then /siren
    CHECK(h.emulator().server().count("GET", "/api-sirene/3.11/siren/{siren}") == 1);
}

TEST_CASE("sirene lookup: individuals and companies are named by their rules", "[sirene][lookup]") {
    SireneHarness h;
    const auto person = examples(h.data(), [](const Record &e) {
        return published(e) && ul(e, "categorieJuridiqueUniteLegale") == "1000";
    })[0];
    const auto company = examples(h.data(), [](const Record &e) {
        return published(e) && ul(e, "categorieJuridiqueUniteLegale") == "5710";
    })[0];
    const auto p = h.ok("lookup", input(person));
    CHECK(p->getValue<bool>("individual"));
    const auto expected_family = ul(p->getObject("raw"), "nomUsageUniteLegale").empty()
                                     ? ul(p->getObject("raw"), "nomUniteLegale")
                                     : ul(p->getObject("raw"), "nomUsageUniteLegale");
    CHECK(str(p, "name") == ul(p->getObject("raw"), "prenomUsuelUniteLegale") + " " + expected_family);
    CHECK(p->isNull("denomination"));
    const auto c = h.ok("lookup", input(company));
    CHECK_FALSE(c->getValue<bool>("individual"));
    CHECK(str(c, "name") == ul(c->getObject("raw"), "denominationUniteLegale"));
    CHECK(c->isNull("person"));
    CHECK(str(c->getObject("legal_form"), "label") == "SAS, société par actions simplifiée");
}

TEST_CASE("sirene lookup: a closed establishment and a ceased company say so with the date", "[sirene][lookup]") {
    SireneHarness h;
    const auto closed = examples(h.data(), [](const Record &e) {
        return published(e) && ul(e, "etatAdministratifUniteLegale") == "A" && now(e, "etatAdministratifEtablissement") == "F";
    })[0];
    auto r = h.ok("lookup", input(closed));
    CHECK_FALSE(r->getValue<bool>("active"));
    CHECK(str(r, "state") == "closed");
    CHECK(str(r, "closed_on") == now(r->getObject("raw"), "dateDebut"));
    CHECK(str(r, "legal_unit_state") == "active");

    const auto ceased = examples(h.data(), [](const Record &e) {
        return published(e) && ul(e, "etatAdministratifUniteLegale") == "C";
    })[0];
    r = h.ok("lookup", input(ceased));
    CHECK_FALSE(r->getValue<bool>("active"));
    CHECK(str(r, "legal_unit_state") == "ceased");
    CHECK(str(r, "state") == "closed");
    const auto open = examples(h.data(), [](const Record &e) {
        return published(e) && now(e, "etatAdministratifEtablissement") == "A" && ul(e, "etatAdministratifUniteLegale") == "A";
    })[0];
    r = h.ok("lookup", input(open));
    CHECK(r->getValue<bool>("active"));
    CHECK(r->isNull("closed_on"));
}

TEST_CASE("sirene lookup: partially diffusible data is returned as such, not as an error", "[sirene][lookup]") {
    SireneHarness h;
    const auto siret = examples(h.data(), [](const Record &e) { return !published(e); })[0];
    const auto r = h.ok("lookup", input(siret));
    CHECK(str(r, "diffusion") == "partial");
    CHECK(r->isNull("name"));
    CHECK(r->getArray("masked_fields")->size() > 0);
    CHECK(r->getObject("address")->getArray("lines")->size() == 0);
    CHECK_FALSE(str(r->getObject("address"), "postal_code").empty());  // INSEE keeps the commune
    CHECK(str(r->getObject("raw")->getObject("uniteLegale"), "nomUniteLegale") == "[ND]");
}

TEST_CASE("sirene lookup: a partially diffusible establishment's masked CEDEX leaves its postal code and city",
          "[sirene][lookup]") {
    SireneHarness h;
    // INSEE masks the CEDEX of a partially diffusible unit with the rest of the distribution
    // details, and keeps the commune.
    const auto siret = examples(h.data(), [](const Record &e) {
        return !published(e) && e->getObject("adresseEtablissement")->optValue<std::string>("libelleCedexEtablissement", "") == "[ND]";
    })[0];
    const auto r = h.ok("lookup", input(siret));
    const auto raw = r->getObject("raw")->getObject("adresseEtablissement");
    CHECK(str(r->getObject("address"), "postal_code") == str(raw, "codePostalEtablissement"));
    // The commune's name, "PARIS 8" written "PARIS" (the arrondissement is in the postal code).
    CHECK(str(raw, "libelleCommuneEtablissement").rfind(str(r->getObject("address"), "city"), 0) == 0);
    CHECK(str(r->getObject("address"), "commune") == str(raw, "libelleCommuneEtablissement"));
    CHECK_FALSE(r->getObject("address")->getValue<bool>("cedex"));
    const auto masked = r->getArray("masked_fields");
    for (unsigned i = 0; i < masked->size(); ++i) {
        const auto field = masked->getElement<std::string>(i);
        INFO(field);
        CHECK(field != "address.city");
        CHECK(field != "address.postal_code");
    }
}

TEST_CASE("sirene lookup: the pre-2023 403 for a non-diffusible unit becomes a non_diffusible record", "[sirene][lookup]") {
    HarnessOptions options;
    options.non_diffusible_as_403 = true;
    SireneHarness h(options);
    const auto siret = examples(h.data(), [](const Record &e) { return !published(e); })[0];
    const auto r = h.ok("lookup", input(siret));
    CHECK(str(r, "diffusion") == "non_diffusible");
    CHECK(str(r, "siret") == siret);
    CHECK(r->isNull("name"));
}

TEST_CASE("sirene lookup: an unknown SIRET is not_found with INSEE's own message", "[sirene][lookup]") {
    SireneHarness h;
    const auto r = h.call("lookup", input("73282932000074"));
    CHECK(r.status == RELAIS_NOT_FOUND);
    CHECK(r.message == "INSEE knows no establishment with SIRET 73282932000074 (INSEE: Aucun élément trouvé pour le siret "
                       "73282932000074)");
    CHECK(parse(r.detail_json)->getValue<std::string>("identifier") == "73282932000074");
    const auto s = h.call("lookup", input("732829320"));
    CHECK(s.status == RELAIS_NOT_FOUND);
    CHECK_THAT(s.message, Catch::StartsWith("INSEE knows no company with SIREN 732829320"));
}

TEST_CASE("sirene lookup: malformed numbers are invalid_input and cost zero upstream calls", "[sirene][lookup]") {
    SireneHarness h;
    for (const char *bad : {"12345678900017", "123456789", "3986073330005", "39860733300O59", "", "35600000049838"}) {
        INFO(bad);
        const auto r = h.call("lookup", input(bad));
        CHECK(r.status == RELAIS_INVALID_INPUT);
        CHECK_FALSE(r.message.empty());
        CHECK_FALSE(parse(r.detail_json)->getValue<std::string>("reason").empty());
    }
    CHECK(h.call("lookup", "{}").status == RELAIS_INVALID_INPUT);
    CHECK(h.call("lookup", R"({"identifier":39860733300059})").status == RELAIS_INVALID_INPUT);  // a number, not a string
    CHECK(h.emulator().api_requests() == 0);
}

TEST_CASE("sirene lookup: La Poste's SIRETs pass by their own rule and are asked for", "[sirene][lookup]") {
    SireneHarness h;
    auto r = h.ok("lookup", input("35600000049837"));  // not Luhn, digit sum 40
    CHECK(str(r, "name") == "LA POSTE");
    CHECK(str(r, "trade_name") == "BUREAU DE POSTE");
    r = h.ok("lookup", input("35600000000048"));  // the head office, Luhn
    CHECK(r->getValue<bool>("head_office"));
    CHECK(str(r->getObject("address"), "city") == "PARIS");
    r = h.ok("lookup", input("356000000"));
    CHECK(str(r, "siret") == "35600000000048");
    CHECK(h.emulator().api_requests() == 3);
    CHECK(h.call("lookup", input("35600000049838")).status == RELAIS_INVALID_INPUT);
    CHECK(h.emulator().api_requests() == 3);
}

TEST_CASE("sirene lookup: a replaced number (doublon, 301) is followed once and said", "[sirene][lookup]") {
    SireneHarness h;
    const auto &replacements = h.data().replacements();
    REQUIRE_FALSE(replacements.empty());
    for (const auto &[old_id, new_id] : replacements) {
        if (old_id.size() != 14) continue;
        const auto r = h.ok("lookup", input(old_id));
        CHECK(str(r, "siret") == new_id);
        CHECK(str(r->getObject("replaced"), "from") == old_id);
        CHECK(str(r->getObject("replaced"), "to") == new_id);
        break;
    }
}

TEST_CASE("sirene lookup: INSEE's 400 to a number checked here is the connector's fault, internal, not invalid_input",
          "[sirene][lookup][errors]") {
    SireneHarness h;
    // The number passed the local checks, and the connector built the request: if INSEE calls
    // it malformed, the caller's input is not what is wrong.
    h.emulator().refuse_next(400, "Nombre incorrect de paramètres ou les paramètres sont mal formatés");
    auto r = h.call("lookup", input("39860733300059"));
    CHECK(r.status == RELAIS_INTERNAL);
    CHECK_THAT(r.message, Catch::Contains("HTTP 400"));
    CHECK_THAT(r.message, Catch::Contains("mal formatés"));
    // A SIREN goes through the search: the same.
    h.emulator().refuse_next(400, "Nombre incorrect de paramètres ou les paramètres sont mal formatés");
    r = h.call("lookup", input("809893225"));
    CHECK(r.status == RELAIS_INTERNAL);
    // A URI INSEE finds too long is the connector's doing too.
    h.emulator().refuse_next(414, "URI trop longue");
    CHECK(h.call("lookup", input("39860733300059")).status == RELAIS_INTERNAL);
    // And the next call is answered as usual.
    CHECK(h.call("lookup", input("39860733300059")).ok());
}

TEST_CASE("sirene lookup: a wrong key is unauthorized and says which setting to check", "[sirene][lookup]") {
    SireneHarness h;
    REQUIRE(h.configure(R"({"api_key":"not-the-key"})").ok());
    const auto r = h.call("lookup", input("39860733300059"));
    CHECK(r.status == RELAIS_UNAUTHORIZED);
    CHECK_THAT(r.message, Catch::StartsWith("INSEE refused the API key for Sirene lookup of SIRET 39860733300059: HTTP 401"));
    CHECK_THAT(r.message, Catch::Contains("check api_key"));
    CHECK_THAT(r.message, !Catch::Contains("not-the-key"));
}

TEST_CASE("sirene lookup: without the test CA the emulator's certificate is refused as invalid_config", "[sirene][lookup][tls]") {
    SireneHarness h;
    REQUIRE(h.configure(R"({"ca_file":""})").ok());
    const auto r = h.call("lookup", input("39860733300059"));
    CHECK(r.status == RELAIS_INVALID_CONFIG);
    CHECK_THAT(r.message, Catch::Contains("certificate verification failed for host localhost"));
    CHECK(h.emulator().api_requests() == 0);
    // A CA file that does not exist is refused at configure time, naming the setting.
    const auto c = h.configure(R"({"ca_file":"/nonexistent/ca.pem"})");
    CHECK(c.status == RELAIS_INVALID_CONFIG);
    CHECK_THAT(c.message, Catch::StartsWith("ca_file: "));
}

TEST_CASE("sirene lookup: a disabled connector refuses actions, and the old gateway URL is refused", "[sirene][lookup]") {
    SireneHarness h;
    REQUIRE(h.configure(R"({"enabled":false})").ok());
    const auto r = h.call("lookup", input("39860733300059"));
    CHECK(r.status == RELAIS_INVALID_CONFIG);
    CHECK_THAT(r.message, Catch::Contains("disabled"));
    const auto old = h.configure(R"({"base_url":"https://api.insee.fr/entreprises/sirene/V3.11"})");
    CHECK(old.status == RELAIS_INVALID_CONFIG);
    CHECK(h.emulator().api_requests() == 0);
}

TEST_CASE("sirene lookup: an outage is transient, for the host to retry: the call itself tries once", "[sirene][lookup]") {
    SireneHarness h;
    REQUIRE(h.configure(R"({"read_timeout_ms":300})").ok());
    PluginLog log;
    // A hang times out: transient, and not sent again within the call.
    h.emulator().server().inject(relais::emulator::Fault::hang(std::chrono::seconds(30)));
    auto r = h.call("lookup", input("39860733300059"));
    CHECK(r.status == RELAIS_TRANSIENT);
    CHECK_THAT(r.message, Catch::Contains("no answer from localhost"));
    CHECK(h.emulator().api_requests() == 1);
    // A 503 is transient too, with the delay INSEE asks for, for the host's retry policy.
    h.emulator().server().clear_faults();
    h.emulator().server().inject(relais::emulator::Fault::unavailable(std::chrono::seconds(3)));
    r = h.call("lookup", input("39860733300059"));
    CHECK(r.status == RELAIS_TRANSIENT);
    CHECK(r.retry_after_ms == 3000);
    CHECK(h.emulator().api_requests() == 2);
    h.emulator().server().inject(relais::emulator::Fault::unavailable());
    CHECK(h.call("lookup", input("39860733300059")).status == RELAIS_TRANSIENT);
    CHECK(h.emulator().api_requests() == 3);
    CHECK_FALSE(log.has("retrying"));
    // The host's next try gets through.
    CHECK(h.call("lookup", input("39860733300059")).ok());
}

TEST_CASE("sirene lookup: within rate_limit_wait_seconds a 429 is waited out, and the log says it waits",
          "[sirene][lookup][quota]") {
    HarnessOptions options;
    options.requests_per_window = 1;
    options.window = std::chrono::seconds(1);
    SireneHarness h(options);
    spend_the_window(h, 1);
    PluginLog log;
    const auto r = h.call("lookup", input("39860733300059"));
    INFO(r.message);
    CHECK(r.ok());
    CHECK(h.emulator().rate_limited() == 1);
    // The window frees within a second; the wait is said rounded up, with the clocks' margin.
    CHECK((log.has(": waiting 1 s for INSEE's quota window") || log.has(": waiting 2 s for INSEE's quota window")));
    CHECK_FALSE(log.has("giving up"));
}

TEST_CASE("sirene lookup: a 429 whose window frees after rate_limit_wait_seconds gives up at once, as the log says",
          "[sirene][lookup][quota]") {
    // INSEE's window frees in 61 s; the connector may wait 60: it must say it gives up, not
    // that it will try again in 61 s, and leave the delay to the host.
    HarnessOptions options;
    options.requests_per_window = 1;
    options.window = std::chrono::seconds(61);
    SireneHarness h(options);
    spend_the_window(h, 1);
    PluginLog log;
    const auto started = std::chrono::steady_clock::now();
    const auto r = h.call("lookup", input("39860733300059"));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
    CHECK(r.status == RELAIS_RATE_LIMITED);
    CHECK(r.retry_after_ms > 59000);
    CHECK(r.retry_after_ms <= 62000);
    CHECK(h.emulator().rate_limited() == 1);
    CHECK(h.emulator().api_requests() == 2);  // the other program's, and the one refused
    CHECK(log.has("giving up: INSEE's quota frees in 6"));
    CHECK(log.has("more than rate_limit_wait_seconds (60 s)"));
    CHECK_FALSE(log.has("next try"));
    CHECK_FALSE(log.has("waiting"));
}

TEST_CASE("sirene lookup: the wait for INSEE's quota window ends with the call's remaining time", "[sirene][lookup][quota]") {
    HarnessOptions options;
    options.requests_per_window = 1;
    options.window = std::chrono::seconds(20);
    SireneHarness h(options);  // rate_limit_wait_seconds: 60
    spend_the_window(h, 1);
    PluginLog log;
    CallWithDeadline call(std::chrono::seconds(3));
    const auto started = std::chrono::steady_clock::now();
    const auto r = h.instance().execute("lookup", input("39860733300059"), "call-with-deadline", &call);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
    CHECK(r.status == RELAIS_RATE_LIMITED);
    CHECK(r.retry_after_ms > 15000);
    CHECK(r.retry_after_ms <= 21000);
    CHECK(log.has("giving up: INSEE's quota frees in "));
    CHECK(log.has("more than the call has left"));
    CHECK_FALSE(log.has("waiting"));
    CHECK_FALSE(log.has("next try"));
}

TEST_CASE("sirene lookup: a 429 one caller gets makes a concurrent caller wait too, through the host's quota",
          "[sirene][lookup][quota]") {
    // INSEE's window (2 per 2 s) is spent by another program. Caller A meets the 429 and
    // reports the reset to the host; caller B, started while A waits, is held by the host
    // until then, and never sends into the full window: one 429 in all.
    HarnessOptions options;
    options.requests_per_window = 2;
    options.window = std::chrono::seconds(2);
    SireneHarness h(options);
    spend_the_window(h, 2);
    PluginLog log;
    auto a = std::async(std::launch::async, [&h] { return h.call("lookup", input("39860733300059")); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!log.has(": waiting ") && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    REQUIRE(log.has(": waiting "));
    CHECK(h.emulator().rate_limited() == 1);
    CHECK(h.quota().wait_ms("sirene") > 0);  // the host holds every caller until INSEE's reset

    const auto b = h.call("lookup", input("35600000000048"));
    INFO(b.message);
    CHECK(b.ok());
    const auto first = a.get();
    INFO(first.message);
    CHECK(first.ok());
    CHECK(h.emulator().rate_limited() == 1);  // B waited for the reset A was told of
    CHECK(h.emulator().api_requests() == 5);  // the other program's 2, A's refused one, A, B
}
