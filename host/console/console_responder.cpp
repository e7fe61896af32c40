#include "console/console_responder.hpp"

namespace relais::host::console {
namespace {

http::ApiResponse plain(int status, std::string text) {
    http::ApiResponse r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(text);
    return r;
}

}  // namespace

bool is_console_path(const std::string &path) { return path == "/console" || path.rfind("/console/", 0) == 0; }

http::ApiResponse respond(const ConsoleAssets &assets, const std::string &method, const std::string &path,
                          const std::string &if_none_match) {
    http::ApiResponse r;
    if (method != "GET" && method != "HEAD") {
        r = plain(405, "the console's files are read with GET\n");
        r.headers["Allow"] = "GET, HEAD";
    } else if (path == "/console") {
        r = plain(301, "");
        r.headers["Location"] = "/console/";
    } else if (const auto asset = assets.find(std::string_view(path).substr(std::string_view("/console/").size()))) {
        r.content_type = asset->content_type;
        r.headers["ETag"] = asset->etag;
        // Revalidated at each load: a host upgraded in place serves its new page at once.
        r.headers["Cache-Control"] = "no-cache";
        if (!if_none_match.empty() && if_none_match == asset->etag) {
            r.status = 304;
        } else {
            r.status = 200;
            r.body = asset->content;
        }
    } else {
        r = plain(404, "no such file in the console: " + path + "\n");
    }
    for (const auto &[name, value] : security_headers()) r.headers[name] = value;
    return r;
}

}  // namespace relais::host::console
