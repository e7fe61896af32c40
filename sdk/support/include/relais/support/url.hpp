// relais/support/url.hpp: percent-encoding, form bodies and query strings.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relais::support {

// Name/value pairs in order (form bodies and query strings may repeat a name).
using Fields = std::vector<std::pair<std::string, std::string>>;

// Percent-encodes every byte outside RFC 3986's unreserved set (A-Z a-z 0-9 - . _ ~), so the
// result is safe in a path segment, a query value and an application/x-www-form-urlencoded body.
std::string url_encode(std::string_view text);

// Decodes %XX sequences; with `plus_is_space` (form bodies, query strings) '+' is a space.
// A malformed escape is kept as is.
std::string url_decode(std::string_view text, bool plus_is_space = true);

// "a=1&b=x%20y": the body of an application/x-www-form-urlencoded request, or a query string.
std::string form_encode(const Fields &fields);

// Appends "name=value" to `url`'s query, with '?' or '&' as needed.
std::string append_query(std::string url, const Fields &fields);

// The parts of an absolute http(s) URL. Throws std::invalid_argument for anything else.
struct Origin {
    std::string scheme;  // "http" or "https"
    std::string host;
    unsigned short port = 0;  // the scheme's default when the URL has none
    std::string target;       // path and query, "/" at least

    // "https://host:port", the key sessions are pooled by.
    std::string key() const;
};
Origin parse_origin(const std::string &url);

// The URL without its query string, for messages: queries may be long, or carry data.
std::string without_query(const std::string &url);

}  // namespace relais::support
