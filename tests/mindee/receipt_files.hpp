// Receipt files the Mindee tests send: the samples in plugins/mindee/samples, and PDFs written
// here (any number of pages, a receipt marker on the first, encrypted, cut short, or with the
// page objects inside a compressed object stream as PDF 1.5 writers do).
#pragma once

#include <string>

namespace relais::test {

// A sample file's bytes (plugins/mindee/samples/<name>).
std::string mindee_sample(const std::string &name);

struct PdfOptions {
    int pages = 1;
    // The emulator's receipt convention (RELAIS-RECEIPT{...}) written on the first page; "" for a blank receipt.
    std::string marker_json;
    bool encrypted = false;       // an /Encrypt dictionary in the trailer
    bool object_stream = false;   // page objects inside a FlateDecode /ObjStm
    std::string padding;          // bytes appended after %%EOF

    explicit PdfOptions(int page_count = 1) : pages(page_count) {}
    PdfOptions &marker(std::string json) { marker_json = std::move(json); return *this; }
    PdfOptions &encrypt() { encrypted = true; return *this; }
    PdfOptions &in_object_stream() { object_stream = true; return *this; }
    PdfOptions &pad(std::string bytes) { padding = std::move(bytes); return *this; }
};

std::string make_pdf(const PdfOptions &options);

// A marker for a receipt: total, net, tax, rate (percent), date, supplier and SIRET.
std::string receipt_marker(double total, double net, double tax, double rate, const std::string &date,
                           const std::string &supplier = "Boulangerie Martin", const std::string &siret = "55210055400013",
                           const std::string &extra = "");

}  // namespace relais::test
