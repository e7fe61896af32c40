// The Exchange emulator, driven over HTTPS with raw requests trusting the test CA: the token
// endpoint and its AADSTS refusals; EWS auth (Basic, NTLM through the SDK's client, Bearer
// with impersonation and X-AnchorMailbox) and its refusals; the EWS operations (CalendarView
// truncation, change keys, conflicts, sync states); the three EWS error shapes; Graph
// calendarView paging, events with If-Match and transactionId, delta with @removed, 410, 429
// and the per-mailbox concurrency cap; both APIs over the same calendars. Time moves by
// advancing the emulator's clock.
#include "temp_dir.hpp"

#include "certificate_authority.hpp"
#include "exchange_emulator.hpp"

#include <relais/support/http_client.hpp>
#include <relais/support/soap.hpp>

#include <catch2/catch.hpp>

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <future>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace relais;
using namespace relais::exchange_emulator;
namespace soap = relais::support::soap;
namespace xml = relais::support::xml;
using namespace std::chrono_literals;
using Json = Poco::JSON::Object::Ptr;

namespace {

constexpr const char *kTenant = "7e1a4b0c-55d3-4c1e-9a55-0b7f3c2d1e90";
constexpr const char *kClientId = "3b5f1d2e-8c44-4f0a-b1d2-6e9a0c7b4f21";
constexpr const char *kSecret = "relais-exchange-secret";
constexpr const char *kUser = "svc-relais";
constexpr const char *kPassword = "relais-exchange-password";
constexpr const char *kAlice = "alice@contoso.com";
constexpr const char *kGraphScope = "https://graph.microsoft.com/.default";
constexpr const char *kEwsScope = "https://outlook.office365.com/.default";
constexpr std::string_view kM = "http://schemas.microsoft.com/exchange/services/2006/messages";
constexpr std::string_view kT = "http://schemas.microsoft.com/exchange/services/2006/types";
constexpr std::string_view kE = "http://schemas.microsoft.com/exchange/services/2006/errors";
constexpr const char *kErpProperty = "String {8e2f4c1a-3b5d-4e6f-9a0b-1c2d3e4f5a6b} Name erp_id";

// 2026-01-12 08:00:00 UTC, a Monday in winter (Paris is UTC+1).
emulator::EmulatorClock::time_point monday() {
    return std::chrono::sys_days(std::chrono::year(2026) / 1 / 12) + std::chrono::hours(8);
}

std::string base64(const std::string &bytes) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << bytes;
    encoder.close();
    return out.str();
}

std::string form(const std::vector<std::pair<std::string, std::string>> &fields) {
    std::string out;
    for (const auto &[name, value] : fields) {
        std::string encoded;
        Poco::URI::encode(value, "!#$&'()*+,/:;=?@[]", encoded);
        out += (out.empty() ? "" : "&") + name + "=" + encoded;
    }
    return out;
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

// One request on a fresh HTTPS connection.
HttpAnswer http(const std::string &base_url, Poco::Net::Context::Ptr context, const std::string &method,
                const std::string &path, const std::map<std::string, std::string> &headers = {},
                const std::string &body = "") {
    const Poco::URI uri(base_url);
    Poco::Net::HTTPSClientSession session(uri.getHost(), uri.getPort(), context);
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto &[name, value] : headers) request.set(name, value);
    if (!body.empty() || method == "POST" || method == "PATCH")
        request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    auto &in = session.receiveResponse(response);
    HttpAnswer answer;
    answer.status = static_cast<int>(response.getStatus());
    for (const auto &[name, value] : response) answer.headers[name] = value;
    Poco::StreamCopier::copyToString(in, answer.body);
    return answer;
}

// The path and query of an absolute link the emulator gave.
std::string path_of(const std::string &link) {
    const Poco::URI uri(link);
    return uri.getPathAndQuery();
}

// An EWS request: the header (version, optional impersonation) and a body.
std::string envelope(const std::string &body, const std::string &impersonate = "",
                     const std::string &version = "Exchange2016") {
    std::string header = "<t:RequestServerVersion Version=\"" + version + "\"/>";
    if (!impersonate.empty())
        header += "<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>" + impersonate +
                  "</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>";
    return "<?xml version='1.0' encoding='utf-8'?>"
           "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
           "xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\" "
           "xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\">"
           "<s:Header>" +
           header + "</s:Header><s:Body>" + body + "</s:Body></s:Envelope>";
}

std::string calendar_item(const std::string &subject, const std::string &start, const std::string &end,
                          const std::string &erp_id = "") {
    std::string extended;
    if (!erp_id.empty())
        extended =
            "<t:ExtendedProperty><t:ExtendedFieldURI PropertySetId=\"8E2F4C1A-3B5D-4E6F-9A0B-1C2D3E4F5A6B\" "
            "PropertyName=\"erp_id\" PropertyType=\"String\"/><t:Value>" +
            erp_id + "</t:Value></t:ExtendedProperty>";
    return "<t:CalendarItem><t:Subject>" + subject + "</t:Subject><t:Body BodyType=\"Text\">From the ERP</t:Body>" +
           "<t:ReminderIsSet>true</t:ReminderIsSet><t:ReminderMinutesBeforeStart>15</t:ReminderMinutesBeforeStart>" +
           extended + "<t:Start>" + start + "</t:Start><t:End>" + end + "</t:End>" +
           "<t:IsAllDayEvent>false</t:IsAllDayEvent><t:LegacyFreeBusyStatus>Busy</t:LegacyFreeBusyStatus>" +
           "<t:Location>Room 4</t:Location></t:CalendarItem>";
}

std::string create_item(const std::string &items) {
    return "<m:CreateItem SendMeetingInvitations=\"SendToNone\"><m:SavedItemFolderId><t:DistinguishedFolderId "
           "Id=\"calendar\"/></m:SavedItemFolderId><m:Items>" +
           items + "</m:Items></m:CreateItem>";
}

std::string find_item(const std::string &start, const std::string &end, int max = 0) {
    return "<m:FindItem Traversal=\"Shallow\"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>"
           "<t:FieldURI FieldURI=\"item:Subject\"/><t:FieldURI FieldURI=\"calendar:Start\"/>"
           "<t:FieldURI FieldURI=\"calendar:End\"/></t:AdditionalProperties></m:ItemShape><m:CalendarView " +
           (max > 0 ? "MaxEntriesReturned=\"" + std::to_string(max) + "\" " : std::string()) + "StartDate=\"" + start +
           "\" EndDate=\"" + end +
           "\"/><m:ParentFolderIds><t:DistinguishedFolderId Id=\"calendar\"/></m:ParentFolderIds>"
           "</m:FindItem>";
}

std::string get_item(const std::string &id) {
    return "<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape><t:AdditionalProperties>"
           "<t:ExtendedFieldURI PropertySetId=\"8E2F4C1A-3B5D-4E6F-9A0B-1C2D3E4F5A6B\" PropertyName=\"erp_id\" "
           "PropertyType=\"String\"/></t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id=\"" +
           id + "\"/></m:ItemIds></m:GetItem>";
}

std::string update_subject(const std::string &id, const std::string &change_key, const std::string &subject) {
    return "<m:UpdateItem MessageDisposition=\"SaveOnly\" ConflictResolution=\"AutoResolve\" "
           "SendMeetingInvitationsOrCancellations=\"SendToNone\"><m:ItemChanges><t:ItemChange><t:ItemId Id=\"" +
           id + "\" ChangeKey=\"" + change_key +
           "\"/><t:Updates><t:SetItemField><t:FieldURI FieldURI=\"item:Subject\"/>"
           "<t:CalendarItem><t:Subject>" +
           subject +
           "</t:Subject></t:CalendarItem></t:SetItemField>"
           "<t:DeleteItemField><t:FieldURI FieldURI=\"calendar:OptionalAttendees\"/></t:DeleteItemField>"
           "</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>";
}

std::string delete_item(const std::string &id) {
    return "<m:DeleteItem DeleteType=\"MoveToDeletedItems\" SendMeetingCancellations=\"SendToNone\"><m:ItemIds>"
           "<t:ItemId Id=\"" +
           id + "\"/></m:ItemIds></m:DeleteItem>";
}

std::string sync_items(const std::string &state, int max) {
    return "<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId>"
           "<t:DistinguishedFolderId Id=\"calendar\"/></m:SyncFolderId>" +
           (state.empty() ? std::string() : "<m:SyncState>" + state + "</m:SyncState>") + "<m:MaxChangesReturned>" +
           std::to_string(max) + "</m:MaxChangesReturned><m:SyncScope>NormalItems</m:SyncScope></m:SyncFolderItems>";
}

// A parsed EWS answer: the envelope, and the operation's response messages.
struct EwsAnswer {
    int status = 0;
    std::string body;
    std::shared_ptr<soap::Envelope> envelope;

    const soap::Fault &fault() const {
        REQUIRE(envelope->is_fault());
        return *envelope->fault();
    }
    std::vector<const xml::Element *> messages() const {
        REQUIRE_FALSE(envelope->is_fault());
        const auto *list = envelope->content()->child(kM, "ResponseMessages");
        REQUIRE(list);
        std::vector<const xml::Element *> found;
        for (const auto &e : list->elements()) found.push_back(&e);
        return found;
    }
    const xml::Element &message() const {
        const auto all = messages();
        REQUIRE(all.size() == 1);
        return *all.front();
    }
    std::string code() const { return message().child_text(kM, "ResponseCode").value_or(""); }
};

struct Fixture {
    test::TempDir dir{"relais-exchange"};
    emulator::TestCertificateAuthority ca{dir.path()};
    std::shared_ptr<emulator::EmulatorClock> clock = std::make_shared<emulator::EmulatorClock>(monday());
    std::unique_ptr<ExchangeEmulator> emu;

    explicit Fixture(ExchangeEmulatorOptions options = {}) {
        options.server.tls = ca.server_files();
        options.server.clock = clock;
        emu = std::make_unique<ExchangeEmulator>(options);
        emu->start();
    }

    HttpAnswer request(const std::string &method, const std::string &path,
                       const std::map<std::string, std::string> &headers = {}, const std::string &body = "") {
        return http(emu->base_url(), ca.client_context(), method, path, headers, body);
    }

    HttpAnswer token_request(const std::string &tenant,
                             const std::vector<std::pair<std::string, std::string>> &fields) {
        return request("POST", "/" + tenant + "/oauth2/v2.0/token",
                       {{"Content-Type", "application/x-www-form-urlencoded"}}, form(fields));
    }

    std::string token(const std::string &scope) {
        const auto r = token_request(kTenant, {{"client_id", kClientId},
                                               {"client_secret", kSecret},
                                               {"grant_type", "client_credentials"},
                                               {"scope", scope}});
        REQUIRE(r.status == 200);
        return r.json()->getValue<std::string>("access_token");
    }

    EwsAnswer ews_raw(const std::string &body, const std::map<std::string, std::string> &headers) {
        auto all = headers;
        all["Content-Type"] = "text/xml; charset=utf-8";
        const auto r = request("POST", "/EWS/Exchange.asmx", all, body);
        EwsAnswer answer{r.status, r.body, nullptr};
        if (r.body.find("Envelope") != std::string::npos)
            answer.envelope =
                std::make_shared<soap::Envelope>(soap::parse_envelope(r.body, RELAIS_INVALID_INPUT, "EWS answer"));
        return answer;
    }
    // As the delegated account (Basic), its own mailbox unless `impersonate` is given.
    EwsAnswer ews(const std::string &operation, const std::string &impersonate = "") {
        return ews_raw(envelope(operation, impersonate),
                       {{"Authorization", "Basic " + base64(std::string(kUser) + ":" + kPassword)}});
    }
    // As the application: a Bearer token, impersonating `mailbox` with X-AnchorMailbox.
    EwsAnswer ews_app(const std::string &operation, const std::string &mailbox = kAlice) {
        if (ews_token.empty()) ews_token = token(kEwsScope);
        return ews_raw(envelope(operation, mailbox),
                       {{"Authorization", "Bearer " + ews_token}, {"X-AnchorMailbox", mailbox}});
    }

    HttpAnswer graph(const std::string &method, const std::string &path, const std::string &body = "",
                     std::map<std::string, std::string> headers = {}) {
        if (graph_token.empty()) graph_token = token(kGraphScope);
        headers["Authorization"] = "Bearer " + graph_token;
        if (!body.empty()) headers["Content-Type"] = "application/json";
        return request(method, path.rfind("/v1.0", 0) == 0 ? path : "/v1.0" + path, headers, body);
    }

    std::string ews_token, graph_token;
};

std::string item_id(const xml::Element &message) {
    const auto *item = message.child(kM, "Items")->child(kT, "CalendarItem");
    REQUIRE(item);
    return item->child(kT, "ItemId")->attribute("Id").value_or("");
}

std::string change_key(const xml::Element &message) {
    return message.child(kM, "Items")
        ->child(kT, "CalendarItem")
        ->child(kT, "ItemId")
        ->attribute("ChangeKey")
        .value_or("");
}

std::string fault_value(const soap::Fault &fault, const std::string &name) {
    const auto *xml = fault.detail_child(kT, "MessageXml");
    if (!xml) return "";
    const auto *v = xml->child_where(kT, "Value", "Name", name);
    return v ? v->text(xml::Trim::yes) : "";
}

std::string graph_event(const std::string &subject, const std::string &start, const std::string &end,
                        const std::string &zone = "UTC", const std::string &extra = "") {
    return R"({"subject":")" + subject + R"(","body":{"contentType":"text","content":"x"},"start":{"dateTime":")" +
           start + R"(","timeZone":")" + zone + R"("},"end":{"dateTime":")" + end + R"(","timeZone":")" + zone +
           R"("})" + extra + "}";
}

}  // namespace

// --- OAuth2 ------------------------------------------------------------------------------

TEST_CASE("exchange emulator: client credentials for both audiences, AADSTS refusals", "[exchange][emulator][oauth]") {
    Fixture f;
    const auto ok = f.token_request("contoso.onmicrosoft.com", {{"client_id", kClientId},
                                                                {"client_secret", kSecret},
                                                                {"grant_type", "client_credentials"},
                                                                {"scope", kGraphScope}});
    REQUIRE(ok.status == 200);
    CHECK(ok.json()->getValue<std::string>("token_type") == "Bearer");
    CHECK(ok.json()->getValue<int>("expires_in") == 3599);
    CHECK(ok.json()->getValue<int>("ext_expires_in") == 3599);
    CHECK_FALSE(f.token(kEwsScope).empty());
    CHECK(f.emu->tokens_issued() == 2);

    const auto code_of = [](const HttpAnswer &r) { return r.json()->getArray("error_codes")->getElement<int>(0); };
    const auto unknown_tenant = f.token_request("fabrikam.onmicrosoft.com", {{"client_id", kClientId},
                                                                             {"client_secret", kSecret},
                                                                             {"grant_type", "client_credentials"},
                                                                             {"scope", kGraphScope}});
    CHECK(unknown_tenant.status == 400);
    CHECK(code_of(unknown_tenant) == 90002);
    CHECK(unknown_tenant.json()->getValue<std::string>("error_description").rfind("AADSTS90002: Tenant", 0) == 0);

    const auto wrong_secret = f.token_request(kTenant, {{"client_id", kClientId},
                                                        {"client_secret", "nope"},
                                                        {"grant_type", "client_credentials"},
                                                        {"scope", kGraphScope}});
    CHECK(wrong_secret.status == 401);
    CHECK(wrong_secret.json()->getValue<std::string>("error") == "invalid_client");
    CHECK(code_of(wrong_secret) == 7000215);

    const auto unknown_client = f.token_request(kTenant, {{"client_id", "00000000-0000-0000-0000-000000000000"},
                                                          {"client_secret", kSecret},
                                                          {"grant_type", "client_credentials"},
                                                          {"scope", kGraphScope}});
    CHECK(code_of(unknown_client) == 700016);

    const auto bad_scope = f.token_request(kTenant, {{"client_id", kClientId},
                                                     {"client_secret", kSecret},
                                                     {"grant_type", "client_credentials"},
                                                     {"scope", "https://graph.microsoft.com/Calendars.ReadWrite"}});
    CHECK(bad_scope.json()->getValue<std::string>("error") == "invalid_scope");
    CHECK(code_of(bad_scope) == 1002012);

    const auto password_grant = f.token_request(kTenant, {{"client_id", kClientId}, {"grant_type", "password"}});
    CHECK(code_of(password_grant) == 70003);
}

// --- EWS authentication and header -------------------------------------------------------------

TEST_CASE("exchange emulator: EWS refuses bad credentials, wrong audiences and missing impersonation",
          "[exchange][emulator][ews]") {
    Fixture f;
    const auto find = envelope(find_item("2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z"), kAlice);

    const auto none = f.ews_raw(find, {});
    CHECK(none.status == 401);
    const auto wrong = f.ews_raw(find, {{"Authorization", "Basic " + base64("svc-relais:wrong")}});
    CHECK(wrong.status == 401);

    // A Graph token is not for EWS.
    const auto graph_token = f.token(kGraphScope);
    const auto other_audience =
        f.ews_raw(find, {{"Authorization", "Bearer " + graph_token}, {"X-AnchorMailbox", kAlice}});
    CHECK(other_audience.status == 401);

    const auto ews_token = f.token(kEwsScope);
    // An application token without ExchangeImpersonation, and without X-AnchorMailbox.
    const auto no_impersonation = f.ews_raw(envelope(find_item("2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z")),
                                            {{"Authorization", "Bearer " + ews_token}, {"X-AnchorMailbox", kAlice}});
    CHECK(no_impersonation.status == 500);
    CHECK(no_impersonation.fault().string.find("ExchangeImpersonation SOAP header must be present") !=
          std::string::npos);
    const auto no_anchor = f.ews_raw(find, {{"Authorization", "Bearer " + ews_token}});
    CHECK(no_anchor.status == 500);
    CHECK(no_anchor.fault().string.find("X-AnchorMailbox") != std::string::npos);
    const auto ok = f.ews_raw(find, {{"Authorization", "Bearer " + ews_token}, {"X-AnchorMailbox", kAlice}});
    CHECK(ok.status == 200);
    CHECK(ok.code() == "NoError");

    // ConnectingSID with two children (older clients), an unknown server version.
    const std::string two_ids =
        "<?xml version='1.0'?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
        "xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\" "
        "xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\"><s:Header>"
        "<t:RequestServerVersion Version=\"Exchange2016\"/><t:ExchangeImpersonation><t:ConnectingSID>"
        "<t:PrimarySmtpAddress>alice@contoso.com</t:PrimarySmtpAddress><t:SmtpAddress>alice@contoso.com</t:SmtpAddress>"
        "</t:ConnectingSID></t:ExchangeImpersonation></s:Header><s:Body>" +
        find_item("2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z") + "</s:Body></s:Envelope>";
    const auto two = f.ews_raw(two_ids, {{"Authorization", "Bearer " + ews_token}, {"X-AnchorMailbox", kAlice}});
    CHECK(two.status == 500);
    CHECK(two.fault().code_is(kT, "ErrorInvalidExchangeImpersonationHeaderData"));
    const auto version =
        f.ews_raw(envelope(find_item("2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z"), kAlice, "V2018_01_08"),
                  {{"Authorization", "Bearer " + ews_token}, {"X-AnchorMailbox", kAlice}});
    CHECK(version.status == 500);
    CHECK(version.fault().code_is(kT, "ErrorInvalidServerVersion"));

    // An unknown mailbox; a DOCTYPE (never read: the SDK's parser refuses it).
    const auto unknown = f.ews_app(find_item("2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z"), "nobody@contoso.com");
    CHECK(unknown.fault().code_is(kT, "ErrorNonExistentMailbox"));
    CHECK(unknown.fault().detail_text(kE, "ResponseCode") == "ErrorNonExistentMailbox");
    const auto doctype =
        f.ews_raw("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" + find,
                  {{"Authorization", "Bearer " + ews_token}, {"X-AnchorMailbox", kAlice}});
    CHECK(doctype.status == 500);
    CHECK(doctype.body.find("root:") == std::string::npos);
}

TEST_CASE("exchange emulator: an application scoped to some mailboxes is denied impersonating others",
          "[exchange][emulator][ews][graph]") {
    ExchangeEmulatorOptions options;
    options.applications.front().mailboxes = {"bob@contoso.com"};
    Fixture f(options);
    const auto denied = f.ews_app(find_item("2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z"), kAlice);
    CHECK(denied.status == 500);
    CHECK(denied.fault().code_is(kT, "ErrorImpersonateUserDenied"));
    CHECK(f.ews_app(find_item("2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z"), "bob@contoso.com").code() == "NoError");
    const auto graph = f.graph("GET",
                               "/users/alice@contoso.com/calendarView?startDateTime=2026-01-12T00:00:00Z"
                               "&endDateTime=2026-01-19T00:00:00Z");
    CHECK(graph.status == 403);
    CHECK(graph.json()->getObject("error")->getValue<std::string>("code") == "ErrorAccessDenied");
}

TEST_CASE("exchange emulator: NTLM with the SDK's client, then the calendar as the account",
          "[exchange][emulator][ews]") {
    Fixture f;
    support::HttpClientOptions options;
    options.credentials = support::Credentials::ntlm(f.emu->base_url(), "CONTOSO\\svc-relais", kPassword);
    options.extra_ca_file = f.ca.ca_file().string();
    support::HttpClient client(options);
    auto request = support::HttpRequest::post(f.emu->ews_url());
    request.body = envelope(create_item(calendar_item("Via NTLM", "2026-01-13T09:00:00Z", "2026-01-13T10:00:00Z")));
    request.content_type = "text/xml; charset=utf-8";
    const auto answer = client.send(request);
    REQUIRE(answer.status == 200);
    CHECK(answer.body.find("NoError") != std::string::npos);
    REQUIRE(f.emu->events("svc-relais@contoso.com").size() == 1);
    CHECK(f.emu->calls("CreateItem") == 1);

    support::HttpClientOptions wrong = options;
    wrong.credentials = support::Credentials::ntlm(f.emu->base_url(), "CONTOSO\\svc-relais", "not-it");
    CHECK(support::HttpClient(wrong).send(request).status == 401);
}

// --- EWS operations ------------------------------------------------------------------------------

TEST_CASE("exchange emulator: EWS create, get, update with change keys, conflict, delete",
          "[exchange][emulator][ews]") {
    Fixture f;
    const auto created =
        f.ews_app(create_item(calendar_item("Planning", "2026-01-13T09:00:00Z", "2026-01-13T10:00:00Z", "ERP-1")));
    REQUIRE(created.status == 200);
    REQUIRE(created.code() == "NoError");
    const auto id = item_id(created.message());
    const auto key1 = change_key(created.message());

    const auto got = f.ews_app(get_item(id));
    REQUIRE(got.code() == "NoError");
    const auto *item = got.message().child(kM, "Items")->child(kT, "CalendarItem");
    CHECK(item->child_text(kT, "Subject") == "Planning");
    CHECK(item->child_text(kT, "Start") == "2026-01-13T09:00:00Z");
    CHECK(item->child_text(kT, "CalendarItemType") == "Single");
    CHECK(item->child(kT, "ExtendedProperty")->child_text(kT, "Value") == "ERP-1");

    const auto updated = f.ews_app(update_subject(id, key1, "Planning moved"));
    REQUIRE(updated.code() == "NoError");
    const auto key2 = change_key(updated.message());
    CHECK(key2 != key1);
    CHECK(updated.message().child(kM, "ConflictResults")->child_text(kT, "Count") == "0");
    const auto again = f.ews_app(update_subject(id, key2, "Planning moved twice"));
    const auto key3 = change_key(again.message());
    CHECK(key3 != key2);

    // The stale key: a clear conflict, and nothing overwritten.
    const auto stale = f.ews_app(update_subject(id, key1, "Lost update"));
    CHECK(stale.status == 200);
    CHECK(stale.message().attribute("ResponseClass") == "Error");
    CHECK(stale.code() == "ErrorIrresolvableConflict");
    CHECK(f.emu->event(kAlice, id)->subject == "Planning moved twice");

    REQUIRE(f.ews_app(delete_item(id)).code() == "NoError");
    const auto gone = f.ews_app(get_item(id));
    CHECK(gone.code() == "ErrorItemNotFound");
    CHECK(gone.message().child_text(kM, "MessageText") == "The specified object was not found in the store.");
    CHECK(f.ews_app(delete_item(id)).code() == "ErrorItemNotFound");
    CHECK(f.emu->calls("UpdateItem") == 3);
}

TEST_CASE("exchange emulator: CreateItem is checked against the schema order and its required attribute",
          "[exchange][emulator][ews]") {
    Fixture f;
    const std::string end_first =
        "<t:CalendarItem><t:Subject>x</t:Subject><t:End>2026-01-13T10:00:00Z</t:End>"
        "<t:Start>2026-01-13T09:00:00Z</t:Start></t:CalendarItem>";
    const auto schema = f.ews_app(create_item(end_first));
    CHECK(schema.status == 500);
    CHECK(schema.fault().code_is(kT, "ErrorSchemaValidation"));
    CHECK(schema.fault().detail_child(kT, "MessageXml")->child(kT, "LineNumber"));
    CHECK(f.emu->events(kAlice).empty());

    const auto no_invitations =
        f.ews_app("<m:CreateItem><m:Items>" + calendar_item("x", "2026-01-13T09:00:00Z", "2026-01-13T10:00:00Z") +
                  "</m:Items></m:CreateItem>");
    CHECK(no_invitations.code() == "ErrorSendMeetingInvitationsRequired");
}

TEST_CASE("exchange emulator: FindItem CalendarView truncates at MaxEntriesReturned", "[exchange][emulator][ews]") {
    Fixture f;
    for (int day = 12; day < 17; ++day) {
        Event e;
        e.subject = "Day " + std::to_string(day);
        e.start = std::chrono::sys_days(std::chrono::year(2026) / 1 / day) + 9h;
        e.end = e.start + 1h;
        f.emu->add_event(kAlice, e);
    }
    const auto page = f.ews_app(find_item("2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z", 3));
    REQUIRE(page.code() == "NoError");
    const auto *root = page.message().child(kM, "RootFolder");
    CHECK(root->attribute("TotalItemsInView") == "5");
    CHECK(root->attribute("IncludesLastItemInRange") == "false");
    const auto items = root->child(kT, "Items")->children(kT, "CalendarItem");
    REQUIRE(items.size() == 3);
    CHECK(items[0]->child_text(kT, "Subject") == "Day 12");
    CHECK(items[2]->child_text(kT, "End") == "2026-01-14T10:00:00Z");

    // The client moves StartDate on: the rest, and the last item in range.
    const auto rest = f.ews_app(find_item("2026-01-14T10:00:00Z", "2026-01-19T00:00:00Z", 3));
    CHECK(rest.message().child(kM, "RootFolder")->attribute("IncludesLastItemInRange") == "true");
    CHECK(rest.message().child(kM, "RootFolder")->child(kT, "Items")->children(kT, "CalendarItem").size() == 2);

    CHECK(f.ews_app(find_item("2026-01-19T00:00:00Z", "2026-01-12T00:00:00Z")).code() ==
          "ErrorCalendarEndDateIsEarlierThanStartDate");
    CHECK(f.ews_app(find_item("2026-01-01T00:00:00Z", "2029-01-01T00:00:00Z")).code() ==
          "ErrorCalendarViewRangeTooBig");
}

TEST_CASE("exchange emulator: SyncFolderItems pages with sync states, then gives only the changes",
          "[exchange][emulator][ews]") {
    Fixture f;
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        Event e;
        e.subject = "Own " + std::to_string(i);
        e.start = monday() + std::chrono::hours(24 * i);
        e.end = e.start + 30min;
        ids.push_back(f.emu->add_event(kAlice, e).id);
    }
    const auto first = f.ews_app(sync_items("", 3));
    REQUIRE(first.code() == "NoError");
    CHECK(first.message().child_text(kM, "IncludesLastItemInRange") == "false");
    CHECK(first.message().child(kM, "Changes")->children(kT, "Create").size() == 3);
    const auto second = f.ews_app(sync_items(*first.message().child_text(kM, "SyncState"), 3));
    CHECK(second.message().child_text(kM, "IncludesLastItemInRange") == "true");
    CHECK(second.message().child(kM, "Changes")->children(kT, "Create").size() == 2);
    const auto state = *second.message().child_text(kM, "SyncState");

    // A change, a deletion, a creation: one each.
    f.emu->touch_event(kAlice, ids[1], "Own 1, moved");
    f.emu->remove_event(kAlice, ids[2]);
    Event added;
    added.subject = "New";
    added.start = monday();
    added.end = monday() + 1h;
    const auto new_id = f.emu->add_event(kAlice, added).id;
    const auto delta = f.ews_app(sync_items(state, 100));
    REQUIRE(delta.code() == "NoError");
    const auto *changes = delta.message().child(kM, "Changes");
    REQUIRE(changes->elements().size() == 3);
    CHECK(changes->elements()[0].local_name() == "Update");
    CHECK(changes->elements()[0].child(kT, "CalendarItem")->child(kT, "ItemId")->attribute("Id") == ids[1]);
    CHECK(changes->elements()[1].local_name() == "Delete");
    CHECK(changes->elements()[1].child(kT, "ItemId")->attribute("Id") == ids[2]);
    CHECK(changes->elements()[2].local_name() == "Create");
    const auto latest = *delta.message().child_text(kM, "SyncState");
    CHECK(f.ews_app(sync_items(latest, 100)).message().child(kM, "Changes")->elements().empty());

    // A corrupt state, and an expired one.
    const auto corrupt = f.ews_app(sync_items("H4sIAAA==", 100));
    CHECK(corrupt.code() == "ErrorInvalidSyncStateData");
    CHECK(corrupt.message().child_text(kM, "MessageText") ==
          "Synchronization state data is corrupt or otherwise invalid.");
    CHECK(corrupt.message().child_text(kM, "IncludesLastItemInRange") == "true");
    f.emu->expire_sync_states(kAlice);
    CHECK(f.ews_app(sync_items(latest, 100)).code() == "ErrorInvalidSyncStateData");
    const auto restart = f.ews_app(sync_items("", 100));
    CHECK(restart.message().child(kM, "Changes")->children(kT, "Create").size() == 5);
    (void)new_id;
}

TEST_CASE("exchange emulator: the three EWS error shapes, injected", "[exchange][emulator][ews]") {
    ExchangeEmulatorOptions options;
    options.back_off = 297749ms;
    options.retry_after = 7s;
    Fixture f(options);
    const auto find = find_item("2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z");

    f.emu->fail_next(Failure::server_busy, 1, "FindItem");
    const auto busy = f.ews_app(find);
    CHECK(busy.status == 500);
    CHECK(busy.fault().code_is(kT, "ErrorServerBusy"));
    CHECK(busy.fault().detail_text(kE, "ResponseCode") == "ErrorServerBusy");
    CHECK(fault_value(busy.fault(), "BackOffMilliseconds") == "297749");

    f.emu->fail_next(Failure::server_busy_message, 1, "SyncFolderItems");
    const auto message = f.ews_app(sync_items("", 10));
    CHECK(message.status == 200);
    CHECK(message.code() == "ErrorServerBusy");
    CHECK(message.message().child(kM, "MessageXml")->child_where(kT, "Value", "Name", "BackOffMilliseconds"));
    CHECK(message.message().child_text(kM, "MessageText")->find("ConcurrentSyncCalls") != std::string::npos);

    f.emu->fail_next(Failure::unavailable);
    const auto unavailable = f.ews_app(find);
    CHECK(unavailable.status == 503);
    CHECK(f.request("GET", "/").status == 404);  // the fault was used up by EWS

    f.emu->fail_next(Failure::exceeded_connection_count);
    const auto connections = f.ews_app(find);
    CHECK(connections.fault().code_is(kT, "ErrorExceededConnectionCount"));
    CHECK(fault_value(connections.fault(), "Policy") == "MaxConcurrency");

    f.emu->fail_next(Failure::impersonate_user_denied);
    CHECK(f.ews_app(find).fault().code_is(kT, "ErrorImpersonateUserDenied"));
    f.emu->fail_next(Failure::non_existent_mailbox);
    CHECK(f.ews_app(find).fault().string == "The SMTP address has no mailbox associated with it.");

    const auto created = f.ews_app(create_item(calendar_item("x", "2026-01-13T09:00:00Z", "2026-01-13T10:00:00Z")));
    f.emu->fail_next(Failure::item_not_found, 1, "GetItem");
    CHECK(f.ews_app(get_item(item_id(created.message()))).code() == "ErrorItemNotFound");
    CHECK(f.ews_app(get_item(item_id(created.message()))).code() == "NoError");

    f.emu->fail_next(Failure::invalid_sync_state);
    CHECK(f.ews_app(sync_items("", 10)).code() == "ErrorInvalidSyncStateData");

    f.emu->fail_next(Failure::server_error);
    const auto html = f.ews_app(find);
    CHECK(html.status == 500);
    CHECK(html.body.find("Server Error in '/EWS' Application") != std::string::npos);
    CHECK(f.emu->calls("FindItem") == 6);
}

TEST_CASE("exchange emulator: EWS answers 403 once blocked for the tenant", "[exchange][emulator][ews]") {
    Fixture f;
    f.emu->set_ews_blocked(true);
    CHECK(f.ews_app(find_item("2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z")).status == 403);
}

// --- Graph --------------------------------------------------------------------------------------

TEST_CASE("exchange emulator: Graph calendarView pages with @odata.nextLink", "[exchange][emulator][graph]") {
    Fixture f;
    for (int i = 0; i < 7; ++i) {
        Event e;
        e.subject = "Slot " + std::to_string(i);
        e.start = monday() + std::chrono::hours(i);
        e.end = e.start + 30min;
        f.emu->add_event(kAlice, e);
    }
    auto page = f.graph("GET",
                        "/users/alice@contoso.com/calendarView?startDateTime=2026-01-12T00:00:00"
                        "&endDateTime=2026-01-13T00:00:00",
                        "", {{"Prefer", "odata.maxpagesize=3"}});
    std::vector<std::string> subjects;
    int pages = 0;
    for (;;) {
        REQUIRE(page.status == 200);
        ++pages;
        const auto value = page.json()->getArray("value");
        for (std::size_t i = 0; i < value->size(); ++i)
            subjects.push_back(value->getObject(static_cast<unsigned>(i))->getValue<std::string>("subject"));
        if (!page.json()->has("@odata.nextLink")) break;
        const auto next = page.json()->getValue<std::string>("@odata.nextLink");
        CHECK(next.find("$skip=") != std::string::npos);
        page = f.graph("GET", path_of(next), "", {{"Prefer", "odata.maxpagesize=3"}});
    }
    CHECK(pages == 3);
    REQUIRE(subjects.size() == 7);
    CHECK(subjects.front() == "Slot 0");
    CHECK(subjects.back() == "Slot 6");

    const auto missing = f.graph("GET", "/users/alice@contoso.com/calendarView");
    CHECK(missing.status == 400);
    const auto nobody = f.graph("GET",
                                "/users/nobody@contoso.com/calendarView?startDateTime=2026-01-12T00:00:00"
                                "&endDateTime=2026-01-13T00:00:00");
    CHECK(nobody.status == 404);
    CHECK(nobody.json()->getObject("error")->getValue<std::string>("code") == "ErrorNonExistentMailbox");
    CHECK(f.emu->calls("GET /v1.0/users/{mailbox}/calendarView") == 4);
}

TEST_CASE("exchange emulator: Graph events with If-Match, transactionId, time zones, seen through EWS",
          "[exchange][emulator][graph][ews]") {
    Fixture f;
    // 09:00 in Paris in winter is 08:00 UTC; in summer 07:00 UTC.
    const auto body = graph_event("Weekly", "2026-01-14T09:00:00", "2026-01-14T10:00:00", "Europe/Paris",
                                  R"(,"transactionId":"tx-1","singleValueExtendedProperties":[{"id":")" +
                                      std::string(kErpProperty) + R"(","value":"ERP-9"}])");
    const auto created = f.graph("POST", "/users/alice@contoso.com/events", body);
    REQUIRE(created.status == 201);
    const auto id = created.json()->getValue<std::string>("id");
    const auto etag = created.json()->getValue<std::string>("@odata.etag");
    CHECK(created.json()->getObject("start")->getValue<std::string>("dateTime") == "2026-01-14T08:00:00.0000000");
    CHECK(created.json()->getObject("start")->getValue<std::string>("timeZone") == "UTC");
    const auto summer =
        f.graph("POST", "/users/alice@contoso.com/events",
                graph_event("Summer", "2026-07-15T09:00:00", "2026-07-15T10:00:00", "W. Europe Standard Time"));
    CHECK(summer.json()->getObject("start")->getValue<std::string>("dateTime") == "2026-07-15T07:00:00.0000000");
    const auto in_paris =
        f.graph("GET", "/users/alice@contoso.com/events/" + summer.json()->getValue<std::string>("id"), "",
                {{"Prefer", "outlook.timezone=\"Europe/Paris\""}});
    CHECK(in_paris.json()->getObject("start")->getValue<std::string>("dateTime") == "2026-07-15T09:00:00.0000000");

    // The same transactionId again: the first event, not a second one.
    const auto replay = f.graph("POST", "/users/alice@contoso.com/events", body);
    CHECK(replay.json()->getValue<std::string>("id") == id);
    CHECK(f.emu->events(kAlice).size() == 2);

    // The extended property: found by $filter, expanded on read, and seen by EWS.
    const auto filter =
        "singleValueExtendedProperties/Any(ep: ep/id eq '" + std::string(kErpProperty) + "' and ep/value eq 'ERP-9')";
    std::string encoded;
    Poco::URI::encode(filter, "!#$&'()*+,/:;=?@[] ", encoded);
    const auto found = f.graph("GET", "/users/alice@contoso.com/events?$filter=" + encoded);
    REQUIRE(found.json()->getArray("value")->size() == 1);
    const auto got = f.graph("GET", "/users/alice@contoso.com/events/" + id);
    CHECK(got.header("ETag") == etag);
    const auto ews = f.ews_app(get_item(id));
    REQUIRE(ews.code() == "NoError");
    const auto *item = ews.message().child(kM, "Items")->child(kT, "CalendarItem");
    CHECK(item->child_text(kT, "Start") == "2026-01-14T08:00:00Z");
    CHECK(item->child(kT, "ExtendedProperty")->child_text(kT, "Value") == "ERP-9");
    CHECK(item->child(kT, "ItemId")->attribute("ChangeKey") == created.json()->getValue<std::string>("changeKey"));

    // If-Match: the current ETag passes and rotates it; the old one is refused.
    const auto patched = f.graph("PATCH", "/users/alice@contoso.com/events/" + id, R"({"subject":"Weekly, moved"})",
                                 {{"If-Match", etag}});
    REQUIRE(patched.status == 200);
    CHECK(patched.json()->getValue<std::string>("@odata.etag") != etag);
    const auto stale =
        f.graph("PATCH", "/users/alice@contoso.com/events/" + id, R"({"subject":"Lost"})", {{"If-Match", etag}});
    CHECK(stale.status == 412);
    CHECK(f.emu->event(kAlice, id)->subject == "Weekly, moved");
    // An EWS update rotates the key Graph checks.
    const auto via_ews = f.ews_app(update_subject(id, patched.json()->getValue<std::string>("changeKey"), "From EWS"));
    REQUIRE(via_ews.code() == "NoError");
    CHECK(f.graph("DELETE", "/users/alice@contoso.com/events/" + id, "",
                  {{"If-Match", patched.json()->getValue<std::string>("@odata.etag")}})
              .status == 412);
    CHECK(f.graph("PATCH", "/users/alice@contoso.com/events/" + id, R"({"nonsense":1})").status == 400);
    CHECK(f.graph("DELETE", "/users/alice@contoso.com/events/" + id).status == 204);
    CHECK(f.graph("GET", "/users/alice@contoso.com/events/" + id).status == 404);
    CHECK(f.ews_app(get_item(id)).code() == "ErrorItemNotFound");
}

TEST_CASE("exchange emulator: Graph delta, skip and delta tokens, @removed, 410 when expired",
          "[exchange][emulator][graph]") {
    Fixture f;
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i) {
        Event e;
        e.subject = "In " + std::to_string(i);
        e.start = monday() + std::chrono::hours(24 * i);
        e.end = e.start + 1h;
        ids.push_back(f.emu->add_event(kAlice, e).id);
    }
    Event outside;
    outside.subject = "Next month";
    outside.start = monday() + std::chrono::hours(24 * 40);
    outside.end = outside.start + 1h;
    const auto outside_id = f.emu->add_event(kAlice, outside).id;

    const std::map<std::string, std::string> small{{"Prefer", "odata.maxpagesize=3"}};
    auto page = f.graph("GET",
                        "/users/alice@contoso.com/calendarView/delta?startDateTime=2026-01-12T00:00:00Z"
                        "&endDateTime=2026-01-26T00:00:00Z",
                        "", small);
    REQUIRE(page.status == 200);
    CHECK(page.json()->getArray("value")->size() == 3);
    const auto next = page.json()->getValue<std::string>("@odata.nextLink");
    CHECK(next.find("$skiptoken=") != std::string::npos);
    page = f.graph("GET", path_of(next), "", small);
    CHECK(page.json()->getArray("value")->size() == 1);
    const auto delta_link = page.json()->getValue<std::string>("@odata.deltaLink");
    CHECK(delta_link.find("$deltatoken=") != std::string::npos);

    // Nothing changed; then a change, a deletion, a change outside the window.
    CHECK(f.graph("GET", path_of(delta_link)).json()->getArray("value")->size() == 0);
    f.emu->touch_event(kAlice, ids[0], "In 0, changed");
    f.emu->remove_event(kAlice, ids[1]);
    f.emu->touch_event(kAlice, outside_id, "Still next month");
    const auto round = f.graph("GET", path_of(delta_link));
    const auto value = round.json()->getArray("value");
    REQUIRE(value->size() == 3);
    CHECK(value->getObject(0)->getValue<std::string>("subject") == "In 0, changed");
    CHECK(value->getObject(1)->getValue<std::string>("id") == ids[1]);
    CHECK(value->getObject(1)->getObject("@removed")->getValue<std::string>("reason") == "deleted");
    CHECK(value->getObject(2)->getValue<std::string>("id") == outside_id);
    CHECK(value->getObject(2)->has("@removed"));

    f.emu->expire_sync_states();
    const auto gone = f.graph("GET", path_of(round.json()->getValue<std::string>("@odata.deltaLink")));
    CHECK(gone.status == 410);
    f.emu->fail_next(Failure::invalid_sync_state, 1, "GET /v1.0/users/{mailbox}/calendarView/delta");
    CHECK(f.graph("GET",
                  "/users/alice@contoso.com/calendarView/delta?startDateTime=2026-01-12T00:00:00Z"
                  "&endDateTime=2026-01-26T00:00:00Z")
              .status == 410);
}

TEST_CASE("exchange emulator: Graph 429 and 503 with Retry-After, expired tokens", "[exchange][emulator][graph]") {
    ExchangeEmulatorOptions options;
    options.retry_after = 3s;
    Fixture f(options);
    const std::string view =
        "/users/alice@contoso.com/calendarView?startDateTime=2026-01-12T00:00:00Z"
        "&endDateTime=2026-01-13T00:00:00Z";
    f.emu->fail_next(Failure::too_many_requests, 2);
    for (int i = 0; i < 2; ++i) {
        const auto throttled = f.graph("GET", view);
        CHECK(throttled.status == 429);
        CHECK(throttled.header("Retry-After") == "3");
        CHECK(throttled.json()->getObject("error")->getValue<std::string>("code") == "TooManyRequests");
    }
    CHECK(f.graph("GET", view).status == 200);
    f.emu->fail_next(Failure::unavailable);
    const auto unavailable = f.graph("GET", view);
    CHECK(unavailable.status == 503);
    CHECK(unavailable.header("Retry-After") == "3");

    // The token lives 3599 s on the emulator's clock.
    f.clock->advance(3600s);
    const auto expired = f.graph("GET", view);
    CHECK(expired.status == 401);
    CHECK(expired.json()->getObject("error")->getValue<std::string>("code") == "InvalidAuthenticationToken");
    f.graph_token.clear();
    CHECK(f.graph("GET", view).status == 200);
    f.emu->expire_tokens();
    CHECK(f.graph("GET", view).status == 401);
}

TEST_CASE("exchange emulator: a fifth Graph request in flight on one mailbox gets 429", "[exchange][emulator][graph]") {
    ExchangeEmulatorOptions options;
    options.latency = 1500ms;
    Fixture f(options);
    const auto token = f.token(kGraphScope);
    const std::string view =
        "/v1.0/users/alice@contoso.com/calendarView?startDateTime=2026-01-12T00:00:00Z"
        "&endDateTime=2026-01-13T00:00:00Z";
    std::vector<std::future<int>> slow;
    for (int i = 0; i < 4; ++i)
        slow.push_back(std::async(std::launch::async, [&] {
            return http(f.emu->base_url(), f.ca.client_context(), "GET", view, {{"Authorization", "Bearer " + token}})
                .status;
        }));
    // Wait until the emulator holds all four (a condition with a deadline, not a guess).
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (f.emu->peak_graph_concurrency(kAlice) < 4 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(10ms);
    REQUIRE(f.emu->peak_graph_concurrency(kAlice) == 4);
    const auto fifth = f.request("GET", view, {{"Authorization", "Bearer " + token}});
    CHECK(fifth.status == 429);
    CHECK(fifth.json()->getObject("error")->getValue<std::string>("code") == "ApplicationThrottled");
    CHECK_FALSE(fifth.header("Retry-After").empty());
    for (auto &s : slow) CHECK(s.get() == 200);
    CHECK(f.emu->peak_graph_concurrency(kAlice) == 5);
    CHECK(f.emu->peak_graph_concurrency("bob@contoso.com") == 0);
}

TEST_CASE("exchange emulator: a lost answer after the work, and the concurrent SyncFolderItems limit",
          "[exchange][emulator][ews]") {
    ExchangeEmulatorOptions options;
    options.latency = 800ms;
    options.ews.max_concurrent_syncs = 1;
    Fixture f(options);
    f.emu->fail_next(Failure::lose_answer, 1, "CreateItem");
    CHECK_THROWS(f.ews_app(create_item(calendar_item("Lost", "2026-01-13T09:00:00Z", "2026-01-13T10:00:00Z"))));
    REQUIRE(f.emu->events(kAlice).size() == 1);  // created all the same
    CHECK(f.emu->events(kAlice).front().subject == "Lost");

    const auto body = envelope(sync_items("", 10), kAlice);
    const auto token = f.token(kEwsScope);
    const std::map<std::string, std::string> headers{
        {"Authorization", "Bearer " + token}, {"X-AnchorMailbox", kAlice}, {"Content-Type", "text/xml; charset=utf-8"}};
    auto first = std::async(std::launch::async, [&] {
        return http(f.emu->base_url(), f.ca.client_context(), "POST", "/EWS/Exchange.asmx", headers, body);
    });
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (f.emu->calls("SyncFolderItems") < 1 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    const auto second = f.ews_raw(body, headers);
    CHECK(second.code() == "ErrorServerBusy");
    CHECK(second.message().child_text(kM, "MessageText")->find("ConcurrentSyncCalls") != std::string::npos);
    const auto first_answer = first.get();
    CHECK(first_answer.status == 200);
    CHECK(first_answer.body.find("NoError") != std::string::npos);
}

TEST_CASE("exchange emulator: Graph's requests per 10 minutes per mailbox", "[exchange][emulator][graph]") {
    ExchangeEmulatorOptions options;
    options.graph.requests_per_10_minutes = 2;
    Fixture f(options);
    const std::string view =
        "/users/alice@contoso.com/calendarView?startDateTime=2026-01-12T00:00:00Z"
        "&endDateTime=2026-01-13T00:00:00Z";
    CHECK(f.graph("GET", view).status == 200);
    CHECK(f.graph("GET", view).status == 200);
    const auto over = f.graph("GET", view);
    CHECK(over.status == 429);
    CHECK(over.header("Retry-After") == "600");  // the clock stands at 08:00:00, a window's start
    CHECK(f.graph("GET",
                  "/users/bob@contoso.com/calendarView?startDateTime=2026-01-12T00:00:00Z"
                  "&endDateTime=2026-01-13T00:00:00Z")
              .status == 200);
    f.clock->advance(10min);
    CHECK(f.graph("GET", view).status == 200);
}

TEST_CASE("exchange emulator: a weekly series across the spring DST change, through both APIs",
          "[exchange][emulator][graph][ews]") {
    Fixture f;
    // Mondays 09:00 in Paris, 16 March to 6 April 2026: Europe moves to summer time on 29 March.
    const auto created =
        f.graph("POST", "/users/alice@contoso.com/events",
                graph_event("Weekly", "2026-03-16T09:00:00", "2026-03-16T09:30:00", "Europe/Paris",
                            R"(,"recurrence":{"pattern":{"type":"weekly","interval":1,"daysOfWeek":["monday"]},)"
                            R"("range":{"type":"endDate","startDate":"2026-03-16","endDate":"2026-04-06"}})"));
    REQUIRE(created.status == 201);
    CHECK(created.json()->getValue<std::string>("type") == "seriesMaster");
    const auto master = created.json()->getValue<std::string>("id");

    const auto view = f.graph("GET",
                              "/users/alice@contoso.com/calendarView?startDateTime=2026-03-01T00:00:00Z"
                              "&endDateTime=2026-05-01T00:00:00Z");
    const auto value = view.json()->getArray("value");
    REQUIRE(value->size() == 4);
    const std::vector<std::string> utc{"2026-03-16T08:00:00.0000000", "2026-03-23T08:00:00.0000000",
                                       "2026-03-30T07:00:00.0000000", "2026-04-06T07:00:00.0000000"};
    for (unsigned i = 0; i < 4; ++i) {
        CHECK(value->getObject(i)->getObject("start")->getValue<std::string>("dateTime") == utc[i]);
        CHECK(value->getObject(i)->getValue<std::string>("type") == "occurrence");
        CHECK(value->getObject(i)->getValue<std::string>("seriesMasterId") == master);
    }
    const auto local = f.graph("GET",
                               "/users/alice@contoso.com/calendarView?startDateTime=2026-03-01T00:00:00Z"
                               "&endDateTime=2026-05-01T00:00:00Z",
                               "", {{"Prefer", "outlook.timezone=\"Romance Standard Time\""}});
    for (unsigned i = 0; i < 4; ++i)
        CHECK(local.json()
                  ->getArray("value")
                  ->getObject(i)
                  ->getObject("start")
                  ->getValue<std::string>("dateTime")
                  .substr(11, 5) == "09:00");

    // EWS: the occurrences in a CalendarView, one by GetItem, the master once in a sync.
    const auto find = f.ews_app(
        "<m:FindItem Traversal=\"Shallow\"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>"
        "<m:CalendarView StartDate=\"2026-03-25T00:00:00Z\" EndDate=\"2026-05-01T00:00:00Z\"/><m:ParentFolderIds>"
        "<t:DistinguishedFolderId Id=\"calendar\"/></m:ParentFolderIds></m:FindItem>");
    const auto items = find.message().child(kM, "RootFolder")->child(kT, "Items")->children(kT, "CalendarItem");
    REQUIRE(items.size() == 2);
    CHECK(items[0]->child_text(kT, "Start") == "2026-03-30T07:00:00Z");
    CHECK(items[0]->child_text(kT, "CalendarItemType") == "Occurrence");
    const auto occurrence = *items[0]->child(kT, "ItemId")->attribute("Id");
    const auto got = f.ews_app(get_item(occurrence));
    REQUIRE(got.code() == "NoError");
    CHECK(got.message().child(kM, "Items")->child(kT, "CalendarItem")->child_text(kT, "Start") ==
          "2026-03-30T07:00:00Z");
    const auto series = f.ews_app(get_item(master));
    const auto *master_item = series.message().child(kM, "Items")->child(kT, "CalendarItem");
    CHECK(master_item->child_text(kT, "CalendarItemType") == "RecurringMaster");
    CHECK(master_item->child(kT, "Recurrence")->child(kT, "WeeklyRecurrence")->child_text(kT, "DaysOfWeek") ==
          "Monday");
    const auto sync = f.ews_app(sync_items("", 100));
    CHECK(sync.message().child(kM, "Changes")->children(kT, "Create").size() == 1);
    CHECK(f.ews_app(delete_item(occurrence)).code() == "ErrorInvalidRequest");
    CHECK(f.graph("PATCH", "/users/alice@contoso.com/events/" + occurrence, R"({"subject":"x"})").status == 400);

    // Delta gives the occurrences; the series deleted, each as removed.
    const auto first = f.graph("GET",
                               "/users/alice@contoso.com/calendarView/delta?startDateTime=2026-03-01T00:00:00Z"
                               "&endDateTime=2026-05-01T00:00:00Z");
    CHECK(first.json()->getArray("value")->size() == 4);
    REQUIRE(f.graph("DELETE", "/users/alice@contoso.com/events/" + master).status == 204);
    const auto round = f.graph("GET", path_of(first.json()->getValue<std::string>("@odata.deltaLink")));
    const auto removed = round.json()->getArray("value");
    REQUIRE(removed->size() == 4);
    CHECK(removed->getObject(2)->getValue<std::string>("id") == occurrence);
    CHECK(removed->getObject(2)->has("@removed"));
}

TEST_CASE("exchange emulator: an EWS-created series with a numbered range", "[exchange][emulator][ews]") {
    Fixture f;
    const std::string item =
        "<t:CalendarItem><t:Subject>Stand-up</t:Subject><t:Start>2026-10-22T07:00:00Z</t:Start>"
        "<t:End>2026-10-22T07:15:00Z</t:End><t:Recurrence><t:DailyRecurrence><t:Interval>2</t:Interval>"
        "</t:DailyRecurrence><t:NumberedRecurrence><t:StartDate>2026-10-22</t:StartDate>"
        "<t:NumberOfOccurrences>3</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>"
        "<t:StartTimeZone Id=\"W. Europe Standard Time\"/><t:EndTimeZone Id=\"W. Europe Standard Time\"/>"
        "</t:CalendarItem>";
    REQUIRE(f.ews_app(create_item(item)).code() == "NoError");
    // 22, 24 and 26 October at 09:00 Paris time: summer time ends on the 25th.
    const auto view = f.ews_app(find_item("2026-10-01T00:00:00Z", "2026-11-30T00:00:00Z"));
    const auto items = view.message().child(kM, "RootFolder")->child(kT, "Items")->children(kT, "CalendarItem");
    REQUIRE(items.size() == 3);
    CHECK(items[0]->child_text(kT, "Start") == "2026-10-22T07:00:00Z");
    CHECK(items[1]->child_text(kT, "Start") == "2026-10-24T07:00:00Z");
    CHECK(items[2]->child_text(kT, "Start") == "2026-10-26T08:00:00Z");
}

TEST_CASE("exchange emulator: the delegated account, its own mailbox, impersonation, delegation and a Restriction",
          "[exchange][emulator][ews]") {
    ExchangeEmulatorOptions options;
    options.accounts.push_back({"bob", "bob-password", "bob@contoso.com", {}});
    Fixture f(options);
    // Its own mailbox without any header, alice's by impersonation.
    REQUIRE(f.ews(create_item(calendar_item("Own", "2026-01-13T09:00:00Z", "2026-01-13T10:00:00Z"))).code() ==
            "NoError");
    CHECK(f.emu->events("svc-relais@contoso.com").size() == 1);
    REQUIRE(
        f.ews(create_item(calendar_item("For Alice", "2026-01-13T09:00:00Z", "2026-01-13T10:00:00Z", "ERP-7")), kAlice)
            .code() == "NoError");
    CHECK(f.emu->events(kAlice).size() == 1);
    // Delegate access: the mailbox named in the folder id.
    const auto delegated = f.ews(
        "<m:FindItem Traversal=\"Shallow\"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>"
        "<m:Restriction><t:IsEqualTo><t:ExtendedFieldURI PropertySetId=\"8e2f4c1a-3b5d-4e6f-9a0b-1c2d3e4f5a6b\" "
        "PropertyName=\"erp_id\" PropertyType=\"String\"/><t:FieldURIOrConstant><t:Constant Value=\"ERP-7\"/>"
        "</t:FieldURIOrConstant></t:IsEqualTo></m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId "
        "Id=\"calendar\"><t:Mailbox><t:EmailAddress>alice@contoso.com</t:EmailAddress></t:Mailbox>"
        "</t:DistinguishedFolderId></m:ParentFolderIds></m:FindItem>");
    REQUIRE(delegated.code() == "NoError");
    const auto found = delegated.message().child(kM, "RootFolder")->child(kT, "Items")->children(kT, "CalendarItem");
    REQUIRE(found.size() == 1);
    CHECK(found[0]->child_text(kT, "Subject") == "For Alice");

    // bob may open only his own mailbox.
    const auto bob = f.ews_raw(envelope(find_item("2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z"), kAlice),
                               {{"Authorization", "Basic " + base64("bob:bob-password")}});
    CHECK(bob.fault().code_is(kT, "ErrorImpersonateUserDenied"));
    const auto own = f.ews_raw(envelope(find_item("2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z")),
                               {{"Authorization", "Basic " + base64("bob:bob-password")}});
    CHECK(own.code() == "NoError");
}

TEST_CASE("exchange emulator: the busiest mailboxes at once, across both APIs", "[exchange][emulator][graph][ews]") {
    ExchangeEmulatorOptions options;
    options.latency = 1500ms;
    Fixture f(options);
    const auto graph_token = f.token(kGraphScope);
    const auto ews_token = f.token(kEwsScope);
    const auto graph_view = [&](const std::string &mailbox) {
        return http(f.emu->base_url(), f.ca.client_context(), "GET",
                    "/v1.0/users/" + mailbox +
                        "/calendarView?startDateTime=2026-01-12T00:00:00Z&endDateTime=2026-01-13T00:00:00Z",
                    {{"Authorization", "Bearer " + graph_token}})
            .status;
    };
    auto alice = std::async(std::launch::async, [&] { return graph_view(kAlice); });
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (f.emu->peak_graph_concurrency(kAlice) < 1 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
    auto bob = std::async(std::launch::async, [&] {
        return http(f.emu->base_url(), f.ca.client_context(), "POST", "/EWS/Exchange.asmx",
                    {{"Authorization", "Bearer " + ews_token},
                     {"X-AnchorMailbox", "bob@contoso.com"},
                     {"Content-Type", "text/xml; charset=utf-8"}},
                    envelope(sync_items("", 10), "bob@contoso.com"))
            .status;
    });
    CHECK(alice.get() == 200);
    CHECK(bob.get() == 200);
    CHECK(graph_view(kAlice) == 200);  // alone afterwards
    CHECK(f.emu->peak_busy_mailboxes() == 2);
    CHECK(f.emu->peak_ews_concurrency("bob@contoso.com") == 1);
    // A UPN works as the Basic user name too.
    CHECK(f.ews_raw(envelope(find_item("2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z")),
                    {{"Authorization", "Basic " + base64(std::string("svc-relais@contoso.com:") + kPassword)}})
              .code() == "NoError");
}

TEST_CASE("exchange emulator: EWS's error page redirect, Graph's cancel", "[exchange][emulator][ews][graph]") {
    Fixture f;
    f.emu->fail_next(Failure::error_page_redirect);
    const auto redirected = f.ews_app(find_item("2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z"));
    CHECK(redirected.status == 302);
    const auto created = f.graph("POST", "/users/alice@contoso.com/events",
                                 graph_event("Meeting", "2026-01-14T09:00:00", "2026-01-14T10:00:00"));
    const auto id = created.json()->getValue<std::string>("id");
    CHECK(f.graph("POST", "/users/alice@contoso.com/events/" + id + "/cancel", R"({"comment":"Sorry"})").status == 202);
    CHECK(f.emu->events(kAlice).empty());
}

TEST_CASE("exchange emulator: a call held in flight until released", "[exchange][emulator][graph]") {
    Fixture f;
    f.emu->hold_next_answers(1, "POST /v1.0/users/{mailbox}/events");
    const auto token = f.token(kGraphScope);
    auto created = std::async(std::launch::async, [&] {
        return http(f.emu->base_url(), f.ca.client_context(), "POST", "/v1.0/users/alice@contoso.com/events",
                    {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                    graph_event("Held", "2026-01-14T09:00:00", "2026-01-14T10:00:00"))
            .status;
    });
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (f.emu->held_count() < 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    REQUIRE(f.emu->held_count() == 1);
    CHECK(f.emu->events(kAlice).empty());
    f.emu->release_held();
    CHECK(created.get() == 201);
    CHECK(f.emu->events(kAlice).size() == 1);
}

TEST_CASE("exchange emulator: delta takes no $expand, a $filter literal doubles its quotes",
          "[exchange][emulator][graph]") {
    Fixture f;
    const auto refused = f.graph("GET", "/users/alice@contoso.com/calendarView/delta?startDateTime=2026-01-12T00:00:00Z"
                                        "&endDateTime=2026-01-26T00:00:00Z&$expand=singleValueExtendedProperties");
    CHECK(refused.status == 400);
    const auto created = f.graph("POST", "/users/alice@contoso.com/events",
                                 graph_event("Quoted", "2026-01-14T09:00:00", "2026-01-14T10:00:00", "UTC",
                                             R"(,"singleValueExtendedProperties":[{"id":")" +
                                                 std::string(kErpProperty) + R"(","value":"O'Brien-1"}])"));
    REQUIRE(created.status == 201);
    std::string encoded;
    Poco::URI::encode("singleValueExtendedProperties/Any(ep: ep/id eq '" + std::string(kErpProperty) +
                          "' and ep/value eq 'O''Brien-1')",
                      "!#$&'()*+,/:;=?@[] ", encoded);
    const auto found = f.graph("GET", "/users/alice@contoso.com/events?$filter=" + encoded);
    REQUIRE(found.status == 200);
    CHECK(found.json()->getArray("value")->size() == 1);
}
