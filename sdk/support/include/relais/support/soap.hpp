// relais/support/soap.hpp: SOAP 1.1 envelopes (Exchange Web Services), both ways.
//
// Writing: write_envelope() puts the caller's Header and Body content, written with an
// xml::Writer (a callback) or given as XML text, inside soap:Envelope, where the soap prefix
// and the caller's extra namespaces are declared:
//
//     const std::vector<xml::Namespace> ews = {{"m", kMessages}, {"t", kTypes}};
//     auto request = soap::write_envelope(ews,
//         [&](xml::Writer &w) { w.start("t:RequestServerVersion").attribute("Version", "Exchange2016").end(); },
//         [&](xml::Writer &w) { w.start("m:GetItem") ... .end(); });
//
// Reading: parse_envelope() checks the envelope (SOAP 1.1 namespace, one Body, Header before
// it) and gives the Header, the Body and the Body's first child; a soap:Fault there is decoded
// into a Fault with its code resolved to (namespace, local name), so
//     fault->code_is(kTypes, "ErrorServerBusy")
// holds whatever prefix the server chose, and the detail stays an element tree for the
// caller to read (EWS puts ResponseCode and MessageXml/Value[@Name=BackOffMilliseconds] there).
// Requests are envelopes too: an emulator reads them with the same function.
#pragma once

#include <relais/support/xml.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relais::support::soap {

inline constexpr std::string_view kEnvelopeNamespace = "http://schemas.xmlsoap.org/soap/envelope/";
// SOAP 1.2's, only to say so when a server answers with it.
inline constexpr std::string_view kSoap12EnvelopeNamespace = "http://www.w3.org/2003/05/soap-envelope";
// The prefix the envelope is written with; the caller's namespaces must not reuse it.
inline constexpr std::string_view kEnvelopePrefix = "soap";

// Writes content at the current position of the envelope's writer; it must close every
// element it opens.
using Content = std::function<void(xml::Writer &)>;

// A SOAP 1.1 request or response as text. `namespaces` are declared on soap:Envelope. An empty
// `header` leaves the Header element out. Misuse throws relais::Error(RELAIS_INTERNAL), values
// XML cannot carry RELAIS_INVALID_INPUT (see xml::Writer).
std::string write_envelope(const std::vector<xml::Namespace> &namespaces, const Content &header,
                           const Content &body);
// The same with Header and Body content given as XML text, checked to be well-formed in
// the envelope's namespaces. An empty `header_xml` leaves the Header element out.
std::string write_envelope_text(const std::vector<xml::Namespace> &namespaces, std::string_view header_xml,
                                std::string_view body_xml);

struct Fault {
    // faultcode resolved against its element's namespaces. When its prefix is not declared,
    // ns stays empty and local/prefix are split from the text; `code_text` keeps it as sent.
    xml::QName code;
    std::string code_text;
    std::string string;                 // faultstring
    std::optional<std::string> actor;   // faultactor
    std::optional<xml::Element> detail; // the detail element, children as sent

    bool code_is(std::string_view ns, std::string_view local) const { return code.ns == ns && code.local == local; }
    // The first child of detail with that name; nullptr without one (or without a detail).
    const xml::Element *detail_child(std::string_view ns, std::string_view local) const;
    // Its trimmed text; nullopt when absent.
    std::optional<std::string> detail_text(std::string_view ns, std::string_view local) const;
};

// A SOAP 1.1 Fault response (what an emulator answers, with HTTP 500). `code` is written as
// prefix:local with its namespace declared on faultcode; a code in the envelope namespace
// (Client, Server, ...) uses the envelope's prefix. `detail` writes the detail's children;
// empty leaves detail out.
std::string write_fault(const xml::QName &code, std::string_view faultstring, const Content &detail = {},
                        const std::optional<std::string> &actor = std::nullopt);

// A parsed envelope. Move-only (it owns the document its elements point into).
class Envelope {
public:
    const xml::Element &envelope() const { return document_.root(); }
    const xml::Element *header() const { return header_; }
    const xml::Element &body() const { return *body_; }
    // The first element inside Body (the operation's response, or the Fault); nullptr when
    // the Body is empty.
    const xml::Element *content() const { return content_; }
    const std::optional<Fault> &fault() const { return fault_; }
    bool is_fault() const { return fault_.has_value(); }

    // The Body's first child when it is not a fault. A fault is thrown as fault_error(fault,
    // fault_status, what); an empty Body as relais::Error(empty_status).
    const xml::Element &content_or_throw(relais_status fault_status, relais_status empty_status,
                                         const std::string &what) const;

private:
    friend Envelope parse_envelope(std::string_view, relais_status, const std::string &, const xml::ParseLimits &);
    explicit Envelope(xml::Document document) : document_(std::move(document)) {}
    xml::Document document_;
    const xml::Element *header_ = nullptr;
    const xml::Element *body_ = nullptr;
    const xml::Element *content_ = nullptr;
    std::optional<Fault> fault_;
};

// Parses a SOAP 1.1 envelope with xml::parse's safety rules. Not XML, not an Envelope in the
// SOAP 1.1 namespace, no Body or two, a Header after the Body, and a Fault without
// faultcode or faultstring are relais::Error(status) naming `what` and the position.
Envelope parse_envelope(std::string_view text, relais_status status, const std::string &what,
                        const xml::ParseLimits &limits = {});

// The fault as relais::Error(status): message "<what>: SOAP fault <code_text>: <faultstring>",
// detail JSON {"faultcode", "faultcode_namespace", "faultcode_name", "faultstring"
// [, "faultactor"]}, and the given retry delay (for rate limits read from the detail).
Error fault_error(const Fault &fault, relais_status status, const std::string &what,
                  std::chrono::milliseconds retry_after = std::chrono::milliseconds(0));
[[noreturn]] void throw_fault(const Fault &fault, relais_status status, const std::string &what,
                              std::chrono::milliseconds retry_after = std::chrono::milliseconds(0));

}  // namespace relais::support::soap
