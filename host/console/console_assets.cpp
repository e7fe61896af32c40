#include "console/console_assets.hpp"

#include <Poco/SHA1Engine.h>
#include <Poco/DigestEngine.h>

#include <fstream>
#include <sstream>

namespace relais::host::console {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Only plain relative names: no "..", no empty or hidden segments, no backslashes; so neither
// the embedded table nor a directory can be left, whatever the request's encoding was.
bool safe_relative(std::string_view path) {
    if (path.empty()) return true;
    if (path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos) return false;
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto end = path.find('/', start);
        const auto segment = path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (segment.empty() || segment.front() == '.') return false;
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return true;
}

std::string etag_of(std::string_view content) {
    Poco::SHA1Engine sha;
    sha.update(content.data(), static_cast<unsigned>(content.size()));
    return "\"" + Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 20) + "\"";
}

}  // namespace

std::string content_type_for(std::string_view path) {
    static const std::pair<const char *, const char *> types[] = {
        {".html", "text/html; charset=utf-8"},       {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},  {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},                   {".png", "image/png"},
        {".ico", "image/x-icon"},                    {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},       {".woff2", "font/woff2"},
    };
    for (const auto &[extension, type] : types)
        if (ends_with(path, extension)) return type;
    return "application/octet-stream";
}

ConsoleAssets::ConsoleAssets(std::filesystem::path directory) : directory_(std::move(directory)) {
    for (const auto &f : embedded_files()) embedded_.emplace(f.path, f.content);
}

std::optional<Asset> ConsoleAssets::find(std::string_view relative) const {
    if (!safe_relative(relative)) return std::nullopt;
    std::string name(relative.empty() ? std::string_view("index.html") : relative);
    if (name.back() == '/') name += "index.html";
    Asset asset;
    if (directory_.empty()) {
        const auto it = embedded_.find(name);
        if (it == embedded_.end()) return std::nullopt;
        asset.content.assign(it->second);
    } else {
        const auto path = directory_ / name;
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
        std::ifstream in(path, std::ios::binary);
        if (!in) return std::nullopt;
        std::ostringstream text;
        text << in.rdbuf();
        asset.content = text.str();
    }
    asset.content_type = content_type_for(name);
    asset.etag = etag_of(asset.content);
    return asset;
}

const std::map<std::string, std::string> &security_headers() {
    static const std::map<std::string, std::string> headers = {
        {"Content-Security-Policy",
         "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
         "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
        {"X-Frame-Options", "DENY"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
        {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
    };
    return headers;
}

}  // namespace relais::host::console
