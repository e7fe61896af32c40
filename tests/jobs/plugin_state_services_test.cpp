// The plugin state as a plugin reaches it on the running host: relais_host_services
// state_get/put and state_read/write/list on JobRuntime, through the SDK's relais::Host, with
// the list's JSON and the refusals a plugin sees; and the kit's host_state on top of them.
#include "temp_dir.hpp"

#include "plugins/host_services.hpp"
#include "runtime/job_runtime.hpp"

#include <relais/plugin.hpp>
#include <relais/support/state_store.hpp>

#include <catch2/catch.hpp>

#include <Poco/JSON/Parser.h>

using namespace relais::host;
using relais::test::TempDir;

namespace {

constexpr int64_t T0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z, in ms

}  // namespace

TEST_CASE("plugin state: a plugin's services on the running host read, compare-and-set, list and refuse by name",
          "[jobs][state][services]") {
    TempDir dir;
    JobRuntime::Options options;
    options.workers = 1;
    JobRuntime runtime(dir.path(), options);
    const auto ctx = make_host_ctx("sign", &runtime);
    const auto *services = host_services(&runtime);
    const relais::Host host(services, ctx.get());
    CHECK(host.offers(RELAIS_CAP_STATE | RELAIS_CAP_STATE_V2));

    // The old services are an unconditional write without expiry, and a read.
    host.state_put("envelope/E-1", "open");
    CHECK(host.state_get("envelope/E-1") == "open");
    const auto read = host.state_read("envelope/E-1");
    REQUIRE(read);
    CHECK(read->version == 1);
    const auto refused = host.state_write("envelope/E-1", "done", 0);
    CHECK_FALSE(refused.written);
    CHECK(refused.version == 1);
    CHECK(host.state_write("envelope/E-1", "signed", 1).version == 2);
    CHECK(host.state_get("envelope/E-1") == "signed");
    CHECK(host.state_write("envelope/E-2", "open", 0, std::chrono::hours(24)).written);
    CHECK(runtime.plugin_state().read("sign", "envelope/E-2", T0)->expires_at > T0);
    CHECK_FALSE(runtime.plugin_state().read("chorus", "envelope/E-1", T0));

    // The list as the plugin receives it.
    struct Collected {
        std::string body, message;
    } out;
    relais_output output{};
    output.struct_size = sizeof output;
    output.host_data = &out;
    output.append = [](void *data, const char *bytes, size_t n) {
        static_cast<Collected *>(data)->body.append(bytes, n);
    };
    output.fail = [](void *data, const char *message, const char *, uint64_t) {
        static_cast<Collected *>(data)->message = message;
    };
    REQUIRE(services->state_list(ctx.get(), "envelope/", nullptr, 1, &output) == RELAIS_OK);
    const auto page = Poco::JSON::Parser().parse(out.body).extract<Poco::JSON::Object::Ptr>();
    const auto first = page->getArray("keys")->getObject(0);
    CHECK(first->getValue<std::string>("key") == "envelope/E-1");
    CHECK(first->getValue<uint64_t>("version") == 2);
    CHECK(first->getValue<uint64_t>("size") == 6);
    CHECK(first->isNull("expires_at_ms"));
    CHECK(page->getValue<std::string>("next_cursor") == "envelope/E-1");
    const auto rest = host.state_list("envelope/", std::string("envelope/E-1"), 10);
    CHECK(rest.keys == std::vector<std::string>{"envelope/E-2"});
    CHECK_FALSE(rest.next_cursor);

    // Too large: invalid input, with the message naming the key and the limit.
    try {
        host.state_write("envelope/E-3", std::string(1024 * 1024 + 1, 'x'));
        FAIL("a value over 1 MiB was accepted");
    } catch (const relais::Error &e) {
        CHECK(e.status() == RELAIS_INVALID_INPUT);
        CHECK_THAT(e.what(), Catch::Contains("the value of state key \"envelope/E-3\" is 1048577 bytes; values are "
                                             "at most 1048576 bytes (1 MiB)"));
    }
    CHECK_FALSE(host.state_read("envelope/E-3"));
    // The old services refuse the same, as invalid input (state_put has no room for the
    // reason: the plugin's log gets it).
    try {
        host.state_put("envelope/E-3", std::string(1024 * 1024 + 1, 'x'));
        FAIL("state_put accepted a value over 1 MiB");
    } catch (const relais::Error &e) {
        CHECK(e.status() == RELAIS_INVALID_INPUT);
    }
    try {
        host.state_get(std::string(513, 'k'));
        FAIL("state_get accepted a key over 512 bytes");
    } catch (const relais::Error &e) {
        CHECK(e.status() == RELAIS_INVALID_INPUT);
        CHECK_THAT(e.what(), Catch::Contains("is 513 bytes long; keys are at most 512 bytes"));
    }
}

TEST_CASE("plugin state: the kit's host_state on the running host pages with versions, sizes and expiries",
          "[jobs][state][services]") {
    TempDir dir;
    JobRuntime::Options options;
    options.workers = 1;
    JobRuntime runtime(dir.path(), options);
    const auto ctx = make_host_ctx("exchange", &runtime);
    const relais::Host host(host_services(&runtime), ctx.get());
    REQUIRE(relais::support::host_offers_versioned_state(host));
    const auto state = relais::support::host_state(host);

    for (int i = 0; i < 250; ++i)
        state->put("mailbox/" + std::to_string(1000 + i) + "@example.com", "delta?" + std::to_string(i));
    CHECK(state->write("mailbox/1000@example.com", "delta?next", 1).version == 2);
    CHECK_FALSE(state->write("mailbox/1000@example.com", "lost", 1).written);
    CHECK(state->write("lease/sync", "host-a", 0, std::chrono::minutes(5)).written);

    std::vector<relais::support::StateStore::Key> keys;
    std::optional<std::string> cursor;
    int pages = 0;
    do {
        const auto page = state->list("mailbox/", cursor, 100);
        keys.insert(keys.end(), page.keys.begin(), page.keys.end());
        cursor = page.next_cursor;
        ++pages;
    } while (cursor);
    CHECK(pages == 3);
    REQUIRE(keys.size() == 250);
    CHECK(keys[0].key == "mailbox/1000@example.com");
    CHECK(keys[0].version == 2);
    CHECK(keys[0].size == std::string("delta?next").size());
    CHECK_FALSE(keys[0].expires_at_ms);
    CHECK(keys[249].key == "mailbox/1249@example.com");
    const auto lease = state->list("lease/", std::nullopt, 10);
    REQUIRE(lease.keys.size() == 1);
    REQUIRE(lease.keys[0].expires_at_ms);
    CHECK(*lease.keys[0].expires_at_ms > T0);

    // A key the C services could not carry is refused before it reaches them.
    try {
        state->put(std::string("mailbox/a\0b", 11), "x");
        FAIL("a key with a NUL byte was accepted");
    } catch (const relais::Error &e) {
        CHECK(e.status() == RELAIS_INVALID_INPUT);
    }
    CHECK_FALSE(state->get("mailbox/a"));
}
