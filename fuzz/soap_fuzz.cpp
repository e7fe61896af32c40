// The SOAP envelope reader on arbitrary bytes: it must either read an envelope or throw
// relais::Error. What it reads is written back (the whole tree through xml::Writer, a fault
// through soap::write_fault) and must read back the same.
#include "xml_tree.hpp"

#include <relais/support/soap.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace soap = relais::support::soap;
namespace xml = relais::support::xml;
using relais::fuzz::require;

namespace {

// Every QName-looking text resolves or not, without failing.
void visit(const xml::Element &e) {
    (void)e.resolve_qname(e.text());
    for (const auto &a : e.attributes()) (void)e.resolve_qname(a.value);
    for (const auto &c : e.elements()) visit(c);
}

void tree_round_trip(const xml::Element &root) {
    if (relais::fuzz::uses_xml_namespace_for_elements(root)) return;
    xml::Writer w;
    relais::fuzz::write_tree(w, root);
    // Prefixes declared on every element add no depth; the size can grow, so no size cap.
    xml::ParseLimits limits;
    limits.max_bytes = static_cast<std::size_t>(-1);
    const auto again = xml::parse(w.str(), RELAIS_INTERNAL, "again", limits);
    require(relais::fuzz::same_tree(root, again.root()));
}

void fault_round_trip(const soap::Fault &fault) {
    if (fault.code.ns == xml::kXmlNamespace) return;
    // A resolved code is written with its namespace; an unresolved one as the text it was.
    const bool resolved = !fault.code.ns.empty();
    const xml::QName code = resolved ? fault.code : xml::QName{"", fault.code_text, ""};
    if (code.local.empty()) return;
    soap::Content detail;
    if (fault.detail && !relais::fuzz::uses_xml_namespace_for_elements(*fault.detail))
        detail = [&](xml::Writer &w) {
            for (const auto &c : fault.detail->elements()) relais::fuzz::write_tree(w, c);
        };
    std::string written;
    try {
        written = soap::write_fault(code, fault.string, detail, fault.actor);
    } catch (const relais::Error &e) {
        // A code's local part that is not a name (faultcode text is free) cannot be written.
        require(e.status() == RELAIS_INTERNAL || e.status() == RELAIS_INVALID_INPUT);
        return;
    }
    const auto again = soap::parse_envelope(written, RELAIS_INTERNAL, "again", {static_cast<std::size_t>(-1), 200});
    require(again.is_fault());
    require(resolved ? again.fault()->code_is(code.ns, code.local) : again.fault()->code_text == fault.code_text);
    require(again.fault()->string == fault.string);
    require(again.fault()->actor == fault.actor);
    if (detail) {
        require(again.fault()->detail.has_value());
        require(again.fault()->detail->elements().size() == fault.detail->elements().size());
        for (std::size_t i = 0; i < fault.detail->elements().size(); ++i)
            require(relais::fuzz::same_tree(fault.detail->elements()[i], again.fault()->detail->elements()[i]));
    }
    require(soap::fault_error(fault, RELAIS_TRANSIENT, "fuzz").status() == RELAIS_TRANSIENT);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    std::optional<soap::Envelope> envelope;
    try {
        envelope.emplace(soap::parse_envelope(text, RELAIS_TRANSIENT, "fuzz"));
    } catch (const relais::Error &) {
        return 0;
    }
    require(envelope->body().is(soap::kEnvelopeNamespace, "Body"));
    visit(envelope->envelope());
    tree_round_trip(envelope->envelope());
    if (envelope->fault()) fault_round_trip(*envelope->fault());
    try {
        (void)envelope->content_or_throw(RELAIS_TRANSIENT, RELAIS_INTERNAL, "fuzz");
    } catch (const relais::Error &) {
    }
    return 0;
}
