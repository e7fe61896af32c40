// Helpers of the XML fuzz targets: an element tree written back with the writer, and two
// trees compared, so a target can check that writing what was read reads back the same.
#pragma once

#include <relais/support/xml.hpp>

#include <cstdlib>
#include <string>

namespace relais::fuzz {

namespace xml = relais::support::xml;

// Whether the tree uses the xml namespace for an element (legal but rare; the writer only
// lets attributes use the xml prefix), which the copy below cannot write.
inline bool uses_xml_namespace_for_elements(const xml::Element &e) {
    if (e.ns() == xml::kXmlNamespace) return true;
    for (const auto &c : e.elements())
        if (uses_xml_namespace_for_elements(c)) return true;
    return false;
}

// Writes `e` with a prefix of its own for every namespace (declared on each element: verbose,
// valid), its direct text first and its children after: what the tree keeps reads back equal.
inline void write_tree(xml::Writer &w, const xml::Element &e) {
    w.start(e.ns().empty() ? e.local_name() : "e:" + e.local_name());
    if (!e.ns().empty()) w.declare("e", e.ns());
    int n = 0;
    for (const auto &a : e.attributes()) {
        if (a.ns.empty()) {
            w.attribute(a.local, a.value);
        } else if (a.ns == xml::kXmlNamespace) {
            w.attribute("xml:" + a.local, a.value);
        } else {
            const auto prefix = "a" + std::to_string(n++);
            w.declare(prefix, a.ns).attribute(prefix + ":" + a.local, a.value);
        }
    }
    if (!e.text().empty()) w.text(e.text());
    for (const auto &c : e.elements()) write_tree(w, c);
    w.end();
}

inline bool same_tree(const xml::Element &a, const xml::Element &b) {
    if (a.ns() != b.ns() || a.local_name() != b.local_name() || a.text() != b.text()) return false;
    if (a.attributes().size() != b.attributes().size() || a.elements().size() != b.elements().size()) return false;
    for (std::size_t i = 0; i < a.attributes().size(); ++i) {
        const auto &x = a.attributes()[i];
        const auto &y = b.attributes()[i];
        if (x.ns != y.ns || x.local != y.local || x.value != y.value) return false;
    }
    for (std::size_t i = 0; i < a.elements().size(); ++i)
        if (!same_tree(a.elements()[i], b.elements()[i])) return false;
    return true;
}

// A property that does not hold is a bug: stop here so the fuzzer keeps the input.
inline void require(bool condition) {
    if (!condition) std::abort();
}

}  // namespace relais::fuzz
