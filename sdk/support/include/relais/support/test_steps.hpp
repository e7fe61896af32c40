// relais/support/test_steps.hpp: the "Test" button, written as steps.
//
// A connection test is a sequence: settings usable, credentials accepted, service reachable,
// the configured account known. Each step either passes with what it found ("PISTE issued a
// token, valid 3536 s more") or fails with the upstream's reason followed by what to check,
// chosen by the error's class: the step's own credentials for a refusal ("[check: OAuth
// credentials (client_id, client_secret)]"), permissions for forbidden, the quota, the
// network or an outage, the URL or TLS settings. The first failure ends the test: later steps
// would only fail for the same reason.
#pragma once

#include <relais/plugin.hpp>

#include <functional>
#include <string>

namespace relais::support {

class TestSteps {
public:
    explicit TestSteps(TestReport &report) : report_(report) {}

    // The first step of every test: the connector has settings and is enabled.
    bool configuration(bool configured, bool enabled, const std::string &summary);

    // Runs `step` unless an earlier one failed. `step` returns the message of a pass and
    // throws relais::Error to fail; its class becomes the report's. `credentials` names what
    // a refusal at this step is about ("technical account (technical_login, ...)"). False once
    // failed.
    bool run(const std::string &name, const std::string &credentials, const std::function<std::string()> &step);

    bool ok() const { return ok_; }

private:
    TestReport &report_;
    bool ok_ = true;
};

// What an administrator should look at after a failure of class `status`; `credentials` for
// a refusal of credentials.
std::string what_to_check(relais_status status, const std::string &credentials);

// The guard in front of every action: throws invalid_config saying whether the connector is
// not configured yet or disabled.
void require_usable(const std::string &connector, bool configured, bool enabled);

}  // namespace relais::support
