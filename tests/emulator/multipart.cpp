#include "multipart.hpp"

#include "http_message.hpp"

#include <Poco/String.h>

namespace relais::emulator {

namespace {

[[noreturn]] void refuse(const std::string &message) {
    throw HttpError(error_response(400, "invalid_multipart", message));
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

bool is_tchar(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_bchar(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_ows(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_ows(text.back())) text.remove_suffix(1);
    return text;
}

std::string lower(std::string_view text) { return Poco::toLower(std::string(text)); }

// %22, %0D and %0A back to '"', CR and LF (the only escapes form encoders write there).
std::string unescape_form_value(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            const auto code = lower(text.substr(i + 1, 2));
            const char c = code == "22" ? '"' : code == "0d" ? '\r' : code == "0a" ? '\n' : '\0';
            if (c != '\0') {
                out += c;
                i += 2;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

using Parameters = std::vector<std::pair<std::string, std::string>>;

// `; name=value` pairs after a header value's first item (RFC 9110 5.6.6). Content-Type values
// use quoted-pairs (backslash escapes); Content-Disposition's, as form encoders write them, do
// not: a backslash there is a character of the file name, and %22, %0D, %0A are the escapes
// (decoded in a token too, so that a value reads the same however it was written).
Parameters parse_parameters(std::string_view text, bool quoted_pairs, const std::string &what) {
    Parameters out;
    std::size_t i = 0;
    const auto skip_ows = [&] {
        while (i < text.size() && is_ows(text[i])) ++i;
    };
    while (true) {
        skip_ows();
        if (i == text.size()) return out;
        if (text[i] != ';') refuse(what + ": expected ';' before a parameter at \"" + std::string(text.substr(i)) + "\"");
        ++i;
        skip_ows();
        const auto name_start = i;
        while (i < text.size() && is_tchar(text[i])) ++i;
        if (i == name_start) refuse(what + ": a parameter has no name");
        const auto name = lower(text.substr(name_start, i - name_start));
        if (i == text.size() || text[i] != '=') refuse(what + ": the parameter " + name + " has no value");
        ++i;
        std::string value;
        if (i < text.size() && text[i] == '"') {
            ++i;
            bool closed = false;
            while (i < text.size()) {
                const char c = text[i++];
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\' && quoted_pairs) {
                    if (i == text.size()) break;
                    value += text[i++];
                } else {
                    value += c;
                }
            }
            if (!closed) refuse(what + ": the quoted value of " + name + " is not closed");
            if (!quoted_pairs) value = unescape_form_value(value);
        } else {
            const auto start = i;
            while (i < text.size() && is_tchar(text[i])) ++i;
            if (i == start) refuse(what + ": the parameter " + name + " has an empty or malformed value");
            value = std::string(text.substr(start, i - start));
            if (!quoted_pairs) value = unescape_form_value(value);
        }
        for (const auto &[n, v] : out)
            if (n == name) refuse(what + ": the parameter " + name + " is given twice");
        out.emplace_back(name, std::move(value));
    }
}

const std::string *parameter(const Parameters &params, const std::string &name) {
    for (const auto &[n, v] : params)
        if (n == name) return &v;
    return nullptr;
}

// "Name: value" (RFC 9110 5.1): no space before the colon, no line folding, no control
// characters but tab in the value.
std::pair<std::string, std::string> parse_header_line(std::string_view line, std::size_t part) {
    const auto where = "part " + std::to_string(part);
    if (is_ows(line.front())) refuse(where + ": a header line starts with white space (folded headers are not allowed)");
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) refuse(where + ": the header line \"" + std::string(line) + "\" has no ':'");
    const auto name = line.substr(0, colon);
    for (const char c : name)
        if (!is_tchar(c)) refuse(where + ": the header name \"" + std::string(name) + "\" is not a token");
    if (name.empty()) refuse(where + ": a header line has no name");
    const auto value = trim(line.substr(colon + 1));
    for (const char c : value)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
            refuse(where + ": the header " + std::string(name) + " holds a control character");
    return {std::string(name), std::string(value)};
}

// Fills name, filename, content_type from the part's headers.
void read_part_headers(MultipartPart &p, std::size_t index) {
    const auto where = "part " + std::to_string(index);
    bool disposition = false;
    bool type = false;
    for (const auto &[name, value] : p.headers) {
        const auto key = lower(name);
        if (key == "content-disposition") {
            if (disposition) refuse(where + " has two Content-Disposition headers");
            disposition = true;
            const auto semicolon = value.find(';');
            const auto kind = trim(std::string_view(value).substr(0, semicolon));
            if (Poco::icompare(std::string(kind), "form-data") != 0)
                refuse(where + ": Content-Disposition is \"" + std::string(kind) + "\", not form-data");
            const auto params = parse_parameters(
                semicolon == std::string::npos ? std::string_view() : std::string_view(value).substr(semicolon), false,
                where + " Content-Disposition");
            if (parameter(params, "filename*"))
                refuse(where + ": filename* is not used in multipart/form-data (RFC 7578 4.2); send filename");
            const auto *part_name = parameter(params, "name");
            if (!part_name) refuse(where + ": Content-Disposition has no name parameter");
            p.name = *part_name;
            if (const auto *filename = parameter(params, "filename")) p.filename = *filename;
        } else if (key == "content-type") {
            if (type) refuse(where + " has two Content-Type headers");
            type = true;
            if (value.empty()) refuse(where + ": its Content-Type is empty");
            p.content_type = value;
        }
        // Other headers are ignored, as RFC 7578 4.8 asks of receivers.
    }
    if (!disposition) refuse(where + " has no Content-Disposition header");
}

}  // namespace

const MultipartPart *MultipartForm::find(const std::string &name) const {
    for (const auto &p : parts)
        if (p.name == name) return &p;
    return nullptr;
}

std::optional<std::string> MultipartForm::field(const std::string &name) const {
    const auto *p = find(name);
    if (!p) return std::nullopt;
    return p->content;
}

std::string multipart_boundary(const std::string &content_type) {
    const auto semicolon = content_type.find(';');
    const auto type = lower(trim(std::string_view(content_type).substr(0, semicolon)));
    if (type != "multipart/form-data")
        refuse("the Content-Type is \"" + content_type + "\", not multipart/form-data");
    const auto params = parse_parameters(
        semicolon == std::string::npos ? std::string_view() : std::string_view(content_type).substr(semicolon), true,
        "the Content-Type");
    const auto *boundary = parameter(params, "boundary");
    if (!boundary) refuse("the multipart/form-data Content-Type has no boundary parameter");
    if (boundary->empty() || boundary->size() > 70 || boundary->back() == ' ')
        refuse("the boundary must have 1 to 70 characters and not end with a space (RFC 2046 5.1.1)");
    for (const char c : *boundary)
        if (!is_bchar(c)) refuse("the boundary holds a character RFC 2046 does not allow in one");
    return *boundary;
}

MultipartForm parse_multipart(const std::string &content_type, std::string_view body, const MultipartLimits &limits) {
    const auto boundary = multipart_boundary(content_type);
    const std::string dash_boundary = "--" + boundary;
    const std::string delimiter = "\r\n" + dash_boundary;

    // The first boundary opens the body, or ends a preamble (which RFC 2046 lets a sender put).
    std::size_t pos = 0;
    if (body.substr(0, dash_boundary.size()) == dash_boundary) {
        pos = dash_boundary.size();
    } else {
        const auto first = body.find(delimiter);
        if (first == std::string_view::npos) refuse("the body holds no delimiter for the boundary \"" + boundary + "\"");
        pos = first + delimiter.size();
    }

    MultipartForm form;
    while (true) {
        // Right after a delimiter: "--" closes the body, else transport padding and CRLF.
        if (body.substr(pos, 2) == "--") {
            pos += 2;
            while (pos < body.size() && is_ows(body[pos])) ++pos;
            if (pos != body.size() && body.substr(pos, 2) != "\r\n")
                refuse("the closing delimiter is followed by something other than CRLF");
            if (form.parts.empty()) refuse("the body has no part");
            return form;  // what follows the CRLF is the epilogue, ignored
        }
        while (pos < body.size() && is_ows(body[pos])) ++pos;
        if (body.substr(pos, 2) != "\r\n")
            refuse("a boundary delimiter (at byte " + std::to_string(pos) + ") is not followed by CRLF");
        pos += 2;

        if (form.parts.size() == limits.max_parts)
            refuse("the body has more than " + std::to_string(limits.max_parts) + " parts");
        MultipartPart part;
        const auto index = form.parts.size() + 1;
        const auto headers_start = pos;
        while (true) {
            // Searched within the cap only, so a body of one endless header line costs little.
            const auto window = body.substr(pos, limits.max_header_bytes - (pos - headers_start) + 2);
            const auto eol = window.find("\r\n");
            if (eol == std::string_view::npos) {
                if (window.size() == body.size() - pos)
                    refuse("part " + std::to_string(index) + ": its headers are not ended by an empty line");
                refuse("part " + std::to_string(index) + ": its headers exceed " +
                       std::to_string(limits.max_header_bytes) + " bytes");
            }
            const auto line = window.substr(0, eol);
            pos += eol + 2;
            if (line.empty()) break;
            if (pos - headers_start > limits.max_header_bytes)
                refuse("part " + std::to_string(index) + ": its headers exceed " +
                       std::to_string(limits.max_header_bytes) + " bytes");
            part.headers.push_back(parse_header_line(line, index));
        }
        read_part_headers(part, index);

        const auto end = body.find(delimiter, pos);
        if (end == std::string_view::npos)
            refuse("part " + std::to_string(index) + " is not ended by a boundary delimiter (the closing \"" +
                   dash_boundary + "--\" is missing)");
        if (end - pos > limits.max_part_bytes)
            refuse("part " + std::to_string(index) + " (" + part.name + ") is larger than " +
                   std::to_string(limits.max_part_bytes) + " bytes");
        part.content = std::string(body.substr(pos, end - pos));
        form.parts.push_back(std::move(part));
        pos = end + delimiter.size();
    }
}

}  // namespace relais::emulator
