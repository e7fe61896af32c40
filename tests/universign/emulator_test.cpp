// The Universign emulator, driven over HTTPS with raw requests trusting the test CA: both
// APIs' auth, the XML-RPC transaction cycle on the emulator's manual clock (signers signing,
// refusing, never acting; expiry; the archive and its restore), listTransactions, the REST
// flow, pushes to a local receiver, faults and quotas. Time moves by advancing the clock.
#include "temp_dir.hpp"

#include "certificate_authority.hpp"
#include "emulator_server.hpp"
#include "universign_emulator.hpp"

#include <relais/support/xmlrpc.hpp>

#include <catch2/catch.hpp>

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace relais;
using namespace relais::universign_emulator;
namespace xr = relais::support::xmlrpc;
using namespace std::chrono_literals;
using Json = Poco::JSON::Object::Ptr;

namespace {

constexpr const char *kLogin = "relais@example.com";
constexpr const char *kPassword = "relais-universign-password";
constexpr const char *kApiKey = "relais-universign-api-key";

// 2026-03-02 10:00:00 UTC.
emulator::EmulatorClock::time_point monday_10am() {
    return std::chrono::sys_days(std::chrono::year(2026) / 3 / 2) + std::chrono::hours(10);
}

std::string base64(const std::string &bytes) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

// A one-page PDF whose text names it, so the document that comes back can be told apart.
std::string pdf(const std::string &tag) {
    return "%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
           "2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n"
           "3 0 obj <</Type /Page /Parent 2 0 R>> endobj\n% " +
           tag + "\ntrailer <</Root 1 0 R>>\n%%EOF\n";
}

struct HttpAnswer {
    int status = 0;
    std::map<std::string, std::string> headers;
    std::string body;
    Json json() const { return Poco::JSON::Parser().parse(body).extract<Json>(); }
    std::string header(const std::string &name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? "" : it->second;
    }
};

// One request on a fresh HTTPS connection (a reset one leaves nothing behind).
HttpAnswer http(const std::string &base_url, Poco::Net::Context::Ptr context, const std::string &method,
                const std::string &path, const std::map<std::string, std::string> &headers = {},
                const std::string &body = "") {
    const Poco::URI uri(base_url);
    Poco::Net::HTTPSClientSession session(uri.getHost(), uri.getPort(), context);
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto &[name, value] : headers) request.set(name, value);
    if (!body.empty() || method == "POST") request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    auto &in = session.receiveResponse(response);
    HttpAnswer answer;
    answer.status = static_cast<int>(response.getStatus());
    for (const auto &[name, value] : response) answer.headers[name] = value;
    Poco::StreamCopier::copyToString(in, answer.body);
    return answer;
}

std::string basic(const std::string &user, const std::string &password) { return "Basic " + base64(user + ":" + password); }

xr::Struct signer(const std::string &first, const std::string &email, const std::string &role = "signer") {
    xr::Struct s{{"firstname", first}, {"lastname", "Tester"}, {"emailAddress", email}};
    if (role != "signer") s.add("role", role);
    return s;
}

xr::Struct document(const std::string &name, const std::string &content, int signer_index = 0) {
    xr::Struct field{{"page", std::int32_t{1}}, {"x", std::int32_t{100}}, {"y", std::int32_t{200}},
                     {"signerIndex", std::int32_t{signer_index}}};
    return xr::Struct{{"name", name}, {"content", xr::Base64{content}}, {"signatureFields", xr::Array{field}}};
}

xr::Struct transaction_request(xr::Array signers, xr::Array documents, const std::string &custom_id = "") {
    xr::Struct request;
    request.add("profile", "default");
    if (!custom_id.empty()) request.add("customId", custom_id);
    request.add("signers", std::move(signers));
    request.add("documents", std::move(documents));
    request.add("description", "Contract");
    request.add("language", "fr");
    request.add("certificateType", "simple");
    request.add("finalDocSent", true);
    return request;
}

struct Fixture {
    test::TempDir dir{"relais-universign"};
    emulator::TestCertificateAuthority ca{dir.path()};
    std::shared_ptr<emulator::EmulatorClock> clock = std::make_shared<emulator::EmulatorClock>(monday_10am());
    std::unique_ptr<UniversignEmulator> emu;

    explicit Fixture(UniversignEmulatorOptions options = {}) {
        options.server.tls = ca.server_files();
        options.server.clock = clock;
        emu = std::make_unique<UniversignEmulator>(options);
        emu->start();
    }

    HttpAnswer post_xml(const std::string &body, const std::string &login = kLogin,
                        const std::string &password = kPassword) {
        return http(emu->rest_url(), ca.client_context(), "POST", "/sign/rpc/",
                    {{"Authorization", basic(login, password)}, {"Content-Type", "text/xml; charset=utf-8"}}, body);
    }
    xr::Response call(const std::string &method, std::vector<xr::Value> params) {
        const auto answer = post_xml(xr::encode_call({method, std::move(params)}));
        REQUIRE(answer.status == 200);
        REQUIRE(answer.header("Content-Type") == "text/xml");
        return xr::decode_response(answer.body, RELAIS_INTERNAL, "emulator answer");
    }
    xr::Value ok(const std::string &method, std::vector<xr::Value> params) {
        const auto r = call(method, std::move(params));
        if (r.is_fault()) FAIL("fault " << r.fault().code << ": " << r.fault().string);
        return r.value();
    }
    int fault_code(const std::string &method, std::vector<xr::Value> params) {
        const auto r = call(method, std::move(params));
        REQUIRE(r.is_fault());
        return r.fault().code;
    }
    std::string create(xr::Array signers, xr::Array documents, const std::string &custom_id = "") {
        const auto v = ok("requester.requestTransaction", {transaction_request(std::move(signers), std::move(documents), custom_id)});
        return *v.member("id")->as_string();
    }
    xr::Value info(const std::string &id) { return ok("requester.getTransactionInfo", {id}); }
    std::string status(const std::string &id) { return *info(id).member("status")->as_string(); }

    HttpAnswer rest(const std::string &method, const std::string &path, const std::string &form = "",
                    const std::string &auth = std::string("Bearer ") + kApiKey) {
        std::map<std::string, std::string> headers{{"Authorization", auth}};
        if (!form.empty()) headers["Content-Type"] = "application/x-www-form-urlencoded";
        return http(emu->rest_url(), ca.client_context(), method, path, headers, form);
    }
    HttpAnswer upload(const std::string &file_name, const std::string &content) {
        const std::string boundary = "relaisBoundary7MA4YWxk";
        const std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                                 file_name + "\"\r\nContent-Type: application/pdf\r\n\r\n" + content + "\r\n--" +
                                 boundary + "--\r\n";
        return http(emu->rest_url(), ca.client_context(), "POST", "/v1/files",
                    {{"Authorization", std::string("Bearer ") + kApiKey},
                     {"Content-Type", "multipart/form-data; boundary=" + boundary}},
                    body);
    }
};

std::vector<std::string> signer_statuses(const xr::Value &info) {
    std::vector<std::string> out;
    for (const auto &s : *info.member("signerInfos")->as_array()) out.push_back(*s.member("status")->as_string());
    return out;
}

std::vector<std::string> ids_of(const xr::Value &list) {
    std::vector<std::string> out;
    for (const auto &v : *list.as_array()) out.push_back(*v.as_string());
    return out;
}

// A plain-HTTP receiver for pushes, recording what reaches it.
struct Receiver {
    emulator::EmulatorServer server;
    Receiver() {
        const auto ok = [](const emulator::Request &) { return emulator::Response::text(200, ""); };
        server.route("GET", "/universign/push", ok);
        server.route("POST", "/universign/webhook", ok);
        server.start();
    }
};

}  // namespace

TEST_CASE("universign emulator: XML-RPC takes the account's Basic login and refuses others", "[universign]") {
    SECTION("HTTP 401 by default") {
        Fixture f;
        CHECK(!f.ok("requester.listTransactions", {xr::Struct{}}).as_array()->size());
        const auto refused = f.post_xml(xr::encode_call({"requester.listTransactions", {xr::Struct{}}}), kLogin, "wrong");
        CHECK(refused.status == 401);
        CHECK(refused.header("WWW-Authenticate").rfind("Basic", 0) == 0);
        const auto none = http(f.emu->rest_url(), f.ca.client_context(), "POST", "/sign/rpc/",
                               {{"Content-Type", "text/xml"}}, xr::encode_call({"requester.listTransactions", {xr::Struct{}}}));
        CHECK(none.status == 401);
        CHECK(f.emu->calls("requester.listTransactions") == 1);  // refused calls reach no method
    }
    SECTION("or fault 73010 in HTTP 200") {
        UniversignEmulatorOptions options;
        options.xmlrpc.auth_failure = XmlRpcAuthFailure::fault_73010;
        Fixture f(options);
        const auto refused = f.post_xml(xr::encode_call({"requester.listTransactions", {xr::Struct{}}}), "someone@x.test", kPassword);
        REQUIRE(refused.status == 200);
        const auto r = xr::decode_response(refused.body, RELAIS_INTERNAL, "answer");
        REQUIRE(r.is_fault());
        CHECK(r.fault().code == 73010);
    }
}

TEST_CASE("universign emulator: REST takes the API key as Basic KEY: or Bearer", "[universign]") {
    UniversignEmulatorOptions options;
    options.rest.api_keys = {kApiKey, "other-key"};
    Fixture f(options);
    const auto created = f.rest("POST", "/v1/transactions", "name=Lease", basic(kApiKey, ""));
    REQUIRE(created.status == 200);
    const auto id = created.json()->getValue<std::string>("id");
    CHECK(id.rfind("tx_", 0) == 0);
    CHECK(f.rest("GET", "/v1/transactions/" + id).status == 200);
    CHECK(f.rest("GET", "/v1/transactions/" + id, "", "Bearer wrong").status == 401);
    CHECK(f.rest("GET", "/v1/transactions/" + id, "", basic(kApiKey, "a-password")).status == 401);
    CHECK(f.rest("GET", "/v1/transactions/" + id, "", "").status == 401);
    const auto forbidden = f.rest("GET", "/v1/transactions/" + id, "", "Bearer other-key");
    CHECK(forbidden.status == 403);
    CHECK(forbidden.json()->getValue<std::string>("error") == "forbidden");
    CHECK(f.rest("GET", "/v1/transactions/tx_unknown").status == 404);
}

TEST_CASE("universign emulator: one signer's transaction from request to signed document", "[universign]") {
    Fixture f;
    const auto content = pdf("lease agreement");
    const auto v = f.ok("requester.requestTransaction",
                        {transaction_request({signer("Alice", "alice@x.test")}, {document("lease.pdf", content)}, "lease-1")});
    const auto id = *v.member("id")->as_string();
    CHECK(std::regex_match(id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
    CHECK(v.member("url")->as_string()->rfind("https://sign.test.universign.eu/fr/signature/?id=", 0) == 0);

    auto info = f.info(id);
    CHECK(*info.member("status")->as_string() == "ready");
    CHECK(signer_statuses(info) == std::vector<std::string>{"ready"});
    CHECK(*info.member("customerId")->as_string() == "lease-1");
    CHECK(info.member("creationDate")->as_datetime()->text() == "20260302T10:00:00");
    const auto &alice = (*info.member("signerInfos")->as_array())[0];
    CHECK(*alice.member("firstName")->as_string() == "Alice");
    CHECK(alice.member("certificateInfo")->as_struct()->empty());
    CHECK(!alice.member("actionDate"));
    CHECK(f.fault_code("requester.getDocuments", {id}) == 73027);

    f.clock->advance(30s);
    CHECK(signer_statuses(f.info(id)) == std::vector<std::string>{"accessed"});
    f.clock->advance(30s);
    info = f.info(id);
    CHECK(*info.member("status")->as_string() == "completed");
    CHECK(signer_statuses(info) == std::vector<std::string>{"signed"});
    const auto &signed_alice = (*info.member("signerInfos")->as_array())[0];
    CHECK(signed_alice.member("actionDate")->as_datetime()->text() == "20260302T10:01:00");
    CHECK(*signed_alice.member("certificateInfo")->member("serial")->as_string() == "");
    CHECK(*f.ok("requester.getTransactionInfoByCustomId", {"lease-1"}).member("transactionId")->as_string() == id);

    const auto docs = f.ok("requester.getDocuments", {id});
    REQUIRE(docs.as_array()->size() == 1);
    const auto &doc = (*docs.as_array())[0];
    CHECK(*doc.member("content")->as_bytes() == content + UniversignEmulator::signed_marker(id, 0));
    CHECK(*doc.member("name")->as_string() == "lease.pdf");
    CHECK(*doc.member("fileName")->as_string() == "lease.pdf");
    CHECK(*doc.member("documentType")->as_string() == "pdf");
    CHECK(*doc.member("metaData")->member("pages")->as_int() == 1);
    CHECK(*doc.member("metaData")->member("size")->as_int() == static_cast<int>(doc.member("content")->as_bytes()->size()));
    CHECK(f.emu->documents_fetched(id) == 1);
    CHECK(f.ok("requester.getDocumentsByCustomId", {"lease-1"}).as_array()->size() == 1);
    CHECK(f.emu->documents_fetched(id) == 2);
    CHECK(f.emu->calls("requester.getTransactionInfo") == 3);
    CHECK(f.emu->transactions_created("lease-1") == 1);
}

TEST_CASE("universign emulator: three signers sign in turn, an observer holds nobody up", "[universign]") {
    Fixture f;
    const auto id = f.create({signer("Ann", "ann@x.test"), signer("Oscar", "oscar@x.test", "observer"),
                              signer("Ben", "ben@x.test"), signer("Cleo", "cleo@x.test")},
                             {document("a.pdf", pdf("first"), 0), document("b.pdf", pdf("second"), 3)});
    auto info = f.info(id);
    CHECK(signer_statuses(info) == std::vector<std::string>{"ready", "ready", "waiting", "waiting"});
    CHECK(*info.member("currentSigner")->as_int() == 0);
    CHECK(info.member("signerCertificates")->as_array()->size() == 3);

    f.clock->advance(60s);
    info = f.info(id);
    CHECK(signer_statuses(info) == std::vector<std::string>{"signed", "ready", "ready", "waiting"});
    CHECK(*info.member("currentSigner")->as_int() == 2);
    CHECK(*info.member("status")->as_string() == "ready");

    f.clock->advance(119s);
    CHECK(signer_statuses(f.info(id)) == std::vector<std::string>{"signed", "ready", "signed", "accessed"});
    f.clock->advance(1s);
    info = f.info(id);
    CHECK(*info.member("status")->as_string() == "completed");
    CHECK(signer_statuses(info) == std::vector<std::string>{"signed", "ready", "signed", "signed"});
    const auto docs = f.ok("requester.getDocuments", {id});
    REQUIRE(docs.as_array()->size() == 2);
    CHECK(docs.as_array()->at(1).member("content")->as_bytes()->find("% second") != std::string::npos);
    CHECK(*docs.as_array()->at(1).member("content")->as_bytes() ==
          pdf("second") + UniversignEmulator::signed_marker(id, 1));
}

TEST_CASE("universign emulator: a refusal cancels, a failure fails, documents are gone", "[universign]") {
    Fixture f;
    f.emu->set_signer_behaviour("dan@x.test", SignerBehaviour::fail);
    const auto refused = f.create({signer("Ann", "ann@x.test"), signer("Bob", "bob+refuse@x.test")},
                                  {document("a.pdf", pdf("a"))});
    const auto failed = f.create({signer("Dan", "dan@x.test")}, {document("d.pdf", pdf("d"))});
    f.clock->advance(2min);
    const auto info = f.info(refused);
    CHECK(*info.member("status")->as_string() == "canceled");
    CHECK(signer_statuses(info) == std::vector<std::string>{"signed", "canceled"});
    CHECK(info.member("signerInfos")->as_array()->at(1).member("refusedDocs")->as_array()->size() == 1);
    CHECK(f.status(failed) == "failed");
    CHECK(f.fault_code("requester.getDocuments", {refused}) == 73027);
    CHECK(f.fault_code("requester.getDocuments", {failed}) == 73027);
    CHECK(f.fault_code("requester.cancelTransaction", {refused}) == 73027);
    CHECK(f.emu->documents_fetched(refused) == 0);
}

TEST_CASE("universign emulator: a signer who never acts lets the transaction expire, a relaunch delays it",
          "[universign]") {
    UniversignEmulatorOptions options;
    options.expire_after = 7 * 24h;
    Fixture f(options);
    const auto lapsing = f.create({signer("Nora", "nora+never@x.test")}, {document("n.pdf", pdf("n"))});
    const auto relaunched = f.create({signer("Nils", "nils+never@x.test")}, {document("m.pdf", pdf("m"))});
    f.clock->advance(6 * 24h);
    CHECK(f.ok("requester.relaunchTransaction", {relaunched}).as_int() == 0);
    CHECK(f.info(relaunched).member("creationDate")->as_datetime()->text() == "20260308T10:00:00");
    f.clock->advance(24h);
    CHECK(f.status(lapsing) == "expired");
    CHECK(signer_statuses(f.info(lapsing)) == std::vector<std::string>{"ready"});
    CHECK(f.status(relaunched) == "ready");
    CHECK(f.fault_code("requester.relaunchTransaction", {lapsing}) == 73027);
    CHECK(f.fault_code("requester.getDocuments", {lapsing}) == 73027);
    f.clock->advance(6 * 24h);
    CHECK(f.status(relaunched) == "expired");
}

TEST_CASE("universign emulator: cancelTransaction, unknown ids and customIds", "[universign]") {
    Fixture f;
    const auto id = f.create({signer("Ann", "ann+never@x.test")}, {document("a.pdf", pdf("a"))}, "order-9");
    CHECK(f.ok("requester.cancelTransaction", {id}).as_int() == 0);
    CHECK(f.status(id) == "canceled");
    CHECK(f.fault_code("requester.cancelTransaction", {id}) == 73027);
    CHECK(f.fault_code("requester.getTransactionInfo", {"2b1f0c55-0000-4000-8000-000000000000"}) == 73025);
    CHECK(f.fault_code("requester.getTransactionInfoByCustomId", {"nothing-here"}) == 73025);
    CHECK(f.fault_code("requester.getDocumentsByCustomId", {"nothing-here"}) == 73025);
    // customId is unique: a second request is refused and creates nothing.
    CHECK(f.fault_code("requester.requestTransaction",
                       {transaction_request({signer("Ann", "ann@x.test")}, {document("a.pdf", pdf("a"))}, "order-9")}) ==
          73020);
    CHECK(f.emu->transactions_created("order-9") == 1);
    CHECK(f.emu->transactions_created() == 1);
}

TEST_CASE("universign emulator: a lost requestTransaction answer leaves a transaction to find by customId",
          "[universign]") {
    Fixture f;
    f.emu->lose_next_answers(1, "requester.requestTransaction");
    const auto body = xr::encode_call(
        {"requester.requestTransaction",
         {transaction_request({signer("Ann", "ann@x.test")}, {document("a.pdf", pdf("a"))}, "invoice-77")}});
    CHECK_THROWS(f.post_xml(body));
    CHECK(f.emu->transactions_created("invoice-77") == 1);
    const auto info = f.ok("requester.getTransactionInfoByCustomId", {"invoice-77"});
    CHECK(*info.member("transactionId")->as_string() == *f.emu->transaction_by_custom_id("invoice-77"));
}

TEST_CASE("universign emulator: listTransactions filters by status and pages", "[universign]") {
    Fixture f;
    std::vector<std::string> open, done;
    for (int i = 0; i < 3; ++i)
        open.push_back(f.create({signer("N", "n" + std::to_string(i) + "+never@x.test")}, {document("n.pdf", pdf("n"))}));
    for (int i = 0; i < 2; ++i)
        done.push_back(f.create({signer("S", "s" + std::to_string(i) + "@x.test")}, {document("s.pdf", pdf("s"))}));
    f.clock->advance(1min);

    const auto by_status = [&](int status, int start = 0, int stop = -1) {
        xr::Struct filter{{"status", std::int32_t{status}}, {"startRange", std::int32_t{start}}};
        if (stop >= 0) filter.add("stopRange", std::int32_t{stop});
        return ids_of(f.ok("requester.listTransactions", {filter}));
    };
    CHECK(by_status(0) == open);
    CHECK(by_status(2) == done);
    CHECK(by_status(3).empty());
    CHECK(by_status(0, 1, 3) == std::vector<std::string>{open[1], open[2]});
    CHECK(by_status(0, 2, 1000).size() == 1);
    CHECK(ids_of(f.ok("requester.listTransactions", {xr::Struct{}})).size() == 5);
    CHECK(f.fault_code("requester.listTransactions",
                       {xr::Struct{{"startRange", std::int32_t{0}}, {"stopRange", std::int32_t{1001}}}}) == 73020);
    CHECK(f.fault_code("requester.listTransactions", {xr::Struct{{"status", "ready"}}}) == 73020);
    CHECK(f.fault_code("requester.listTransactions", {xr::Struct{{"state", std::int32_t{0}}}}) == 73020);
}

TEST_CASE("universign emulator: archived documents answer 73070 until restored", "[universign]") {
    UniversignEmulatorOptions options;
    options.archive_after = 30 * 24h;
    options.restore_delay = 2h;
    Fixture f(options);
    const auto id = f.create({signer("Ann", "ann@x.test")}, {document("a.pdf", pdf("archived one"))});
    f.clock->advance(1min);
    f.clock->advance(30 * 24h - 1s);
    CHECK(f.ok("requester.getDocuments", {id}).as_array()->size() == 1);  // not yet archived
    f.clock->advance(1s);
    CHECK(f.fault_code("requester.getDocuments", {id}) == 73070);  // starts the restore
    f.clock->advance(1h);
    CHECK(f.fault_code("requester.getDocuments", {id}) == 73070);
    f.clock->advance(1h);
    const auto docs = f.ok("requester.getDocuments", {id});
    CHECK(docs.as_array()->at(0).member("content")->as_bytes()->find("archived one") != std::string::npos);
    CHECK(f.emu->documents_fetched(id) == 2);
    CHECK(f.status(id) == "completed");
}

TEST_CASE("universign emulator: the XML-RPC push reaches the profile's URL, and is tried again", "[universign]") {
    Fixture f;
    Receiver receiver;
    f.emu->set_push_url("default", receiver.server.base_url() + "/universign/push?token=s3cret");
    const auto id = f.create({signer("Ann", "ann@x.test"), signer("Ben", "ben@x.test")}, {document("a.pdf", pdf("a"))});
    CHECK(f.emu->deliver_due_pushes() == 0);
    f.clock->advance(1min);
    CHECK(f.emu->deliver_due_pushes() == 1);
    receiver.server.inject(emulator::Fault::server_error());
    f.clock->advance(1min);
    CHECK(f.emu->deliver_due_pushes() == 1);  // answered 500: tried again a minute later
    CHECK(f.emu->deliver_due_pushes() == 0);
    f.clock->advance(1min);
    CHECK(f.emu->deliver_due_pushes() == 1);

    const auto requests = receiver.server.requests();
    REQUIRE(requests.size() == 3);
    CHECK(requests[0].query == "token=s3cret&id=" + id + "&signer=0&status=0");
    CHECK(requests[1].query == "token=s3cret&id=" + id + "&signer=1&status=2");
    CHECK(requests[2].query == requests[1].query);
    const auto pushes = f.emu->pushes();
    REQUIRE(pushes.size() == 3);
    CHECK(pushes[1].status == 500);
    CHECK(pushes[2].attempt == 2);
    CHECK(f.emu->pushes_delivered() == 2);
}

TEST_CASE("universign emulator: REST upload, create, start, status, fetch, the webhook follows", "[universign]") {
    Fixture f;
    Receiver receiver;
    f.emu->set_webhook_url(receiver.server.base_url() + "/universign/webhook?token=hook");
    const auto content = pdf("rest contract");
    const auto file = f.upload("contract.pdf", content);
    REQUIRE(file.status == 200);
    CHECK(file.json()->getValue<std::string>("object") == "file");
    const auto file_id = file.json()->getValue<std::string>("id");
    CHECK(file_id.rfind("file_", 0) == 0);

    const auto tx = f.rest("POST", "/v1/transactions", "name=Contract&language=fr&metadata%5Bcustom_id%5D=c-42");
    REQUIRE(tx.status == 200);
    CHECK(tx.json()->getValue<std::string>("state") == "draft");
    const auto id = tx.json()->getValue<std::string>("id");
    CHECK(f.emu->transactions_created("c-42") == 1);
    const auto base = "/v1/transactions/" + id;
    const auto doc = f.rest("POST", base + "/documents", "document=" + file_id + "&name=Contract");
    REQUIRE(doc.status == 200);
    const auto doc_id = doc.json()->getValue<std::string>("id");
    CHECK(doc_id.rfind("doc_", 0) == 0);
    const auto fld = f.rest("POST", base + "/documents/" + doc_id + "/fields", "type=signature&page=1&x=100&y=200");
    REQUIRE(fld.status == 200);
    const auto field_id = fld.json()->getValue<std::string>("id");
    CHECK(fld.json()->getValue<bool>("built_in") == false);
    CHECK(f.rest("POST", base + "/signatures", "signer=alice%40x.test&field=" + field_id).status == 200);
    CHECK(f.rest("GET", base + "/archive/documents/" + doc_id + "/download").status == 400);

    const auto started = f.rest("POST", base + "/start");
    REQUIRE(started.status == 200);
    CHECK(started.json()->getValue<std::string>("state") == "started");
    CHECK(started.json()->getValue<std::string>("started_at") == "2026-03-02T10:00:00Z");
    CHECK(started.json()->getValue<std::string>("expires_at") == "2026-03-16T10:00:00Z");
    CHECK(f.rest("POST", base + "/start").status == 400);

    f.clock->advance(1min);
    const auto now = f.rest("GET", base);
    CHECK(now.json()->getValue<std::string>("state") == "completed");
    CHECK(now.json()->getValue<int>("progress_value") == 100);
    for (const auto &path : {base + "/archive/documents/" + doc_id + "/download",
                             "/v1/archives/" + id + "/documents/" + doc_id + "/download"}) {
        const auto signed_pdf = f.rest("GET", path);
        REQUIRE(signed_pdf.status == 200);
        CHECK(signed_pdf.header("Content-Type") == "application/pdf");
        CHECK(signed_pdf.body == content + UniversignEmulator::signed_marker(id, 0));
    }
    CHECK(f.emu->documents_fetched(id) == 2);
    CHECK(f.emu->calls("POST /v1/transactions/{tx}/start") == 2);

    CHECK(f.emu->deliver_due_pushes() == 4);
    std::vector<std::string> types;
    for (const auto &r : receiver.server.requests()) {
        CHECK(r.method == "POST");
        CHECK(r.query == "token=hook");
        const auto event = Poco::JSON::Parser().parse(r.body).extract<Json>();
        CHECK(event->getValue<std::string>("object") == "event");
        CHECK(event->getObject("payload")->getValue<std::string>("id") == id);
        types.push_back(event->getValue<std::string>("type"));
    }
    CHECK(types == std::vector<std::string>{"transaction.lifecycle.created", "transaction.lifecycle.started",
                                            "action.closed", "transaction.lifecycle.completed"});
}

TEST_CASE("universign emulator: REST is strict about its bodies, a refusal stalls", "[universign]") {
    Fixture f;
    CHECK(f.upload("notes.txt", "plain text").status == 400);
    const auto json_body = http(f.emu->rest_url(), f.ca.client_context(), "POST", "/v1/transactions",
                                {{"Authorization", std::string("Bearer ") + kApiKey}, {"Content-Type", "application/json"}},
                                R"({"name":"x"})");
    CHECK(json_body.status == 400);
    CHECK(f.rest("POST", "/v1/transactions", "title=x").status == 400);
    const auto bad_multipart = http(f.emu->rest_url(), f.ca.client_context(), "POST", "/v1/files",
                                    {{"Authorization", std::string("Bearer ") + kApiKey},
                                     {"Content-Type", "multipart/form-data; boundary=abc"}},
                                    "--abc\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx");
    CHECK(bad_multipart.status == 400);

    const auto file_id = f.upload("a.pdf", pdf("a")).json()->getValue<std::string>("id");
    const auto id = f.rest("POST", "/v1/transactions").json()->getValue<std::string>("id");
    const auto base = "/v1/transactions/" + id;
    CHECK(f.rest("POST", base + "/start").status == 400);  // nothing to sign
    const auto doc_id = f.rest("POST", base + "/documents", "document=" + file_id).json()->getValue<std::string>("id");
    const auto field_id =
        f.rest("POST", base + "/documents/" + doc_id + "/fields", "page=1&x=1&y=2").json()->getValue<std::string>("id");
    CHECK(f.rest("POST", base + "/signatures", "signer=eve%2Brefuse%40x.test&field=" + field_id).status == 200);
    CHECK(f.rest("POST", base + "/start").status == 200);
    f.clock->advance(1min);
    const auto stalled = f.rest("GET", base).json();
    CHECK(stalled->getValue<bool>("stalled"));
    CHECK(stalled->getValue<std::string>("state") == "started");
    CHECK(f.rest("POST", base + "/cancel").json()->getValue<std::string>("state") == "cancelled");
    CHECK(f.rest("POST", base + "/cancel").status == 400);
}

TEST_CASE("universign emulator: fail_next gives each fault code, HTTP 5xx, to the calls it names", "[universign]") {
    Fixture f;
    for (int code : {73002, 73004, 73010, 73011, 73013, 73014, 73020, 73025, 73027, 73040, 73070}) {
        f.emu->fail_next(code);
        CHECK(f.fault_code("requester.listTransactions", {xr::Struct{}}) == code);
    }
    CHECK(f.ok("requester.listTransactions", {xr::Struct{}}).as_array());

    f.emu->fail_next(73040, 2, "requester.getDocuments");
    f.emu->fail_next(503, 1);
    const auto list = xr::encode_call({"requester.listTransactions", {xr::Struct{}}});
    CHECK(f.post_xml(list).status == 503);
    CHECK(f.ok("requester.listTransactions", {xr::Struct{}}).as_array());  // the 73040s wait for getDocuments
    CHECK(f.fault_code("requester.getDocuments", {"x"}) == 73040);
    CHECK(f.fault_code("requester.getDocuments", {"x"}) == 73040);
    CHECK(f.fault_code("requester.getDocuments", {"x"}) == 73025);

    f.emu->fail_next(73040);  // a fault code is XML-RPC's: REST calls pass it by
    f.emu->fail_next(502);
    CHECK(f.rest("POST", "/v1/transactions").status == 502);
    CHECK(f.rest("POST", "/v1/transactions").status == 200);
    CHECK(f.fault_code("requester.listTransactions", {xr::Struct{}}) == 73040);

    f.emu->server().inject(emulator::Fault::reset());
    CHECK_THROWS(f.post_xml(list));
    CHECK(f.post_xml(list).status == 200);
}

TEST_CASE("universign emulator: malformed XML-RPC is a fault 73020, never a crash", "[universign]") {
    Fixture f;
    const auto fault_of = [&](const std::string &body) {
        const auto answer = f.post_xml(body);
        REQUIRE(answer.status == 200);
        const auto r = xr::decode_response(answer.body, RELAIS_INTERNAL, "answer");
        REQUIRE(r.is_fault());
        return r.fault().code;
    };
    CHECK(fault_of("") == 73020);
    CHECK(fault_of("not xml at all") == 73020);
    CHECK(fault_of("<methodCall><methodName>requester.getTransactionInfo</methodName>") == 73020);
    CHECK(fault_of("<methodResponse><params/></methodResponse>") == 73020);
    CHECK(fault_of(R"(<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>)"
                   "<methodCall><methodName>requester.getTransactionInfo</methodName><params><param>"
                   "<value><string>&x;</string></value></param></params></methodCall>") == 73020);
    CHECK(fault_of("<methodCall><methodName>requester.getTransactionInfo</methodName><params><param>"
                   "<value><i4>12x</i4></value></param></params></methodCall>") == 73020);
    CHECK(f.fault_code("requester.getTransactionInfo", {}) == 73020);
    CHECK(f.fault_code("requester.getTransactionInfo", {std::int32_t{5}}) == 73020);
    CHECK(f.fault_code("requester.noSuchMethod", {}) == 73020);
    const auto wrong_type = http(f.emu->rest_url(), f.ca.client_context(), "POST", "/sign/rpc/",
                                 {{"Authorization", basic(kLogin, kPassword)}, {"Content-Type", "application/json"}},
                                 xr::encode_call({"requester.listTransactions", {xr::Struct{}}}));
    CHECK(xr::decode_response(wrong_type.body, RELAIS_INTERNAL, "answer").fault().code == 73020);

    // TransactionRequest keys as the reference spells them, and PDFs only.
    auto camel = signer("Ann", "ann@x.test");
    camel.add("firstName", "Ann");
    CHECK(f.fault_code("requester.requestTransaction",
                       {transaction_request({camel}, {document("a.pdf", pdf("a"))})}) == 73020);
    CHECK(f.fault_code("requester.requestTransaction",
                       {transaction_request({signer("Ann", "ann@x.test")}, {document("a.txt", "hello")})}) == 73020);
    CHECK(f.fault_code("requester.requestTransaction", {transaction_request({}, {document("a.pdf", pdf("a"))})}) ==
          73020);
    CHECK(f.fault_code("requester.requestTransaction",
                       {transaction_request({signer("Ann", "ann@x.test")}, {document("a.pdf", pdf("a"), 1)})}) == 73020);
    auto string_content = xr::Struct{{"name", "a.pdf"}, {"content", base64(pdf("a"))}};
    CHECK(f.fault_code("requester.requestTransaction",
                       {transaction_request({signer("Ann", "ann@x.test")}, {string_content})}) == 73020);
    CHECK(f.emu->transactions_created() == 0);
    CHECK(f.ok("requester.listTransactions", {xr::Struct{}}).as_array()->empty());
}

TEST_CASE("universign emulator: a requests-per-second quota answers 429, or fault 73040", "[universign]") {
    const auto list = xr::encode_call({"requester.listTransactions", {xr::Struct{}}});
    SECTION("HTTP 429 for both APIs") {
        UniversignEmulatorOptions options;
        options.requests_per_second = 2;
        Fixture f(options);
        CHECK(f.post_xml(list).status == 200);
        CHECK(f.post_xml(list).status == 200);
        const auto over = f.post_xml(list);
        CHECK(over.status == 429);
        CHECK(over.header("Retry-After") == "1");
        const auto rest_over = f.rest("POST", "/v1/transactions");
        CHECK(rest_over.status == 429);
        CHECK(rest_over.json()->getValue<std::string>("error") == "too_many_requests");
        f.clock->advance(1s);
        CHECK(f.post_xml(list).status == 200);
    }
    SECTION("a fault for XML-RPC when so configured") {
        UniversignEmulatorOptions options;
        options.requests_per_second = 1;
        options.xmlrpc.over_quota = XmlRpcOverQuota::fault_73040;
        Fixture f(options);
        CHECK(f.post_xml(list).status == 200);
        CHECK(f.fault_code("requester.listTransactions", {xr::Struct{}}) == 73040);
    }
}

TEST_CASE("universign emulator: a requester's cancellation and an expiry are pushed too", "[universign]") {
    UniversignEmulatorOptions options;
    options.expire_after = 24h;
    Fixture f(options);
    Receiver receiver;
    f.emu->set_push_url("default", receiver.server.base_url() + "/universign/push");
    const auto cancelled = f.create({signer("Ann", "ann+never@x.test")}, {document("a.pdf", pdf("a"))});
    const auto lapsing = f.create({signer("Ben", "ben+never@x.test")}, {document("b.pdf", pdf("b"))});
    f.ok("requester.cancelTransaction", {cancelled});
    f.clock->advance(24h);
    CHECK(f.emu->deliver_due_pushes() == 2);
    const auto requests = receiver.server.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].query == "id=" + cancelled + "&signer=0&status=3");
    CHECK(requests[1].query == "id=" + lapsing + "&signer=0&status=1");
}

TEST_CASE("universign emulator: the uncertain shapes can each be produced", "[universign]") {
    SECTION("customId under its other plausible key, or none") {
        for (const auto key : {CustomIdKey::custom_id, CustomIdKey::absent}) {
            UniversignEmulatorOptions options;
            options.xmlrpc.custom_id_key = key;
            Fixture f(options);
            const auto info = f.info(f.create({signer("Ann", "ann@x.test")}, {document("a.pdf", pdf("a"))}, "k-1"));
            CHECK(!info.member("customerId"));
            CHECK((info.member("customId") != nullptr) == (key == CustomIdKey::custom_id));
        }
    }
    SECTION("REST errors as RFC 7807 problems, or empty") {
        UniversignEmulatorOptions options;
        options.rest.error_shape = RestErrorShape::problem_json;
        Fixture f(options);
        const auto missing = f.rest("GET", "/v1/transactions/tx_nothing");
        CHECK(missing.status == 404);
        CHECK(missing.header("Content-Type") == "application/problem+json");
        CHECK(missing.json()->getValue<int>("status") == 404);
        options.rest.error_shape = RestErrorShape::empty;
        Fixture g(options);
        const auto empty = g.rest("GET", "/v1/transactions/tx_nothing");
        CHECK(empty.status == 404);
        CHECK(empty.body.empty());
    }
}

TEST_CASE("universign emulator: hold_next_answers blocks the calls it names until released", "[universign]") {
    UniversignEmulatorOptions options;
    options.sign_after = 1s;
    Fixture f(options);
    const auto content = pdf("held");
    const auto id = f.create({signer("Ann", "ann@x.test")}, {document("a.pdf", content)});
    f.clock->advance(1s);
    REQUIRE(f.status(id) == "completed");
    const auto wait_held = [&] {
        for (int i = 0; i < 500 && f.emu->held_count() == 0; ++i) std::this_thread::sleep_for(10ms);
        return f.emu->held_count();
    };

    f.emu->hold_next_answers(1, "requester.getDocuments");
    std::string answer;
    std::thread caller([&] { answer = f.post_xml(xr::encode_call({"requester.getDocuments", {id}})).body; });
    const auto held = wait_held();
    // Held before anything: neither counted nor carried out; other calls pass meanwhile.
    const auto calls_while_held = f.emu->calls("requester.getDocuments");
    const auto fetched_while_held = f.emu->documents_fetched(id);
    const auto status_while_held = f.status(id);
    f.emu->release_held();
    caller.join();
    CHECK(held == 1);
    CHECK(calls_while_held == 0);
    CHECK(fetched_while_held == 0);
    CHECK(status_while_held == "completed");
    CHECK(f.emu->held_count() == 0);
    const auto docs = xr::decode_response(answer, RELAIS_INTERNAL, "emulator answer").value();
    CHECK(*(*docs.as_array())[0].member("content")->as_bytes() == content + UniversignEmulator::signed_marker(id, 0));
    CHECK(f.emu->calls("requester.getDocuments") == 1);
    CHECK(f.emu->documents_fetched(id) == 1);
    CHECK(f.ok("requester.getDocuments", {id}).as_array()->size() == 1);  // one hold: the next call passes

    // A REST route the same way; stopping the emulator lets it go too.
    f.emu->hold_next_answers(1, "POST /v1/transactions");
    int status = 0;
    std::thread rest_caller([&] {
        try {
            status = f.rest("POST", "/v1/transactions", "name=Lease").status;
        } catch (const Poco::Exception &) {
            status = -1;
        }
    });
    const auto rest_held = wait_held();
    const auto other_status = f.rest("GET", "/v1/transactions/tx_unknown").status;
    f.emu->stop();
    rest_caller.join();
    CHECK(rest_held == 1);
    CHECK(other_status == 404);
    CHECK(f.emu->held_count() == 0);
    CHECK(status == 200);
    CHECK(f.emu->calls("POST /v1/transactions") == 1);
}
