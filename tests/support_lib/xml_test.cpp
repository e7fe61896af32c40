// relais/support/xml.hpp: the safe parser, the namespace-aware lookups and the writer.
#include <relais/support/xml.hpp>

#include "temp_dir.hpp"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Timespan.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <string>

using namespace relais::support;
using namespace std::string_literals;

namespace {

// The message of the relais::Error that `f` throws; fails the test when nothing is thrown.
template <typename F>
std::string error_of(F &&f, relais_status expected_status) {
    try {
        f();
    } catch (const relais::Error &e) {
        CHECK(e.status() == expected_status);
        return e.what();
    }
    FAIL("no relais::Error thrown");
    return {};
}

std::string parse_error(const std::string &text, const xml::ParseLimits &limits = {}) {
    return error_of([&] { xml::parse(text, RELAIS_TRANSIENT, "test answer", limits); }, RELAIS_TRANSIENT);
}

std::string nested(std::size_t depth) {
    std::string s;
    for (std::size_t i = 0; i < depth; ++i) s += "<e>";
    for (std::size_t i = 0; i < depth; ++i) s += "</e>";
    return s;
}

}  // namespace

TEST_CASE("xml: elements are found by namespace URI whatever prefix the sender chose", "[support][xml]") {
    const auto doc = xml::parse(R"(<a:root xmlns:a="urn:x">
          <b:item xmlns:b="urn:x">one</b:item>
          <item xmlns="urn:x">two</item>
          <a:item>three</a:item>
          <item>no namespace</item>
        </a:root>)",
                                RELAIS_INTERNAL, "doc");
    const auto &root = doc.root();
    CHECK(root.is("urn:x", "root"));
    CHECK(root.prefix() == "a");
    CHECK(root.qname() == "a:root");
    const auto items = root.children("urn:x", "item");
    REQUIRE(items.size() == 3);
    CHECK(items[0]->text() == "one");
    CHECK(items[0]->qname() == "b:item");
    CHECK(items[1]->text() == "two");
    CHECK(items[1]->prefix().empty());
    CHECK(items[2]->text() == "three");
    REQUIRE(root.child("", "item"));
    CHECK(root.child("", "item")->text() == "no namespace");
    CHECK(root.child("urn:other", "item") == nullptr);
    CHECK(root.elements().size() == 4);
    CHECK(items[1]->line() == 3);
}

TEST_CASE("xml: text, CDATA, references and attributes", "[support][xml]") {
    const auto doc = xml::parse(
        "<r xmlns:t='urn:t' Id='A&amp;1' t:Kind=\"x\">  a &lt;&#x41;&#66;<![CDATA[<raw>&]]> \n<c/>tail </r>",
        RELAIS_INTERNAL, "doc");
    const auto &r = doc.root();
    CHECK(r.text() == "  a <AB<raw>& \ntail ");
    CHECK(r.text(xml::Trim::yes) == "a <AB<raw>& \ntail");
    CHECK(r.attribute("Id") == "A&1");
    CHECK(r.attribute("Kind") == std::nullopt);  // namespaced: not an unprefixed attribute
    CHECK(r.attribute("urn:t", "Kind") == "x");
    CHECK(r.attribute("Missing") == std::nullopt);
    REQUIRE(r.attributes().size() == 2);  // the xmlns declaration is not an attribute
    CHECK(r.attributes()[1].qname == "t:Kind");
    CHECK(r.child_text("", "c") == "");
    CHECK(r.child_text("", "absent") == std::nullopt);
}

TEST_CASE("xml: chained lookups read a missing element as absent and name it when required", "[support][xml]") {
    const auto doc = xml::parse(
        "<s:Envelope xmlns:s='urn:s' xmlns:m='urn:m'><s:Body><m:Answer Code='7'> ok </m:Answer>"
        "<m:List><m:V Name='a'>1</m:V><m:V Name='b'>2</m:V></m:List></s:Body></s:Envelope>",
        RELAIS_INTERNAL, "doc");
    const xml::Ref envelope(doc.root());
    CHECK(envelope.child("urn:s", "Body").child("urn:m", "Answer").text() == "ok");
    CHECK(envelope.child("urn:s", "Body").child("urn:m", "Answer").text(xml::Trim::no) == " ok ");
    CHECK(envelope.child("urn:s", "Body").child("urn:m", "Answer").attribute("Code") == "7");
    CHECK(envelope.child("urn:s", "Body").first_child()->local_name() == "Answer");

    const auto missing = envelope.child("urn:s", "Body").child("urn:m", "Nothing").child("urn:m", "Deeper");
    CHECK_FALSE(missing);
    CHECK(missing.text() == std::nullopt);
    CHECK(missing.attribute("Code") == std::nullopt);
    const auto message = error_of([&] { missing.required(RELAIS_TRANSIENT, "EWS answer"); }, RELAIS_TRANSIENT);
    CHECK(message == "EWS answer: element Envelope/Body/Nothing/Deeper is missing");

    const auto *list = doc.root().child("urn:s", "Body")->child("urn:m", "List");
    REQUIRE(list);
    REQUIRE(list->child_where("urn:m", "V", "Name", "b"));
    CHECK(list->child_where("urn:m", "V", "Name", "b")->text() == "2");
    CHECK(list->child_where("urn:m", "V", "Name", "c") == nullptr);
}

TEST_CASE("xml: a QName in content resolves against the namespaces in scope", "[support][xml]") {
    const auto doc = xml::parse("<r xmlns='urn:d' xmlns:a='urn:a'><c xmlns:a='urn:inner'> a:Busy </c><d>Plain</d>"
                                "<e>z:Unknown</e></r>",
                                RELAIS_INTERNAL, "doc");
    const auto &r = doc.root();
    const auto busy = r.child("urn:d", "c")->resolve_qname(r.child("urn:d", "c")->text());
    REQUIRE(busy);
    CHECK(busy->ns == "urn:inner");  // the inner declaration hides the outer one
    CHECK(busy->local == "Busy");
    CHECK(busy->prefix == "a");
    const auto plain = r.child("urn:d", "d")->resolve_qname("Plain");
    REQUIRE(plain);
    CHECK(plain->ns == "urn:d");  // unprefixed: the default namespace
    CHECK(r.resolve_qname("z:Unknown") == std::nullopt);
    CHECK(r.resolve_qname("a:b:c") == std::nullopt);
    CHECK(r.resolve_qname("") == std::nullopt);
    CHECK(r.namespace_of("a") == "urn:a");
    CHECK(r.namespace_of("xml") == std::string(xml::kXmlNamespace));
    CHECK(r.namespace_of("nope") == std::nullopt);
}

TEST_CASE("xml: an external entity (XXE) is refused and the file is never read", "[support][xml][security]") {
    relais::test::TempDir dir("relais-xml");
    const auto secret = dir / "secret.txt";
    std::ofstream(secret) << "TOP-SECRET-MARKER";
    const std::string uri = "file://" + secret.string();

    const auto general = parse_error("<!DOCTYPE x [<!ENTITY e SYSTEM \"" + uri + "\">]><x>&e;</x>");
    CHECK(general.find("test answer: XML refused at line 1") == 0);
    CHECK(general.find("DOCTYPE") != std::string::npos);
    CHECK(general.find("TOP-SECRET-MARKER") == std::string::npos);

    const auto parameter = parse_error("<!DOCTYPE x [<!ENTITY % p SYSTEM \"" + uri + "\"> %p;]><x/>");
    CHECK(parameter.find("DOCTYPE") != std::string::npos);
    CHECK(parameter.find("TOP-SECRET-MARKER") == std::string::npos);

    const auto passwd = parse_error("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>");
    CHECK(passwd.find("DOCTYPE") != std::string::npos);
    CHECK(passwd.find("root:") == std::string::npos);
}

TEST_CASE("xml: an external DTD is never fetched over the network", "[support][xml][security]") {
    Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
    const auto url = "http://127.0.0.1:" + std::to_string(listener.address().port()) + "/evil.dtd";
    const auto message = parse_error("<!DOCTYPE x SYSTEM \"" + url + "\"><x/>");
    CHECK(message.find("DOCTYPE") != std::string::npos);
    // A fetch would have connected during parse(): the connection would wait in the backlog.
    CHECK_FALSE(listener.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ));
}

TEST_CASE("xml: billion laughs and any other DOCTYPE are refused at once", "[support][xml][security]") {
    std::string bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">";
    for (int i = 1; i <= 9; ++i) {
        bomb += "<!ENTITY lol" + std::to_string(i) + " \"";
        for (int k = 0; k < 10; ++k) bomb += "&lol" + (i == 1 ? ""s : std::to_string(i - 1)) + ";";
        bomb += "\">";
    }
    bomb += "]><lolz>&lol9;</lolz>";
    const auto started = std::chrono::steady_clock::now();
    const auto message = parse_error(bomb);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
    CHECK(message.find("DOCTYPE") != std::string::npos);

    CHECK(parse_error("<!DOCTYPE html><html/>").find("a DOCTYPE (<!DOCTYPE html>) is not accepted") !=
          std::string::npos);
    // An undeclared entity is an error, not an empty string.
    CHECK(parse_error("<x>&nbsp;</x>").find("line 1, column 4") != std::string::npos);
}

TEST_CASE("xml: the depth and size caps", "[support][xml][security]") {
    CHECK_NOTHROW(xml::parse(nested(100), RELAIS_INTERNAL, "doc"));
    const auto deep = parse_error(nested(101));
    CHECK(deep.find("deeper than 100 levels") != std::string::npos);
    CHECK(deep.find("line 1, column 301") != std::string::npos);  // the 101st start tag
    xml::ParseLimits limits;
    limits.max_depth = 3;
    CHECK_NOTHROW(xml::parse(nested(3), RELAIS_INTERNAL, "doc", limits));
    CHECK(parse_error(nested(4), limits).find("deeper than 3 levels") != std::string::npos);

    limits = {};
    limits.max_bytes = 10;
    CHECK_NOTHROW(xml::parse("<a>12</a>", RELAIS_INTERNAL, "doc", limits));  // 9 bytes
    CHECK(parse_error("<a>123</a>x", limits) ==
          "test answer: XML document of 11 bytes is larger than the limit of 10");
}

TEST_CASE("xml: malformed documents give the position", "[support][xml]") {
    CHECK(parse_error("<a>\n<b></a>") == "test answer: XML not well-formed at line 2, column 6: Tag mismatch");
    CHECK(parse_error("").find("test answer: XML not well-formed") == 0);
    CHECK(parse_error("<a/><b/>").find("line 1, column 5") != std::string::npos);
    CHECK(parse_error("<p:a/>") == "test answer: XML not well-formed at line 1, column 1: Unbound prefix");
    CHECK(parse_error("<a>\xff</a>").find("not well-formed") != std::string::npos);
}

TEST_CASE("xml: escaping round-trips every character XML can carry", "[support][xml][writer]") {
    const std::string tricky = "a&b<c>d\"e'f\tg\nh\ri]]>j \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 &amp; \x7f";
    xml::Writer w;
    w.start("r").attribute("v", tricky).text(tricky).start("empty").end().end();
    const auto text = w.str();
    CHECK(text.find("<?xml version=\"1.0\" encoding=\"UTF-8\"?><r v=\"") == 0);
    CHECK(text.find("<empty/>") != std::string::npos);
    const auto doc = xml::parse(text, RELAIS_INTERNAL, "round trip");
    CHECK(doc.root().attribute("v") == tricky);
    CHECK(doc.root().text() == tricky);

    CHECK(xml::escape_text("<&>\"'\r") == "&lt;&amp;&gt;\"'&#13;");
    CHECK(xml::escape_attribute("<&>\"'\t\n\r") == "&lt;&amp;&gt;&quot;&apos;&#9;&#10;&#13;");
}

TEST_CASE("xml: values XML 1.0 cannot carry are refused, not dropped", "[support][xml][writer]") {
    for (const auto &bad : {"a\x01"s, "nul\0"s, "\xef\xbf\xbe"s /* U+FFFE */, "\xef\xbf\xbf"s, "\xff"s,
                            "\xc3"s /* truncated */, "\xc0\xaf"s /* overlong */, "\xed\xa0\x80"s /* surrogate */}) {
        const auto message = error_of([&] { xml::escape_text(bad); }, RELAIS_INVALID_INPUT);
        CHECK(message.find("XML value cannot be written") == 0);
        xml::Writer w;
        w.start("r");
        error_of([&] { w.attribute("a", bad); }, RELAIS_INVALID_INPUT);
        error_of([&] { w.text(bad); }, RELAIS_INVALID_INPUT);
        w.text("fine").end();  // a refused value leaves the writer usable
        CHECK(w.str() == "<?xml version=\"1.0\" encoding=\"UTF-8\"?><r>fine</r>");
    }
    CHECK(error_of([] { xml::escape_text("ok\x02"); }, RELAIS_INVALID_INPUT).find("U+0002 is not allowed") !=
          std::string::npos);
}

TEST_CASE("xml: the writer declares prefixes on elements and checks they are declared", "[support][xml][writer]") {
    xml::Writer w;
    w.start("m:Find").declare("m", "urn:m").declare("t", "urn:t").attribute("Traversal", "Shallow");
    w.start("t:Shape").text("IdOnly").end();
    w.start("Plain").declare("", "urn:default").element("Inner", "x").end();
    w.start("t:Empty").text("").end();
    w.end();
    const auto text = w.str();
    CHECK(text ==
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?><m:Find xmlns:m=\"urn:m\" xmlns:t=\"urn:t\" Traversal=\"Shallow\">"
          "<t:Shape>IdOnly</t:Shape><Plain xmlns=\"urn:default\"><Inner>x</Inner></Plain><t:Empty></t:Empty></m:Find>");
    const auto doc = xml::parse(text, RELAIS_INTERNAL, "written");
    CHECK(doc.root().child("urn:t", "Shape")->text() == "IdOnly");
    CHECK(xml::Ref(doc.root()).child("urn:default", "Plain").child("urn:default", "Inner").text() == "x");

    // A prefix declared on an element is out of scope after it.
    xml::Writer scoped;
    scoped.start("r").start("a:x").declare("a", "urn:a").end();
    CHECK(error_of([&] { scoped.start("a:y").end(); }, RELAIS_INTERNAL).find("prefix \"a\" of a:y is not declared") !=
          std::string::npos);
}

TEST_CASE("xml: writer misuse is a programming error", "[support][xml][writer]") {
    auto misuse = [](auto f) { return error_of(f, RELAIS_INTERNAL); };
    CHECK(misuse([] { xml::Writer().start("a").end().start("b"); }).find("one root element") != std::string::npos);
    CHECK(misuse([] { xml::Writer().start("a").text("x").attribute("b", "c"); }).find("must follow start()") !=
          std::string::npos);
    CHECK(misuse([] { xml::Writer().start("a").attribute("b", "1").attribute("b", "2"); }).find("twice") !=
          std::string::npos);
    CHECK(misuse([] { xml::Writer().start("1a"); }).find("not a valid XML name") != std::string::npos);
    CHECK(misuse([] { xml::Writer().start("a b"); }).find("not a valid XML name") != std::string::npos);
    CHECK(misuse([] { xml::Writer().end(); }).find("no element open") != std::string::npos);
    CHECK(misuse([] { xml::Writer().start("a").str(); }).find("a is not closed") != std::string::npos);
    CHECK(misuse([] { xml::Writer().str(); }).find("no root element") != std::string::npos);
    CHECK(misuse([] { xml::Writer().start("a").declare("xmlns", "urn:x"); }).find("reserved") != std::string::npos);
    CHECK(misuse([] { xml::Writer().start("a").attribute("xmlns:p", "urn:x"); }).find("declare()") !=
          std::string::npos);
    CHECK(misuse([] { xml::Writer().start("a").attribute("q:b", "1").end(); }).find("prefix \"q\"") !=
          std::string::npos);
    CHECK_NOTHROW(xml::Writer().start("a").attribute("xml:lang", "en").end().str());
}

TEST_CASE("xml: fragments and raw XML are checked against the namespaces in scope", "[support][xml][writer]") {
    auto body = xml::Writer::fragment({{"m", "urn:m"}, {"t", "urn:t"}});
    body.start("m:GetItem").start("t:ItemId").attribute("Id", "A<1").end().end();
    body.element("m:Second", "2");
    const auto fragment = body.str();
    CHECK(fragment == "<m:GetItem><t:ItemId Id=\"A&lt;1\"/></m:GetItem><m:Second>2</m:Second>");

    xml::Writer envelope;
    envelope.start("s:Envelope").declare("s", "urn:s").declare("m", "urn:m").declare("t", "urn:t");
    envelope.start("s:Body").raw(fragment).end().end();
    const auto doc = xml::parse(envelope.str(), RELAIS_INTERNAL, "envelope");
    CHECK(xml::Ref(doc.root()).child("urn:s", "Body").child("urn:m", "GetItem").child("urn:t", "ItemId").attribute(
              "Id") == "A<1");

    xml::Writer w;
    w.start("r").declare("m", "urn:m");
    CHECK(error_of([&] { w.raw("<t:X/>"); }, RELAIS_INTERNAL).find("raw XML fragment") != std::string::npos);
    CHECK(error_of([&] { w.raw("<m:X>"); }, RELAIS_INTERNAL).find("not well-formed") != std::string::npos);
    CHECK(error_of([&] { w.raw("<!DOCTYPE x><x/>"); }, RELAIS_INTERNAL).find("raw XML fragment") !=
          std::string::npos);
    w.raw("text &amp; <m:X/>").end();
    // The caller's own fragment is not held to the parser's default size cap.
    const std::string large = "<m:Body>" + std::string(xml::ParseLimits{}.max_bytes, 'A') + "</m:Body>";
    CHECK(xml::Writer::fragment({{"m", "urn:m"}}).raw(large).str().size() == large.size());
    CHECK(w.str() == "<?xml version=\"1.0\" encoding=\"UTF-8\"?><r xmlns:m=\"urn:m\">text &amp; <m:X/></r>");
    CHECK(w.in_scope().empty());
}
