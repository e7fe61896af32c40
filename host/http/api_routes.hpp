// The endpoints of the HTTP API, bound to the running host's parts.
#pragma once

#include "http/api_router.hpp"

#include <atomic>
#include <string>

namespace relais::host {
class ConnectorManager;
class Metrics;
class JobRuntime;
namespace events {
class EventHub;
}
}  // namespace relais::host

namespace relais::host::http {

struct ApiContext {
    ConnectorManager &connectors;
    Metrics &metrics;
    std::atomic<bool> &ready;  // false while starting and once stopping
    JobRuntime &jobs;
    events::EventHub *events = nullptr;  // null: the /api/v1/events routes answer 503
};

// The /api/v1/jobs endpoints (job_routes.cpp).
void add_job_routes(ApiRouter &router, ApiContext context);
// The /api/v1/events endpoints (event_routes.cpp).
void add_event_routes(ApiRouter &router, ApiContext context);

// What the administration console needs: whoami, settings validation, periodic tasks and
// their runs, the charts' figures (console_routes.cpp).
void add_console_routes(ApiRouter &router, ApiContext context);

// The /api/v1/logs endpoints (log_routes.cpp): the latest lines and their live stream.
void add_log_routes(ApiRouter &router, ApiContext context);

// The /api/v1/hooks endpoints (hook_routes.cpp): plugins' webhooks, without the bearer token.
void add_hook_routes(ApiRouter &router, ApiContext context);

// Every route of the API, as documented in openapi.json (a test holds the two together).
ApiRouter make_api_router(ApiContext context);

// The OpenAPI 3 document of this API (host/http/openapi.json, compiled in).
const std::string &openapi_document();

}  // namespace relais::host::http
