// The administration console's static files (console/ in the source tree), served at
// /console/ by the API server. They are compiled into the binary, so an installed host serves
// the console it was built with and needs no file beside it; RELAIS_CONSOLE_DIR names a
// directory to serve them from instead, read at each request, for working on the page.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relais::host::console {

struct EmbeddedFile {
    const char *path;  // relative to console/, with '/' separators
    std::string_view content;
};

// Generated at build time from console/ (cmake/embed_files.cmake).
const std::vector<EmbeddedFile> &embedded_files();

struct Asset {
    std::string content;
    std::string content_type;
    std::string etag;  // a strong validator of the content
};

class ConsoleAssets {
public:
    // An empty directory: the embedded files.
    explicit ConsoleAssets(std::filesystem::path directory = {});

    // The file at `relative` (the request path after "/console/"); "" is index.html. None for
    // a path that names no file, or that tries to leave the console's directory.
    std::optional<Asset> find(std::string_view relative) const;

    bool from_directory() const { return !directory_.empty(); }
    std::size_t embedded_count() const { return embedded_.size(); }

private:
    std::filesystem::path directory_;
    std::map<std::string, std::string_view, std::less<>> embedded_;
};

// The headers every console response carries: a policy that lets the page run only its own
// scripts and styles and talk only to this host, and no framing or type sniffing.
const std::map<std::string, std::string> &security_headers();

// The MIME type for a file name, from its extension ("application/octet-stream" when unknown).
std::string content_type_for(std::string_view path);

}  // namespace relais::host::console
