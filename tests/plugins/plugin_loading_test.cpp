// Loading plugins from a directory, and every way a library is refused without harming the
// others or the host.
#include "plugin_files.hpp"
#include "temp_dir.hpp"

#include "plugins/load_error.hpp"
#include "plugins/plugin_registry.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace relais;
using relais::test::copy_plugin;
using relais::test::test_plugin_case_dir;
namespace fs = std::filesystem;

namespace {

// The refusal reason for `file`, or "" when it was not refused.
std::string refusal_of(const host::PluginRegistry &registry, const std::string &file) {
    for (const auto &r : registry.refusals())
        if (r.file == file) return r.reason;
    return {};
}

void add_diagnostics(const fs::path &dir) { copy_plugin(test::built_plugin_dir(), "diagnostics", dir); }

}  // namespace

TEST_CASE("loader: every built plugin loads with its descriptor", "[loader]") {
    const auto registry = host::PluginRegistry::scan(test::built_plugin_dir());
    for (const auto &r : registry.refusals()) FAIL("refused: " << r.line());
    for (const auto *name : {"diagnostics", "chorus", "sirene", "exchange", "universign", "mindee"}) {
        INFO(name);
        const auto *plugin = registry.find(name);
        REQUIRE(plugin);
        CHECK(plugin->lib->descriptor().name == name);
        CHECK(plugin->lib->abi_version() == 1);
        CHECK_FALSE(plugin->lib->descriptor().settings_schema.empty());
    }
    const auto &diag = registry.find("diagnostics")->lib->descriptor();
    CHECK(diag.version == "1.0.0");
    CHECK(diag.find_action("echo"));
    CHECK(diag.has_test);
}

TEST_CASE("loader: a text file named .so is refused and the others still load", "[loader]") {
    test::TempDir dir;
    add_diagnostics(dir.path());
    SECTION("without a manifest") {
        std::ofstream(dir / "notes.so") << "this is not a library\n";
        const auto registry = host::PluginRegistry::scan(dir.path());
        CHECK(registry.find("diagnostics"));
        CHECK_THAT(refusal_of(registry, "notes.so"), Catch::Contains("no manifest notes.manifest.json"));
    }
    SECTION("with a manifest whose hash matches, so the loader gets as far as opening it") {
        std::ofstream(dir / "notes.so") << "this is not a library\n";
        std::ofstream(dir / "notes.manifest.json")
            << R"({"name":"notes","version":"1.0.0","abi":{"min":1,"max":1},"library":"notes.so","sha256":")"
            << host::sha256_of_file(dir / "notes.so") << "\"}";
        const auto registry = host::PluginRegistry::scan(dir.path());
        CHECK(registry.find("diagnostics"));
        CHECK_THAT(refusal_of(registry, "notes.so"), Catch::Contains("cannot be loaded as a shared library"));
    }
}

TEST_CASE("loader: a foreign system library is refused for lack of a manifest", "[loader]") {
    test::TempDir dir;
    add_diagnostics(dir.path());
    fs::copy_file("/lib/x86_64-linux-gnu/libz.so.1", dir / "libz.so");
    const auto registry = host::PluginRegistry::scan(dir.path());
    CHECK(registry.find("diagnostics"));
    CHECK_THAT(refusal_of(registry, "libz.so"), Catch::Contains("no manifest"));
}

TEST_CASE("loader: a library whose bytes differ from its manifest's hash is refused before loading", "[loader]") {
    test::TempDir dir;
    add_diagnostics(dir.path());
    std::ofstream(dir / "diagnostics.so", std::ios::app) << "tampered";
    const auto registry = host::PluginRegistry::scan(dir.path());
    CHECK_FALSE(registry.find("diagnostics"));
    CHECK_THAT(refusal_of(registry, "diagnostics.so"), Catch::Contains("does not match the manifest"));
}

TEST_CASE("loader: malformed manifests are refused with the field named", "[loader]") {
    test::TempDir dir;
    add_diagnostics(dir.path());
    const auto manifest = dir / "diagnostics.manifest.json";
    const auto digest = host::sha256_of_file(dir / "diagnostics.so");
    auto write = [&](const std::string &text) { std::ofstream(manifest, std::ios::trunc) << text; };
    std::string expected;
    SECTION("not JSON") {
        write("{ name: diagnostics");
        expected = "is not valid JSON";
    }
    SECTION("missing version") {
        write(R"({"name":"diagnostics","abi":{"min":1,"max":1},"library":"diagnostics.so","sha256":")" + digest + "\"}");
        expected = "lacks the string field \"version\"";
    }
    SECTION("bad version") {
        write(R"({"name":"diagnostics","version":"1.0","abi":{"min":1,"max":1},"library":"diagnostics.so","sha256":")" + digest + "\"}");
        expected = "\"1.0\" is not a semantic version";
    }
    SECTION("library field names another file") {
        write(R"({"name":"diagnostics","version":"1.0.0","abi":{"min":1,"max":1},"library":"other.so","sha256":")" + digest + "\"}");
        expected = "describes library \"other.so\"";
    }
    SECTION("disagrees with the descriptor") {
        write(R"({"name":"diagnostics","version":"1.0.1","abi":{"min":1,"max":1},"library":"diagnostics.so","sha256":")" + digest + "\"}");
        expected = "descriptor says diagnostics 1.0.0 but the manifest says diagnostics 1.0.1";
    }
    const auto registry = host::PluginRegistry::scan(dir.path());
    CHECK_FALSE(registry.find("diagnostics"));
    CHECK_THAT(refusal_of(registry, "diagnostics.so"), Catch::Contains(expected));
}

TEST_CASE("loader: ABI versions the host does not speak are refused naming both", "[loader]") {
    test::TempDir dir;
    SECTION("the library negotiates a version outside the host's range") {
        copy_plugin(test_plugin_case_dir("wrong_abi"), "wrong_abi", dir.path());
        const auto registry = host::PluginRegistry::scan(dir.path());
        CHECK_THAT(refusal_of(registry, "wrong_abi.so"),
                   Catch::Contains("the plugin speaks v99, this host speaks v1"));
    }
    SECTION("the manifest already declares a range the host does not speak") {
        copy_plugin(test_plugin_case_dir("future_abi"), "future_abi", dir.path());
        const auto registry = host::PluginRegistry::scan(dir.path());
        CHECK_THAT(refusal_of(registry, "future_abi.so"), Catch::Contains("speaks plugin ABI v7..v9, this host speaks v1"));
    }
}

TEST_CASE("loader: a library without the entry symbol is refused", "[loader]") {
    test::TempDir dir;
    copy_plugin(test_plugin_case_dir("no_entry"), "no_entry", dir.path());
    const auto registry = host::PluginRegistry::scan(dir.path());
    CHECK_THAT(refusal_of(registry, "no_entry.so"), Catch::Contains("has no entry symbol relais_plugin_entry"));
}

TEST_CASE("loader: an init that fails is refused with its reason", "[loader]") {
    test::TempDir dir;
    copy_plugin(test_plugin_case_dir("failing_init"), "failing_init", dir.path());
    add_diagnostics(dir.path());
    const auto registry = host::PluginRegistry::scan(dir.path());
    CHECK_FALSE(registry.find("failing_init"));
    CHECK(registry.find("diagnostics"));
    CHECK_THAT(refusal_of(registry, "failing_init.so"), Catch::Contains("init failed (internal): cannot open its resources"));
}

TEST_CASE("loader: invalid descriptors are refused", "[loader]") {
    test::TempDir dir;
    copy_plugin(test_plugin_case_dir("bad_schema"), "bad_schema", dir.path());
    copy_plugin(test_plugin_case_dir("name_mismatch"), "name_mismatch", dir.path());
    const auto registry = host::PluginRegistry::scan(dir.path());
    CHECK(registry.plugins().empty());
    CHECK_THAT(refusal_of(registry, "bad_schema.so"), Catch::Contains("invalid descriptor: settings schema"));
    CHECK_THAT(refusal_of(registry, "name_mismatch.so"),
               Catch::Contains("descriptor says someone_else 1.0.0 but the manifest says name_mismatch 1.0.0"));
}

TEST_CASE("loader: two libraries with the same plugin name: the higher version wins", "[loader]") {
    test::TempDir dir;
    add_diagnostics(dir.path());
    SECTION("a newer version") {
        copy_plugin(test_plugin_case_dir("diagnostics_v2"), "diagnostics-2.0.0", dir.path());
        const auto registry = host::PluginRegistry::scan(dir.path());
        REQUIRE(registry.find("diagnostics"));
        CHECK(registry.find("diagnostics")->lib->descriptor().version == "2.0.0");
        CHECK(refusal_of(registry, "diagnostics.so") ==
              "plugin 'diagnostics' 1.0.0 ignored: diagnostics-2.0.0.so provides 2.0.0");
    }
    SECTION("the same version: the first file in name order wins, the other names it") {
        copy_plugin(test_plugin_case_dir("diagnostics_copy"), "diagnostics-copy", dir.path());
        const auto registry = host::PluginRegistry::scan(dir.path());
        REQUIRE(registry.find("diagnostics"));
        CHECK(registry.find("diagnostics")->lib->path().filename() == "diagnostics-copy.so");
        CHECK(refusal_of(registry, "diagnostics.so") ==
              "plugin 'diagnostics' 1.0.0 ignored: diagnostics-copy.so provides 1.0.0");
    }
}

TEST_CASE("loader: a manifest without its library and a missing directory are reported", "[loader]") {
    test::TempDir dir;
    std::ofstream(dir / "ghost.manifest.json") << "{}";
    auto registry = host::PluginRegistry::scan(dir.path());
    CHECK(refusal_of(registry, "ghost.manifest.json") == "manifest without its library ghost.so");

    registry = host::PluginRegistry::scan(dir / "nowhere");
    REQUIRE(registry.refusals().size() == 1);
    CHECK_THAT(registry.refusals()[0].reason, Catch::Contains("does not exist"));
}
