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

bool TestSteps::run(const std::string &name, const std::string &hint, const std::function<std::string()> &step) {
    if (!ok_) return false;
    try {
        report_.pass(name, step());
    } catch (const Error &e) {
        std::string message = e.what();
        // A quota refusal or an outage says nothing about the settings: no hint then.
        const bool about_settings = e.status() != RELAIS_RATE_LIMITED && e.status() != RELAIS_TRANSIENT;
        if (about_settings && !hint.empty()) message += " (" + hint + ")";
        report_.fail(name, message, e.status());
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
