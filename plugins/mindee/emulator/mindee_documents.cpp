#include "mindee_documents.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>
#include <Poco/JSON/Parser.h>

#include <cctype>
#include <iostream>
#include <sstream>

namespace relais::mindee_emulator {

namespace {

bool starts_with(std::string_view bytes, std::string_view prefix, std::size_t at = 0) {
    return bytes.size() >= at + prefix.size() && bytes.substr(at, prefix.size()) == prefix;
}

bool is_pdf_delimiter_or_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '>' || c == '<' || c == '[' || c == ']' ||
           c == '(' || c == ')' || c == '%';
}

std::size_t skip_space(std::string_view s, std::size_t at) {
    while (at < s.size() && std::isspace(static_cast<unsigned char>(s[at]))) ++at;
    return at;
}

// `/Type /Page` (or `/Type/Page`), not `/Type /Pages`, in plain PDF text.
int count_page_objects(std::string_view text) {
    int pages = 0;
    for (auto at = text.find("/Type"); at != std::string_view::npos; at = text.find("/Type", at + 5)) {
        const auto name = skip_space(text, at + 5);
        if (!starts_with(text, "/Page", name)) continue;
        const auto after = name + 5;
        if (after == text.size() || is_pdf_delimiter_or_space(text[after])) ++pages;
    }
    return pages;
}

// The page objects PDF 1.5 writers put inside compressed object streams: each /Type /ObjStm
// stream with /FlateDecode is inflated and counted. A stream that does not inflate counts none.
int count_pages_in_object_streams(std::string_view pdf) {
    int pages = 0;
    for (auto at = pdf.find("/ObjStm"); at != std::string_view::npos; at = pdf.find("/ObjStm", at + 7)) {
        const auto dict_end = pdf.find(">>", at);
        const auto stream = pdf.find("stream", at);
        if (dict_end == std::string_view::npos || stream == std::string_view::npos) break;
        if (pdf.substr(at, stream - at).find("/FlateDecode") == std::string_view::npos) continue;
        auto data = stream + 6;
        if (data < pdf.size() && pdf[data] == '\r') ++data;
        if (data < pdf.size() && pdf[data] == '\n') ++data;
        const auto end = pdf.find("endstream", data);
        if (end == std::string_view::npos) break;
        try {
            std::istringstream compressed(std::string(pdf.substr(data, end - data)));
            Poco::InflatingInputStream inflate(compressed, Poco::InflatingStreamBuf::STREAM_ZLIB);
            std::ostringstream plain;
            plain << inflate.rdbuf();
            pages += count_page_objects(plain.str());
        } catch (const std::exception &) {
            // A damaged stream: its pages cannot be seen, as a reader would not see them either.
        }
    }
    return pages;
}

// The end of the JSON object starting at `open` ('{'), strings (with escapes) may hold braces;
// npos when it never closes.
std::size_t balanced_object_end(std::string_view s, std::size_t open) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = open; i < s.size(); ++i) {
        const char c = s[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{') {
            ++depth;
        } else if (c == '}' && --depth == 0) {
            return i + 1;
        }
    }
    return std::string_view::npos;
}

}  // namespace

std::optional<FileType> sniff_file_type(std::string_view b) {
    if (starts_with(b, "\xFF\xD8\xFF")) return FileType::jpeg;
    if (starts_with(b, "\x89PNG\r\n\x1A\n")) return FileType::png;
    if (starts_with(b, "%PDF-")) return FileType::pdf;
    if (starts_with(b, "RIFF") && starts_with(b, "WEBP", 8)) return FileType::webp;
    if (starts_with(b, std::string_view("II*\0", 4)) || starts_with(b, std::string_view("MM\0*", 4))) return FileType::tiff;
    if (starts_with(b, "ftyp", 4)) {
        // HEIF brands that carry HEVC images (ISO/IEC 23008-12).
        for (const char *brand : {"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"})
            if (starts_with(b, brand, 8)) return FileType::heic;
    }
    return std::nullopt;
}

const char *mime_type(FileType type) {
    switch (type) {
    case FileType::jpeg: return "image/jpeg";
    case FileType::png: return "image/png";
    case FileType::pdf: return "application/pdf";
    case FileType::webp: return "image/webp";
    case FileType::tiff: return "image/tiff";
    case FileType::heic: return "image/heic";
    }
    return "application/octet-stream";
}

const char *file_extension(FileType type) {
    switch (type) {
    case FileType::jpeg: return "jpg";
    case FileType::png: return "png";
    case FileType::pdf: return "pdf";
    case FileType::webp: return "webp";
    case FileType::tiff: return "tiff";
    case FileType::heic: return "heic";
    }
    return "bin";
}

int count_pages(std::string_view bytes, FileType type) {
    if (type != FileType::pdf) return 1;
    return count_page_objects(bytes) + count_pages_in_object_streams(bytes);
}

Poco::JSON::Object::Ptr find_receipt_marker(std::string_view bytes) {
    static constexpr std::string_view kMarker = "RELAIS-RECEIPT";
    const auto at = bytes.find(kMarker);
    if (at == std::string_view::npos) return nullptr;
    const auto open = at + kMarker.size();
    const auto end = open < bytes.size() && bytes[open] == '{' ? balanced_object_end(bytes, open)
                                                                : std::string_view::npos;
    if (end != std::string_view::npos) {
        try {
            auto parsed = Poco::JSON::Parser().parse(std::string(bytes.substr(open, end - open)));
            if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) return parsed.extract<Poco::JSON::Object::Ptr>();
        } catch (const Poco::Exception &) {
        }
    }
    std::cerr << "mindee emulator: a RELAIS-RECEIPT marker without a well-formed JSON object after it; "
                 "the file reads as a blank receipt\n";
    return nullptr;
}

std::optional<std::string> decode_base64_strict(const std::string &text) {
    std::string clean;
    for (const char c : text)
        if (c != '\r' && c != '\n') clean += c;
    if (clean.empty() || clean.size() % 4 != 0) return std::nullopt;
    for (std::size_t i = 0; i < clean.size(); ++i) {
        const char c = clean[i];
        const bool alphabet = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
        const bool padding = c == '=' && i >= clean.size() - 2 && (i == clean.size() - 1 || clean.back() == '=');
        if (!alphabet && !padding) return std::nullopt;
    }
    try {
        std::istringstream in(clean);
        Poco::Base64Decoder decoder(in);
        std::ostringstream out;
        out << decoder.rdbuf();
        return out.str();
    } catch (const Poco::Exception &) {
        return std::nullopt;
    }
}

Receipt::Receipt(Poco::JSON::Object::Ptr marker) : marker_(std::move(marker)) {}

bool Receipt::asks_to_fail() const { return marker_ && marker_->has("fail") && !marker_->isNull("fail"); }

Poco::Dynamic::Var Receipt::value(const std::string &key) const {
    if (!marker_ || !marker_->has(key)) return {};
    return marker_->get(key);
}

std::optional<std::string> Receipt::text(const std::string &key) const {
    const auto v = value(key);
    if (v.isEmpty()) return std::nullopt;
    return v.convert<std::string>();
}

std::optional<double> Receipt::number(const std::string &key) const {
    const auto v = value(key);
    if (v.isEmpty() || !v.isNumeric()) return std::nullopt;
    return v.convert<double>();
}

Poco::JSON::Array::Ptr Receipt::array(const std::string &key) const {
    if (marker_ && marker_->has(key))
        if (const auto a = marker_->getArray(key)) return a;
    return new Poco::JSON::Array;
}

double Receipt::confidence(const std::string &key) const {
    if (!marker_) return 0.0;
    if (const auto overrides = marker_->getObject("confidences"); overrides && overrides->has(key))
        return overrides->getValue<double>(key);
    if (marker_->has("confidence")) return marker_->getValue<double>("confidence");
    return 0.99;
}

Document read_document(std::string_view bytes, std::string name, const DocumentLimits &limits) {
    if (bytes.empty()) throw DocumentRefused("The file is empty.");
    const auto type = sniff_file_type(bytes);
    if (!type)
        throw DocumentRefused("File type not allowed: the file must be one of png, jpg, webp, heic, tiff, pdf.");
    if (bytes.size() > limits.max_bytes)
        throw DocumentRefused("File is too big: " + std::to_string(bytes.size()) + " bytes, at most " +
                              std::to_string(limits.max_bytes >> 20) + " MB.");
    Document d;
    d.name = std::move(name);
    d.type = *type;
    d.size = bytes.size();
    d.pages = count_pages(bytes, *type);
    if (d.pages < 1) throw DocumentRefused("The PDF has no page.");
    if (d.pages > limits.max_pages)
        throw DocumentRefused("Too many pages in PDF: " + std::to_string(d.pages) + ", at most " +
                              std::to_string(limits.max_pages) + ".");
    d.receipt = Receipt(find_receipt_marker(bytes));
    return d;
}

}  // namespace relais::mindee_emulator
