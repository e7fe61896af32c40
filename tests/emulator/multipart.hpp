// Reading multipart/form-data request bodies (RFC 7578 on RFC 2046's multipart syntax), for
// emulators of upload APIs. Strict, because an emulator is where a connector's malformed body
// must show up: the boundary comes from the Content-Type, delimiters are CRLF "--" boundary,
// the closing delimiter must be there, and each part needs a Content-Disposition of form-data
// with a name. Names and file names in quoted strings have %22, %0D and %0A decoded back to
// '"', CR and LF, as browsers encode them. Part count and sizes are capped.
//
// Every refusal is an HttpError answering 400 {"error": "invalid_multipart", "message": ...}
// (http_message.hpp), so a handler can let it through.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relais::emulator {

struct MultipartLimits {
    std::size_t max_parts = 64;
    std::size_t max_part_bytes = 32u << 20;   // one part's content
    std::size_t max_header_bytes = 8u << 10;  // one part's header block
};

struct MultipartPart {
    std::string name;
    std::optional<std::string> filename;  // present for a file part (even when "")
    std::string content_type;             // as sent; "" when the part has none (text/plain)
    std::vector<std::pair<std::string, std::string>> headers;  // all of them, in order
    std::string content;
};

struct MultipartForm {
    std::vector<MultipartPart> parts;

    // The first part of that name, nullptr when there is none.
    const MultipartPart *find(const std::string &name) const;
    // The content of the first part of that name.
    std::optional<std::string> field(const std::string &name) const;
};

// The boundary parameter of a multipart/form-data Content-Type value; HttpError 400 when the
// type is another one or the boundary is missing or not one RFC 2046 allows.
std::string multipart_boundary(const std::string &content_type);

// Parses `body` sent with `content_type`; HttpError 400 when it is not well-formed.
MultipartForm parse_multipart(const std::string &content_type, std::string_view body,
                              const MultipartLimits &limits = {});

}  // namespace relais::emulator
