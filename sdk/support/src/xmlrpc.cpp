// XML-RPC documents written and read (relais/support/xmlrpc.hpp).
#include <relais/support/bytes.hpp>
#include <relais/support/xmlrpc.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace relais::support::xmlrpc {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string trimmed(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && is_space(s[b])) ++b;
    while (e > b && is_space(s[e - 1])) --e;
    return std::string(s.substr(b, e - b));
}

bool is_method_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
               c == ':' || c == '/';
    });
}

// --- Encoding ----------------------------------------------------------------------------

std::string format_double(double d) {
    if (!std::isfinite(d)) throw Error(RELAIS_INVALID_INPUT, "XML-RPC: a double must be a finite number");
    // Shortest text that reads back as the same double, without an exponent (the spec's form).
    char buf[400];
    const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
    std::string s(buf, r.ptr);
    if (s.find('.') == std::string::npos) s += ".0";
    return s;
}

void write_value(xml::Writer &w, const Value &value);

void write_struct(xml::Writer &w, const Struct &s) {
    w.start("struct").text("");  // <struct></struct> when empty, as Universign sends it
    for (const auto &m : s.members()) {
        w.start("member").element("name", m.name);
        write_value(w, m.value);
        w.end();
    }
    w.end();
}

void write_value(xml::Writer &w, const Value &value) {
    w.start("value");
    switch (value.type()) {
    case Type::nil: w.start("nil").end(); break;
    case Type::integer: w.element("i4", std::to_string(*value.as_int())); break;
    case Type::boolean: w.element("boolean", *value.as_bool() ? "1" : "0"); break;
    case Type::string: w.element("string", *value.as_string()); break;
    case Type::real: w.element("double", format_double(*value.as_double())); break;
    case Type::datetime: w.element("dateTime.iso8601", value.as_datetime()->text()); break;
    case Type::base64: w.element("base64", base64_encode(*value.as_bytes())); break;
    case Type::array:
        w.start("array").start("data").text("");
        for (const auto &item : *value.as_array()) write_value(w, item);
        w.end().end();
        break;
    case Type::structure: write_struct(w, *value.as_struct()); break;
    }
    w.end();
}

void write_params(xml::Writer &w, const std::vector<Value> &params) {
    w.start("params").text("");
    for (const auto &p : params) {
        w.start("param");
        write_value(w, p);
        w.end();
    }
    w.end();
}

// --- Decoding ----------------------------------------------------------------------------

// Reads one document, keeping what errors need: the caller's status and name.
class Decoder {
public:
    Decoder(relais_status status, const std::string &what) : status_(status), what_(what) {}

    [[noreturn]] void fail(const std::string &path, const xml::Element &at, const std::string &reason) const {
        throw Error(status_, what_ + ": " + path + ": " + reason + " (line " + std::to_string(at.line()) +
                                 ", column " + std::to_string(at.column()) + ")");
    }

    // Elements of XML-RPC have no namespace; anything else is refused by name, with its URI.
    static std::string name_of(const xml::Element &e) {
        return e.ns().empty() ? e.local_name() : "{" + e.ns() + "}" + e.local_name();
    }
    static bool is(const xml::Element &e, std::string_view local) { return e.ns().empty() && e.local_name() == local; }

    // A container holds elements only: text there is refused (whitespace is layout).
    void only_elements(const xml::Element &e, const std::string &path) const {
        if (!e.text(xml::Trim::yes).empty()) fail(path, e, "text is not allowed here");
    }
    // A scalar type element holds text only.
    void no_children(const xml::Element &e, const std::string &path) const {
        if (!e.elements().empty()) fail(path, e, "<" + name_of(e.elements().front()) + "> is not allowed here");
    }
    // The only child of `e`, which must be named `local`.
    const xml::Element &single(const xml::Element &e, std::string_view local, const std::string &path) const {
        only_elements(e, path);
        if (e.elements().empty()) fail(path, e, "<" + std::string(local) + "> is missing");
        for (const auto &c : e.elements())
            if (!is(c, local)) fail(path, c, "<" + name_of(c) + "> is not allowed here");
        if (e.elements().size() > 1) fail(path, e.elements()[1], "a second <" + std::string(local) + ">");
        return e.elements().front();
    }

    Value value(const xml::Element &v, const std::string &path) const {
        if (v.elements().empty()) return Value(v.text());  // <value>text</value> is a string
        if (v.elements().size() > 1) fail(path, v.elements()[1], "two values in one <value>");
        only_elements(v, path);
        const auto &typed = v.elements().front();
        const auto name = name_of(typed);
        const auto typed_path = path + "/" + name;
        if (name == "struct") return structure(typed, typed_path);
        if (name == "array") return array(typed, typed_path);
        no_children(typed, typed_path);
        if (name == "i4" || name == "int") return integer(typed, typed_path);
        if (name == "boolean") return boolean(typed, typed_path);
        if (name == "string") return Value(typed.text());
        if (name == "double") return real(typed, typed_path);
        if (name == "dateTime.iso8601") {
            auto text = typed.text(xml::Trim::yes);
            if (text.empty()) fail(typed_path, typed, "an empty date");
            return Value(DateTime(std::move(text)));
        }
        if (name == "base64") return base64(typed, typed_path);
        if (name == "nil") {
            if (!typed.text(xml::Trim::yes).empty()) fail(typed_path, typed, "<nil> must be empty");
            return Value(Nil{});
        }
        fail(typed_path, typed, "unknown type <" + name + ">");
    }

    // An optional sign and what follows it ("" when the text is only a sign or empty).
    static std::string_view unsigned_part(std::string_view text, bool &negative) {
        negative = !text.empty() && text.front() == '-';
        if (!text.empty() && (text.front() == '-' || text.front() == '+')) text.remove_prefix(1);
        return text;
    }

    Value integer(const xml::Element &e, const std::string &path) const {
        const auto text = e.text(xml::Trim::yes);
        bool negative = false;
        const auto digits = unsigned_part(text, negative);
        long long n = 0;
        const bool all_digits = !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) {
            return c >= '0' && c <= '9';
        });
        // More digits than a long long holds is out of range too.
        if (!all_digits || std::from_chars(digits.data(), digits.data() + digits.size(), n).ec != std::errc())
            fail(path, e, "\"" + text + "\" is not a 32-bit integer");
        if (negative) n = -n;
        if (n < std::numeric_limits<std::int32_t>::min() || n > std::numeric_limits<std::int32_t>::max())
            fail(path, e, "\"" + text + "\" is not a 32-bit integer");
        return Value(static_cast<std::int32_t>(n));
    }

    Value boolean(const xml::Element &e, const std::string &path) const {
        const auto text = e.text(xml::Trim::yes);
        if (text == "1") return Value(true);
        if (text == "0") return Value(false);
        fail(path, e, "\"" + text + "\" is not a boolean (0 or 1)");
    }

    Value real(const xml::Element &e, const std::string &path) const {
        const auto text = e.text(xml::Trim::yes);
        bool negative = false;
        const auto number = unsigned_part(text, negative);
        double d = 0;
        // from_chars also reads "inf" and "nan": a number starts with a digit or '.'.
        const bool starts_well = !number.empty() && ((number.front() >= '0' && number.front() <= '9') ||
                                                     number.front() == '.');
        const auto r = std::from_chars(number.data(), number.data() + number.size(), d);
        if (!starts_well || r.ec != std::errc() || r.ptr != number.data() + number.size() || !std::isfinite(d))
            fail(path, e, "\"" + text + "\" is not a finite double");
        return Value(negative ? -d : d);
    }

    Value base64(const xml::Element &e, const std::string &path) const {
        try {
            return Value(Base64{base64_decode(e.text())});
        } catch (const Base64Error &b) {
            fail(path, e, std::string("invalid base64 at character ") + std::to_string(b.index()) + ": " + b.what());
        }
    }

    Value structure(const xml::Element &e, const std::string &path) const {
        only_elements(e, path);
        Struct s;
        std::size_t index = 0;
        for (const auto &m : e.elements()) {
            ++index;
            if (!is(m, "member")) fail(path, m, "<" + name_of(m) + "> is not allowed in <struct>");
            only_elements(m, path + "/member[" + std::to_string(index) + "]");
            const xml::Element *name = nullptr, *val = nullptr;
            for (const auto &part : m.elements()) {
                const xml::Element **slot = is(part, "name") ? &name : is(part, "value") ? &val : nullptr;
                if (!slot)
                    fail(path + "/member[" + std::to_string(index) + "]", part,
                         "<" + name_of(part) + "> is not allowed in <member>");
                if (*slot)
                    fail(path + "/member[" + std::to_string(index) + "]", part,
                         "a second <" + part.local_name() + "> in <member>");
                *slot = &part;
            }
            if (!name) fail(path + "/member[" + std::to_string(index) + "]", m, "<member> without <name>");
            const auto member_path = path + "/member(" + name->text() + ")";
            no_children(*name, member_path + "/name");
            if (!val) fail(member_path, m, "<member> without <value>");
            if (s.find(name->text())) fail(member_path, m, "member \"" + name->text() + "\" appears twice");
            s.add(name->text(), value(*val, member_path + "/value"));
        }
        return Value(std::move(s));
    }

    Value array(const xml::Element &e, const std::string &path) const {
        const auto &data = single(e, "data", path);
        const auto data_path = path + "/data";
        only_elements(data, data_path);
        Array items;
        items.reserve(data.elements().size());
        for (const auto &v : data.elements()) {
            const auto item_path = data_path + "/value[" + std::to_string(items.size() + 1) + "]";
            if (!is(v, "value")) fail(data_path, v, "<" + name_of(v) + "> is not allowed in <data>");
            items.push_back(value(v, item_path));
        }
        return Value(std::move(items));
    }

    std::vector<Value> params(const xml::Element &e, const std::string &path) const {
        only_elements(e, path);
        std::vector<Value> result;
        for (const auto &p : e.elements()) {
            const auto param_path = path + "/param[" + std::to_string(result.size() + 1) + "]";
            if (!is(p, "param")) fail(path, p, "<" + name_of(p) + "> is not allowed in <params>");
            result.push_back(value(single(p, "value", param_path), param_path + "/value"));
        }
        return result;
    }

    Fault fault(const xml::Element &e, const std::string &path) const {
        const auto v = value(single(e, "value", path), path + "/value");
        const auto *s = v.as_struct();
        if (!s) fail(path + "/value", e, "a fault must be a struct, not " + std::string(v.type_name()));
        const auto *code = s->find("faultCode");
        const auto *string = s->find("faultString");
        if (!code || !code->as_int()) fail(path + "/value/struct", e, "faultCode is missing or not an int");
        if (!string || !string->as_string()) fail(path + "/value/struct", e, "faultString is missing or not a string");
        return Fault{*code->as_int(), *string->as_string()};
    }

    const xml::Element &root(const xml::Document &doc, std::string_view expected) const {
        const auto &r = doc.root();
        if (!is(r, expected))
            fail(name_of(r), r, "root element <" + name_of(r) + ">, <" + std::string(expected) + "> expected");
        only_elements(r, std::string(expected));
        return r;
    }

private:
    relais_status status_;
    const std::string &what_;
};

}  // namespace

std::string encode_call(const Call &call) {
    if (!is_method_name(call.method))
        throw Error(RELAIS_INTERNAL, "XML-RPC: \"" + call.method + "\" is not a valid method name");
    xml::Writer w;
    w.start("methodCall").element("methodName", call.method);
    write_params(w, call.params);
    w.end();
    return w.str();
}

std::string encode_response(const Value &value) {
    xml::Writer w;
    w.start("methodResponse");
    write_params(w, {value});
    w.end();
    return w.str();
}

std::string encode_fault(const Fault &fault) {
    xml::Writer w;
    w.start("methodResponse").start("fault");
    write_value(w, Value(Struct{{"faultCode", Value(fault.code)}, {"faultString", Value(fault.string)}}));
    w.end().end();
    return w.str();
}

xml::ParseLimits default_limits() {
    xml::ParseLimits limits;
    limits.max_bytes = 64u * 1024u * 1024u;
    return limits;
}

Call decode_call(std::string_view text, relais_status status, const std::string &what, const xml::ParseLimits &limits) {
    const Decoder d(status, what);
    const auto doc = xml::parse(text, status, what, limits);
    const auto &root = d.root(doc, "methodCall");
    const auto &children = root.elements();
    if (children.empty() || !Decoder::is(children.front(), "methodName"))
        d.fail("methodCall", children.empty() ? root : children.front(), "<methodName> must come first");
    const auto &name = children.front();
    d.no_children(name, "methodCall/methodName");
    Call call;
    call.method = trimmed(name.text());
    if (!is_method_name(call.method))
        d.fail("methodCall/methodName", name, "\"" + call.method + "\" is not a valid method name");
    if (children.size() > 1) {
        if (!Decoder::is(children[1], "params"))
            d.fail("methodCall", children[1], "<" + Decoder::name_of(children[1]) + "> is not allowed here");
        call.params = d.params(children[1], "methodCall/params");
    }
    if (children.size() > 2) d.fail("methodCall", children[2], "<" + Decoder::name_of(children[2]) + "> is not allowed here");
    return call;
}

Response decode_response(std::string_view text, relais_status status, const std::string &what,
                         const xml::ParseLimits &limits) {
    const Decoder d(status, what);
    const auto doc = xml::parse(text, status, what, limits);
    const auto &root = d.root(doc, "methodResponse");
    if (root.elements().size() != 1)
        d.fail("methodResponse", root, "one <params> or one <fault> expected, " +
                                           std::to_string(root.elements().size()) + " elements found");
    const auto &only = root.elements().front();
    if (Decoder::is(only, "fault")) return Response(d.fault(only, "methodResponse/fault"));
    if (!Decoder::is(only, "params"))
        d.fail("methodResponse", only, "<" + Decoder::name_of(only) + "> is not allowed here");
    auto params = d.params(only, "methodResponse/params");
    if (params.size() != 1)
        d.fail("methodResponse/params", only,
               "a response has exactly one <param>, not " + std::to_string(params.size()));
    return Response(std::move(params.front()));
}

}  // namespace relais::support::xmlrpc
