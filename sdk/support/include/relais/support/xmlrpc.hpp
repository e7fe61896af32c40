// relais/support/xmlrpc.hpp: XML-RPC (the Universign signature service), client and server side.
//
// Values cover every type of the specification (xmlrpc.com/spec): int / i4 (32-bit signed),
// boolean, string (also the untyped <value>text</value>), double, dateTime.iso8601, base64,
// struct (members kept in order) and array, plus <nil/>, a common extension (Apache XML-RPC,
// xmlrpc-c, Python) that a server may send for an absent value.
//
// Encoding writes ints as <i4> (what Universign's server emits), strings as <string>, empty
// structs as <struct></struct> (as recorded on the wire), doubles without an exponent.
//
// Decoding is strict, because a response read wrongly is worse than one refused: an unknown
// type element, two values in one <value>, text beside a typed value, a member without a
// <name> or a <value>, two members with the same name, an int outside 32 bits, a boolean
// other than 0 or 1, a double that is not a finite number, base64 that does not decode, an
// unexpected element anywhere, or the wrong root element, are all relais::Error(status) whose
// message names the path and the position:
//     "Universign answer: methodResponse/params/param/value/struct/member(id)/value/i4:
//      \"12x\" is not a 32-bit integer (line 1, column 120)"
// Leniencies, documented: numbers, booleans and dates may be surrounded by whitespace; a
// double may have an exponent (several libraries write one); a fault struct may carry
// members besides faultCode and faultString (they are ignored).
#pragma once

#include <relais/support/xml.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace relais::support::xmlrpc {

struct Nil {
    bool operator==(const Nil &) const { return true; }
};

// A dateTime.iso8601 as sent: the text is kept (XML-RPC dates have no zone, and servers
// differ in format), and parsed on demand.
class DateTime {
public:
    explicit DateTime(std::string text) : text_(std::move(text)) {}
    // The specification's format in UTC, to the second: "19980717T14:08:55".
    static DateTime from(std::chrono::system_clock::time_point time);

    const std::string &text() const { return text_; }
    // Accepted: YYYYMMDDTHH:MM:SS (the specification's), YYYY-MM-DDTHH:MM:SS, YYYYMMDDTHHMMSS,
    // each with optional fractional seconds (.digits) and an optional zone (Z, +HH:MM, +HHMM,
    // +HH, or the same with -). Without a zone the time is read as UTC, as Universign's
    // clients do. nullopt when the text is none of these or names an impossible date.
    std::optional<std::chrono::system_clock::time_point> to_time_point() const;

    bool operator==(const DateTime &other) const { return text_ == other.text_; }

private:
    std::string text_;
};

// base64 content, decoded: any bytes (kept apart from string so each is encoded as sent).
struct Base64 {
    std::string bytes;
    bool operator==(const Base64 &other) const { return bytes == other.bytes; }
};

class Value;
struct Member;

// Members in the order sent; names are case-sensitive and unique.
//
// Member is incomplete here (it holds a Value, which holds a Struct): every member function
// that touches the vector is defined after Member, below, or in the source file.
class Struct {
public:
    Struct();
    Struct(std::initializer_list<Member> members);  // refuses a repeated name (RELAIS_INTERNAL)
    Struct(const Struct &other);
    Struct(Struct &&other) noexcept;
    Struct &operator=(const Struct &other);
    Struct &operator=(Struct &&other) noexcept;
    ~Struct();

    // Appends a member; a name already present throws relais::Error(RELAIS_INTERNAL).
    Struct &add(std::string name, Value value);
    // The member's value; nullptr when absent.
    const Value *find(std::string_view name) const;
    const std::vector<Member> &members() const { return members_; }
    std::size_t size() const;
    bool empty() const;
    bool operator==(const Struct &other) const;

private:
    std::vector<Member> members_;
};

using Array = std::vector<Value>;

enum class Type { nil, integer, boolean, string, real, datetime, base64, array, structure };

class Value {
public:
    Value() : v_(Nil{}) {}
    Value(Nil n) : v_(n) {}
    Value(std::int32_t i) : v_(i) {}
    Value(bool b) : v_(b) {}
    Value(std::string s) : v_(std::move(s)) {}
    Value(const char *s) : v_(std::string(s)) {}
    Value(double d) : v_(d) {}
    Value(DateTime d) : v_(std::move(d)) {}
    Value(Base64 b) : v_(std::move(b)) {}
    Value(Array a) : v_(std::move(a)) {}
    Value(Struct s) : v_(std::move(s)) {}

    Type type() const { return static_cast<Type>(v_.index()); }
    // The element name the type is written with ("i4", "struct", ...).
    const char *type_name() const;

    // Each accessor gives the value when it has that type, nothing otherwise: a connector
    // decides once what a missing or mistyped member means.
    bool is_nil() const { return type() == Type::nil; }
    std::optional<std::int32_t> as_int() const;
    std::optional<bool> as_bool() const;
    std::optional<double> as_double() const;
    const std::string *as_string() const { return std::get_if<std::string>(&v_); }
    const DateTime *as_datetime() const { return std::get_if<DateTime>(&v_); }
    const std::string *as_bytes() const;  // base64's decoded bytes
    const Array *as_array() const { return std::get_if<Array>(&v_); }
    const Struct *as_struct() const { return std::get_if<Struct>(&v_); }
    // The member `name` when this is a struct that has it; nullptr otherwise.
    const Value *member(std::string_view name) const;

    bool operator==(const Value &other) const { return v_ == other.v_; }
    bool operator!=(const Value &other) const { return !(*this == other); }

private:
    // In the order of Type.
    std::variant<Nil, std::int32_t, bool, std::string, double, DateTime, Base64, Array, Struct> v_;
};

struct Member {
    std::string name;
    Value value;
    bool operator==(const Member &other) const { return name == other.name && value == other.value; }
};

inline Struct::Struct(const Struct &) = default;
inline Struct::Struct(Struct &&) noexcept = default;
inline Struct &Struct::operator=(const Struct &) = default;
inline Struct &Struct::operator=(Struct &&) noexcept = default;
inline Struct::~Struct() = default;
inline std::size_t Struct::size() const { return members_.size(); }
inline bool Struct::empty() const { return members_.empty(); }

struct Fault {
    std::int32_t code = 0;
    std::string string;
    bool operator==(const Fault &other) const { return code == other.code && string == other.string; }
};

struct Call {
    std::string method;  // letters, digits, '_', '.', ':' and '/' (the specification's set)
    std::vector<Value> params;
};

// A methodResponse: one value, or a fault.
class Response {
public:
    Response(Value value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    Response(Fault fault) : v_(std::move(fault)) {}  // NOLINT(google-explicit-constructor)

    bool is_fault() const { return std::holds_alternative<Fault>(v_); }
    // Each throws relais::Error(RELAIS_INTERNAL) when the response is the other kind.
    const Value &value() const;
    const Fault &fault() const;
    // The value; a fault is thrown as fault_error(fault, fault_status, what).
    const Value &value_or_throw(relais_status fault_status, const std::string &what) const;

private:
    std::variant<Value, Fault> v_;
};

// Encoding. A method name outside the allowed set throws relais::Error(RELAIS_INTERNAL); a
// string XML 1.0 cannot carry, a double that is not finite, RELAIS_INVALID_INPUT.
std::string encode_call(const Call &call);
std::string encode_response(const Value &value);
std::string encode_fault(const Fault &fault);

// The parse limits used by default: base64 documents make XML-RPC answers large (Universign
// returns signed PDFs of up to 10 MB each), so the size cap is higher than xml's default.
xml::ParseLimits default_limits();

// Decoding (strict, see above). `what` names the document in messages.
Call decode_call(std::string_view text, relais_status status, const std::string &what,
                 const xml::ParseLimits &limits = default_limits());
Response decode_response(std::string_view text, relais_status status, const std::string &what,
                         const xml::ParseLimits &limits = default_limits());

// The fault as relais::Error(status): "<what>: XML-RPC fault <code>: <string>", detail JSON
// {"faultCode", "faultString"}.
Error fault_error(const Fault &fault, relais_status status, const std::string &what);
[[noreturn]] void throw_fault(const Fault &fault, relais_status status, const std::string &what);

}  // namespace relais::support::xmlrpc
