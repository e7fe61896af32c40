#include "chorus_check.hpp"

#include <relais/support/json.hpp>

namespace relais::chorus {

namespace {

// What an administrator should look at, from the error class of a failed step.
std::string hint(const Error &e, const std::string &credentials) {
    switch (e.status()) {
    case RELAIS_UNAUTHORIZED: return credentials;
    case RELAIS_FORBIDDEN: return "permissions on PISTE or Chorus Pro";
    case RELAIS_RATE_LIMITED: return "quota: too many requests right now, try again shortly";
    case RELAIS_TRANSIENT: return "network or service: the URL, a proxy, or an outage";
    case RELAIS_INVALID_CONFIG: return "URL or TLS configuration";
    default: return "see the message";
    }
}

}  // namespace

TestReport check_connection(ChorusApi &api, Queries &queries, const Call &call) {
    TestReport report;
    const auto &s = api.settings();
    if (!s.enabled) {
        report.fail("configuration", "the connector is disabled (enabled is false)", RELAIS_INVALID_CONFIG);
        return report;
    }
    report.pass("configuration", s.environment + ", OAuth " + s.oauth_url + ", API " + s.api_url);

    try {
        const auto token = api.token();
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(token.expires_at - std::chrono::steady_clock::now());
        report.pass("oauth_token", "PISTE issued a token to client " + s.client_id + " (valid " +
                                       std::to_string(std::max<int64_t>(0, left.count())) + " s more)");
    } catch (const Error &e) {
        report.fail("oauth_token",
                    std::string(e.what()) + " [check: " + hint(e, "OAuth credentials (client_id, client_secret)") + "]",
                    e.status());
        return report;
    }

    try {
        const auto answer = api.health_check(call);
        std::string said = support::string_at(answer.body, "statusCode").value_or("");
        report.pass("health_check", "API reachable, technical account " + s.technical_login + " accepted" +
                                        (said.empty() ? "" : " (" + said + ")"));
    } catch (const Error &e) {
        report.fail("health_check",
                    std::string(e.what()) + " [check: " +
                        hint(e, "technical account (technical_login, technical_password)") + "]",
                    e.status());
        return report;
    }

    try {
        const auto found = queries.structure_by_siret(s.structure_id, call);
        report.pass("structure", "structure " + s.structure_id + " is " +
                                     support::string_at(found, "designationStructure").value_or("?") +
                                     " (idStructureCPP " +
                                     std::to_string(support::integer_at(found, "idStructureCPP").value_or(0)) + ")");
    } catch (const Error &e) {
        const std::string what = e.status() == RELAIS_NOT_FOUND
                                     ? "structure_id " + s.structure_id + " is not a Chorus Pro structure: " + e.what()
                                     : std::string(e.what());
        report.fail("structure",
                    what + " [check: " + hint(e, "technical account (technical_login, technical_password)") + "]",
                    e.status() == RELAIS_NOT_FOUND ? RELAIS_INVALID_CONFIG : e.status());
    }
    return report;
}

}  // namespace relais::chorus
