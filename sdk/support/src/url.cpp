#include <relais/support/url.hpp>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <stdexcept>

namespace relais::support {

namespace {

bool unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string url_encode(std::string_view text) {
    static const char *digits = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() * 3 / 2);
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (unreserved(c)) {
            out += ch;
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 0x0F];
        }
    }
    return out;
}

std::string url_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+' && plus_is_space) {
            out += ' ';
        } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::string form_encode(const Fields &fields) {
    std::string out;
    for (const auto &[name, value] : fields) {
        if (!out.empty()) out += '&';
        out += url_encode(name);
        out += '=';
        out += url_encode(value);
    }
    return out;
}

std::string append_query(std::string url, const Fields &fields) {
    if (fields.empty()) return url;
    const auto fragment = url.find('#');
    std::string tail;
    if (fragment != std::string::npos) {
        tail = url.substr(fragment);
        url.erase(fragment);
    }
    const bool has_query = url.find('?') != std::string::npos;
    if (!has_query)
        url += '?';
    else if (url.back() != '?' && url.back() != '&')
        url += '&';
    return url + form_encode(fields) + tail;
}

std::string Origin::key() const { return scheme + "://" + host + ":" + std::to_string(port); }

Origin parse_origin(const std::string &url) {
    try {
        const Poco::URI uri(url);
        Origin o;
        o.scheme = uri.getScheme();
        if (o.scheme != "http" && o.scheme != "https")
            throw std::invalid_argument("not an http or https URL: " + without_query(url));
        o.host = uri.getHost();
        if (o.host.empty()) throw std::invalid_argument("URL without a host: " + without_query(url));
        o.port = uri.getPort();
        o.target = uri.getPathAndQuery();
        if (o.target.empty()) o.target = "/";
        return o;
    } catch (const Poco::Exception &e) {
        throw std::invalid_argument("not a valid URL: " + without_query(url) + " (" + e.message() + ")");
    }
}

std::string without_query(const std::string &url) { return url.substr(0, url.find_first_of("?#")); }

}  // namespace relais::support
