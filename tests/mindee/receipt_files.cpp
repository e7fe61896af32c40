#include "receipt_files.hpp"

#include <catch2/catch.hpp>

#include <Poco/DeflatingStream.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#ifndef MINDEE_SAMPLES_DIR
#error "MINDEE_SAMPLES_DIR must point to plugins/mindee/samples"
#endif

namespace relais::test {

std::string mindee_sample(const std::string &name) {
    std::ifstream in(std::string(MINDEE_SAMPLES_DIR) + "/" + name, std::ios::binary);
    REQUIRE(in);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

namespace {

std::string deflate(const std::string &data) {
    std::ostringstream out;
    Poco::DeflatingOutputStream z(out, Poco::DeflatingStreamBuf::STREAM_ZLIB);
    z << data;
    z.close();
    return out.str();
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

}  // namespace

std::string make_pdf(const PdfOptions &o) {
    // Objects: 1 catalog, 2 pages, 3 font, then per page its page object and its content.
    std::vector<std::string> objects;  // index i is object i + 1
    std::string kids;
    const int first_page = 4;
    for (int p = 0; p < o.pages; ++p) kids += std::to_string(first_page + 2 * p) + " 0 R ";
    objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
    objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(o.pages) + " >>");
    objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    std::vector<int> page_objects;
    for (int p = 0; p < o.pages; ++p) {
        std::string text = "BT /F1 12 Tf 72 720 Td (Receipt page " + std::to_string(p + 1) + ") Tj ET\n";
        if (p == 0 && !o.marker_json.empty()) text = "% RELAIS-RECEIPT" + o.marker_json + "\n" + text;
        page_objects.push_back(static_cast<int>(objects.size()));
        objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                          "/Contents " + std::to_string(first_page + 2 * p + 1) + " 0 R >>");
        objects.push_back("<< /Length " + std::to_string(text.size()) + " >>\nstream\n" + text + "endstream");
    }

    std::string pdf = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
    std::vector<std::size_t> offsets(objects.size() + 2, 0);
    std::size_t count = objects.size();
    if (o.object_stream) {
        // The page objects go into one compressed object stream (object count + 1); their
        // numbers keep their places, written there instead of in the file's body.
        std::string header, body;
        for (int index : page_objects) {
            header += std::to_string(index + 1) + " " + std::to_string(body.size()) + " ";
            body += objects[static_cast<std::size_t>(index)] + "\n";
        }
        const auto data = deflate(header + body);
        objects.push_back("<< /Type /ObjStm /N " + std::to_string(page_objects.size()) + " /First " +
                          std::to_string(header.size()) + " /Filter /FlateDecode /Length " + std::to_string(data.size()) +
                          " >>\nstream\n" + data + "\nendstream");
        count = objects.size();
    }
    for (std::size_t i = 0; i < count; ++i) {
        const bool in_stream = o.object_stream && std::find(page_objects.begin(), page_objects.end(), static_cast<int>(i)) !=
                                                      page_objects.end();
        if (in_stream) continue;
        offsets[i + 1] = pdf.size();
        pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
    }
    std::string encrypt;
    if (o.encrypted) {
        offsets[count + 1] = pdf.size();
        pdf += std::to_string(count + 1) + " 0 obj\n<< /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 "
               "/O <00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff> "
               "/U <ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100> >>\nendobj\n";
        encrypt = " /Encrypt " + std::to_string(count + 1) + " 0 R /ID [<0123456789abcdef> <0123456789abcdef>]";
        ++count;
    }
    const auto xref = pdf.size();
    pdf += "xref\n0 " + std::to_string(count + 1) + "\n0000000000 65535 f \n";
    for (std::size_t i = 1; i <= count; ++i) {
        char line[32];
        std::snprintf(line, sizeof line, "%010zu 00000 n \n", offsets[i]);
        pdf += line;  // objects inside the object stream keep offset 0: readers of this test file do not need them
    }
    pdf += "trailer\n<< /Size " + std::to_string(count + 1) + " /Root 1 0 R" + encrypt + " >>\nstartxref\n" +
           std::to_string(xref) + "\n%%EOF\n" + o.padding;
    return pdf;
}

std::string receipt_marker(double total, double net, double tax, double rate, const std::string &date,
                           const std::string &supplier, const std::string &siret, const std::string &extra) {
    return "{\"supplier_name\":\"" + supplier + "\",\"registrations\":[{\"type\":\"SIRET\",\"number\":\"" + siret +
           "\"}],\"date\":\"" + date + "\",\"total_amount\":" + number(total) + ",\"total_net\":" + number(net) +
           ",\"total_tax\":" + number(tax) + ",\"taxes\":[{\"rate\":" + number(rate) + ",\"amount\":" + number(tax) +
           ",\"base\":" + number(net) + ",\"code\":\"TVA\"}],\"currency\":\"EUR\",\"country\":\"FR\",\"language\":\"fr\"," +
           "\"category\":\"food\",\"confidence\":0.95" + extra + "}";
}

}  // namespace relais::test
