// Fuzz target: the emulators' multipart/form-data reader (tests/emulator/multipart.hpp).
//
// Input: a Content-Type value, a line feed, then the body. The reader must either refuse the
// body with an HttpError or give parts within its caps; and a form it accepts, encoded again
// by the SDK's encoder (relais/support/multipart.hpp), must read back to the same parts.
#include "http_message.hpp"
#include "multipart.hpp"

#include <relais/support/multipart.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using relais::emulator::MultipartForm;

void require(bool condition) {
    if (!condition) std::abort();
}

// The parts the SDK's encoder can write: text fields without a Content-Type, files with one
// (application/octet-stream when none was sent).
bool encodable(const MultipartForm &form) {
    for (const auto &p : form.parts)
        if (!p.filename && !p.content_type.empty()) return false;
    return true;
}

void check_round_trip(const MultipartForm &form) {
    relais::support::Multipart again;
    for (const auto &p : form.parts) {
        if (p.filename) again.file(p.name, *p.filename, p.content_type, p.content);
        else again.field(p.name, p.content);
    }
    const auto encoded = again.encode();
    const auto read = relais::emulator::parse_multipart(encoded.content_type, encoded.body);
    require(read.parts.size() == form.parts.size());
    for (std::size_t i = 0; i < read.parts.size(); ++i) {
        const auto &a = form.parts[i];
        const auto &b = read.parts[i];
        require(a.name == b.name);
        require(a.filename == b.filename);
        require(b.content_type == (a.filename && a.content_type.empty() ? "application/octet-stream" : a.content_type));
        require(a.content == b.content);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char *>(data), size);
    const auto newline = input.find('\n');
    if (newline == std::string_view::npos) return 0;
    const std::string content_type(input.substr(0, newline));
    const auto body = input.substr(newline + 1);

    relais::emulator::MultipartLimits limits;
    limits.max_parts = 16;
    limits.max_part_bytes = 1u << 16;
    limits.max_header_bytes = 1u << 10;
    MultipartForm form;
    try {
        form = relais::emulator::parse_multipart(content_type, body, limits);
    } catch (const relais::emulator::HttpError &e) {
        require(e.response().status == 400);
        return 0;
    }
    require(!form.parts.empty() && form.parts.size() <= limits.max_parts);
    for (const auto &p : form.parts) {
        require(p.content.size() <= limits.max_part_bytes);
        require(body.find(p.content) != std::string_view::npos);
    }
    if (encodable(form)) check_round_trip(form);
    return 0;
}
