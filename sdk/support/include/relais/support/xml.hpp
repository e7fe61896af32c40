// relais/support/xml.hpp: reading and writing the XML that connectors exchange (SOAP, XML-RPC).
//
// Reading. parse() turns a document into a small read-only tree of elements with their
// namespace URIs resolved. It is built from Poco's SAX parser rather than kept as a Poco DOM,
// because the SAX events are where the safety rules can be enforced: the parse stops at the
// DOCTYPE, before any declaration in it is read, and at the element that goes one level too
// deep, instead of after a whole DOM was built. The tree is also plain values (no reference
// counting, copyable), which is what a connector wants when it keeps a fault's detail.
//
// Safety rules, always on:
//   - any DOCTYPE is refused: upstream APIs never need one, and refusing it outright closes
//     entity expansion bombs ("billion laughs") and external entities (XXE) in one rule;
//   - external entities and external DTDs are never fetched (also switched off in the parser,
//     and the entity resolver refuses everything, in case a future parser ignores the rule);
//   - the input size and the element depth are capped (ParseLimits).
//
// Elements are found by (namespace URI, local name), never by prefix: a server may use any
// prefix, or none, for the same namespace. Missing elements read as absent (a null pointer,
// an empty Ref or std::nullopt); required() turns absence into a relais::Error naming the path.
//
// Writing. Writer builds a document or a fragment as a string, escaping text and attribute
// values. Characters that XML 1.0 cannot carry (C0 controls other than tab, LF and CR,
// U+FFFE, U+FFFF) and invalid UTF-8 are refused with relais::Error(RELAIS_INVALID_INPUT),
// never dropped: silently changing a value sent upstream would be worse than an error.
#pragma once

#include <relais/plugin.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relais::support::xml {

// The namespace bound to the "xml" prefix in every document (xml:lang, xml:space).
inline constexpr std::string_view kXmlNamespace = "http://www.w3.org/XML/1998/namespace";

struct ParseLimits {
    std::size_t max_bytes = 16u * 1024u * 1024u;  // input size, checked before parsing
    std::size_t max_depth = 100;                   // nesting of elements; the root is depth 1
};

// A name resolved against the namespaces in scope: {uri}local. `prefix` is as written.
struct QName {
    std::string ns;
    std::string local;
    std::string prefix;
    bool operator==(const QName &other) const { return ns == other.ns && local == other.local; }
};

struct Attribute {
    std::string ns;     // empty for an unprefixed attribute (no default namespace for those)
    std::string local;
    std::string qname;  // as written, e.g. "xml:lang"
    std::string value;
};

enum class Trim { no, yes };

class Element;

// A nullable view of an element that remembers the path it was reached by, so lookups can be
// chained without checks and a missing step is reported by name:
//     Ref(envelope).child(ns, "Body").child(m, "FindItemResponse").required(status, "EWS answer")
class Ref {
public:
    Ref() = default;
    Ref(const Element &element);  // NOLINT(google-explicit-constructor): a found element is a Ref
    Ref(const Element *element, std::string path);

    Ref child(std::string_view ns, std::string_view local) const;
    // The first child element whatever its name (SOAP Body content).
    Ref first_child() const;

    explicit operator bool() const { return element_ != nullptr; }
    const Element *get() const { return element_; }
    const Element *operator->() const { return element_; }
    const std::string &path() const { return path_; }

    std::optional<std::string> text(Trim trim = Trim::yes) const;
    std::optional<std::string> attribute(std::string_view local) const;
    // The element, or relais::Error(status) "<what>: element <path> is missing".
    const Element &required(relais_status status, const std::string &what) const;

private:
    const Element *element_ = nullptr;
    std::string path_;  // local names from where the chain started, e.g. "Envelope/Body/Fault"
};

class Element {
public:
    const std::string &ns() const { return ns_; }
    const std::string &local_name() const { return local_; }
    const std::string &prefix() const { return prefix_; }
    // The name as written: "prefix:local" or "local".
    std::string qname() const { return prefix_.empty() ? local_ : prefix_ + ":" + local_; }
    bool is(std::string_view ns, std::string_view local) const { return ns_ == ns && local_ == local; }

    // Where the start tag is, 1-based, for messages.
    int line() const { return line_; }
    int column() const { return column_; }

    const std::vector<Element> &elements() const { return children_; }
    // The first child element with that name; nullptr when there is none.
    const Element *child(std::string_view ns, std::string_view local) const;
    std::vector<const Element *> children(std::string_view ns, std::string_view local) const;
    // The first child with that name whose attribute `attribute` (unprefixed) equals `value`,
    // e.g. child_where(t, "Value", "Name", "BackOffMilliseconds").
    const Element *child_where(std::string_view ns, std::string_view local, std::string_view attribute,
                               std::string_view value) const;
    const Element *first_child() const { return children_.empty() ? nullptr : &children_.front(); }

    // The character data directly inside this element (not its children's), CDATA included,
    // entity and character references replaced. Trim::yes strips XML whitespace at both ends.
    std::string text(Trim trim = Trim::no) const;
    // The trimmed text of the first child with that name; nullopt when the child is absent.
    std::optional<std::string> child_text(std::string_view ns, std::string_view local,
                                          Trim trim = Trim::yes) const;

    const std::vector<Attribute> &attributes() const { return attributes_; }
    // An unprefixed attribute (the usual case: Id="...", ResponseClass="...").
    std::optional<std::string> attribute(std::string_view local) const;
    std::optional<std::string> attribute(std::string_view ns, std::string_view local) const;

    // The namespace a prefix stands for here ("" = the default namespace, which may be none:
    // then the result is an empty string). nullopt when the prefix is not declared.
    std::optional<std::string> namespace_of(std::string_view prefix) const;
    // Resolves a QName written in content or in an attribute value ("a:ErrorServerBusy", as
    // in a SOAP faultcode) against the namespaces in scope here. nullopt when the text is not
    // a QName or its prefix is not declared.
    std::optional<QName> resolve_qname(std::string_view text) const;

    struct Scope;  // the namespace declarations in scope, shared with the ancestors'

private:
    friend class TreeBuilder;
    std::string ns_, local_, prefix_;
    std::vector<Attribute> attributes_;
    std::vector<Element> children_;
    std::string text_;
    std::shared_ptr<const Scope> scope_;
    int line_ = 0, column_ = 0;
};

// A parsed document. Move-only: the root lives on the heap so pointers and Refs to its
// elements stay valid when the Document moves.
class Document {
public:
    explicit Document(std::unique_ptr<Element> root) : root_(std::move(root)) {}
    const Element &root() const { return *root_; }

private:
    std::unique_ptr<Element> root_;
};

// Parses `text` with namespaces on and the safety rules above. Every failure is
// relais::Error(status) whose message starts with `what` and gives the line and column when
// the position is known: "Exchange answer: XML not well-formed at line 3, column 7: ...".
Document parse(std::string_view text, relais_status status, const std::string &what,
               const ParseLimits &limits = {});

// Escaping alone, for callers that assemble XML themselves. Both refuse what XML 1.0 cannot
// carry (see above). Text escapes & < > and CR (a parser would turn a bare CR into LF);
// attribute values also escape " ' and TAB/LF (attribute normalisation would make them spaces).
std::string escape_text(std::string_view text);
std::string escape_attribute(std::string_view value);

struct Namespace {
    std::string prefix;  // "" declares the default namespace
    std::string uri;
};

// Builds XML as a string. Misuse (a bad name, an undeclared prefix, an attribute after
// content, end() with nothing open, str() with elements open) is a programming error and
// throws relais::Error(RELAIS_INTERNAL); a value XML cannot carry throws RELAIS_INVALID_INPUT.
//
//     xml::Writer w;
//     w.start("t:CalendarItem").declare("t", kTypes).attribute("Id", id)
//      .element("t:Subject", subject).end();
//     std::string text = w.str();
//
// An element with no content is written self-closed (<a/>); call text("") to get <a></a>.
class Writer {
public:
    // A whole document: an XML declaration and exactly one root element.
    Writer();
    // Content placed later inside an element where `in_scope` is declared (a SOAP body given
    // as text): no declaration, any number of top-level elements, and those prefixes usable.
    static Writer fragment(std::vector<Namespace> in_scope = {});

    Writer &start(std::string_view qname);
    Writer &declare(std::string_view prefix, std::string_view uri);  // on the element just started
    Writer &attribute(std::string_view qname, std::string_view value);
    Writer &text(std::string_view text);
    // An XML fragment inserted as is, after checking it is well-formed and that its prefixes
    // are declared here (it is parsed inside the namespaces in scope).
    Writer &raw(std::string_view fragment);
    Writer &end();
    // start(qname), text(text), end().
    Writer &element(std::string_view qname, std::string_view text);

    // How many elements are open (a callback that writes content can be checked with it).
    std::size_t depth() const { return open_.size(); }
    // The namespaces in scope at the current position, innermost last.
    std::vector<Namespace> in_scope() const;
    // The finished text; every element must be closed.
    std::string str() const;

private:
    struct Open {
        std::string qname;
        std::size_t scope_size;  // namespaces_ size before this element's declarations
        std::vector<std::string> attribute_names;
        bool has_content = false;
    };
    void close_start_tag();
    void check_prefix(std::string_view qname, bool is_attribute) const;

    bool document_ = true;
    bool start_tag_open_ = false;
    std::size_t roots_ = 0;
    std::string out_;
    std::vector<Open> open_;
    std::vector<Namespace> namespaces_;
};

}  // namespace relais::support::xml
