// XML-RPC values, structs and dates (relais/support/xmlrpc.hpp).
#include <relais/support/xmlrpc.hpp>

#include <cstdio>

namespace relais::support::xmlrpc {

// --- DateTime ----------------------------------------------------------------------------

namespace {

// A cursor over the date text; each reader consumes what it accepts.
class Reader {
public:
    explicit Reader(std::string_view s) : s_(s) {}
    bool done() const { return i_ == s_.size(); }
    bool accept(char c) {
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    bool peek_digit() const { return i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9'; }
    // Exactly `n` digits.
    std::optional<int> digits(int n) {
        int v = 0;
        for (int k = 0; k < n; ++k) {
            if (!peek_digit()) return std::nullopt;
            v = v * 10 + (s_[i_++] - '0');
        }
        return v;
    }

private:
    std::string_view s_;
    std::size_t i_ = 0;
};

std::string trimmed(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    std::size_t b = 0, e = s.size();
    while (b < e && space(s[b])) ++b;
    while (e > b && space(s[e - 1])) --e;
    return std::string(s.substr(b, e - b));
}

}  // namespace

DateTime DateTime::from(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    const auto seconds = floor<std::chrono::seconds>(time);
    const auto day = floor<days>(seconds);
    const year_month_day date(day);
    const hh_mm_ss clock(seconds - day);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d:%02d:%02d", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()));
    return DateTime(buf);
}

std::optional<std::chrono::system_clock::time_point> DateTime::to_time_point() const {
    using namespace std::chrono;
    const auto text = trimmed(text_);
    Reader r(text);
    const auto y = r.digits(4);
    const bool dashes = r.accept('-');
    const auto mo = r.digits(2);
    if (dashes && !r.accept('-')) return std::nullopt;
    const auto d = r.digits(2);
    if (!y || !mo || !d || !r.accept('T')) return std::nullopt;
    const auto h = r.digits(2);
    const bool colons = r.accept(':');
    const auto mi = r.digits(2);
    if (colons && !r.accept(':')) return std::nullopt;
    const auto s = r.digits(2);
    if (!h || !mi || !s) return std::nullopt;
    nanoseconds fraction{0};
    if (r.accept('.')) {
        if (!r.peek_digit()) return std::nullopt;
        long long scale = 100000000;
        while (r.peek_digit()) {
            fraction += nanoseconds(*r.digits(1) * scale);
            scale /= 10;
        }
    }
    minutes offset{0};
    if (!r.accept('Z')) {
        const bool ahead = r.accept('+');
        if (ahead || r.accept('-')) {
            const auto zh = r.digits(2);
            if (!zh) return std::nullopt;
            std::optional<int> zm = 0;
            if (r.accept(':') || r.peek_digit()) zm = r.digits(2);
            if (!zm || *zh > 23 || *zm > 59) return std::nullopt;
            offset = hours(*zh) + minutes(*zm);
            if (!ahead) offset = -offset;
        }
    }
    if (!r.done()) return std::nullopt;
    const year_month_day date{year(*y), month(static_cast<unsigned>(*mo)), day(static_cast<unsigned>(*d))};
    if (!date.ok() || *h > 23 || *mi > 59 || *s > 59) return std::nullopt;
    const auto local = sys_days(date) + hours(*h) + minutes(*mi) + seconds(*s) + fraction;
    return time_point_cast<system_clock::duration>(local - offset);
}

// --- Struct ------------------------------------------------------------------------------

Struct::Struct() = default;

Struct::Struct(std::initializer_list<Member> members) {
    for (const auto &m : members) add(m.name, m.value);
}

Struct &Struct::add(std::string name, Value value) {
    if (find(name)) throw Error(RELAIS_INTERNAL, "XML-RPC struct: member \"" + name + "\" added twice");
    members_.push_back(Member{std::move(name), std::move(value)});
    return *this;
}

const Value *Struct::find(std::string_view name) const {
    for (const auto &m : members_)
        if (m.name == name) return &m.value;
    return nullptr;
}

bool Struct::operator==(const Struct &other) const { return members_ == other.members_; }

// --- Value -------------------------------------------------------------------------------

const char *Value::type_name() const {
    switch (type()) {
    case Type::nil: return "nil";
    case Type::integer: return "i4";
    case Type::boolean: return "boolean";
    case Type::string: return "string";
    case Type::real: return "double";
    case Type::datetime: return "dateTime.iso8601";
    case Type::base64: return "base64";
    case Type::array: return "array";
    case Type::structure: return "struct";
    }
    return "?";
}

std::optional<std::int32_t> Value::as_int() const {
    if (const auto *i = std::get_if<std::int32_t>(&v_)) return *i;
    return std::nullopt;
}

std::optional<bool> Value::as_bool() const {
    if (const auto *b = std::get_if<bool>(&v_)) return *b;
    return std::nullopt;
}

std::optional<double> Value::as_double() const {
    if (const auto *d = std::get_if<double>(&v_)) return *d;
    return std::nullopt;
}

const std::string *Value::as_bytes() const {
    if (const auto *b = std::get_if<Base64>(&v_)) return &b->bytes;
    return nullptr;
}

const Value *Value::member(std::string_view name) const {
    const auto *s = as_struct();
    return s ? s->find(name) : nullptr;
}

// --- Response ----------------------------------------------------------------------------

const Value &Response::value() const {
    if (is_fault()) throw Error(RELAIS_INTERNAL, "XML-RPC response: a fault, not a value");
    return std::get<Value>(v_);
}

const Fault &Response::fault() const {
    if (!is_fault()) throw Error(RELAIS_INTERNAL, "XML-RPC response: a value, not a fault");
    return std::get<Fault>(v_);
}

const Value &Response::value_or_throw(relais_status fault_status, const std::string &what) const {
    if (is_fault()) throw_fault(std::get<Fault>(v_), fault_status, what);
    return std::get<Value>(v_);
}

Error fault_error(const Fault &fault, relais_status status, const std::string &what) {
    Json detail = new Poco::JSON::Object;
    detail->set("faultCode", fault.code);
    detail->set("faultString", fault.string);
    return Error(status, what + ": XML-RPC fault " + std::to_string(fault.code) + ": " + fault.string, detail);
}

void throw_fault(const Fault &fault, relais_status status, const std::string &what) {
    throw fault_error(fault, status, what);
}

}  // namespace relais::support::xmlrpc
