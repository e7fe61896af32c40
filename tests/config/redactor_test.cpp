#include "config/redactor.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>

#include <atomic>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using relais::host::Redactor;

namespace {

// How Poco::JSON, which the host's HTTP API uses, writes {"password": value}.
std::string poco_json_body(const std::string &value) {
    Poco::JSON::Object body;
    body.set("password", value);
    std::ostringstream out;
    body.stringify(out);
    return out.str();
}

}  // namespace

TEST_CASE("redactor: replaces every occurrence of every secret", "[redactor]") {
    Redactor redactor;
    CHECK(redactor.empty());
    CHECK(redactor.apply("nothing to hide here") == "nothing to hide here");
    CHECK_FALSE(redactor.contains_secret("nothing to hide here"));

    REQUIRE(redactor.add("s3cr3t-token"));
    REQUIRE(redactor.add("hunter2!"));
    REQUIRE(redactor.add("hunter2!"));  // again: still hidden, nothing changes
    CHECK_FALSE(redactor.empty());

    CHECK(redactor.apply("Authorization: Bearer s3cr3t-token") == "Authorization: Bearer [redacted]");
    CHECK(redactor.apply("s3cr3t-token,hunter2!,s3cr3t-token") == "[redacted],[redacted],[redacted]");
    CHECK(redactor.apply("login=alice&password=hunter2!&again=hunter2!") ==
          "login=alice&password=[redacted]&again=[redacted]");
    CHECK(redactor.apply("") == "");
    CHECK(redactor.apply("no secret, only s3cr3t and hunter2") == "no secret, only s3cr3t and hunter2");
    CHECK(redactor.contains_secret("x hunter2! y"));
    CHECK_FALSE(redactor.contains_secret("hunter2"));
}

TEST_CASE("redactor: hides the JSON-escaped spellings of a secret", "[redactor]") {
    Redactor redactor;
    const std::string secret = "p\"a\\s/s\n\x1f\xc3\xa9";  // p"a\s/s<LF><US>é
    REQUIRE(redactor.add(secret));

    SECTION("as Poco::JSON writes it") {
        const auto body = poco_json_body(secret);
        REQUIRE(body == "{\"password\":\"p\\\"a\\\\s/s\\n\\u001F\xc3\xa9\"}");
        CHECK(redactor.contains_secret(body));
        CHECK(redactor.apply(body) == "{\"password\":\"[redacted]\"}");
    }
    SECTION("with lower-case hex, an escaped slash, escaped non-ASCII (PHP's json_encode)") {
        CHECK(redactor.apply(R"({"password":"p\"a\\s/s\n\u001f)" "\xc3\xa9\"}") == R"({"password":"[redacted]"})");
        CHECK(redactor.apply(R"({"password":"p\"a\\s\/s\n\u001f\u00e9"})") == R"({"password":"[redacted]"})");
        CHECK(redactor.apply(R"({"password":"p\"a\\s\/s\n\u001F\u00E9"})") == R"({"password":"[redacted]"})");
    }
    SECTION("as is, in a log line") {
        CHECK(redactor.apply("password=" + secret + ";") == "password=[redacted];");
    }
    SECTION("characters beyond the BMP become a surrogate pair") {
        Redactor emoji;
        REQUIRE(emoji.add("key-\xf0\x9f\x98\x80"));  // key-😀
        CHECK(emoji.apply(R"({"k":"key-\ud83d\ude00"})") == R"({"k":"[redacted]"})");
    }
}

TEST_CASE("redactor: a secret containing another or overlapping it is hidden whole", "[redactor]") {
    Redactor redactor;
    REQUIRE(redactor.add("cdef"));
    REQUIRE(redactor.add("abcdefgh"));
    // Replacing "cdef" first would leave "ab[redacted]gh", giving away most of the longer one.
    CHECK(redactor.apply("x abcdefgh x") == "x [redacted] x");
    CHECK(redactor.apply("x cdef x") == "x [redacted] x");

    // Neither contains the other: whichever came first, a part of the other would be left.
    Redactor overlapping;
    REQUIRE(overlapping.add("123456"));
    REQUIRE(overlapping.add("456789"));
    CHECK(overlapping.apply("<123456789>") == "<[redacted]>");

    // Overlapping occurrences of one secret.
    Redactor repeated;
    REQUIRE(repeated.add("aaaa"));
    CHECK(repeated.apply("baaaaaab") == "b[redacted]b");
    // Adjacent ones are replaced one by one.
    CHECK(repeated.apply("aaaa-aaaa") == "[redacted]-[redacted]");
}

TEST_CASE("redactor: refuses secrets shorter than four characters", "[redactor]") {
    Redactor redactor;
    CHECK_FALSE(redactor.add(""));
    CHECK_FALSE(redactor.add("abc"));
    CHECK_FALSE(redactor.add("\xc3\xa9\xc3\xa9\xc3\xa9"));  // "ééé": six bytes, three characters
    CHECK(redactor.empty());
    CHECK(redactor.apply("abc") == "abc");

    CHECK(redactor.add("abcd"));
    CHECK(redactor.apply("abcd abc") == "[redacted] abc");

    CHECK(redactor.add_all({"x", "long-enough", "yz", "another-one"}) == 2);
    CHECK(redactor.apply("x long-enough yz another-one") == "x [redacted] yz [redacted]");
    CHECK(redactor.add_all({}) == 0);
}

TEST_CASE("redactor: apply and add from several threads at once", "[redactor]") {
    constexpr int kSecrets = 200;
    constexpr int kReaders = 4;
    std::vector<std::string> secrets;
    std::string text;
    for (int i = 0; i < kSecrets; ++i) {
        secrets.push_back("secret-" + std::to_string(1000 + i));
        text += secrets.back() + " ";
    }

    Redactor redactor;
    std::atomic<int> published{0};  // secrets[0, published) have been added
    std::atomic<int> leaks{0};
    std::atomic<int> rounds{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < kReaders; ++r) {
        readers.emplace_back([&] {
            // Whatever the interleaving, a secret added before apply() starts is hidden.
            for (bool last = false; !last;) {
                last = published.load(std::memory_order_acquire) == kSecrets;
                const int known = published.load(std::memory_order_acquire);
                const auto redacted = redactor.apply(text);
                for (int i = 0; i < known; ++i)
                    if (redacted.find(secrets[static_cast<size_t>(i)]) != std::string::npos) ++leaks;
                ++rounds;
            }
        });
    }
    for (int i = 0; i < kSecrets; ++i) {
        if (i % 2 == 0)
            redactor.add(secrets[static_cast<size_t>(i)]);
        else
            redactor.add_all({secrets[static_cast<size_t>(i)]});
        published.store(i + 1, std::memory_order_release);
    }
    for (auto &reader : readers) reader.join();

    CHECK(leaks == 0);
    CHECK(rounds >= kReaders);
    std::string expected;
    for (int i = 0; i < kSecrets; ++i) expected += "[redacted] ";
    CHECK(redactor.apply(text) == expected);
}
