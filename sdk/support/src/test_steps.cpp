#include <relais/support/test_steps.hpp>

namespace relais::support {

bool TestSteps::configuration(bool configured, bool enabled, const std::string &summary) {
    if (!ok_) return false;
    if (!configured) {
        report_.fail("configuration", "the connector has not been configured", RELAIS_INVALID_CONFIG);
        ok_ = false;
    } else if (!enabled) {
        report_.fail("configuration", "the connector is disabled (enabled is false)", RELAIS_INVALID_CONFIG);
        ok_ = false;
    } else {
        report_.pass("configuration", summary);
    }
    return ok_;
}

std::string what_to_check(relais_status status, const std::string &credentials) {
    switch (status) {
    case RELAIS_UNAUTHORIZED: return credentials.empty() ? "the credentials" : credentials;
    case RELAIS_FORBIDDEN: return "permissions of the account or application upstream";
    case RELAIS_RATE_LIMITED: return "quota: too many requests right now, try again shortly";
    case RELAIS_TRANSIENT: return "network or service: the URL, a proxy, or an outage";
    case RELAIS_INVALID_CONFIG: return "URL or TLS configuration";
    case RELAIS_NOT_FOUND: return "the identifiers in the settings";
    default: return "see the message";
    }
}

bool TestSteps::run(const std::string &name, const std::string &credentials, const std::function<std::string()> &step) {
    if (!ok_) return false;
    try {
        report_.pass(name, step());
    } catch (const Error &e) {
        report_.fail(name, std::string(e.what()) + " [check: " + what_to_check(e.status(), credentials) + "]", e.status());
        ok_ = false;
    } catch (const std::exception &e) {
        report_.fail(name, std::string("unexpected failure: ") + e.what(), RELAIS_INTERNAL);
        ok_ = false;
    }
    return ok_;
}

void require_usable(const std::string &connector, bool configured, bool enabled) {
    if (!configured) throw invalid_config("the " + connector + " connector has not been configured");
    if (!enabled) throw invalid_config("the " + connector + " connector is disabled (enabled is false)");
}

}  // namespace relais::support
