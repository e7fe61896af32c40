// relais/support/xmlrpc.hpp: the specification's examples, every type both ways, strictness.
#include <relais/support/xmlrpc.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

using namespace relais::support;
using namespace relais::support::xmlrpc;
using namespace std::chrono;
using namespace std::string_literals;

namespace {

// The examples of the XML-RPC specification (xmlrpc.com/spec), laid out as published.
const std::string kSpecCall = R"(<?xml version="1.0"?>
<methodCall>
   <methodName>examples.getStateName</methodName>
   <params>
      <param>
         <value><i4>41</i4></value>
         </param>
      </params>
   </methodCall>)";

const std::string kSpecResponse = R"(<?xml version="1.0"?>
<methodResponse>
   <params>
      <param>
         <value><string>South Dakota</string></value>
         </param>
      </params>
   </methodResponse>)";

const std::string kSpecFault = R"(<?xml version="1.0"?>
<methodResponse>
   <fault>
      <value>
         <struct>
            <member>
               <name>faultCode</name>
               <value><int>4</int></value>
               </member>
            <member>
               <name>faultString</name>
               <value><string>Too many parameters.</string></value>
               </member>
            </struct>
         </value>
      </fault>
   </methodResponse>)";

const std::string kSpecStruct = R"(<struct>
   <member>
      <name>lowerBound</name>
      <value><i4>18</i4></value>
      </member>
   <member>
      <name>upperBound</name>
      <value><i4>139</i4></value>
      </member>
   </struct>)";

const std::string kSpecArray = R"(<array>
   <data>
      <value><i4>12</i4></value>
      <value><string>Egypt</string></value>
      <value><boolean>0</boolean></value>
      <value><i4>-31</i4></value>
      </data>
   </array>)";

std::string response_with(const std::string &value_content) {
    return "<methodResponse><params><param><value>" + value_content + "</value></param></params></methodResponse>";
}

Value value_of(const std::string &value_content) {
    return decode_response(response_with(value_content), RELAIS_INTERNAL, "test").value();
}

std::string decode_error(const std::string &document, bool call = false) {
    try {
        if (call) decode_call(document, RELAIS_TRANSIENT, "Universign answer");
        else decode_response(document, RELAIS_TRANSIENT, "Universign answer");
    } catch (const relais::Error &e) {
        CHECK(e.status() == RELAIS_TRANSIENT);
        return e.what();
    }
    FAIL("decoded without error: " << document);
    return {};
}

std::string value_error(const std::string &value_content) { return decode_error(response_with(value_content)); }

system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    return sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s);
}

}  // namespace

TEST_CASE("xmlrpc: the specification's call, response and fault", "[support][xmlrpc]") {
    const auto call = decode_call(kSpecCall, RELAIS_INVALID_INPUT, "request");
    CHECK(call.method == "examples.getStateName");
    REQUIRE(call.params.size() == 1);
    CHECK(call.params[0].as_int() == 41);
    CHECK(call.params[0].type() == Type::integer);

    const auto response = decode_response(kSpecResponse, RELAIS_TRANSIENT, "answer");
    REQUIRE_FALSE(response.is_fault());
    REQUIRE(response.value().as_string());
    CHECK(*response.value().as_string() == "South Dakota");
    CHECK(response.value_or_throw(RELAIS_PERMANENT, "answer") == Value("South Dakota"));

    const auto fault = decode_response(kSpecFault, RELAIS_TRANSIENT, "answer");
    REQUIRE(fault.is_fault());
    CHECK(fault.fault() == Fault{4, "Too many parameters."});
    try {
        fault.value_or_throw(RELAIS_PERMANENT, "Universign getTransactionInfo");
        FAIL("the fault was not thrown");
    } catch (const relais::Error &e) {
        CHECK(e.status() == RELAIS_PERMANENT);
        CHECK(std::string(e.what()) == "Universign getTransactionInfo: XML-RPC fault 4: Too many parameters.");
        CHECK(e.detail()->getValue<int>("faultCode") == 4);
        CHECK(e.detail()->getValue<std::string>("faultString") == "Too many parameters.");
    }
    CHECK_THROWS_AS(fault.value(), relais::Error);
    CHECK_THROWS_AS(response.fault(), relais::Error);
}

TEST_CASE("xmlrpc: the specification's struct and array", "[support][xmlrpc]") {
    const auto s = value_of(kSpecStruct);
    REQUIRE(s.as_struct());
    REQUIRE(s.as_struct()->size() == 2);
    CHECK(s.as_struct()->members()[0].name == "lowerBound");
    CHECK(s.member("lowerBound")->as_int() == 18);
    CHECK(s.member("upperBound")->as_int() == 139);
    CHECK(s.member("UpperBound") == nullptr);  // names are case-sensitive

    const auto a = value_of(kSpecArray);
    REQUIRE(a.as_array());
    CHECK(*a.as_array() == Array{Value(12), Value("Egypt"), Value(false), Value(-31)});
    CHECK(a.member("x") == nullptr);
}

TEST_CASE("xmlrpc: the specification's scalars", "[support][xmlrpc]") {
    CHECK(value_of("<int>-12</int>").as_int() == -12);
    CHECK(value_of("<boolean>1</boolean>").as_bool() == true);
    CHECK(*value_of("<string>hello world</string>").as_string() == "hello world");
    CHECK(value_of("<double>-12.214</double>").as_double() == -12.214);
    const auto date = value_of("<dateTime.iso8601>19980717T14:08:55</dateTime.iso8601>");
    REQUIRE(date.as_datetime());
    CHECK(date.as_datetime()->text() == "19980717T14:08:55");
    CHECK(date.as_datetime()->to_time_point() == utc(1998, 7, 17, 14, 8, 55));
    CHECK(*value_of("<base64>eW91IGNhbid0IHJlYWQgdGhpcyE=</base64>").as_bytes() == "you can't read this!");
    // Untyped content is a string, whitespace included.
    CHECK(*value_of("  untyped &amp; kept ").as_string() == "  untyped & kept ");
    CHECK(*value_of("").as_string() == "");
    CHECK(*value_of("<string/>").as_string() == "");
    CHECK(value_of("<nil/>").is_nil());
    CHECK(value_of(" <i4> 7 </i4> ").as_int() == 7);  // whitespace around numbers is layout
}

TEST_CASE("xmlrpc: every type written and read back", "[support][xmlrpc]") {
    Struct nested;
    nested.add("empty struct", Value(Struct{})).add("empty array", Value(Array{}));
    const Value everything(Struct{
        {"int", Value(std::numeric_limits<std::int32_t>::min())},
        {"max", Value(std::numeric_limits<std::int32_t>::max())},
        {"yes", Value(true)},
        {"no", Value(false)},
        {"text", Value("<Signer's> & \"name\"\n\ttab \xc3\xa9")},
        {"empty", Value("")},
        {"pi", Value(3.141592653589793)},
        {"tiny", Value(5e-324)},
        {"huge", Value(1e300)},
        {"negative zero", Value(-0.0)},
        {"when", Value(DateTime("20191128T17:03:21"))},
        {"bytes", Value(Base64{"%PDF-1.7\0\x01\xff"s})},
        {"nothing", Value(Nil{})},
        {"list", Value(Array{Value(1), Value("two"), Value(Array{Value(3.5)}), Value(nested)})},
        {"nested", Value(nested)},
    });
    const auto text = encode_response(everything);
    CHECK(text.find("<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodResponse><params><param><value><struct>") == 0);
    CHECK(text.find("<name>int</name><value><i4>-2147483648</i4></value>") != std::string::npos);
    CHECK(text.find("<value><struct></struct></value>") != std::string::npos);
    CHECK(text.find("<value><array><data></data></array></value>") != std::string::npos);
    CHECK(text.find("<value><nil/></value>") != std::string::npos);
    CHECK(text.find("<boolean>1</boolean>") != std::string::npos);
    CHECK(text.find("<base64>JVBERi0xLjcAAf8=</base64>") != std::string::npos);
    CHECK(text.find("e+") == std::string::npos);  // doubles without an exponent
    const auto back = decode_response(text, RELAIS_INTERNAL, "round trip").value();
    CHECK(back == everything);
    CHECK(std::signbit(*back.member("negative zero")->as_double()));

    const Call call{"requester.getTransactionInfo", {Value("dc51eda4"), Value(0), everything}};
    const auto decoded = decode_call(encode_call(call), RELAIS_INTERNAL, "round trip");
    CHECK(decoded.method == call.method);
    CHECK(decoded.params == call.params);
    CHECK(decode_call(encode_call({"system.listMethods", {}}), RELAIS_INTERNAL, "x").params.empty());

    const auto fault = decode_response(encode_fault({73025, "The transaction ID is unknown"}), RELAIS_INTERNAL, "x");
    REQUIRE(fault.is_fault());
    CHECK(fault.fault() == Fault{73025, "The transaction ID is unknown"});
}

TEST_CASE("xmlrpc: a Universign answer read with the accessors", "[support][xmlrpc]") {
    const auto info = decode_response(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodResponse><params><param><value><struct>"
        "<member><name>signerInfos</name><value><array><data><value><struct>"
        "<member><name>certificateInfo</name><value><struct></struct></value></member>"
        "<member><name>status</name><value><string>ready</string></value></member>"
        "</struct></value></data></array></value></member>"
        "<member><name>currentSigner</name><value><i4>0</i4></value></member>"
        "<member><name>eachField</name><value><boolean>0</boolean></value></member>"
        "<member><name>creationDate</name><value><dateTime.iso8601>20191128T17:03:21</dateTime.iso8601></value></member>"
        "<member><name>status</name><value><string>ready</string></value></member>"
        "</struct></value></param></params></methodResponse>",
        RELAIS_TRANSIENT, "Universign getTransactionInfo")
                          .value();
    CHECK(*info.member("status")->as_string() == "ready");
    CHECK(info.member("currentSigner")->as_int() == 0);
    CHECK(info.member("eachField")->as_bool() == false);
    CHECK(info.member("creationDate")->as_datetime()->to_time_point() == utc(2019, 11, 28, 17, 3, 21));
    const auto &signers = *info.member("signerInfos")->as_array();
    REQUIRE(signers.size() == 1);
    CHECK(signers[0].member("certificateInfo")->as_struct()->empty());
    // A member of another type reads as absent, not as a conversion.
    CHECK(info.member("status")->as_int() == std::nullopt);
    CHECK(info.member("currentSigner")->as_string() == nullptr);
    CHECK(info.member("missing") == nullptr);
}

TEST_CASE("xmlrpc: ints are 32-bit, booleans 0 or 1, doubles finite", "[support][xmlrpc][strict]") {
    CHECK(value_of("<i4>2147483647</i4>").as_int() == 2147483647);
    CHECK(value_of("<int>-2147483648</int>").as_int() == std::numeric_limits<std::int32_t>::min());
    CHECK(value_of("<i4>+7</i4>").as_int() == 7);
    for (const auto &bad : {"2147483648", "-2147483649", "99999999999999999999999", "12x", "", "1 2", "0x10", "+",
                            "-", "+-1", "1.0"})
        CHECK(value_error("<i4>"s + bad + "</i4>").find("is not a 32-bit integer") != std::string::npos);

    for (const auto &bad : {"true", "2", "", "01", "yes"})
        CHECK(value_error("<boolean>"s + bad + "</boolean>").find("is not a boolean (0 or 1)") != std::string::npos);

    CHECK(value_of("<double>1e3</double>").as_double() == 1000.0);  // an exponent is accepted
    CHECK(value_of("<double>+.5</double>").as_double() == 0.5);
    for (const auto &bad : {"inf", "-inf", "nan", "NaN", "abc", "", "1e999", "1.5x", "--1", "+-1", "0x1p3"})
        CHECK(value_error("<double>"s + bad + "</double>").find("is not a finite double") != std::string::npos);

    for (const double bad : {std::nan(""), HUGE_VAL}) {
        try {
            encode_response(Value(bad));
            FAIL("a non-finite double was written");
        } catch (const relais::Error &e) {
            CHECK(e.status() == RELAIS_INVALID_INPUT);
        }
    }
}

TEST_CASE("xmlrpc: base64 is decoded strictly, line breaks allowed", "[support][xmlrpc][strict]") {
    CHECK(*value_of("<base64>\n  eW91IGNh\r\nbid0IHJlYWQgdGhpcyE=\n</base64>").as_bytes() == "you can't read this!");
    CHECK(*value_of("<base64></base64>").as_bytes() == "");
    const auto bad = value_error("<base64>eW91*</base64>");
    CHECK(bad.find("methodResponse/params/param[1]/value/base64: invalid base64 at character 4") !=
          std::string::npos);
    CHECK(value_error("<base64>eW9</base64>").find("invalid base64") != std::string::npos);
}

TEST_CASE("xmlrpc: dates in the specification's format and the common variants", "[support][xmlrpc]") {
    const auto when = utc(1998, 7, 17, 14, 8, 55);
    for (const auto &text : {"19980717T14:08:55", "1998-07-17T14:08:55", "19980717T140855", "19980717T14:08:55Z",
                             "1998-07-17T14:08:55+00:00", "1998-07-17T16:08:55+02:00", "19980717T09:08:55-0500",
                             "19980717T16:08:55+02", " 19980717T14:08:55 "})
        CHECK(DateTime(text).to_time_point() == when);
    CHECK(DateTime("1998-07-17T14:08:55.250Z").to_time_point() == when + milliseconds(250));
    CHECK(DateTime("20240229T00:00:00").to_time_point() == utc(2024, 2, 29, 0, 0, 0));
    for (const auto &bad : {"", "garbage", "19980717", "19980717T14:08", "19981317T14:08:55", "19980230T14:08:55",
                            "20230229T00:00:00", "19980717T24:00:00", "19980717T14:60:00", "19980717T14:08:55+25:00",
                            "1998-0717T14:08:55", "19980717T14:0855", "19980717 14:08:55", "19980717T14:08:55.",
                            "19980717T14:08:55Zjunk"})
        CHECK(DateTime(bad).to_time_point() == std::nullopt);

    CHECK(DateTime::from(when + milliseconds(999)).text() == "19980717T14:08:55");
    CHECK(DateTime::from(utc(2001, 1, 2, 3, 4, 5)).to_time_point() == utc(2001, 1, 2, 3, 4, 5));
}

TEST_CASE("xmlrpc: strict reading names where the document is wrong", "[support][xmlrpc][strict]") {
    const auto unknown = value_error("<struct><member><name>id</name><value><i8>5</i8></value></member></struct>");
    CHECK(unknown == "Universign answer: methodResponse/params/param[1]/value/struct/member(id)/value/i8: "
                     "unknown type <i8> (line 1, column 77)");
    CHECK(value_error("<i4>1</i4><i4>2</i4>").find("two values in one <value>") != std::string::npos);
    CHECK(value_error("x<i4>1</i4>").find("text is not allowed here") != std::string::npos);
    CHECK(value_error("<struct><member><value><i4>1</i4></value></member></struct>")
              .find("struct/member[1]: <member> without <name>") != std::string::npos);
    CHECK(value_error("<struct><member><name>a</name></member></struct>")
              .find("struct/member(a): <member> without <value>") != std::string::npos);
    CHECK(value_error("<struct><member><name>a</name><name>b</name><value/></member></struct>")
              .find("a second <name> in <member>") != std::string::npos);
    CHECK(value_error("<struct><member><name>a</name><value/></member><member><name>a</name><value/></member></struct>")
              .find("member \"a\" appears twice") != std::string::npos);
    CHECK(value_error("<struct><value/></struct>").find("<value> is not allowed in <struct>") != std::string::npos);
    CHECK(value_error("<array><value/></array>").find("<value> is not allowed here") != std::string::npos);
    CHECK(value_error("<array><data><i4>1</i4></data></array>").find("<i4> is not allowed in <data>") !=
          std::string::npos);
    CHECK(value_error("<array><data><value/><value>x<i4>1</i4></value></data></array>")
              .find("array/data/value[2]: text is not allowed here") != std::string::npos);
    CHECK(value_error("<array/>").find("<data> is missing") != std::string::npos);
    CHECK(value_error("<i4><b/>1</i4>").find("<b> is not allowed here") != std::string::npos);
    CHECK(value_error("<nil>x</nil>").find("<nil> must be empty") != std::string::npos);
    CHECK(value_error("<dateTime.iso8601> </dateTime.iso8601>").find("an empty date") != std::string::npos);
    CHECK(value_error("<ex:i8 xmlns:ex='urn:ext'>1</ex:i8>").find("unknown type <{urn:ext}i8>") != std::string::npos);

    CHECK(decode_error("<methodCall/>") ==
          "Universign answer: methodCall: root element <methodCall>, <methodResponse> expected (line 1, column 1)");
    CHECK(decode_error("<methodResponse/>").find("one <params> or one <fault> expected, 0 elements found") !=
          std::string::npos);
    CHECK(decode_error("<methodResponse><params/></methodResponse>").find("exactly one <param>, not 0") !=
          std::string::npos);
    CHECK(decode_error("<methodResponse><params><param><value/></param><param><value/></param></params>"
                       "</methodResponse>")
              .find("exactly one <param>, not 2") != std::string::npos);
    CHECK(decode_error("<methodResponse><params><value/></params></methodResponse>")
              .find("<value> is not allowed in <params>") != std::string::npos);
    CHECK(decode_error("<methodResponse><params><param><value/><value/></param></params></methodResponse>")
              .find("param[1]: a second <value>") != std::string::npos);
    CHECK(decode_error("<methodResponse><fault><value><string>no</string></value></fault></methodResponse>")
              .find("a fault must be a struct, not string") != std::string::npos);
    CHECK(decode_error("<methodResponse><fault><value><struct><member><name>faultCode</name><value><string>4</string>"
                       "</value></member><member><name>faultString</name><value>x</value></member></struct></value>"
                       "</fault></methodResponse>")
              .find("faultCode is missing or not an int") != std::string::npos);
    CHECK(decode_error("<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>4</int>"
                       "</value></member></struct></value></fault></methodResponse>")
              .find("faultString is missing or not a string") != std::string::npos);
    CHECK(decode_error("<methodResponse><params><param><value/></param></params><fault/></methodResponse>")
              .find("2 elements found") != std::string::npos);
    CHECK(decode_error("not xml").find("XML not well-formed") != std::string::npos);
    CHECK(decode_error("<!DOCTYPE methodResponse [<!ENTITY x 'y'>]><methodResponse/>").find("DOCTYPE") !=
          std::string::npos);

    CHECK(decode_error("<methodResponse/>", true).find("root element <methodResponse>, <methodCall> expected") !=
          std::string::npos);
    CHECK(decode_error("<methodCall><params/></methodCall>", true).find("<methodName> must come first") !=
          std::string::npos);
    CHECK(decode_error("<methodCall><methodName>bad name!</methodName></methodCall>", true)
              .find("\"bad name!\" is not a valid method name") != std::string::npos);
    CHECK(decode_error("<methodCall><methodName>a</methodName><params/><params/></methodCall>", true)
              .find("<params> is not allowed here") != std::string::npos);
    CHECK(decode_error("<methodCall><methodName>a</methodName><other/></methodCall>", true)
              .find("<other> is not allowed here") != std::string::npos);
}

TEST_CASE("xmlrpc: what cannot be written is refused", "[support][xmlrpc]") {
    auto status_of = [](auto f) {
        try {
            f();
        } catch (const relais::Error &e) {
            return e.status();
        }
        FAIL("no error");
        return RELAIS_OK;
    };
    CHECK(status_of([] { encode_call({"bad name", {}}); }) == RELAIS_INTERNAL);
    CHECK(status_of([] { encode_call({"", {}}); }) == RELAIS_INTERNAL);
    CHECK(status_of([] { encode_response(Value("bell\x07")); }) == RELAIS_INVALID_INPUT);
    CHECK(status_of([] { Struct{{"a", Value(1)}, {"a", Value(2)}}; }) == RELAIS_INTERNAL);
    // Bytes of any value go as base64, so they need no escaping.
    CHECK(decode_response(encode_response(Value(Base64{"bell\x07\0"s})), RELAIS_INTERNAL, "x").value() ==
          Value(Base64{"bell\x07\0"s}));
}
