// Which redirects HttpClient follows, and where a redirect leads (for classify()).
#pragma once

#include <relais/support/http_client.hpp>

#include <optional>
#include <string>

namespace relais::support::detail {

bool is_redirect(int status);

// The absolute URL a redirect answer's Location points to, resolved against the URL the
// answer came from; nullopt when there is no usable Location.
std::optional<std::string> redirect_target(const HttpResponse &response);

// The request to send next for `response` to `request`, or nullopt when the answer is to be
// returned as it is (not a redirect, another origin, a method that must not be resent).
std::optional<HttpRequest> follow(const HttpRequest &request, const HttpResponse &response);

}  // namespace relais::support::detail
