#include "signing_files.hpp"

#include <cstdint>
#include <cstdio>
#include <vector>

namespace relais::test {

namespace {

// Objects numbered from 1 in order, an xref table with their offsets, and a trailer: enough for
// a strict reader (and the connector's document inspection) to find the page tree and the end.
std::string assemble(const std::vector<std::string> &objects) {
    std::string pdf = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
    std::vector<std::size_t> offsets;
    for (std::size_t i = 0; i < objects.size(); ++i) {
        offsets.push_back(pdf.size());
        pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
    }
    const auto xref = pdf.size();
    pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
    for (const auto offset : offsets) {
        char line[32];
        std::snprintf(line, sizeof line, "%010zu 00000 n \n", offset);
        pdf += line;
    }
    pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
           std::to_string(xref) + "\n%%EOF\n";
    return pdf;
}

std::string stream(const std::string &data) {
    return "<< /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream";
}

// Escapes what a PDF literal string cannot hold as is.
std::string literal(const std::string &text) {
    std::string out;
    for (const char c : text) {
        if (c == '(' || c == ')' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

}  // namespace

std::string signing_pdf(int pages, const std::string &tag) {
    // 1 catalog, 2 page tree, 3 font, then per page its page object and its content stream.
    std::vector<std::string> objects;
    std::string kids;
    for (int p = 0; p < pages; ++p) kids += std::to_string(4 + 2 * p) + " 0 R ";
    objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
    objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages) + " >>");
    objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    for (int p = 0; p < pages; ++p) {
        objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                          "/Contents " + std::to_string(5 + 2 * p) + " 0 R >>");
        objects.push_back(stream("BT /F1 12 Tf 72 720 Td (" + literal(tag) + " - page " + std::to_string(p + 1) +
                                 ") Tj ET"));
    }
    return assemble(objects);
}

std::string large_pdf(std::size_t bytes, const std::string &tag) {
    // The padding is an image XObject the page uses; bytes from a small linear congruential
    // generator, so that no transport compression makes the test cheaper than it looks.
    std::string data(bytes, '\0');
    uint32_t x = 0x2545F491u;
    for (auto &c : data) {
        x = x * 1664525u + 1013904223u;
        c = static_cast<char>(x >> 24);
    }
    std::vector<std::string> objects;
    objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
    objects.push_back("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> "
                      "/XObject << /Im1 6 0 R >> >> /Contents 4 0 R >>");
    objects.push_back(stream("BT /F1 12 Tf 72 720 Td (" + literal(tag) + ") Tj ET q 500 0 0 700 50 50 cm /Im1 Do Q"));
    objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    const std::size_t side = 1024;
    const std::size_t height = (bytes + side * 3 - 1) / (side * 3);
    data.resize(side * 3 * height, '\0');
    objects.push_back("<< /Type /XObject /Subtype /Image /Width " + std::to_string(side) + " /Height " +
                      std::to_string(height) + " /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length " +
                      std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream");
    return assemble(objects);
}

}  // namespace relais::test
