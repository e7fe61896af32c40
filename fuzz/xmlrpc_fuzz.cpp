// The XML-RPC decoder on arbitrary bytes: it must either decode or throw relais::Error, and
// whatever it decodes must encode and decode back to the same value (calls, responses, faults).
#include "xml_tree.hpp"

#include <relais/support/xmlrpc.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace xmlrpc = relais::support::xmlrpc;
using relais::fuzz::require;

namespace {

// Re-encoding may add one level (an untyped <value>text</value> becomes <value><string>), so
// the second decoding gets room for it.
relais::support::xml::ParseLimits roomier() {
    auto limits = xmlrpc::default_limits();
    limits.max_depth += 1;
    return limits;
}

void response(std::string_view text) {
    std::optional<xmlrpc::Response> decoded;
    try {
        decoded.emplace(xmlrpc::decode_response(text, RELAIS_TRANSIENT, "fuzz"));
    } catch (const relais::Error &) {
        return;
    }
    if (decoded->is_fault()) {
        const auto again = xmlrpc::decode_response(xmlrpc::encode_fault(decoded->fault()), RELAIS_INTERNAL, "again");
        require(again.is_fault() && again.fault() == decoded->fault());
        const auto error = xmlrpc::fault_error(decoded->fault(), RELAIS_PERMANENT, "fuzz");
        require(error.status() == RELAIS_PERMANENT);
    } else {
        const auto again =
            xmlrpc::decode_response(xmlrpc::encode_response(decoded->value()), RELAIS_INTERNAL, "again", roomier());
        require(!again.is_fault() && again.value() == decoded->value());
    }
}

void call(std::string_view text) {
    std::optional<xmlrpc::Call> decoded;
    try {
        decoded.emplace(xmlrpc::decode_call(text, RELAIS_INVALID_INPUT, "fuzz"));
    } catch (const relais::Error &) {
        return;
    }
    const auto again = xmlrpc::decode_call(xmlrpc::encode_call(*decoded), RELAIS_INTERNAL, "again", roomier());
    require(again.method == decoded->method && again.params == decoded->params);
    for (const auto &p : decoded->params)
        if (const auto *date = p.as_datetime()) (void)date->to_time_point();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    response(text);
    call(text);
    // The date parser on the raw bytes too: it takes any text.
    (void)xmlrpc::DateTime(std::string(text.substr(0, 64))).to_time_point();
    return 0;
}
