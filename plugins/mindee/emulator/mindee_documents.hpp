// The files the emulator is sent: their type by magic bytes (as Mindee checks them, whatever
// name or Content-Type they come with), their pages, the API's size and page limits, and what
// the emulator "reads" in them.
//
// The reading is our convention, so that tests can assert every field: the ASCII marker
// RELAIS-RECEIPT immediately followed by a JSON object, anywhere in the file's bytes (a JPEG
// comment, a PNG text chunk, a PDF content stream). Its keys (all optional): supplier_name,
// supplier_address, supplier_phone, registrations[{type,number}], date, time, total_amount,
// total_net, total_tax, tip, taxes[{rate (percent),amount,base,code}], receipt_number,
// category, subcategory, document_type, currency, country, language,
// line_items[{description,quantity,unit_price,total}], confidence (of every field),
// confidences{key: value} (per field), fail ("inference": the read fails).
// No marker: a blank receipt, every field empty.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace relais::mindee_emulator {

enum class FileType { jpeg, png, pdf, webp, tiff, heic };

std::optional<FileType> sniff_file_type(std::string_view bytes);
const char *mime_type(FileType type);
const char *file_extension(FileType type);

// Images are one page; a PDF has as many as `/Type /Page` objects (not /Pages), counting those
// inside FlateDecode object streams (PDF 1.5) too.
int count_pages(std::string_view bytes, FileType type);

// The JSON object after the first RELAIS-RECEIPT marker; null when there is none (or it is not
// a well-formed object, which is then reported on stderr: the test file is wrong).
Poco::JSON::Object::Ptr find_receipt_marker(std::string_view bytes);

// Strict base64 (the alphabet and padding; line breaks allowed); nullopt for anything else: a
// client that sends something else has a bug the emulator must show.
std::optional<std::string> decode_base64_strict(const std::string &text);

// What the emulator reads in a file.
class Receipt {
public:
    Receipt() = default;  // blank
    explicit Receipt(Poco::JSON::Object::Ptr marker);

    bool blank() const { return !marker_; }
    bool asks_to_fail() const;
    // The marker's value for `key`; empty (null) when absent or blank.
    Poco::Dynamic::Var value(const std::string &key) const;
    std::optional<std::string> text(const std::string &key) const;
    std::optional<double> number(const std::string &key) const;
    // An array of objects under `key` (empty when absent).
    Poco::JSON::Array::Ptr array(const std::string &key) const;
    // The field's confidence: confidences[key], else confidence, else 0.99; 0 when blank.
    double confidence(const std::string &key) const;

private:
    Poco::JSON::Object::Ptr marker_;
};

struct Document {
    std::string name;   // as uploaded
    FileType type = FileType::jpeg;
    std::size_t size = 0;
    int pages = 1;
    Receipt receipt;
};

struct DocumentLimits {
    std::size_t max_bytes;
    int max_pages;
};
constexpr DocumentLimits kV1SyncLimits{10u << 20, 10};
constexpr DocumentLimits kV1AsyncLimits{20u << 20, 20};
constexpr DocumentLimits kV2Limits{100u << 20, 200};

// A file the API refuses; each version shapes the answer its way.
class DocumentRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Checks the file as the API does and reads it; DocumentRefused when it is empty, of a type the
// API does not take, or over the limits.
Document read_document(std::string_view bytes, std::string name, const DocumentLimits &limits);

}  // namespace relais::mindee_emulator
