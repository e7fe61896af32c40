// SOAP 1.1 envelopes and faults (relais/support/soap.hpp).
#include <relais/support/soap.hpp>

namespace relais::support::soap {

namespace {

const std::string kEnvelope(kEnvelopeNamespace);
const std::string kSoapPrefix(kEnvelopePrefix);

std::string qualified(std::string_view local) { return kSoapPrefix + ":" + std::string(local); }

// Starts soap:Envelope with its declarations; refuses a caller namespace on the soap prefix.
void start_envelope(xml::Writer &w, const std::vector<xml::Namespace> &namespaces) {
    w.start(qualified("Envelope")).declare(kSoapPrefix, kEnvelope);
    for (const auto &ns : namespaces) {
        if (ns.prefix == kSoapPrefix)
            throw Error(RELAIS_INTERNAL, "SOAP envelope: the prefix \"" + kSoapPrefix + "\" is the envelope's own");
        w.declare(ns.prefix, ns.uri);
    }
}

void write_content(xml::Writer &w, std::string_view element, const Content &content) {
    w.start(qualified(element));
    const auto depth = w.depth();
    content(w);
    if (w.depth() != depth)
        throw Error(RELAIS_INTERNAL, "SOAP envelope: the " + std::string(element) + " content left elements open");
    w.end();
}

std::string where(const xml::Element &e) {
    return " (line " + std::to_string(e.line()) + ", column " + std::to_string(e.column()) + ")";
}

// Fault's children are unqualified in SOAP 1.1; some toolkits qualify them with the envelope
// namespace, which is accepted too.
const xml::Element *fault_part(const xml::Element &fault, std::string_view local) {
    if (const auto *e = fault.child("", local)) return e;
    return fault.child(kEnvelope, local);
}

Fault read_fault(const xml::Element &element, relais_status status, const std::string &what) {
    const auto *code = fault_part(element, "faultcode");
    const auto *string = fault_part(element, "faultstring");
    if (!code) throw Error(status, what + ": SOAP Fault without faultcode" + where(element));
    if (!string) throw Error(status, what + ": SOAP Fault without faultstring" + where(element));
    Fault fault;
    fault.code_text = code->text(xml::Trim::yes);
    if (auto q = code->resolve_qname(fault.code_text)) {
        fault.code = std::move(*q);
    } else {
        // Kept readable rather than refused: the fault is still the server's answer.
        const auto colon = fault.code_text.find(':');
        fault.code.local = colon == std::string::npos ? fault.code_text : fault.code_text.substr(colon + 1);
        if (colon != std::string::npos) fault.code.prefix = fault.code_text.substr(0, colon);
    }
    fault.string = string->text(xml::Trim::yes);
    if (const auto *actor = fault_part(element, "faultactor")) fault.actor = actor->text(xml::Trim::yes);
    if (const auto *detail = fault_part(element, "detail")) fault.detail = *detail;
    return fault;
}

}  // namespace

std::string write_envelope(const std::vector<xml::Namespace> &namespaces, const Content &header, const Content &body) {
    xml::Writer w;
    start_envelope(w, namespaces);
    if (header) write_content(w, "Header", header);
    write_content(w, "Body", body ? body : Content([](xml::Writer &) {}));
    w.end();
    return w.str();
}

std::string write_envelope_text(const std::vector<xml::Namespace> &namespaces, std::string_view header_xml,
                                std::string_view body_xml) {
    const Content header = [&](xml::Writer &w) { w.raw(header_xml); };
    const Content body = [&](xml::Writer &w) { w.raw(body_xml); };
    return write_envelope(namespaces, header_xml.empty() ? Content() : header, body);
}

std::string write_fault(const xml::QName &code, std::string_view faultstring, const Content &detail,
                        const std::optional<std::string> &actor) {
    xml::Writer w;
    start_envelope(w, {});
    w.start(qualified("Body")).start(qualified("Fault"));
    w.start("faultcode");
    if (code.ns == kEnvelope) {
        w.text(qualified(code.local));
    } else if (code.ns.empty()) {
        w.text(code.local);
    } else {
        const std::string prefix = code.prefix.empty() || code.prefix == kSoapPrefix ? "c" : code.prefix;
        w.declare(prefix, code.ns).text(prefix + ":" + code.local);
    }
    w.end();
    w.element("faultstring", faultstring);
    if (actor) w.element("faultactor", *actor);
    if (detail) {
        w.start("detail");
        const auto depth = w.depth();
        detail(w);
        if (w.depth() != depth) throw Error(RELAIS_INTERNAL, "SOAP fault: the detail content left elements open");
        w.end();
    }
    w.end().end().end();
    return w.str();
}

const xml::Element *Fault::detail_child(std::string_view ns, std::string_view local) const {
    return detail ? detail->child(ns, local) : nullptr;
}

std::optional<std::string> Fault::detail_text(std::string_view ns, std::string_view local) const {
    const auto *e = detail_child(ns, local);
    if (!e) return std::nullopt;
    return e->text(xml::Trim::yes);
}

Envelope parse_envelope(std::string_view text, relais_status status, const std::string &what,
                        const xml::ParseLimits &limits) {
    Envelope envelope(xml::parse(text, status, what, limits));
    const auto &root = envelope.envelope();
    if (root.local_name() == "Envelope" && root.ns() == kSoap12EnvelopeNamespace)
        throw Error(status, what + ": a SOAP 1.2 envelope, SOAP 1.1 expected");
    if (!root.is(kEnvelope, "Envelope"))
        throw Error(status, what + ": root element {" + root.ns() + "}" + root.local_name() +
                                " is not a SOAP 1.1 Envelope");
    for (const auto &child : root.elements()) {
        if (child.is(kEnvelope, "Header")) {
            if (envelope.header_) throw Error(status, what + ": SOAP Envelope with two Headers" + where(child));
            if (envelope.body_) throw Error(status, what + ": SOAP Header after the Body" + where(child));
            envelope.header_ = &child;
        } else if (child.is(kEnvelope, "Body")) {
            if (envelope.body_) throw Error(status, what + ": SOAP Envelope with two Bodies" + where(child));
            envelope.body_ = &child;
        }
        // Other children (SOAP 1.1 allows qualified ones after the Body) are left to the caller.
    }
    if (!envelope.body_) throw Error(status, what + ": SOAP Envelope without a Body");
    envelope.content_ = envelope.body_->first_child();
    if (envelope.content_ && envelope.content_->is(kEnvelope, "Fault"))
        envelope.fault_ = read_fault(*envelope.content_, status, what);
    return envelope;
}

const xml::Element &Envelope::content_or_throw(relais_status fault_status, relais_status empty_status,
                                               const std::string &what) const {
    if (fault_) throw_fault(*fault_, fault_status, what);
    if (!content_) throw Error(empty_status, what + ": the SOAP Body is empty");
    return *content_;
}

Error fault_error(const Fault &fault, relais_status status, const std::string &what,
                  std::chrono::milliseconds retry_after) {
    Json detail = new Poco::JSON::Object;
    detail->set("faultcode", fault.code_text);
    detail->set("faultcode_namespace", fault.code.ns);
    detail->set("faultcode_name", fault.code.local);
    detail->set("faultstring", fault.string);
    if (fault.actor) detail->set("faultactor", *fault.actor);
    return Error(status, what + ": SOAP fault " + fault.code_text + ": " + fault.string, detail, retry_after);
}

void throw_fault(const Fault &fault, relais_status status, const std::string &what,
                 std::chrono::milliseconds retry_after) {
    throw fault_error(fault, status, what, retry_after);
}

}  // namespace relais::support::soap
