// Documents the Universign connector tests send for signature, built in code: small valid PDFs
// of N pages (catalog, page tree, pages, xref and trailer, so a reader counts their pages and
// finds them whole), each carrying a tag so that the document coming back can be told apart,
// and a large PDF padded up to a given size by one big stream object (a scanned contract).
#pragma once

#include <cstddef>
#include <string>

namespace relais::test {

// A valid PDF of `pages` pages whose first page's content names `tag`.
std::string signing_pdf(int pages = 1, const std::string &tag = "contract");

// A valid one-page PDF of about `bytes` bytes (never less): the padding is a stream object of
// incompressible-looking bytes, referenced from the page so that it is part of the document.
std::string large_pdf(std::size_t bytes, const std::string &tag = "large contract");

}  // namespace relais::test
