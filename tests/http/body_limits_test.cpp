#include "http/body_limits.hpp"

#include <catch2/catch.hpp>

#include <limits>

using relais::host::http::BodyKind;
using relais::host::http::BodyLimits;
using relais::host::http::DeclaredInput;

namespace {
constexpr std::uint64_t kMiB = 1024 * 1024;
}

TEST_CASE("body limits: computed from the largest declared input, only for connector inputs", "[body_limits]") {
    BodyLimits limits;
    CHECK(limits.limit(BodyKind::standard) == 10 * kMiB);
    CHECK(limits.limit(BodyKind::connector_input) == 10 * kMiB);
    CHECK_FALSE(limits.largest());

    // Smaller than the default: the default stays.
    CHECK(limits.declare("small", DeclaredInput{"small", "put", 1000}));
    CHECK(limits.limit(BodyKind::connector_input) == 10 * kMiB);

    CHECK(limits.declare("chorus", DeclaredInput{"chorus", "submit_invoice", 13981016}));
    CHECK(limits.limit(BodyKind::connector_input) == 13981016 + BodyLimits::kInputMargin);
    CHECK(limits.limit(BodyKind::standard) == 10 * kMiB);
    CHECK(limits.largest() == DeclaredInput{"chorus", "submit_invoice", 13981016});

    // The same declaration again changes nothing; a new version's replaces the old one.
    CHECK_FALSE(limits.declare("chorus", DeclaredInput{"chorus", "submit_invoice", 13981016}));
    CHECK(limits.declare("chorus", DeclaredInput{"chorus", "submit_invoice", 12 * kMiB}));
    CHECK(limits.limit(BodyKind::connector_input) == 12 * kMiB + BodyLimits::kInputMargin);
    CHECK(limits.declare("chorus", std::nullopt));
    CHECK(limits.largest() == DeclaredInput{"small", "put", 1000});
    CHECK(limits.limit(BodyKind::connector_input) == 10 * kMiB);
}

TEST_CASE("body limits: an absurd declaration does not lift the limit altogether", "[body_limits]") {
    BodyLimits limits;
    limits.declare("huge", DeclaredInput{"huge", "take", std::numeric_limits<std::uint64_t>::max()});
    CHECK(limits.limit(BodyKind::connector_input) == BodyLimits::kMaxBytes);
}

TEST_CASE("body limits: a configured limit applies everywhere and tells what it leaves out", "[body_limits]") {
    BodyLimits limits(kMiB);
    limits.declare("chorus", DeclaredInput{"chorus", "submit_invoice", 13981016});
    CHECK(limits.limit(BodyKind::standard) == kMiB);
    CHECK(limits.limit(BodyKind::connector_input) == kMiB);
    CHECK(limits.declared_input_too_large() == DeclaredInput{"chorus", "submit_invoice", 13981016});

    BodyLimits roomy(20 * kMiB);
    roomy.declare("chorus", DeclaredInput{"chorus", "submit_invoice", 13981016});
    CHECK_FALSE(roomy.declared_input_too_large());
    CHECK_FALSE(BodyLimits().declared_input_too_large());  // a computed limit always fits
}

TEST_CASE("body limits: the 413 names the limit, the setting and the largest declared input", "[body_limits]") {
    BodyLimits computed;
    auto e = computed.too_large(BodyKind::connector_input, 20 * kMiB);
    CHECK(e.status() == 413);
    CHECK(e.error_class() == "payload_too_large");
    CHECK(std::string(e.what()) == "request body of 20971520 bytes exceeds the limit of 10485760 bytes; "
                                   "host.api.max_body_bytes raises it");
    CHECK(e.details()->getValue<std::uint64_t>("limit_bytes") == 10 * kMiB);
    CHECK(e.details()->getValue<std::string>("setting") == "host.api.max_body_bytes");
    CHECK_FALSE(e.details()->has("largest_declared_input"));

    computed.declare("chorus", DeclaredInput{"chorus", "submit_invoice", 13981016});
    e = computed.too_large(BodyKind::connector_input, std::nullopt);
    CHECK(std::string(e.what()) == "request body exceeds the limit of 14046552 bytes; host.api.max_body_bytes "
                                   "raises it; the largest declared input is 13981016 bytes, in connector chorus "
                                   "action submit_invoice");
    const auto input = e.details()->getObject("largest_declared_input");
    REQUIRE(input);
    CHECK(input->getValue<std::string>("connector") == "chorus");
    CHECK(input->getValue<std::string>("action") == "submit_invoice");
    CHECK(input->getValue<std::uint64_t>("bytes") == 13981016);

    BodyLimits configured(kMiB);
    e = configured.too_large(BodyKind::standard, 2 * kMiB);
    CHECK(std::string(e.what()) ==
          "request body of 2097152 bytes exceeds the limit of 1048576 bytes set by host.api.max_body_bytes");
}
