// Answers the requests for /console and /console/... from the console's assets: outside the
// API's router (no token is needed to load the page; the page then calls the API with the
// token its user typed), and not in the OpenAPI document.
#pragma once

#include "console/console_assets.hpp"
#include "http/api_router.hpp"

#include <optional>
#include <string>

namespace relais::host::console {

// Whether `path` belongs to the console.
bool is_console_path(const std::string &path);

// The answer to a console request: the asset with its headers, 304 when `if_none_match` names
// its current version, a redirect from /console to /console/, 404 for no such file and 405 for
// a method other than GET or HEAD (both with the same strict headers).
http::ApiResponse respond(const ConsoleAssets &assets, const std::string &method, const std::string &path,
                          const std::string &if_none_match);

}  // namespace relais::host::console
