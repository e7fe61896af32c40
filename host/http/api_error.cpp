#include "http/api_error.hpp"

namespace relais::host::http {

int http_status_for(relais_status status) {
    switch (status) {
    case RELAIS_OK: return 200;
    case RELAIS_INVALID_CONFIG: return 409;
    case RELAIS_INVALID_INPUT: return 400;
    case RELAIS_UNAUTHORIZED: return 502;
    case RELAIS_FORBIDDEN: return 502;
    case RELAIS_NOT_FOUND: return 404;
    case RELAIS_RATE_LIMITED: return 429;
    case RELAIS_TRANSIENT: return 503;
    case RELAIS_PERMANENT: return 422;
    case RELAIS_INTERNAL: return 500;
    case RELAIS_UNSUPPORTED: return 501;
    }
    return 500;
}

}  // namespace relais::host::http
