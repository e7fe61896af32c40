// relais/support/bytes.hpp: base64 both ways, digests, constant-time comparison.
#include <relais/support/bytes.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace relais::support;
using namespace std::string_literals;

namespace {

std::string all_bytes() {
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
    return bytes;
}

std::size_t bad_index(const std::string &text) {
    try {
        base64_decode(text);
    } catch (const Base64Error &e) {
        return e.index();
    }
    FAIL("decoded without error: " << text);
    return 0;
}

}  // namespace

TEST_CASE("bytes: base64 of the RFC 4648 test vectors, both ways", "[support][bytes]") {
    const std::pair<const char *, const char *> vectors[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    for (const auto &[plain, encoded] : vectors) {
        CHECK(base64_encode(plain) == encoded);
        CHECK(base64_decode(encoded) == plain);
        CHECK(base64_encoded_size(std::string(plain).size()) == std::string(encoded).size());
    }
}

TEST_CASE("bytes: every byte value survives a round trip, NUL included", "[support][bytes]") {
    const auto bytes = all_bytes() + all_bytes().substr(0, 7);
    const auto encoded = base64_encode(bytes);
    CHECK(encoded.find_first_of("\r\n") == std::string::npos);  // one line
    CHECK(base64_decode(encoded) == bytes);
    CHECK(base64url_decode(base64url_encode(bytes)) == bytes);
    CHECK(base64url_decode(base64url_encode(bytes, true)) == bytes);
}

TEST_CASE("bytes: base64url uses - and _ and leaves out the padding", "[support][bytes]") {
    CHECK(base64_encode("\xfb\xff\xbf") == "+/+/");
    CHECK(base64url_encode("\xfb\xff\xbf") == "-_-_");
    CHECK(base64url_encode("f") == "Zg");
    CHECK(base64url_encode("f", true) == "Zg==");
    CHECK(base64url_decode("Zg") == "f");
    CHECK(base64url_decode("-_-_") == "\xfb\xff\xbf");
    CHECK_THROWS_AS(base64url_decode("+/+/"), Base64Error);
    CHECK_THROWS_AS(base64_decode("-_-_"), Base64Error);
}

TEST_CASE("bytes: line breaks and spaces of MIME exports are skipped", "[support][bytes]") {
    CHECK(base64_decode("Zm9v\r\nYmFy\r\n") == "foobar");
    CHECK(base64_decode("Zm9v\nYmFy") == "foobar");
    CHECK(base64_decode(" Zm9v YmE= ") == "fooba");
    CHECK(base64_decode("Zm9vYg=\r\n=") == "foob");
}

TEST_CASE("bytes: strict decoding names the index of the first bad character", "[support][bytes]") {
    CHECK(bad_index("Zm9v*mFy") == 4);
    CHECK(bad_index("Zm9v\tYmFy") == 4);  // a tab is not one of the skipped characters
    CHECK(bad_index("Zm9v" "\0"s "YmFy") == 4);
    CHECK(bad_index("Zm9vYmFy\xc3\xa9") == 8);
    CHECK(bad_index("Zg==Zg==") == 4);  // data after the padding: two texts glued together
    CHECK(bad_index("Z===") == 1);      // '=' where no padding can be
    CHECK(bad_index("Zm9v=") == 4);
    CHECK(bad_index("Zm8==") == 4);     // one '=' too many
    CHECK(bad_index("Zg=") == 2);       // incomplete padding
    CHECK(bad_index("Zg") == 2);        // no padding: the text ends too early
    CHECK(bad_index("Zm9vY") == 5);     // a lone character
    CHECK(bad_index("Zh==") == 1);      // unused bits set: not what an encoder writes
    try {
        base64_decode("Zm9v*mFy");
    } catch (const Base64Error &e) {
        CHECK_THAT(e.what(), Catch::Contains("'*'") && Catch::Contains("index 4"));
    }
}

TEST_CASE("bytes: SHA-256 of the FIPS 180-2 examples, lowercase hex", "[support][bytes]") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(hex_encode("\x00\x0f\xf0\xff"s) == "000ff0ff");
}

TEST_CASE("bytes: HMAC-SHA256 of the RFC 4231 test cases", "[support][bytes]") {
    // Test case 1: a 20-byte key of 0x0b.
    CHECK(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There") ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Test case 2: a key shorter than the block.
    CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 6: a key longer than the block (131 bytes of 0xaa) is hashed first.
    CHECK(hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First") ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("bytes: constant-time comparison is an equality test", "[support][bytes]") {
    CHECK(constant_time_equal("", ""));
    CHECK(constant_time_equal("5bdcc146", "5bdcc146"));
    CHECK_FALSE(constant_time_equal("5bdcc146", "5bdcc147"));
    CHECK_FALSE(constant_time_equal("5bdcc146", "Xbdcc146"));
    CHECK_FALSE(constant_time_equal("5bdcc146", "5bdcc14"));
    CHECK_FALSE(constant_time_equal("a\0b"s, "a\0c"s));
}
