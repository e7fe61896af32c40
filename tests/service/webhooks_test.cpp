// Webhooks in, through `relais serve` with the SDK's template plugin: a signed webhook wakes
// the waiting job it concerns; bad and missing signatures are refused with 401 and never
// logged with the secret or the body; unknown hooks 404; oversized bodies 413; a flood is
// answered 503 at once while the API keeps answering; the hooks are in the OpenAPI document.
#include "http_client.hpp"
#include "plugin_files.hpp"
#include "serve_process.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <relais/support/signature.hpp>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <fstream>
#include <memory>

using namespace relais;
using test::HttpClient;
using test::ServeProcess;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kToken = "hooks-client-token-0123456789";
const std::string kSecret = "hook-secret-not-for-logs-4242";

struct HookHost {
    test::TempDir dir;
    std::string plugins = (dir / "plugins").string();
    std::string config = (dir / "relais.json").string();

    HookHost() {
        test::copy_plugin(test::test_plugin_case_dir("hello"), "hello", plugins);
        std::ofstream(config) << R"({"host": {"tokens": [{"name": "erp", "token": ")" << kToken
                              << R"(", "scopes": ["client", "admin"]}]},)"
                              << R"( "connectors": {"hello": {"webhook_secret": ")" << kSecret << R"("}}})";
    }
    std::unique_ptr<ServeProcess> serve() const {
        return std::make_unique<ServeProcess>(
            plugins, std::vector<std::string>{"--config", config, "--data-dir", (dir / "data").string()});
    }
};

std::string sign(const std::string &body, const std::string &secret = kSecret) {
    return support::hmac_sha256_hex(secret, body);
}

struct Answer {
    int status = 0;
    std::string body;
    std::string retry_after;
};

// A request with headers of our own (the test HttpClient sends only a bearer token).
Answer send(const std::string &base_url, const std::string &method, const std::string &path, const std::string &body,
            const std::map<std::string, std::string> &headers = {}) {
    const Poco::URI uri(base_url);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(20, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto &[k, v] : headers) request.set(k, v);
    request.setContentType("application/json");
    request.setContentLength64(static_cast<Poco::Int64>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    auto &in = session.receiveResponse(response);
    Answer a;
    a.status = response.getStatus();
    Poco::StreamCopier::copyToString(in, a.body);
    a.retry_after = response.get("Retry-After", "");
    return a;
}

Poco::JSON::Object::Ptr job(HttpClient &http, const std::string &id) {
    const auto r = http.get("/api/v1/jobs/" + id, kToken);
    REQUIRE(r.status == 200);
    return r.json();
}

std::string submit_waiting(HttpClient &http, const std::string &request) {
    const auto r = http.post("/api/v1/jobs", kToken,
                             R"({"connector":"hello","action":"await_approval","idempotency_key":"approval-)" + request +
                                 R"(","input":{"request":")" + request + R"("}})");
    INFO(r.body);
    REQUIRE(r.status == 202);
    return r.json()->getValue<std::string>("id");
}

// Polls until the job reaches `state` or the deadline passes; returns it as last seen.
Poco::JSON::Object::Ptr wait_state(HttpClient &http, const std::string &id, const std::string &state,
                                   std::chrono::seconds deadline = std::chrono::seconds(20)) {
    const auto until = Clock::now() + deadline;
    for (;;) {
        auto j = job(http, id);
        if (j->getValue<std::string>("state") == state || Clock::now() > until) return j;
    }
}

}  // namespace

TEST_CASE("webhooks: a signed webhook wakes the waiting job it concerns, which then finishes", "[service][webhooks]") {
    HookHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    const auto id = submit_waiting(http, "PO-1");
    auto j = wait_state(http, id, "waiting");
    REQUIRE(j->getValue<std::string>("state") == "waiting");
    CHECK(j->getObject("progress")->getValue<std::string>("waiting_for") == "approval");

    const std::string body = R"({"request":"PO-1","by":"alice"})";
    const auto started = Clock::now();
    const auto a = send(serve->url(), "POST", "/api/v1/hooks/hello/approve", body, {{"X-Hello-Signature", sign(body)}});
    INFO(a.body);
    REQUIRE(a.status == 200);
    CHECK(a.body.find("\"woken\":true") != std::string::npos);

    // The job would look again only in an hour: it finishing now is the wake-up's doing.
    j = wait_state(http, id, "succeeded");
    REQUIRE(j->getValue<std::string>("state") == "succeeded");
    CHECK(Clock::now() - started < std::chrono::seconds(20));
    CHECK(j->getObject("result")->getValue<std::string>("approved_by") == "alice");
}

TEST_CASE("webhooks: bad, missing and foreign signatures are refused with 401, without logging the secret",
          "[service][webhooks]") {
    HookHost host;
    auto serve = host.serve();
    HttpClient http(serve->url());
    const auto id = submit_waiting(http, "PO-2");
    REQUIRE(wait_state(http, id, "waiting")->getValue<std::string>("state") == "waiting");

    const std::string body = R"({"request":"PO-2","by":"mallory"})";
    CHECK(send(serve->url(), "POST", "/api/v1/hooks/hello/approve", body).status == 401);
    CHECK(send(serve->url(), "POST", "/api/v1/hooks/hello/approve", body,
               {{"X-Hello-Signature", sign(body, "another-secret-of-16+")}})
              .status == 401);
    const std::string tampered = R"({"request":"PO-2","by":"mallory!"})";
    const auto refused = send(serve->url(), "POST", "/api/v1/hooks/hello/approve", tampered,
                              {{"X-Hello-Signature", sign(body)}});
    CHECK(refused.status == 401);
    CHECK(refused.body.find(kSecret) == std::string::npos);
    // A bearer token is no substitute for the signature.
    CHECK(send(serve->url(), "POST", "/api/v1/hooks/hello/approve", body, {{"Authorization", "Bearer " + kToken}})
              .status == 401);

    CHECK(serve->wait_for_output("refused webhook hello/approve"));
    const auto log = serve->transcript();
    CHECK(log.find(kSecret) == std::string::npos);
    CHECK(log.find("mallory") == std::string::npos);  // the body is never logged
    // Nothing was approved: the job still waits.
    CHECK(job(http, id)->getValue<std::string>("state") == "waiting");
}

TEST_CASE("webhooks: unknown hooks, wrong methods and oversized bodies", "[service][webhooks]") {
    HookHost host;
    auto serve = host.serve();
    CHECK(send(serve->url(), "POST", "/api/v1/hooks/hello/nope", "{}").status == 404);
    CHECK(send(serve->url(), "POST", "/api/v1/hooks/nobody/approve", "{}").status == 404);
    CHECK(send(serve->url(), "GET", "/api/v1/hooks/hello/approve", "").status == 405);
    // A body announced over the hook's limit (64 KiB) is refused before it is sent: the client
    // sends the headers only and reads the answer.
    {
        const Poco::URI uri(serve->url());
        Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
        session.setTimeout(Poco::Timespan(20, 0));
        Poco::Net::HTTPRequest request("POST", "/api/v1/hooks/hello/approve", Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentLength64(65 * 1024);
        session.sendRequest(request).flush();
        Poco::Net::HTTPResponse response;
        auto &in = session.receiveResponse(response);
        std::string answer;
        Poco::StreamCopier::copyToString(in, answer);
        CHECK(response.getStatus() == 413);
        CHECK(answer.find("65536") != std::string::npos);
    }
    // One that was not announced (chunked) is refused once it passes the limit.
    {
        const Poco::URI uri(serve->url());
        Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
        session.setTimeout(Poco::Timespan(20, 0));
        Poco::Net::HTTPRequest request("POST", "/api/v1/hooks/hello/approve", Poco::Net::HTTPMessage::HTTP_1_1);
        request.setChunkedTransferEncoding(true);
        int status = 0;
        try {
            auto &out = session.sendRequest(request);
            out << std::string(70 * 1024, 'x');
            out.flush();
            Poco::Net::HTTPResponse response;
            session.receiveResponse(response);
            status = response.getStatus();
        } catch (const Poco::Exception &) {
            status = -1;  // the server may close the connection on the unread rest: also a refusal
        }
        CHECK((status == 413 || status == -1));
    }
    // The hooks are documented.
    HttpClient http(serve->url());
    const auto doc = http.get("/api/v1/openapi.json", kToken).json();
    CHECK(doc->getObject("paths")->has("/api/v1/hooks/{connector}/{hook}"));
}

TEST_CASE("webhooks: a flood is turned away at once and the API keeps answering", "[service][webhooks]") {
    HookHost host;
    auto serve = host.serve();
    const Poco::URI uri(serve->url());
    const std::string body = R"({"request":"PO-9","by":"flood"})";
    // Requests that announce a body and send only part of it each hold a webhook slot. They
    // are opened one at a time, each followed by a complete request (a probe): once 8 hold
    // their slots, the probe is answered 503 with Retry-After, at once, before its body is
    // read. (A held request reaches its handler in its own time, so the count is not assumed.)
    std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> held;
    std::vector<std::ostream *> streams;
    Answer probe;
    for (int i = 0; i < 24 && probe.status != 503; ++i) {
        auto session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        session->setTimeout(Poco::Timespan(20, 0));
        Poco::Net::HTTPRequest request("POST", "/api/v1/hooks/hello/approve", Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentLength64(static_cast<Poco::Int64>(body.size()));
        request.set("X-Hello-Signature", sign(body, "not-the-secret-at-all"));
        auto &out = session->sendRequest(request);
        out << body.substr(0, 5);
        out.flush();
        streams.push_back(&out);
        held.push_back(std::move(session));
        const auto until = Clock::now() + std::chrono::seconds(2);
        do {
            probe = send(serve->url(), "POST", "/api/v1/hooks/hello/approve", body, {{"X-Hello-Signature", sign(body)}});
        } while (probe.status == 200 && held.size() >= 8 && Clock::now() < until);
    }
    INFO("held requests opened: " << held.size());
    REQUIRE(probe.status == 503);
    CHECK(probe.retry_after == "1");
    CHECK(held.size() >= 8);
    // The API is not held up meanwhile.
    HttpClient http(serve->url());
    CHECK(http.get("/healthz").status == 200);
    CHECK(http.get("/api/v1/connectors", kToken).status == 200);

    // The held requests end (their signature is wrong: 401), or were turned away as busy if
    // they reached the server when it was full; at least 8 held a slot.
    int refused_by_signature = 0;
    for (size_t i = 0; i < held.size(); ++i) {
        try {
            *streams[i] << body.substr(5);
            streams[i]->flush();
            Poco::Net::HTTPResponse r;
            auto &in = held[i]->receiveResponse(r);
            std::string ignored;
            Poco::StreamCopier::copyToString(in, ignored);
            if (r.getStatus() == 401) ++refused_by_signature;
            else CHECK(r.getStatus() == 503);
        } catch (const Poco::Exception &) {
            // Turned away as busy: the server closed the connection without reading the rest.
        }
    }
    CHECK(refused_by_signature >= 8);
    const auto after = send(serve->url(), "POST", "/api/v1/hooks/hello/approve", body, {{"X-Hello-Signature", sign(body)}});
    CHECK(after.status == 200);
}
