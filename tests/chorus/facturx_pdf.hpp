// A minimal Factur-X-shaped PDF for tests: one page, and a CII invoice embedded as
// factur-x.xml in a FlateDecode /EmbeddedFile stream (with the /AF relation), with a correct
// cross-reference table. Not PDF/A-3 (no XMP metadata, no output intent): enough for what the
// emulator reads, which is the embedded CII.
#pragma once

#include <string>

namespace relais::test {

std::string facturx_pdf(const std::string &cii);

}  // namespace relais::test
