// Escaping and the string builder of relais/support/xml.hpp.
#include <relais/support/xml.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace relais::support::xml {

namespace {

std::string hex_code_point(std::uint32_t cp) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
    return buf;
}

[[noreturn]] void refuse_value(const std::string &reason, std::size_t at) {
    throw Error(RELAIS_INVALID_INPUT, "XML value cannot be written: " + reason + " at byte " + std::to_string(at));
}

// Reads the code point starting at s[i] (valid UTF-8 required) and advances i past it.
std::uint32_t next_code_point(std::string_view s, std::size_t &i) {
    const auto start = i;
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    std::size_t length = 0;
    std::uint32_t cp = 0, min = 0;
    if ((b0 & 0xE0) == 0xC0) length = 2, cp = b0 & 0x1F, min = 0x80;
    else if ((b0 & 0xF0) == 0xE0) length = 3, cp = b0 & 0x0F, min = 0x800;
    else if ((b0 & 0xF8) == 0xF0) length = 4, cp = b0 & 0x07, min = 0x10000;
    else refuse_value("invalid UTF-8", start);
    if (s.size() - start < length) refuse_value("truncated UTF-8 sequence", start);
    for (std::size_t k = 1; k < length; ++k) {
        const auto b = static_cast<unsigned char>(s[start + k]);
        if ((b & 0xC0) != 0x80) refuse_value("invalid UTF-8", start);
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) refuse_value("invalid UTF-8", start);
    i = start + length;
    return cp;
}

// XML 1.0 section 2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
// (surrogates are already refused as invalid UTF-8).
bool is_xml_char(std::uint32_t cp) {
    if (cp < 0x20) return cp == 0x9 || cp == 0xA || cp == 0xD;
    return cp != 0xFFFE && cp != 0xFFFF;
}

std::string escape(std::string_view s, bool attribute) {
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    std::size_t i = 0;
    while (i < s.size()) {
        const auto at = i;
        const auto cp = next_code_point(s, i);
        if (!is_xml_char(cp)) refuse_value("character " + hex_code_point(cp) + " is not allowed in XML 1.0", at);
        switch (cp) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;  // also keeps "]]>" out of text
        case '\r': out += "&#13;"; break;
        case '"': out += attribute ? "&quot;" : "\""; break;
        case '\'': out += attribute ? "&apos;" : "'"; break;
        case '\t': out += attribute ? "&#9;" : "\t"; break;
        case '\n': out += attribute ? "&#10;" : "\n"; break;
        default: out.append(s.substr(at, i - at));
        }
    }
    return out;
}

[[noreturn]] void misuse(const std::string &message) { throw Error(RELAIS_INTERNAL, "XML writer: " + message); }

// A simplified NCName check: ASCII letters, digits, '_', '-', '.', and any non-ASCII byte (the
// name is then checked as UTF-8 by escape()); not starting with a digit, '-' or '.'.
bool is_ncname(std::string_view name) {
    if (name.empty()) return false;
    const auto first = static_cast<unsigned char>(name.front());
    if ((first >= '0' && first <= '9') || first == '-' || first == '.') return false;
    return std::all_of(name.begin(), name.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.' || c >= 0x80;
    });
}

void check_qname(std::string_view qname) {
    const auto colon = qname.find(':');
    const bool ok = colon == std::string_view::npos
                        ? is_ncname(qname)
                        : is_ncname(qname.substr(0, colon)) && is_ncname(qname.substr(colon + 1));
    if (!ok) misuse("\"" + std::string(qname) + "\" is not a valid XML name");
    escape(qname, false);  // refuses invalid UTF-8 in a name
}

}  // namespace

std::string escape_text(std::string_view text) { return escape(text, false); }
std::string escape_attribute(std::string_view value) { return escape(value, true); }

Writer::Writer() { out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"; }

Writer Writer::fragment(std::vector<Namespace> in_scope) {
    Writer w;
    w.document_ = false;
    w.out_.clear();
    w.namespaces_ = std::move(in_scope);
    return w;
}

void Writer::check_prefix(std::string_view qname, bool is_attribute) const {
    const auto colon = qname.find(':');
    if (colon == std::string_view::npos) return;  // default namespace (elements) or none (attributes)
    const auto prefix = qname.substr(0, colon);
    if (is_attribute && prefix == "xml") return;
    for (const auto &ns : namespaces_)
        if (ns.prefix == prefix) return;
    misuse("prefix \"" + std::string(prefix) + "\" of " + std::string(qname) + " is not declared");
}

void Writer::close_start_tag() {
    if (!start_tag_open_) return;
    // Checked here, once the element's own declarations are known.
    const auto &open = open_.back();
    check_prefix(open.qname, false);
    for (const auto &a : open.attribute_names) check_prefix(a, true);
    out_ += '>';
    start_tag_open_ = false;
}

Writer &Writer::start(std::string_view qname) {
    check_qname(qname);
    if (open_.empty()) {
        if (document_ && roots_ > 0) misuse("a document has one root element; " + std::string(qname) + " would be a second");
        ++roots_;
    } else {
        close_start_tag();
        open_.back().has_content = true;
    }
    out_ += '<';
    out_ += qname;
    open_.push_back(Open{std::string(qname), namespaces_.size(), {}, false});
    start_tag_open_ = true;
    return *this;
}

Writer &Writer::declare(std::string_view prefix, std::string_view uri) {
    if (!start_tag_open_) misuse("declare(\"" + std::string(prefix) + "\") must follow start()");
    if (!prefix.empty() && !is_ncname(prefix)) misuse("\"" + std::string(prefix) + "\" is not a valid prefix");
    if (prefix == "xml" || prefix == "xmlns") misuse("the prefix \"" + std::string(prefix) + "\" is reserved");
    if (!prefix.empty() && uri.empty()) misuse("prefix \"" + std::string(prefix) + "\" declared with an empty URI");
    for (std::size_t i = open_.back().scope_size; i < namespaces_.size(); ++i)
        if (namespaces_[i].prefix == prefix) misuse("prefix \"" + std::string(prefix) + "\" declared twice on one element");
    out_ += prefix.empty() ? " xmlns=\"" : " xmlns:" + std::string(prefix) + "=\"";
    out_ += escape_attribute(uri);
    out_ += '"';
    namespaces_.push_back(Namespace{std::string(prefix), std::string(uri)});
    return *this;
}

Writer &Writer::attribute(std::string_view qname, std::string_view value) {
    if (!start_tag_open_) misuse("attribute " + std::string(qname) + " must follow start() before any content");
    check_qname(qname);
    if (qname == "xmlns" || qname.substr(0, 6) == "xmlns:") misuse("namespaces are declared with declare()");
    auto &names = open_.back().attribute_names;
    if (std::find(names.begin(), names.end(), qname) != names.end())
        misuse("attribute " + std::string(qname) + " written twice");
    const auto escaped = escape_attribute(value);  // before changing out_, so a refusal leaves it whole
    names.emplace_back(qname);
    out_ += ' ';
    out_ += qname;
    out_ += "=\"";
    out_ += escaped;
    out_ += '"';
    return *this;
}

Writer &Writer::text(std::string_view text) {
    if (open_.empty()) misuse("text outside any element");
    const auto escaped = escape_text(text);
    close_start_tag();
    open_.back().has_content = true;
    out_ += escaped;
    return *this;
}

Writer &Writer::raw(std::string_view fragment) {
    if (open_.empty() && document_) misuse("raw XML outside the root element");
    // Parsed inside a wrapper carrying the declarations in scope, so an undeclared prefix or a
    // broken tag is found here rather than by the server.
    std::string wrapped = "<w";
    for (const auto &ns : in_scope())
        wrapped += (ns.prefix.empty() ? " xmlns=\"" : " xmlns:" + ns.prefix + "=\"") + escape_attribute(ns.uri) + "\"";
    wrapped += '>';
    wrapped += fragment;
    wrapped += "</w>";
    // The caller wrote it: no cap beyond its own size (an attachment body can be large).
    ParseLimits limits;
    limits.max_bytes = wrapped.size();
    limits.max_depth = 10000;
    try {
        parse(wrapped, RELAIS_INTERNAL, "raw XML fragment", limits);
    } catch (const Error &e) {
        misuse(e.what());
    }
    if (!open_.empty()) {
        close_start_tag();
        open_.back().has_content = true;
    }
    out_ += fragment;
    return *this;
}

Writer &Writer::end() {
    if (open_.empty()) misuse("end() with no element open");
    if (start_tag_open_ && !open_.back().has_content) {
        close_start_tag();
        out_.back() = '/';  // "<a ...>" becomes "<a .../>"
        out_ += '>';
    } else {
        close_start_tag();
        out_ += "</";
        out_ += open_.back().qname;
        out_ += '>';
    }
    namespaces_.resize(open_.back().scope_size);
    open_.pop_back();
    return *this;
}

Writer &Writer::element(std::string_view qname, std::string_view value) { return start(qname).text(value).end(); }

std::vector<Namespace> Writer::in_scope() const {
    // Innermost last; a prefix declared again further in hides the outer one.
    std::vector<Namespace> result;
    for (const auto &ns : namespaces_) {
        result.erase(std::remove_if(result.begin(), result.end(),
                                    [&](const Namespace &n) { return n.prefix == ns.prefix; }),
                     result.end());
        result.push_back(ns);
    }
    return result;
}

std::string Writer::str() const {
    if (!open_.empty()) misuse("element " + open_.back().qname + " is not closed");
    if (document_ && roots_ == 0) misuse("the document has no root element");
    return out_;
}

}  // namespace relais::support::xml
