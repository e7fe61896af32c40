// The signature a receiver checks: HMAC-SHA256 as RFC 4231 defines it, in the header format
// the README documents.
#include "events/event_signature.hpp"

#include <catch2/catch.hpp>

using namespace relais::host::events;

TEST_CASE("events: HMAC-SHA256 gives the RFC 4231 test vectors", "[events][signature]") {
    // Test case 2: a short key.
    CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 6: a key larger than the block, hashed first.
    CHECK(hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First") ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    // Test case 1: 20 bytes of 0x0b.
    CHECK(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There") ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST_CASE("events: the signature header signs the time and the exact body", "[events][signature]") {
    const std::string body = R"({"id":"evt_1","type":"invoice.paid"})";
    const auto header = signature_header("whsec-0123456789abcdef", 1780000000, body);
    CHECK(header == "t=1780000000,v1=" + hmac_sha256_hex("whsec-0123456789abcdef", "1780000000." + body));
    CHECK(header != signature_header("whsec-0123456789abcdef", 1780000001, body));
    CHECK(header != signature_header("whsec-0123456789abcdeF", 1780000000, body));
    CHECK(header != signature_header("whsec-0123456789abcdef", 1780000000, body + " "));
}
