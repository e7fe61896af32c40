#include <relais/support/multipart.hpp>

#include <random>
#include <stdexcept>

namespace relais::support {

namespace {

// Characters RFC 2046 allows in a boundary ("bchars").
bool boundary_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

void check_boundary(const std::string &boundary) {
    if (boundary.empty() || boundary.size() > 70 || boundary.back() == ' ')
        throw std::invalid_argument("a multipart boundary has 1 to 70 characters and does not end with a space");
    for (const char c : boundary)
        if (!boundary_char(c)) throw std::invalid_argument("a multipart boundary may not hold '" + std::string(1, c) + "'");
}

std::string random_boundary() {
    static constexpr char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    thread_local std::mt19937_64 generator{std::random_device{}()};
    std::uniform_int_distribution<std::size_t> pick(0, sizeof alphabet - 2);
    // 32 characters of 62: 190 bits, so a clash with the content is only a theoretical case
    // (which encode() still checks for).
    std::string boundary = "relais-";
    for (int i = 0; i < 32; ++i) boundary += alphabet[pick(generator)];
    return boundary;
}

// A quoted-string value of Content-Disposition, escaped as browsers do.
std::string quoted(const std::string &text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"') out += "%22";
        else if (c == '\r') out += "%0D";
        else if (c == '\n') out += "%0A";
        else out += c;
    }
    return out + "\"";
}

bool appears_in(const std::vector<Multipart::Part> &parts, const std::string &boundary) {
    for (const auto &p : parts)
        if (p.content.find(boundary) != std::string::npos || p.name.find(boundary) != std::string::npos ||
            p.filename.find(boundary) != std::string::npos)
            return true;
    return false;
}

}  // namespace

Multipart &Multipart::field(std::string name, std::string value) {
    parts_.push_back({std::move(name), false, {}, {}, std::move(value)});
    return *this;
}

Multipart &Multipart::file(std::string name, std::string filename, std::string content_type, std::string bytes) {
    if (content_type.find_first_of("\r\n") != std::string::npos)
        throw std::invalid_argument("a multipart part's content type may not hold CR or LF");
    if (content_type.empty()) content_type = "application/octet-stream";
    parts_.push_back({std::move(name), true, std::move(filename), std::move(content_type), std::move(bytes)});
    return *this;
}

MultipartBody Multipart::encode() const {
    for (;;) {
        auto boundary = random_boundary();
        if (!appears_in(parts_, boundary)) return encode(boundary);
    }
}

MultipartBody Multipart::encode(const std::string &boundary) const {
    check_boundary(boundary);
    if (parts_.empty()) throw std::logic_error("a multipart/form-data body needs one part at least");
    if (appears_in(parts_, boundary)) throw std::invalid_argument("the multipart boundary appears in the content");
    std::size_t size = 0;
    for (const auto &p : parts_) size += p.content.size() + p.name.size() + p.filename.size() + 128;
    MultipartBody out;
    out.body.reserve(size + boundary.size() * (parts_.size() + 1));
    for (const auto &p : parts_) {
        out.body += "--" + boundary + "\r\n";
        out.body += "Content-Disposition: form-data; name=" + quoted(p.name);
        if (p.is_file) out.body += "; filename=" + quoted(p.filename);
        out.body += "\r\n";
        if (!p.content_type.empty()) out.body += "Content-Type: " + p.content_type + "\r\n";
        out.body += "\r\n";
        out.body += p.content;
        out.body += "\r\n";
    }
    out.body += "--" + boundary + "--\r\n";
    // A boundary with characters outside a token (space, '(', ':', ...) must be quoted.
    const bool token = boundary.find_first_of(" (),/:=?") == std::string::npos;
    out.content_type = "multipart/form-data; boundary=" + (token ? boundary : "\"" + boundary + "\"");
    out.boundary = boundary;
    return out;
}

}  // namespace relais::support
