// relais/support/soap.hpp: SOAP 1.1 envelopes and faults, with Exchange Web Services shapes.
#include <relais/support/soap.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace relais::support;
using namespace std::chrono_literals;

namespace {

const std::string kSoap(soap::kEnvelopeNamespace);
const std::string kMessages = "http://schemas.microsoft.com/exchange/services/2006/messages";
const std::string kTypes = "http://schemas.microsoft.com/exchange/services/2006/types";
const std::string kErrors = "http://schemas.microsoft.com/exchange/services/2006/errors";
const std::vector<xml::Namespace> kEws = {{"m", kMessages}, {"t", kTypes}};

// An EWS throttling fault as Exchange sends it (HTTP 500): the faultcode's prefix is declared
// on faultcode itself, the detail's children each declare theirs.
const std::string kServerBusy =
    R"(<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>)"
    R"(<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>)"
    R"(<faultstring xml:lang="en-US">The server cannot service this request right now. Try again later.</faultstring>)"
    R"(<detail><e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode>)"
    R"(<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">The server cannot service this request right now. Try again later.</e:Message>)"
    R"(<t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">)"
    R"(<t:Value Name="BackOffMilliseconds">297749</t:Value></t:MessageXml></detail></s:Fault></s:Body></s:Envelope>)";

std::string parse_error(const std::string &text) {
    try {
        soap::parse_envelope(text, RELAIS_TRANSIENT, "EWS answer");
    } catch (const relais::Error &e) {
        CHECK(e.status() == RELAIS_TRANSIENT);
        return e.what();
    }
    FAIL("no error for " << text);
    return {};
}

std::string wrap(const std::string &inside, const std::string &prefix = "soap") {
    return "<" + prefix + ":Envelope xmlns:" + prefix + "=\"" + kSoap + "\">" + inside + "</" + prefix + ":Envelope>";
}

}  // namespace

TEST_CASE("soap: an EWS request is written with its header and body and reads back", "[support][soap]") {
    const auto text = soap::write_envelope(
        kEws,
        [](xml::Writer &w) {
            w.start("t:RequestServerVersion").attribute("Version", "Exchange2016").end();
            w.start("t:ExchangeImpersonation").start("t:ConnectingSID");
            w.element("t:PrimarySmtpAddress", "alice@contoso.com").end().end();
        },
        [](xml::Writer &w) {
            w.start("m:GetItem").start("m:ItemShape").element("t:BaseShape", "IdOnly").end();
            w.start("m:ItemIds").start("t:ItemId").attribute("Id", "AAMk<&>").attribute("ChangeKey", "DwAA").end();
            w.end().end();
        });
    CHECK(text.find("<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:m=\"" + kMessages +
                    "\" xmlns:t=\"" + kTypes + "\"><soap:Header><t:RequestServerVersion Version=\"Exchange2016\"/>") !=
          std::string::npos);

    const auto envelope = soap::parse_envelope(text, RELAIS_INTERNAL, "request");
    REQUIRE(envelope.header());
    CHECK(envelope.header()->child(kTypes, "RequestServerVersion")->attribute("Version") == "Exchange2016");
    CHECK(xml::Ref(*envelope.header())
              .child(kTypes, "ExchangeImpersonation")
              .child(kTypes, "ConnectingSID")
              .child(kTypes, "PrimarySmtpAddress")
              .text() == "alice@contoso.com");
    CHECK_FALSE(envelope.is_fault());
    REQUIRE(envelope.content());
    CHECK(envelope.content()->is(kMessages, "GetItem"));
    CHECK(xml::Ref(*envelope.content()).child(kMessages, "ItemIds").child(kTypes, "ItemId").attribute("Id") ==
          "AAMk<&>");
    CHECK(&envelope.content_or_throw(RELAIS_TRANSIENT, RELAIS_INTERNAL, "request") == envelope.content());
}

TEST_CASE("soap: header and body given as text are checked in the envelope's namespaces", "[support][soap]") {
    const auto text = soap::write_envelope_text(kEws, "", "<m:GetFolder><m:FolderIds/></m:GetFolder>");
    const auto envelope = soap::parse_envelope(text, RELAIS_INTERNAL, "request");
    CHECK(envelope.header() == nullptr);  // an empty header leaves the element out
    CHECK(envelope.content()->is(kMessages, "GetFolder"));

    auto internal = [](auto f) {
        try {
            f();
        } catch (const relais::Error &e) {
            CHECK(e.status() == RELAIS_INTERNAL);
            return std::string(e.what());
        }
        FAIL("no error");
        return std::string();
    };
    CHECK(internal([] { soap::write_envelope_text(kEws, "", "<x:Undeclared/>"); }).find("raw XML fragment") !=
          std::string::npos);
    CHECK(internal([] { soap::write_envelope_text(kEws, "<t:Open>", "<m:A/>"); }).find("not well-formed") !=
          std::string::npos);
    CHECK(internal([] { soap::write_envelope({{"soap", "urn:other"}}, {}, {}); }).find("envelope's own") !=
          std::string::npos);
    CHECK(internal([] { soap::write_envelope(kEws, {}, [](xml::Writer &w) { w.start("m:Left"); }); })
              .find("Body content left elements open") != std::string::npos);
}

TEST_CASE("soap: the EWS ErrorServerBusy fault, with its back-off in the detail", "[support][soap]") {
    const auto envelope = soap::parse_envelope(kServerBusy, RELAIS_TRANSIENT, "EWS FindItem");
    REQUIRE(envelope.is_fault());
    const auto &fault = *envelope.fault();
    CHECK(fault.code_is(kTypes, "ErrorServerBusy"));
    CHECK(fault.code.prefix == "a");
    CHECK(fault.code_text == "a:ErrorServerBusy");
    CHECK(fault.string == "The server cannot service this request right now. Try again later.");
    CHECK_FALSE(fault.actor);
    CHECK(fault.detail_text(kErrors, "ResponseCode") == "ErrorServerBusy");
    CHECK(fault.detail_text(kErrors, "Absent") == std::nullopt);
    const auto *message_xml = fault.detail_child(kTypes, "MessageXml");
    REQUIRE(message_xml);
    REQUIRE(message_xml->child_where(kTypes, "Value", "Name", "BackOffMilliseconds"));
    CHECK(message_xml->child_where(kTypes, "Value", "Name", "BackOffMilliseconds")->text() == "297749");

    const auto error = soap::fault_error(fault, RELAIS_RATE_LIMITED, "EWS FindItem", 297749ms);
    CHECK(error.status() == RELAIS_RATE_LIMITED);
    CHECK(error.retry_after() == 297749ms);
    CHECK(std::string(error.what()) ==
          "EWS FindItem: SOAP fault a:ErrorServerBusy: The server cannot service this request right now. Try again later.");
    REQUIRE(error.detail());
    CHECK(error.detail()->getValue<std::string>("faultcode_namespace") == kTypes);
    CHECK(error.detail()->getValue<std::string>("faultcode_name") == "ErrorServerBusy");
    CHECK_FALSE(error.detail()->has("faultactor"));

    try {
        envelope.content_or_throw(RELAIS_TRANSIENT, RELAIS_INTERNAL, "EWS FindItem");
        FAIL("a fault was not thrown");
    } catch (const relais::Error &e) {
        CHECK(e.status() == RELAIS_TRANSIENT);
        CHECK(std::string(e.what()).find("SOAP fault a:ErrorServerBusy") != std::string::npos);
    }
}

TEST_CASE("soap: fault codes in the envelope namespace, with any prefix, and a faultactor", "[support][soap]") {
    for (const std::string prefix : {"soap", "s", "SOAP-ENV"}) {
        const auto envelope = soap::parse_envelope(
            wrap("<" + prefix + ":Body><" + prefix + ":Fault><faultcode>" + prefix +
                     ":Client</faultcode><faultstring>bad</faultstring><faultactor>urn:ews</faultactor>"
                     "</" + prefix + ":Fault></" + prefix + ":Body>",
                 prefix),
            RELAIS_TRANSIENT, "answer");
        REQUIRE(envelope.fault());
        CHECK(envelope.fault()->code_is(kSoap, "Client"));
        CHECK(envelope.fault()->actor == "urn:ews");
        CHECK_FALSE(envelope.fault()->detail);
        CHECK(envelope.fault()->detail_child(kTypes, "MessageXml") == nullptr);
        CHECK(soap::fault_error(*envelope.fault(), RELAIS_PERMANENT, "x").detail()->getValue<std::string>(
                  "faultactor") == "urn:ews");
    }
    // A faultcode whose prefix is not declared stays readable, without a namespace.
    const auto loose = soap::parse_envelope(
        wrap("<soap:Body><soap:Fault><faultcode>q:Odd</faultcode><faultstring>x</faultstring></soap:Fault></soap:Body>"),
        RELAIS_TRANSIENT, "answer");
    CHECK(loose.fault()->code.ns.empty());
    CHECK(loose.fault()->code.local == "Odd");
    CHECK(loose.fault()->code.prefix == "q");
}

TEST_CASE("soap: a fault written by the emulator side reads back the same", "[support][soap]") {
    const auto text = soap::write_fault(
        {kTypes, "ErrorServerBusy", "a"}, "The server cannot service this request right now. Try again later.",
        [](xml::Writer &w) {
            w.start("e:ResponseCode").declare("e", kErrors).text("ErrorServerBusy").end();
            w.start("t:MessageXml").declare("t", kTypes);
            w.start("t:Value").attribute("Name", "BackOffMilliseconds").text("5000").end().end();
        });
    const auto envelope = soap::parse_envelope(text, RELAIS_TRANSIENT, "answer");
    REQUIRE(envelope.fault());
    CHECK(envelope.fault()->code_is(kTypes, "ErrorServerBusy"));
    CHECK(envelope.fault()->code_text == "a:ErrorServerBusy");
    CHECK(envelope.fault()->detail_text(kErrors, "ResponseCode") == "ErrorServerBusy");
    CHECK(envelope.fault()->detail_child(kTypes, "MessageXml")->child_where(kTypes, "Value", "Name",
                                                                            "BackOffMilliseconds")->text() == "5000");

    const auto server = soap::parse_envelope(soap::write_fault({kSoap, "Server", ""}, "boom", {}, "urn:me"),
                                             RELAIS_TRANSIENT, "answer");
    CHECK(server.fault()->code_text == "soap:Server");
    CHECK(server.fault()->code_is(kSoap, "Server"));
    CHECK(server.fault()->actor == "urn:me");
    CHECK_FALSE(server.fault()->detail);
}

TEST_CASE("soap: a per-item EWS error (HTTP 200) is content, read with the lookups", "[support][soap]") {
    const auto envelope = soap::parse_envelope(
        wrap("<soap:Header><h:ServerVersionInfo MajorVersion='15' xmlns:h='" + kTypes +
             "'/></soap:Header><soap:Body><m:SyncFolderItemsResponse xmlns:m='" + kMessages + "' xmlns:t='" + kTypes +
             "'><m:ResponseMessages><m:SyncFolderItemsResponseMessage ResponseClass='Error'>"
             "<m:MessageText>busy</m:MessageText><m:ResponseCode>ErrorServerBusy</m:ResponseCode>"
             "<m:MessageXml><t:Value Name='BackOffMilliseconds'>5000</t:Value></m:MessageXml>"
             "</m:SyncFolderItemsResponseMessage></m:ResponseMessages></m:SyncFolderItemsResponse></soap:Body>"),
        RELAIS_TRANSIENT, "EWS SyncFolderItems");
    CHECK_FALSE(envelope.is_fault());
    CHECK(envelope.header()->child(kTypes, "ServerVersionInfo")->attribute("MajorVersion") == "15");
    const auto message = xml::Ref(envelope.content_or_throw(RELAIS_TRANSIENT, RELAIS_INTERNAL, "EWS SyncFolderItems"))
                             .child(kMessages, "ResponseMessages")
                             .child(kMessages, "SyncFolderItemsResponseMessage");
    CHECK(message.attribute("ResponseClass") == "Error");
    CHECK(message.child(kMessages, "ResponseCode").text() == "ErrorServerBusy");
    CHECK(message->child(kMessages, "MessageXml")->child_where(kTypes, "Value", "Name", "BackOffMilliseconds")->text() ==
          "5000");
}

TEST_CASE("soap: envelopes that are not SOAP 1.1 are refused with the reason", "[support][soap]") {
    CHECK(parse_error("<Envelope/>") == "EWS answer: root element {}Envelope is not a SOAP 1.1 Envelope");
    CHECK(parse_error("<e:Envelope xmlns:e='http://www.w3.org/2003/05/soap-envelope'><e:Body/></e:Envelope>") ==
          "EWS answer: a SOAP 1.2 envelope, SOAP 1.1 expected");
    CHECK(parse_error(wrap("<soap:Header/>")) == "EWS answer: SOAP Envelope without a Body");
    CHECK(parse_error(wrap("<soap:Body/><soap:Body/>")).find("two Bodies (line 1, column ") != std::string::npos);
    CHECK(parse_error(wrap("<soap:Body/><soap:Header/>")).find("Header after the Body") != std::string::npos);
    CHECK(parse_error(wrap("<soap:Header/><soap:Header/><soap:Body/>")).find("two Headers") != std::string::npos);
    CHECK(parse_error(wrap("<soap:Body><soap:Fault><faultstring>x</faultstring></soap:Fault></soap:Body>"))
              .find("SOAP Fault without faultcode") != std::string::npos);
    CHECK(parse_error(wrap("<soap:Body><soap:Fault><faultcode>soap:Server</faultcode></soap:Fault></soap:Body>"))
              .find("SOAP Fault without faultstring") != std::string::npos);
    CHECK(parse_error("<html><body>Server Error in '/EWS' Application</body></html>")
              .find("is not a SOAP 1.1 Envelope") != std::string::npos);
    CHECK(parse_error("Server Error").find("EWS answer: XML not well-formed at line 1") == 0);
    CHECK(parse_error("<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>" + wrap("<soap:Body>&e;</soap:Body>"))
              .find("DOCTYPE") != std::string::npos);

    const auto empty = soap::parse_envelope(wrap("<soap:Body> </soap:Body>"), RELAIS_TRANSIENT, "EWS answer");
    CHECK(empty.content() == nullptr);
    try {
        empty.content_or_throw(RELAIS_TRANSIENT, RELAIS_INTERNAL, "EWS answer");
        FAIL("an empty body was accepted");
    } catch (const relais::Error &e) {
        CHECK(e.status() == RELAIS_INTERNAL);
        CHECK(std::string(e.what()) == "EWS answer: the SOAP Body is empty");
    }
}
