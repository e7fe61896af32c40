// relais/support/multipart.hpp: multipart/form-data request bodies (RFC 7578), as document
// and image upload APIs take files.
//
//     Multipart form;
//     form.field("language", "fr").file("document", "receipt.jpg", "image/jpeg", bytes);
//     client.send(HttpRequest::post(url).multipart(form));
//
// The boundary is random and checked against the content, so no part can end the body early
// whatever bytes it holds. Names and file names are written as quoted strings with '"', CR and
// LF percent-encoded (%22, %0D, %0A), which is how browsers write them and what servers undo
// (RFC 7578 section 4.2, and the HTML standard's form encoding); other bytes, UTF-8 included,
// go as they are. (For application/x-www-form-urlencoded bodies, see url.hpp's form_encode.)
#pragma once

#include <string>
#include <vector>

namespace relais::support {

struct MultipartBody {
    std::string body;
    std::string content_type;  // "multipart/form-data; boundary=..."
    std::string boundary;
};

class Multipart {
public:
    struct Part {
        std::string name;
        bool is_file = false;
        std::string filename;
        std::string content_type;  // "" for a text field (the receiver takes text/plain)
        std::string content;
    };

    // A text field.
    Multipart &field(std::string name, std::string value);
    // A file: its bytes, its name as the receiver should see it, and its media type
    // (application/octet-stream when ""). Throws std::invalid_argument for a content type
    // holding CR or LF, which would let it write headers of its own.
    Multipart &file(std::string name, std::string filename, std::string content_type, std::string bytes);

    const std::vector<Part> &parts() const { return parts_; }
    bool empty() const { return parts_.empty(); }

    // The encoded body with a fresh boundary. Throws std::logic_error when there is no part
    // (RFC 2046 needs one at least).
    MultipartBody encode() const;
    // The same with a given boundary (1 to 70 characters of RFC 2046's set, not ending with a
    // space); std::invalid_argument when it is not one or appears in the content.
    MultipartBody encode(const std::string &boundary) const;

private:
    std::vector<Part> parts_;
};

}  // namespace relais::support
