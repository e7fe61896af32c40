// relais/support/file_input.hpp: a file given inline as base64 or by a path confined to a
// configured directory.
#include <relais/support/bytes.hpp>
#include <relais/support/file_input.hpp>

#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <Poco/JSON/Object.h>

#include <fstream>
#include <functional>

#include <sys/stat.h>

using namespace relais;
using namespace relais::support;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

Json input(std::initializer_list<std::pair<std::string, std::string>> members) {
    Json object = new Poco::JSON::Object;
    for (const auto &[k, v] : members) object->set(k, v);
    return object;
}

void write(const fs::path &path, const std::string &bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

// The relais::Error `read` throws; fails the test when it throws none.
Error error_of(const std::function<void()> &read) {
    try {
        read();
    } catch (const Error &e) {
        return e;
    }
    FAIL("no relais::Error thrown");
    return internal("unreachable");
}

const std::string kPdf = "%PDF-1.7\n1 0 obj\n<< >>\nendobj\n%%EOF\n";

struct Inbox {
    test::TempDir temp{"relais-file-input"};
    fs::path dir = temp.path() / "inbox";
    FileInputOptions options;
    Inbox() {
        fs::create_directories(dir);
        options.directory = dir;
    }
};

}  // namespace

TEST_CASE("file input: base64 inline gives the bytes, their hash and type, and the name given", "[support][file]") {
    const auto file = read_file_input(input({{"file_base64", base64_encode(kPdf)}, {"file_name", "note.pdf"}}), {});
    CHECK(file.bytes == kPdf);
    CHECK(file.name == "note.pdf");
    CHECK(file.sha256 == sha256_hex(kPdf));
    CHECK(file.media_type.kind == MediaKind::pdf);
    CHECK(file.field == "file_base64");
    // MIME line breaks are fine.
    auto broken = base64_encode(std::string(200, 'x'));
    broken.insert(76, "\r\n");
    CHECK(read_file_input(input({{"file_base64", broken}}), {}).bytes == std::string(200, 'x'));
    CHECK(read_file_input(input({{"file_base64", broken}}), {}).name.empty());
}

TEST_CASE("file input: bad base64 is refused naming the field and the bad character's index", "[support][file]") {
    const auto e = error_of([] { read_file_input(input({{"file_base64", "JVBERi0*"}}), {}); });
    CHECK(e.status() == RELAIS_INVALID_INPUT);
    CHECK_THAT(e.what(), Catch::Contains("file_base64") && Catch::Contains("index 7") && Catch::Contains("'*'"));
    const auto tab = error_of([] { read_file_input(input({{"file_base64", "JVBE\tRi0="}}), {}); });
    CHECK_THAT(tab.what(), Catch::Contains("index 4"));
}

TEST_CASE("file input: exactly one of the two fields, each a string", "[support][file]") {
    CHECK_THAT(error_of([] { read_file_input(input({}), {}); }).what(),
               Catch::Contains("exactly one of file_base64 or file_path"));
    CHECK(error_of([] { read_file_input(input({{"file_base64", "JQ=="}, {"file_path", "a.pdf"}}), {}); }).status() ==
          RELAIS_INVALID_INPUT);
    Json numeric = new Poco::JSON::Object;
    numeric->set("file_base64", 12);
    const auto e = error_of([&] { read_file_input(numeric, {}); });
    CHECK(e.status() == RELAIS_INVALID_INPUT);
    CHECK_THAT(e.what(), Catch::Contains("file_base64 must be a string"));
}

TEST_CASE("file input: empty files are refused unless allowed", "[support][file]") {
    const auto e = error_of([] { read_file_input(input({{"file_base64", ""}}), {}); });
    CHECK(e.status() == RELAIS_INVALID_INPUT);
    CHECK_THAT(e.what(), Catch::Contains("file_base64: the file is empty"));
    FileInputOptions options;
    options.allow_empty = true;
    CHECK(read_file_input(input({{"file_base64", ""}}), options).bytes.empty());
}

TEST_CASE("file input: the size cap, before decoding and after", "[support][file]") {
    FileInputOptions options;
    options.max_bytes = 30;
    CHECK(read_file_input(input({{"file_base64", base64_encode(std::string(30, 'a'))}}), options).bytes.size() == 30);
    const auto over = error_of([&] { read_file_input(input({{"file_base64", base64_encode(std::string(31, 'a'))}}), options); });
    CHECK(over.status() == RELAIS_INVALID_INPUT);
    CHECK_THAT(over.what(), Catch::Contains("file_base64") && Catch::Contains("31 bytes") && Catch::Contains("30 bytes"));
    // A text far longer than any allowed file is refused by its length, even though it is not
    // base64 at all: it was never decoded.
    const auto huge = error_of([&] { read_file_input(input({{"file_base64", std::string(1000, '*')}}), options); });
    CHECK_THAT(huge.what(), Catch::Contains("1000 characters"));
    CHECK(describe_size(10u << 20) == "10 MB");
    CHECK(describe_size(1536) == "1536 bytes");
}

TEST_CASE("file input: a path under the directory, nested or through an inner link", "[support][file]") {
    Inbox box;
    write(box.dir / "2026" / "FA-1.pdf", kPdf);
    auto file = read_file_input(input({{"file_path", "2026/FA-1.pdf"}}), box.options);
    CHECK(file.bytes == kPdf);
    CHECK(file.name == "FA-1.pdf");
    CHECK(file.field == "file_path");
    CHECK(file.media_type.kind == MediaKind::pdf);
    CHECK(read_file_input(input({{"file_path", "./2026//FA-1.pdf"}}), box.options).bytes == kPdf);
    fs::create_symlink(box.dir / "2026" / "FA-1.pdf", box.dir / "latest.pdf");
    CHECK(read_file_input(input({{"file_path", "latest.pdf"}, {"file_name", "x.pdf"}}), box.options).name == "x.pdf");
    // The directory itself may be reached through a link.
    fs::create_directory_symlink(box.dir, box.temp.path() / "link-to-inbox");
    box.options.directory = box.temp.path() / "link-to-inbox";
    CHECK(read_file_input(input({{"file_path", "2026/FA-1.pdf"}}), box.options).bytes == kPdf);
}

TEST_CASE("file input: absolute paths and '..' segments are refused", "[support][file]") {
    Inbox box;
    write(box.dir / "a.pdf", kPdf);
    write(box.temp.path() / "secret.pdf", kPdf);
    const auto absolute = error_of([&] { read_file_input(input({{"file_path", (box.dir / "a.pdf").string()}}), box.options); });
    CHECK(absolute.status() == RELAIS_INVALID_INPUT);
    CHECK_THAT(absolute.what(), Catch::Contains("file_path") && Catch::Contains("must be relative"));
    for (const auto *path : {"../secret.pdf", "sub/../a.pdf", ".."}) {
        const auto e = error_of([&] { read_file_input(input({{"file_path", path}}), box.options); });
        CHECK(e.status() == RELAIS_INVALID_INPUT);
        CHECK_THAT(e.what(), Catch::Contains("outside file_directory") && Catch::Contains("'..'"));
    }
}

TEST_CASE("file input: a symbolic link leading out of the directory is refused", "[support][file]") {
    Inbox box;
    write(box.temp.path() / "secret.pdf", kPdf);
    fs::create_symlink(box.temp.path() / "secret.pdf", box.dir / "innocent.pdf");
    fs::create_directory_symlink(box.temp.path(), box.dir / "up");
    for (const auto *path : {"innocent.pdf", "up/secret.pdf"}) {
        const auto e = error_of([&] { read_file_input(input({{"file_path", path}}), box.options); });
        CHECK(e.status() == RELAIS_INVALID_INPUT);
        CHECK_THAT(e.what(), Catch::Contains("outside file_directory") && Catch::Contains("symbolic link"));
    }
    // A sibling directory whose name starts with the configured one's is outside too.
    write(box.temp.path() / "inbox-other" / "b.pdf", kPdf);
    fs::create_symlink(box.temp.path() / "inbox-other" / "b.pdf", box.dir / "b.pdf");
    CHECK_THAT(error_of([&] { read_file_input(input({{"file_path", "b.pdf"}}), box.options); }).what(),
               Catch::Contains("outside file_directory"));
}

TEST_CASE("file input: only regular files, that exist, under the size cap", "[support][file]") {
    Inbox box;
    fs::create_directories(box.dir / "folder");
    REQUIRE(::mkfifo((box.dir / "pipe").c_str(), 0600) == 0);
    write(box.dir / "big.pdf", kPdf + std::string(64, 'x'));
    box.options.max_bytes = 64;
    for (const auto *path : {"folder", "pipe", "."}) {
        const auto e = error_of([&] { read_file_input(input({{"file_path", path}}), box.options); });
        CHECK(e.status() == RELAIS_INVALID_INPUT);
        CHECK_THAT(e.what(), Catch::Contains("not a regular file"));
    }
    const auto missing = error_of([&] { read_file_input(input({{"file_path", "missing.pdf"}}), box.options); });
    CHECK(missing.status() == RELAIS_INVALID_INPUT);
    CHECK_THAT(missing.what(), Catch::Contains("missing.pdf"));
    const auto big = error_of([&] { read_file_input(input({{"file_path", "big.pdf"}}), box.options); });
    CHECK(big.status() == RELAIS_INVALID_INPUT);
    CHECK_THAT(big.what(), Catch::Contains("file_path") && Catch::Contains("more than the 64 bytes"));
}

TEST_CASE("file input: a path without a configured directory is a configuration error naming the setting",
          "[support][file]") {
    FileInputOptions options;
    options.directory_setting = "documents_directory";
    const auto e = error_of([&] { read_file_input(input({{"file_path", "a.pdf"}}), options); });
    CHECK(e.status() == RELAIS_INVALID_CONFIG);
    CHECK_THAT(e.what(), Catch::Contains("documents_directory") && Catch::Contains("file_base64"));
    test::TempDir temp;
    options.directory = temp.path() / "not-there";
    const auto absent = error_of([&] { read_file_input(input({{"file_path", "a.pdf"}}), options); });
    CHECK(absent.status() == RELAIS_INVALID_CONFIG);
    CHECK_THAT(absent.what(), Catch::Contains("documents_directory"));
}

TEST_CASE("file input: the caller names the fields, and file names are names, not paths", "[support][file]") {
    FileInputOptions options;
    options.base64_field = "document";
    options.name_field = "document_name";
    const auto file = read_file_input(input({{"document", base64_encode(kPdf)}, {"document_name", "reçu.pdf"}}), options);
    CHECK(file.name == "reçu.pdf");
    CHECK(file.field == "document");
    CHECK_THAT(error_of([&] { read_file_input(input({{"document", "*"}}), options); }).what(),
               Catch::Contains("document is not valid base64"));
    for (const auto *name : {"../x.pdf", "a/b.pdf", "a\\b.pdf", "a\nb.pdf", ".."}) {
        const auto e = error_of([&] { read_file_input(input({{"document", base64_encode(kPdf)}, {"document_name", name}}), options); });
        CHECK(e.status() == RELAIS_INVALID_INPUT);
        CHECK_THAT(e.what(), Catch::Contains("document_name"));
    }
}
