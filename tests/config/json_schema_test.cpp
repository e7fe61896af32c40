#include "config/json_schema.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <catch2/catch.hpp>

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using relais::host::JsonSchema;
using relais::host::SchemaError;

namespace {

// Parses JSON keeping the key order, so errors come in the order the text has them. Poco 1.11's
// parser refuses a bare scalar at the top, so the text is parsed as the item of an array.
Poco::Dynamic::Var json(const std::string &text) {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse("[" + text + "]").extract<Poco::JSON::Array::Ptr>()->get(0);
}

Poco::JSON::Object::Ptr object(const std::string &text) { return json(text).extract<Poco::JSON::Object::Ptr>(); }

std::string text_of(const Poco::Dynamic::Var &value) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

// The messages of every error of `instance` against `schema`.
std::vector<std::string> errors(const std::string &schema, const std::string &instance) {
    std::vector<std::string> messages;
    for (const SchemaError &e : JsonSchema::parse(schema).validate(json(instance))) messages.push_back(e.message());
    return messages;
}

bool valid(const std::string &schema, const std::string &instance) { return errors(schema, instance).empty(); }

// The message of the std::invalid_argument that parse() throws, or "" when it accepts.
std::string refusal(const std::string &schema) {
    try {
        JsonSchema::parse(schema);
    } catch (const std::invalid_argument &e) {
        return e.what();
    }
    return "";
}

using Messages = std::vector<std::string>;

} // namespace

TEST_CASE("json schema: error message format", "[json_schema]") {
    CHECK(SchemaError{"/retry_attempts", "integer >= 1", "0"}.message() ==
          "/retry_attempts: expected integer >= 1, found 0");
    CHECK(SchemaError{"", "object", "null"}.message() == "(root): expected object, found null");
}

TEST_CASE("json schema: type", "[json_schema]") {
    const std::string all = R"({"type":"object","properties":{
        "o":{"type":"object"},"a":{"type":"array"},"s":{"type":"string"},"i":{"type":"integer"},
        "n":{"type":"number"},"b":{"type":"boolean"},"z":{"type":"null"},"u":{"type":["string","null"]}}})";
    CHECK(valid(all, R"({"o":{},"a":[],"s":"x","i":3,"n":3.5,"b":false,"z":null,"u":null})"));
    CHECK(valid(all, R"({"u":"text"})"));
    CHECK(errors(all, R"({"o":[1,2],"a":{},"s":12,"i":"abc","n":true,"b":0,"z":"null","u":1})") ==
          Messages{"/o: expected object, found array of 2 items", "/a: expected array, found object",
                   "/s: expected string, found 12", "/i: expected integer, found string \"abc\"",
                   "/n: expected number, found true", "/b: expected boolean, found 0",
                   "/z: expected null, found string \"null\"", "/u: expected string or null, found 1"});
    CHECK(errors(R"({"type":"object"})", "[]") == Messages{"(root): expected object, found array of 0 items"});
}

TEST_CASE("json schema: integer means no fractional part, 3.0 included", "[json_schema]") {
    const std::string schema = R"({"type":"integer"})";
    CHECK(valid(schema, "3"));
    CHECK(valid(schema, "3.0"));
    CHECK(valid(schema, "-7"));
    CHECK(errors(schema, "3.5") == Messages{"(root): expected integer, found 3.5"});
    CHECK(valid(R"({"type":"number"})", "3.5"));
    CHECK(valid(R"({"type":"number"})", "3"));
    // Integer-valued keywords accept 3.0 too, and huge ones.
    CHECK(valid(R"({"type":"array","maxItems":2.0})", "[1,2]"));
    CHECK(valid(R"({"type":"string","maxLength":1e30})", R"("abc")"));
}

TEST_CASE("json schema: numeric bounds", "[json_schema]") {
    const std::string schema = R"({"type":"object","properties":{
        "retry_attempts":{"type":"integer","minimum":1,"maximum":10},
        "ratio":{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1}}})";
    CHECK(valid(schema, R"({"retry_attempts":1,"ratio":0.5})"));
    CHECK(valid(schema, R"({"retry_attempts":10,"ratio":0.999})"));
    CHECK(errors(schema, R"({"retry_attempts":0,"ratio":0})") ==
          Messages{"/retry_attempts: expected integer >= 1, found 0", "/ratio: expected number > 0, found 0"});
    CHECK(errors(schema, R"({"retry_attempts":11,"ratio":1})") ==
          Messages{"/retry_attempts: expected integer <= 10, found 11", "/ratio: expected number < 1, found 1"});
    CHECK(errors(R"({"minimum":0.5})", "0.25") == Messages{"(root): expected number >= 0.5, found 0.25"});
    // Large integers compare exactly, not through double.
    CHECK(errors(R"({"maximum":9007199254740992})", "9007199254740993") ==
          Messages{"(root): expected number <= 9007199254740992, found 9007199254740993"});
}

TEST_CASE("json schema: string length counts UTF-8 code points", "[json_schema]") {
    const std::string schema = R"({"type":"string","minLength":2,"maxLength":3})";
    CHECK(valid(schema, R"("éé")"));     // 2 code points, 4 bytes
    CHECK(valid(schema, R"("日本語")")); // 3 code points, 9 bytes
    CHECK(valid(schema, R"("😀😀")"));     // 2 code points, 8 bytes
    CHECK(errors(schema, R"("é")") ==
          Messages{"(root): expected string of at least 2 characters, found string \"é\" (1 character)"});
    CHECK(errors(schema, R"("日本語!")") ==
          Messages{"(root): expected string of at most 3 characters, found string \"日本語!\" (4 characters)"});
}

TEST_CASE("json schema: pattern is an unanchored ECMAScript search", "[json_schema]") {
    CHECK(valid(R"({"pattern":"b+"})", R"("abbbc")"));
    CHECK(valid(R"({"pattern":"^[a-z]{3}\\d$"})", R"("abc1")"));
    CHECK(errors(R"({"pattern":"^[a-z]{3}\\d$"})", R"("abcd1")") ==
          Messages{R"((root): expected string matching the pattern "^[a-z]{3}\\d$", found string "abcd1")"});
    // Pattern applies to strings only.
    CHECK(valid(R"({"pattern":"^x$"})", "42"));
}

TEST_CASE("json schema: found truncates long strings to 40 characters", "[json_schema]") {
    const std::string long_value(60, 'x');
    const auto found = errors(R"({"type":"integer"})", "\"" + long_value + "\"");
    CHECK(found == Messages{"(root): expected integer, found string \"" + std::string(40, 'x') + "\"..."});
    // Quotes and control characters are escaped, so a value cannot break a log line.
    CHECK(errors(R"({"type":"integer"})", R"("a\"b\nc")") ==
          Messages{R"((root): expected integer, found string "a\"b\nc")"});
}

TEST_CASE("json schema: enum and const", "[json_schema]") {
    const std::string schema = R"({"type":"object","properties":{
        "class":{"enum":["transient","permanent",3,null]},
        "version":{"const":2},
        "mode":{"const":"fast"}}})";
    CHECK(valid(schema, R"({"class":"permanent","version":2,"mode":"fast"})"));
    CHECK(valid(schema, R"({"class":3.0,"version":2.0})")); // numbers compare by value
    CHECK(valid(schema, R"({"class":null})"));
    CHECK(errors(schema, R"({"class":"other","version":"2","mode":"slow"})") ==
          Messages{R"(/class: expected one of "transient", "permanent", 3, null, found string "other")",
                   R"(/version: expected exactly 2, found string "2")",
                   R"(/mode: expected exactly "fast", found string "slow")"});
    CHECK(valid(R"({"const":{"a":[1,2]}})", R"({"a":[1,2.0]})"));
    CHECK(errors(R"({"const":{"a":[1,2]}})", R"({"a":[2,1]})") ==
          Messages{R"((root): expected exactly {"a":[1,2]}, found object)"});
}

TEST_CASE("json schema: format uri, email, date-time", "[json_schema]") {
    const std::string uri = R"({"type":"string","format":"uri"})";
    CHECK(valid(uri, R"("https://host/path")"));
    CHECK(valid(uri, R"("https://api.example.com:8443/v1?q=1#frag")"));
    CHECK(valid(uri, R"("urn:isbn:0451450523")"));
    CHECK(valid(uri, R"("mailto:someone@example.com")"));
    CHECK(errors(uri, R"("not a url")") ==
          Messages{R"((root): expected absolute URI with a scheme (format "uri"), found string "not a url")"});
    CHECK(errors(uri, R"("/relative/path")") ==
          Messages{R"((root): expected absolute URI with a scheme (format "uri"), found string "/relative/path")"});
    CHECK(errors(uri, R"("http://")") ==
          Messages{R"((root): expected URI with a host (format "uri"), found string "http://")"});
    CHECK_FALSE(valid(uri, R"("https:///path")"));

    const std::string email = R"({"format":"email"})";
    CHECK(valid(email, R"("ops@example.com")"));
    CHECK(valid(email, R"("first.last+tag@sub.example.org")"));
    for (const char *bad : {R"("ops")", R"("ops@")", R"("@example.com")", R"("a b@example.com")", R"("a@b@c.com")",
                            R"("a@example..com")"}) {
        INFO(bad);
        CHECK(errors(email, bad) ==
              Messages{std::string(R"((root): expected email address (format "email"), found string )") + bad});
    }

    const std::string date_time = R"({"format":"date-time"})";
    for (const char *good :
         {R"("2024-05-01T12:00:00Z")", R"("2024-02-29T23:59:60.123+02:00")", R"("1999-12-31t00:00:00-05:30")"}) {
        INFO(good);
        CHECK(valid(date_time, good));
    }
    for (const char *bad : {R"("2024-05-01")", R"("2023-02-29T12:00:00Z")", R"("2024-13-01T12:00:00Z")",
                            R"("2024-05-01T24:00:00Z")", R"("2024-05-01T12:00:00")", R"("2024-05-01 12:00:00Z")"}) {
        INFO(bad);
        const auto found = errors(date_time, bad);
        REQUIRE(found.size() == 1);
        CHECK(found[0].find("expected RFC 3339 date-time") != std::string::npos);
    }
    // Formats we do not know are annotations.
    CHECK(valid(R"({"format":"hostname"})", R"("not a host name!")"));
}

TEST_CASE("json schema: required and additionalProperties false", "[json_schema]") {
    const std::string schema = R"({"type":"object","required":["a","c"],
        "properties":{"a":{"type":"string"},"b":{"type":"integer"},"c":{}},"additionalProperties":false})";
    CHECK(valid(schema, R"({"a":"x","c":null})"));
    CHECK(errors(schema, R"({"a":"x","x":5,"b":1})") ==
          Messages{"/x: expected no property 'x' (allowed: a, b, c), found number",
                   "/c: expected required property, found missing"});
    // Keys with "/" and "~" are escaped in the pointer (RFC 6901).
    CHECK(errors(R"({"properties":{},"additionalProperties":false})", R"({"a/b~c":1})") ==
          Messages{"/a~1b~0c: expected no property 'a/b~c' (allowed: none), found number"});
    // Without additionalProperties, unknown keys are fine.
    CHECK(valid(R"({"properties":{"a":{}}})", R"({"z":1})"));
}

TEST_CASE("json schema: additionalProperties as a schema", "[json_schema]") {
    const std::string schema = R"({"type":"object","properties":{"name":{"type":"string"}},
        "additionalProperties":{"type":"integer","minimum":0}})";
    CHECK(valid(schema, R"({"name":"x","limit":3,"other":0})"));
    CHECK(errors(schema, R"({"name":"x","limit":-1,"other":"y"})") ==
          Messages{"/limit: expected integer >= 0, found -1", "/other: expected integer, found string \"y\""});
}

TEST_CASE("json schema: arrays, items and uniqueness", "[json_schema]") {
    const std::string schema =
        R"({"type":"array","minItems":1,"maxItems":3,"uniqueItems":true,"items":{"type":"string"}})";
    CHECK(valid(schema, R"(["a","b","c"])"));
    CHECK(errors(schema, "[]") == Messages{"(root): expected at least 1 item, found array of 0 items"});
    CHECK(errors(schema, R"(["a","b","c","d"])") ==
          Messages{"(root): expected at most 3 items, found array of 4 items"});
    CHECK(errors(schema, R"(["a",2,"a"])") ==
          Messages{"/1: expected string, found 2", "/2: expected unique items (same as /0), found string \"a\""});
    CHECK(errors(R"({"uniqueItems":true})", R"([{"a":1,"b":2},{"b":2,"a":1.0}])") ==
          Messages{"/1: expected unique items (same as /0), found object"});
    CHECK(valid(R"({"uniqueItems":false})", "[1,1]"));
}

TEST_CASE("json schema: nested objects and arrays give full pointers", "[json_schema]") {
    const std::string schema = R"({"type":"object","properties":{
        "a":{"type":"object","properties":{"b":{"type":"array","items":{"type":"object",
             "required":["id"],"properties":{"id":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}}}}}}}})";
    CHECK(valid(schema, R"({"a":{"b":[{"id":1,"tags":["x"]}]}})"));
    CHECK(errors(schema, R"({"a":{"b":["x",{"id":"2"},{"tags":["ok",7]}]}})") ==
          Messages{"/a/b/0: expected object, found string \"x\"", "/a/b/1/id: expected integer, found string \"2\"",
                   "/a/b/2/tags/1: expected string, found 7", "/a/b/2/id: expected required property, found missing"});
}

TEST_CASE("json schema: every error is returned, in document order", "[json_schema]") {
    const std::string schema = R"({"type":"object","required":["url"],"properties":{
        "url":{"type":"string","format":"uri"},"port":{"type":"integer","maximum":65535},
        "name":{"type":"string","minLength":1,"pattern":"^[a-z]+$"}}})";
    const auto found = JsonSchema::parse(schema).validate(json(R"({"port":70000,"name":""})"));
    REQUIRE(found.size() == 4);
    CHECK(found[0] == SchemaError{"/port", "integer <= 65535", "70000"});
    CHECK(found[1] == SchemaError{"/name", "string of at least 1 character", "string \"\" (0 characters)"});
    CHECK(found[2] == SchemaError{"/name", "string matching the pattern \"^[a-z]+$\"", "string \"\""});
    CHECK(found[3] == SchemaError{"/url", "required property", "missing"});
}

TEST_CASE("json schema: allOf, anyOf, oneOf, not", "[json_schema]") {
    const std::string all_of = R"({"allOf":[{"type":"integer"},{"minimum":10}]})";
    CHECK(valid(all_of, "12"));
    CHECK(errors(all_of, "5") == Messages{"(root): expected number >= 10, found 5"});

    const std::string any_of = R"({"anyOf":[{"type":"string"},{"type":"integer","minimum":0}]})";
    CHECK(valid(any_of, R"("x")"));
    CHECK(valid(any_of, "4"));
    CHECK(errors(any_of, "-1") ==
          Messages{"(root): expected a match for any of 2 alternatives ([0] string; [1] integer >= 0), found -1"});

    const std::string one_of = R"({"oneOf":[{"type":"integer"},{"minimum":5}]})";
    CHECK(valid(one_of, "3"));   // integer only
    CHECK(valid(one_of, "6.5")); // minimum only
    CHECK(errors(one_of, "7") ==
          Messages{"(root): expected a match for exactly one of 2 alternatives (but [0], [1] all match), found 7"});
    CHECK(errors(one_of, "2.5") ==
          Messages{
              "(root): expected a match for exactly one of 2 alternatives ([0] integer; [1] number >= 5), found 2.5"});

    const std::string not_schema = R"({"not":{"const":"admin"}})";
    CHECK(valid(not_schema, R"("user")"));
    CHECK(errors(not_schema, R"("admin")") ==
          Messages{R"((root): expected a value not matching the "not" schema, found string "admin")"});

    // Errors of an alternative deeper than the value name their own pointer.
    CHECK(errors(R"({"anyOf":[{"required":["a"]},{"required":["b"]}]})", "{}") ==
          Messages{"(root): expected a match for any of 2 alternatives ([0] /a: expected required property, found "
                   "missing; [1] /b: expected required property, found missing), found object"});
}

TEST_CASE("json schema: if / then / else", "[json_schema]") {
    const std::string schema = R"({"type":"object","properties":{
        "use_oauth":{"type":"boolean","default":false},"tenant_id":{"type":"string"},"password":{"type":"string"}},
        "if":{"properties":{"use_oauth":{"const":true}},"required":["use_oauth"]},
        "then":{"required":["tenant_id"]},
        "else":{"required":["password"]}})";
    CHECK(valid(schema, R"({"use_oauth":true,"tenant_id":"t1"})"));
    CHECK(valid(schema, R"({"use_oauth":false,"password":"p"})"));
    CHECK(valid(schema, R"({"password":"p"})"));
    CHECK(errors(schema, R"({"use_oauth":true})") == Messages{"/tenant_id: expected required property, found missing"});
    CHECK(errors(schema, R"({"use_oauth":false})") == Messages{"/password: expected required property, found missing"});
    // Without "then", a matching "if" asks nothing.
    CHECK(valid(R"({"if":{"type":"string"},"else":{"type":"integer"}})", R"("x")"));
    CHECK(errors(R"({"if":{"type":"string"},"else":{"type":"integer"}})", "1.5") ==
          Messages{"(root): expected integer, found 1.5"});
}

TEST_CASE("json schema: boolean subschemas", "[json_schema]") {
    const std::string schema = R"({"properties":{"anything":true,"nothing":false}})";
    CHECK(valid(schema, R"({"anything":[1,{"x":null}]})"));
    CHECK(errors(schema, R"({"nothing":1})") == Messages{"/nothing: expected nothing (the schema is false), found 1"});
}

TEST_CASE("json schema: a type error hides the other keywords of that subschema", "[json_schema]") {
    CHECK(errors(R"({"type":"integer","minimum":5,"enum":[7,8]})", "2.5") ==
          Messages{"(root): expected integer, found 2.5"});
    CHECK(errors(R"({"type":"integer","minimum":5,"enum":[7,8]})", "6") ==
          Messages{"(root): expected one of 7, 8, found 6"});
}

TEST_CASE("json schema: defaults are filled recursively without overwriting", "[json_schema]") {
    const auto schema = JsonSchema::parse(R"({"type":"object","properties":{
        "greeting":{"type":"string","default":"hello"},
        "retry":{"type":"object","default":{"attempts":3},"properties":{
            "attempts":{"type":"integer","default":5},"delay_ms":{"type":"integer","default":100}}},
        "tls":{"type":"object","properties":{"verify":{"type":"boolean","default":true}}},
        "proxy":{"type":"object","properties":{"port":{"type":"integer","default":8080}}},
        "tags":{"type":"array","default":["a"]},
        "nothing":{"type":"string"}}})");

    SECTION("absent properties get their defaults, nested ones too") {
        const auto filled = schema.with_defaults(object(R"({"tls":{}})"));
        CHECK(text_of(filled) ==
              R"({"tls":{"verify":true},"greeting":"hello","retry":{"attempts":3,"delay_ms":100},"tags":["a"]})");
    }
    SECTION("present values are kept, even null, and so is the caller's object") {
        const auto input =
            object(R"({"greeting":"bonjour","retry":{"attempts":1},"tls":{"verify":false},"proxy":null})");
        const std::string before = text_of(input);
        const auto filled = schema.with_defaults(input);
        CHECK(
            text_of(filled) ==
            R"({"greeting":"bonjour","retry":{"attempts":1,"delay_ms":100},"tls":{"verify":false},"proxy":null,"tags":["a"]})");
        CHECK(text_of(input) == before);
    }
    SECTION("the copy does not share defaults with the schema or with earlier copies") {
        const auto first = schema.with_defaults(nullptr);
        first->getArray("tags")->add("b");
        first->getObject("retry")->set("attempts", 9);
        CHECK(text_of(schema.with_defaults(nullptr)) ==
              R"({"greeting":"hello","retry":{"attempts":3,"delay_ms":100},"tags":["a"]})");
    }
}

TEST_CASE("json schema: secret paths", "[json_schema]") {
    const auto schema = JsonSchema::parse(R"({"type":"object","properties":{
        "user":{"type":"string"},"api_key":{"type":"string","secret":true},
        "oauth":{"type":"object","properties":{"client_id":{"type":"string"},"client~secret":{"type":"string","secret":true}}},
        "vault":{"type":"object","secret":true,"properties":{"token":{"type":"string","secret":true}}},
        "plain":{"type":"string","secret":false}},
        "if":{"required":["user"]},"then":{"properties":{"password":{"type":"string","secret":true}}}})");
    CHECK(schema.secret_paths() ==
          std::vector<std::string>{"/api_key", "/oauth/client~0secret", "/vault", "/password"});
    CHECK(JsonSchema::parse(R"({"type":"object"})").secret_paths().empty());
}

TEST_CASE("json schema: secret values never appear in error messages", "[json_schema]") {
    const std::string value = "hunter2-very-secret";
    const auto schema = JsonSchema::parse(R"({"type":"object","additionalProperties":false,"properties":{
        "api_key":{"type":"string","secret":true,"pattern":"^sk_[a-z]+$","maxLength":5,"enum":["sk_abc"],"format":"uri"},
        "pin":{"type":"integer","secret":true,"minimum":1000},
        "keys":{"type":"array","uniqueItems":true,"items":{"type":"string","secret":true,"minLength":30}},
        "vault":{"type":"object","secret":true,"properties":{"token":{"type":"integer"}}},
        "mixed":{"type":"string","allOf":[{"secret":true}],"not":{"const":")" +
                                          value + R"("}},
        "choice":{"anyOf":[{"type":"integer"},{"type":"string","secret":true,"maxLength":3}]}}})");
    const auto found = schema.validate(json(R"({"api_key":")" + value + R"(","pin":12,"keys":[")" + value + R"(",")" +
                                            value + R"("],"vault":{"token":")" + value + R"("},"mixed":")" + value +
                                            R"(","choice":")" + value + R"(","api_kye":")" + value + R"("})"));
    std::vector<std::string> messages;
    for (const auto &e : found) messages.push_back(e.message());
    CHECK(messages ==
          Messages{
              R"(/api_key: expected one of "sk_abc", found (secret, 19 characters))",
              "/api_key: expected string of at most 5 characters, found (secret, 19 characters)",
              R"(/api_key: expected string matching the pattern "^sk_[a-z]+$", found (secret, 19 characters))",
              R"(/api_key: expected absolute URI with a scheme (format "uri"), found (secret, 19 characters))",
              "/pin: expected integer >= 1000, found (secret, number)",
              "/keys/0: expected string of at least 30 characters, found (secret, 19 characters)",
              "/keys/1: expected string of at least 30 characters, found (secret, 19 characters)",
              "/keys/1: expected unique items (same as /keys/0), found (secret, 19 characters)",
              "/vault/token: expected integer, found (secret, 19 characters)",
              R"(/mixed: expected a value not matching the "not" schema, found (secret, 19 characters))",
              "/choice: expected a match for any of 2 alternatives ([0] integer; [1] string of at most 3 "
              "characters), found (secret, 19 characters)",
              "/api_kye: expected no property 'api_kye' (allowed: api_key, pin, keys, vault, mixed, choice), "
              "found string",
          });
    for (const auto &m : messages) {
        INFO(m);
        CHECK(m.find("hunter2") == std::string::npos);
    }
}

TEST_CASE("json schema: a secret default that does not match is refused without showing it", "[json_schema]") {
    const std::string message =
        refusal(R"({"properties":{"token":{"type":"string","secret":true,"pattern":"^tk_","default":"hunter2"}}})");
    CHECK(
        message ==
        R"(invalid JSON Schema at /properties/token/default: the default does not match its own schema: expected string matching the pattern "^tk_", found (secret, 7 characters))");
}

TEST_CASE("json schema: malformed schemas are refused, naming the pointer", "[json_schema]") {
    CHECK(refusal(R"({"properties":{"a":{"$ref":"#/$defs/a"}}})") ==
          R"(invalid JSON Schema at /properties/a/$ref: "$ref" is not supported: write the referenced schema inline)");
    CHECK(
        refusal(R"({"properties":{"a":{"pattern":"[a-"}}})")
            .starts_with(
                R"(invalid JSON Schema at /properties/a/pattern: not a valid ECMAScript regular expression "[a-": )"));
    CHECK(
        refusal(R"({"properties":{"a":{"type":"strnig"}}})") ==
        R"(invalid JSON Schema at /properties/a/type: unknown type "strnig" (known: object, array, string, integer, number, boolean, null))");
    CHECK(
        refusal(R"({"items":{"type":["string","float"]}})") ==
        R"(invalid JSON Schema at /items/type/1: unknown type "float" (known: object, array, string, integer, number, boolean, null))");
    CHECK(refusal(R"({"properties":{"n":{"type":"integer","minimum":1,"default":0}}})") ==
          "invalid JSON Schema at /properties/n/default: the default does not match its own schema: expected integer "
          ">= 1, found 0");
    CHECK(refusal(R"({"properties":{"o":{"properties":{"p":{"type":"string"}},"default":{"p":1}}}})") ==
          "invalid JSON Schema at /properties/o/default: the default does not match its own schema: /p: expected "
          "string, found 1");
    CHECK(refusal(R"({"required":"a"})") == "invalid JSON Schema at /required: must be an array of property names");
    CHECK(refusal(R"({"required":["a",1]})") ==
          "invalid JSON Schema at /required/1: must be a property name (a string)");
    CHECK(refusal(R"({"anyOf":[{"minimum":"1"}]})") ==
          R"(invalid JSON Schema at /anyOf/0/minimum: must be a number, found string "1")");
    CHECK(refusal(R"({"exclusiveMinimum":true})") ==
          "invalid JSON Schema at /exclusiveMinimum: must be a number (the boolean form of draft 4 is not supported)");
    CHECK(refusal(R"({"enum":"a"})") == "invalid JSON Schema at /enum: must be a non-empty array of values");
    CHECK(refusal(R"({"properties":[]})") ==
          "invalid JSON Schema at /properties: must be an object mapping property names to schemas");
    CHECK(refusal(R"({"properties":{"a":3}})") ==
          "invalid JSON Schema at /properties/a: a schema must be an object or a boolean, found 3");
    CHECK(
        refusal(R"({"additionalProperties":"no"})") ==
        R"(invalid JSON Schema at /additionalProperties: a schema must be an object or a boolean, found string "no")");
    CHECK(refusal(R"({"minLength":-1})") ==
          "invalid JSON Schema at /minLength: must be a non-negative integer, found -1");
    CHECK(refusal(R"({"maxItems":1.5})") ==
          "invalid JSON Schema at /maxItems: must be a non-negative integer, found 1.5");
    CHECK(refusal(R"({"items":[{"type":"string"}]})") ==
          "invalid JSON Schema at /items: must be one schema for every item (the array form is not supported)");
    CHECK(refusal(R"({"oneOf":[]})") == "invalid JSON Schema at /oneOf: must be a non-empty array of schemas");
    CHECK(refusal(R"({"then":{"secret":"yes"}})") == "invalid JSON Schema at /then/secret: must be true or false");
    CHECK(refusal(R"([])") ==
          "invalid JSON Schema at (root): the schema must be a JSON object, found array of 0 items");
    CHECK(refusal(R"({"type":)").starts_with("invalid JSON Schema: not valid JSON: "));
}

TEST_CASE("json schema: annotations and x- extensions are accepted, unsupported keywords refused", "[json_schema]") {
    CHECK(refusal(R"({"x-widget":"password","$comment":"hi","$schema":"https://json-schema.org/draft/2020-12/schema",
                     "properties":{"a":{"readOnly":true,"examples":[1],"title":"A","description":"d"}}})") == "");
    // Ignoring these would accept what the plugin's author meant to refuse.
    CHECK_THAT(refusal(R"({"properties":{"n":{"type":"integer","multipleOf":5}}})"),
               Catch::StartsWith(R"(invalid JSON Schema at /properties/n/multipleOf: the keyword "multipleOf" is not supported)"));
    CHECK_THAT(refusal(R"({"patternProperties":{"^x":{"type":"string"}}})"),
               Catch::StartsWith(R"(invalid JSON Schema at /patternProperties: the keyword "patternProperties")"));
    CHECK_THAT(refusal(R"({"items":{"maxContains":2}})"), Catch::Contains("/items/maxContains"));
}

TEST_CASE("json schema: the diagnostics plugin's settings schema", "[json_schema]") {
    const auto schema = JsonSchema::parse(R"({
  "type": "object",
  "properties": {
    "greeting": {"type": "string", "default": "hello", "description": "Returned by the info action"},
    "max_sleep_ms": {"type": "integer", "minimum": 0, "maximum": 600000, "default": 10000},
    "secret_token": {"type": "string", "secret": true, "default": ""}
  },
  "additionalProperties": false
})");
    const auto settings = schema.with_defaults(object(R"({"greeting":"hi"})"));
    CHECK(text_of(settings) == R"({"greeting":"hi","max_sleep_ms":10000,"secret_token":""})");
    CHECK(schema.validate(settings).empty());
    CHECK(schema.secret_paths() == std::vector<std::string>{"/secret_token"});
    CHECK(schema.root()->getObject("properties")->size() == 3);
}

TEST_CASE("json schema: the largest maxLength an instance must respect", "[json_schema]") {
    CHECK_FALSE(JsonSchema::parse(R"({"type":"object"})").largest_max_length());
    CHECK_FALSE(JsonSchema::parse(R"({"properties":{"a":{"type":"string"}}})").largest_max_length());
    CHECK(JsonSchema::parse(R"({"type":"string","maxLength":7})").largest_max_length() == 7u);
    // A base64 file among small fields, as a connector declares it.
    CHECK(JsonSchema::parse(R"({"type":"object","properties":{
            "number":{"type":"string","maxLength":100},
            "file_base64":{"type":"string","maxLength":13981016},
            "name":{"type":"string","maxLength":200}}})")
              .largest_max_length() == 13981016u);
    // Nested objects, arrays, additional properties and branches are all looked into.
    CHECK(JsonSchema::parse(R"({"properties":{"o":{"properties":{"s":{"maxLength":30}}}}})").largest_max_length() == 30u);
    CHECK(JsonSchema::parse(R"({"items":{"maxLength":31}})").largest_max_length() == 31u);
    CHECK(JsonSchema::parse(R"({"additionalProperties":{"maxLength":32}})").largest_max_length() == 32u);
    CHECK(JsonSchema::parse(R"({"anyOf":[{"maxLength":3},{"maxLength":33}]})").largest_max_length() == 33u);
    CHECK(JsonSchema::parse(R"({"if":{"maxLength":1},"then":{"maxLength":34},"else":{"maxLength":2}})")
              .largest_max_length() == 34u);
    // "not" and "if" bound nothing an instance holds.
    CHECK_FALSE(JsonSchema::parse(R"({"not":{"maxLength":35}})").largest_max_length());
    CHECK_FALSE(JsonSchema::parse(R"({"if":{"maxLength":36}})").largest_max_length());
}
