// The two backends' factories (exchange_graph_backend.cpp, exchange_ews_backend.cpp).
#pragma once

#include "exchange_auth.hpp"
#include "exchange_backend.hpp"
#include "exchange_settings.hpp"

#include <relais/support/http_client.hpp>

#include <memory>

namespace relais::exchange {

std::shared_ptr<CalendarBackend> make_graph_backend(const Settings &settings, std::shared_ptr<support::HttpClient> http,
                                                    std::shared_ptr<TokenSource> tokens, Host host);
std::shared_ptr<CalendarBackend> make_ews_backend(const Settings &settings, std::shared_ptr<support::HttpClient> http,
                                                  std::shared_ptr<TokenSource> tokens, Host host);

}  // namespace relais::exchange
