// Connector settings persisted by the API: atomic private files, safe names, precedence.
#include "config/settings_store.hpp"

#include "temp_dir.hpp"

#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

using namespace relais;
using host::SettingsStore;
using Poco::JSON::Object;
namespace fs = std::filesystem;

namespace {

Object::Ptr object(const std::string &text) {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse(text).extract<Object::Ptr>();
}

std::string text_of(const Object::Ptr &value) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

unsigned mode_of(const fs::path &path) {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 07777u;
}

std::vector<std::string> files_in(const fs::path &dir) {
    std::vector<std::string> names;
    for (const auto &entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

TEST_CASE("settings store: save then load gives the same settings, key order kept", "[settings_store]") {
    test::TempDir dir;
    const SettingsStore store(dir / "data");  // does not exist yet
    CHECK(store.directory() == dir / "data" / "connectors");
    CHECK_FALSE(store.load("chorus"));
    CHECK(store.load_all().empty());
    CHECK_FALSE(fs::exists(dir / "data"));  // reading creates nothing

    const std::string settings =
        R"({"enabled":true,"client_secret":"s3cret","codes":["A","B"],"nested":{"z":1,"a":null}})";
    store.save("chorus", object(settings));
    CHECK(fs::is_regular_file(dir / "data" / "connectors" / "chorus.json"));
    REQUIRE(store.load("chorus"));
    CHECK(text_of(store.load("chorus")) == settings);
    CHECK_FALSE(store.load("sirene"));
    const auto all = store.load_all();
    REQUIRE(all.size() == 1);
    CHECK(text_of(all.at("chorus")) == settings);
}

TEST_CASE("settings store: files are 0600 in a 0700 directory, whatever the umask", "[settings_store]") {
    test::TempDir dir;
    const SettingsStore store(dir.path());
    const mode_t previous = ::umask(0);
    store.save("chorus", object(R"({"client_secret":"s3cret"})"));
    ::umask(previous);
    CHECK(mode_of(dir / "connectors") == 0700u);
    CHECK(mode_of(dir / "connectors" / "chorus.json") == 0600u);

    // Replacing a file that someone made readable makes it private again.
    ::chmod((dir / "connectors" / "chorus.json").c_str(), 0644);
    store.save("chorus", object(R"({"client_secret":"other"})"));
    CHECK(mode_of(dir / "connectors" / "chorus.json") == 0600u);
}

TEST_CASE("settings store: save replaces the file atomically and leaves no temporary file", "[settings_store]") {
    test::TempDir dir;
    const SettingsStore store(dir.path());
    store.save("chorus", object(R"({"version":0})"));
    store.save("chorus", object(R"({"version":1})"));
    CHECK(text_of(store.load("chorus")) == R"({"version":1})");
    CHECK(files_in(dir / "connectors") == std::vector<std::string>{"chorus.json"});

    // Readers never see a partial file while writers replace it: each load is one whole version.
    std::string large(64 * 1024, 'x');
    std::atomic<bool> done{false};
    std::atomic<int> bad_reads{0};
    std::thread reader([&] {
        while (!done) {
            try {
                const auto settings = store.load("chorus");
                if (!settings || !settings->has("version")) ++bad_reads;
            } catch (const std::exception &) {
                ++bad_reads;
            }
        }
    });
    std::vector<std::thread> writers;
    for (int w = 0; w < 2; ++w)
        writers.emplace_back([&, w] {
            for (int i = 0; i < 25; ++i) {
                Object::Ptr settings = new Object;
                settings->set("version", w * 100 + i);
                settings->set("padding", large);
                store.save("chorus", settings);
            }
        });
    for (auto &t : writers) t.join();
    done = true;
    reader.join();
    CHECK(bad_reads == 0);
    CHECK(files_in(dir / "connectors") == std::vector<std::string>{"chorus.json"});
}

TEST_CASE("settings store: a failed save leaves the old file and no temporary file", "[settings_store]") {
    test::TempDir dir;
    const SettingsStore store(dir.path());
    store.save("sirene", object(R"({"kept":true})"));
    // A directory where the file should go: the rename fails, whoever runs the test.
    fs::create_directories(dir / "connectors" / "chorus.json" / "inside");
    CHECK_THROWS_AS(store.save("chorus", object("{}")), std::system_error);
    CHECK(files_in(dir / "connectors") == std::vector<std::string>{"chorus.json", "sirene.json"});
    CHECK(text_of(store.load("sirene")) == R"({"kept":true})");

    // data_dir under a regular file: nothing can be created.
    std::ofstream(dir / "a-file") << "x";
    CHECK_THROWS_AS(SettingsStore(dir / "a-file").save("chorus", object("{}")), std::system_error);
}

TEST_CASE("settings store: names that are not connector names are refused", "[settings_store]") {
    test::TempDir dir;
    const SettingsStore store(dir / "data");
    for (const std::string &name : std::vector<std::string>{
             "", "Chorus", "../chorus", "../../etc/passwd", "a/b", "1chorus", "_chorus", "chorus-pro", "chorus.json",
             ".hidden", "chorus ", std::string(33, 'a'), std::string("a\0b", 3)}) {
        INFO(name);
        CHECK_FALSE(SettingsStore::valid_name(name));
        CHECK_THROWS_AS(store.save(name, object("{}")), std::invalid_argument);
        CHECK_THROWS_AS(store.load(name), std::invalid_argument);
    }
    CHECK(files_in(dir.path()).empty());  // nothing created anywhere
    for (const std::string &name : std::vector<std::string>{"a", "chorus", "chorus_pro2", std::string(32, 'z')}) {
        INFO(name);
        CHECK(SettingsStore::valid_name(name));
        store.save(name, object("{}"));
    }
    CHECK(store.load_all().size() == 4);
    CHECK_THROWS_WITH(store.save("x/y", object("{}")), Catch::Contains("invalid connector name \"x/y\""));
}

TEST_CASE("settings store: load_all ignores leftovers, unreadable files are errors", "[settings_store]") {
    test::TempDir dir;
    const SettingsStore store(dir.path());
    store.save("chorus", object(R"({"a":1})"));
    const fs::path connectors = dir / "connectors";
    for (const char *leftover : {".chorus.json.tmp-Ab12Cd", "notes.txt", "Bad.json", "chorus.json~", ".json"})
        std::ofstream(connectors / leftover) << "not json";
    fs::create_directory(connectors / "sirene.json");  // not a file
    const auto all = store.load_all();
    REQUIRE(all.size() == 1);
    CHECK(all.count("chorus"));

    std::ofstream(connectors / "mindee.json") << "{\"a\":";
    CHECK_THROWS_WITH(store.load_all(),
                      Catch::Contains((connectors / "mindee.json").string()) && Catch::Contains("not valid JSON"));
    CHECK_THROWS_WITH(store.load("mindee"), Catch::Contains("not valid JSON"));
    std::ofstream(connectors / "mindee.json", std::ios::trunc) << "[1, 2]";
    CHECK_THROWS_WITH(store.load("mindee"), Catch::Contains("not a JSON object"));
}

TEST_CASE("settings store: persisted settings replace the file's section entirely", "[settings_store]") {
    test::TempDir dir;
    const SettingsStore store(dir.path());
    const std::map<std::string, Object::Ptr> from_config = {
        {"chorus", object(R"({"enabled":true,"client_id":"from-file","retry_attempts":5})")},
        {"sirene", object(R"({"enabled":true})")}};
    CHECK(host::effective_sections(from_config, store).size() == 2);

    store.save("chorus", object(R"({"enabled":false})"));
    store.save("mindee", object(R"({"api_key":"k"})"));
    const auto sections = host::effective_sections(from_config, store);
    REQUIRE(sections.size() == 3);
    CHECK(text_of(sections.at("chorus")) == R"({"enabled":false})");  // no key of the file's section survives
    CHECK(text_of(sections.at("sirene")) == R"({"enabled":true})");
    CHECK(text_of(sections.at("mindee")) == R"({"api_key":"k"})");
    CHECK(text_of(from_config.at("chorus")) == R"({"enabled":true,"client_id":"from-file","retry_attempts":5})");
}
