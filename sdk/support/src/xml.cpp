// The safe parser and the element tree (relais/support/xml.hpp).
#include <relais/support/xml.hpp>

#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/ContentHandler.h>
#include <Poco/SAX/EntityResolver.h>
#include <Poco/SAX/LexicalHandler.h>
#include <Poco/SAX/Locator.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/SAXParser.h>

#include <string>
#include <utility>

namespace relais::support::xml {

struct Element::Scope {
    std::string prefix;
    std::string uri;
    std::shared_ptr<const Scope> outer;
};

namespace {

bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string trimmed(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && is_xml_space(s[b])) ++b;
    while (e > b && is_xml_space(s[e - 1])) --e;
    return std::string(s.substr(b, e - b));
}

// The reason Poco gives without its own " in line L column C" suffix (0-based columns, which
// would disagree with ours).
std::string reason_of(const Poco::XML::SAXParseException &e) {
    std::string m = e.message();
    const auto at = m.rfind(" in line ");
    if (at != std::string::npos) m.erase(at);
    return m.empty() ? e.displayText() : m;
}

std::string at_position(int line, int column) {
    return " at line " + std::to_string(line) + ", column " + std::to_string(column);
}

// Thrown from the SAX callbacks to stop the parse; turned into relais::Error by parse(),
// which knows the status and the name of what is parsed.
struct Refusal {
    std::string reason;
    int line;
    int column;
};

// Refuses every external entity, should the parser ever ask for one despite the features
// being off.
class NoEntities : public Poco::XML::EntityResolver {
public:
    Poco::XML::InputSource *resolveEntity(const Poco::XML::XMLString *, const Poco::XML::XMLString &systemId) override {
        throw Refusal{"external entity \"" + systemId + "\" refused", 0, 0};
    }
    void releaseInputSource(Poco::XML::InputSource *) override {}
};

}  // namespace

// Builds the tree from SAX events; refuses DOCTYPEs and too deep nesting as they come.
class TreeBuilder : public Poco::XML::ContentHandler, public Poco::XML::LexicalHandler {
public:
    explicit TreeBuilder(std::size_t max_depth) : max_depth_(max_depth) {}

    std::unique_ptr<Element> take_root() { return std::move(root_); }

    void setDocumentLocator(const Poco::XML::Locator *locator) override { locator_ = locator; }
    void startDocument() override {}
    void endDocument() override {}

    void startPrefixMapping(const Poco::XML::XMLString &prefix, const Poco::XML::XMLString &uri) override {
        pending_.emplace_back(prefix, uri);
    }
    void endPrefixMapping(const Poco::XML::XMLString &) override {}

    void startElement(const Poco::XML::XMLString &uri, const Poco::XML::XMLString &local,
                      const Poco::XML::XMLString &qname, const Poco::XML::Attributes &attributes) override {
        if (open_.size() >= max_depth_)
            refuse("elements nested deeper than " + std::to_string(max_depth_) + " levels");
        Element *element = nullptr;
        if (open_.empty()) {
            root_ = std::make_unique<Element>();
            element = root_.get();
        } else {
            // Only the innermost open element's children grow, so the pointers to the open
            // ancestors (each the last child of its parent) stay valid.
            open_.back()->children_.emplace_back();
            element = &open_.back()->children_.back();
        }
        element->ns_ = uri;
        element->local_ = local;
        const auto colon = qname.find(':');
        if (colon != std::string::npos) element->prefix_ = qname.substr(0, colon);
        element->line_ = line();
        element->column_ = column();
        element->scope_ = open_.empty() ? nullptr : open_.back()->scope_;
        for (auto &[prefix, ns] : pending_)
            element->scope_ = std::make_shared<const Element::Scope>(
                Element::Scope{std::move(prefix), std::move(ns), element->scope_});
        pending_.clear();
        element->attributes_.reserve(static_cast<std::size_t>(attributes.getLength()));
        for (int i = 0; i < attributes.getLength(); ++i) {
            const auto &name = attributes.getQName(i);
            if (name == "xmlns" || name.rfind("xmlns:", 0) == 0) continue;  // declarations, kept in scope_
            element->attributes_.push_back(
                Attribute{attributes.getURI(i), attributes.getLocalName(i), name, attributes.getValue(i)});
        }
        open_.push_back(element);
    }

    void endElement(const Poco::XML::XMLString &, const Poco::XML::XMLString &, const Poco::XML::XMLString &) override {
        open_.pop_back();
    }

    void characters(const Poco::XML::XMLChar ch[], int start, int length) override {
        if (!open_.empty()) open_.back()->text_.append(ch + start, static_cast<std::size_t>(length));
    }
    void ignorableWhitespace(const Poco::XML::XMLChar ch[], int start, int length) override {
        characters(ch, start, length);
    }
    void processingInstruction(const Poco::XML::XMLString &, const Poco::XML::XMLString &) override {}
    void skippedEntity(const Poco::XML::XMLString &name) override {
        refuse("entity reference &" + name + "; cannot be resolved");
    }

    // The DOCTYPE is refused at its start, before its internal subset (entity declarations)
    // or an external DTD is read.
    void startDTD(const Poco::XML::XMLString &name, const Poco::XML::XMLString &, const Poco::XML::XMLString &) override {
        refuse("a DOCTYPE (<!DOCTYPE " + name + ">) is not accepted");
    }
    void endDTD() override {}
    void startEntity(const Poco::XML::XMLString &) override {}
    void endEntity(const Poco::XML::XMLString &) override {}
    void startCDATA() override {}
    void endCDATA() override {}
    void comment(const Poco::XML::XMLChar[], int, int) override {}

private:
    int line() const { return locator_ ? locator_->getLineNumber() : 0; }
    int column() const { return locator_ ? locator_->getColumnNumber() + 1 : 0; }  // expat's are 0-based
    [[noreturn]] void refuse(const std::string &reason) const { throw Refusal{reason, line(), column()}; }

    std::size_t max_depth_;
    const Poco::XML::Locator *locator_ = nullptr;
    std::unique_ptr<Element> root_;
    std::vector<Element *> open_;
    std::vector<std::pair<std::string, std::string>> pending_;
};

Document parse(std::string_view text, relais_status status, const std::string &what, const ParseLimits &limits) {
    if (text.size() > limits.max_bytes)
        throw Error(status, what + ": XML document of " + std::to_string(text.size()) +
                                " bytes is larger than the limit of " + std::to_string(limits.max_bytes));
    TreeBuilder builder(limits.max_depth);
    NoEntities no_entities;
    Poco::XML::SAXParser parser;
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, true);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACE_PREFIXES, true);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
    parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
    parser.setEntityResolver(&no_entities);
    parser.setContentHandler(&builder);
    parser.setProperty(Poco::XML::XMLReader::PROPERTY_LEXICAL_HANDLER,
                       static_cast<Poco::XML::LexicalHandler *>(&builder));
    try {
        parser.parseMemoryNP(text.data(), text.size());
    } catch (const Refusal &r) {
        throw Error(status, what + ": XML refused" + (r.line > 0 ? at_position(r.line, r.column) : "") + ": " +
                                r.reason);
    } catch (const Poco::XML::SAXParseException &e) {
        throw Error(status, what + ": XML not well-formed" + at_position(e.getLineNumber(), e.getColumnNumber() + 1) +
                                ": " + reason_of(e));
    } catch (const Poco::Exception &e) {
        throw Error(status, what + ": XML not readable: " + e.displayText());
    }
    auto root = builder.take_root();
    if (!root) throw Error(status, what + ": XML document has no root element");
    return Document(std::move(root));
}

// --- Element -----------------------------------------------------------------------------

const Element *Element::child(std::string_view ns, std::string_view local) const {
    for (const auto &c : children_)
        if (c.is(ns, local)) return &c;
    return nullptr;
}

std::vector<const Element *> Element::children(std::string_view ns, std::string_view local) const {
    std::vector<const Element *> found;
    for (const auto &c : children_)
        if (c.is(ns, local)) found.push_back(&c);
    return found;
}

const Element *Element::child_where(std::string_view ns, std::string_view local, std::string_view attribute_name,
                                    std::string_view value) const {
    for (const auto &c : children_)
        if (c.is(ns, local) && c.attribute(attribute_name) == value) return &c;
    return nullptr;
}

std::string Element::text(Trim trim) const { return trim == Trim::yes ? trimmed(text_) : text_; }

std::optional<std::string> Element::child_text(std::string_view ns, std::string_view local, Trim trim) const {
    const auto *c = child(ns, local);
    if (!c) return std::nullopt;
    return c->text(trim);
}

std::optional<std::string> Element::attribute(std::string_view local) const {
    for (const auto &a : attributes_)
        if (a.ns.empty() && a.local == local) return a.value;
    return std::nullopt;
}

std::optional<std::string> Element::attribute(std::string_view ns, std::string_view local) const {
    for (const auto &a : attributes_)
        if (a.ns == ns && a.local == local) return a.value;
    return std::nullopt;
}

std::optional<std::string> Element::namespace_of(std::string_view prefix) const {
    if (prefix == "xml") return std::string(kXmlNamespace);
    for (const Scope *s = scope_.get(); s; s = s->outer.get())
        if (s->prefix == prefix) return s->uri;
    if (prefix.empty()) return std::string();  // no default namespace declared: none
    return std::nullopt;
}

std::optional<QName> Element::resolve_qname(std::string_view text) const {
    const std::string name = trimmed(text);
    if (name.empty()) return std::nullopt;
    const auto colon = name.find(':');
    QName q;
    if (colon == std::string::npos) {
        q.local = name;
    } else {
        if (colon == 0 || colon + 1 == name.size() || name.find(':', colon + 1) != std::string::npos)
            return std::nullopt;
        q.prefix = name.substr(0, colon);
        q.local = name.substr(colon + 1);
    }
    for (char c : name)
        if (is_xml_space(c)) return std::nullopt;
    auto ns = namespace_of(q.prefix);
    if (!ns) return std::nullopt;
    q.ns = std::move(*ns);
    return q;
}

// --- Ref ---------------------------------------------------------------------------------

Ref::Ref(const Element &element) : element_(&element), path_(element.local_name()) {}
Ref::Ref(const Element *element, std::string path) : element_(element), path_(std::move(path)) {}

Ref Ref::child(std::string_view ns, std::string_view local) const {
    std::string path = path_.empty() ? std::string(local) : path_ + "/" + std::string(local);
    return Ref(element_ ? element_->child(ns, local) : nullptr, std::move(path));
}

Ref Ref::first_child() const {
    const Element *c = element_ ? element_->first_child() : nullptr;
    return Ref(c, path_ + "/" + (c ? c->local_name() : std::string("*")));
}

std::optional<std::string> Ref::text(Trim trim) const {
    if (!element_) return std::nullopt;
    return element_->text(trim);
}

std::optional<std::string> Ref::attribute(std::string_view local) const {
    if (!element_) return std::nullopt;
    return element_->attribute(local);
}

const Element &Ref::required(relais_status status, const std::string &what) const {
    if (!element_) throw Error(status, what + ": element " + path_ + " is missing");
    return *element_;
}

}  // namespace relais::support::xml
