#include "chorus_check.hpp"

#include <relais/support/json.hpp>
#include <relais/support/test_steps.hpp>

namespace relais::chorus {

TestReport check_connection(ChorusApi *api, Queries *queries, bool configured, const Call &call) {
    TestReport report;
    support::TestSteps steps(report);
    const Settings *s = api ? &api->settings() : nullptr;
    if (!steps.configuration(configured, s != nullptr,
                             s ? s->environment + ", OAuth " + s->oauth_url + ", API " + s->api_url : ""))
        return report;

    const std::string oauth = "OAuth credentials (client_id, client_secret)";
    const std::string technical = "technical account (technical_login, technical_password)";
    steps.run("oauth_token", oauth, [&] {
        const auto token = api->token();
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(token.expires_at - std::chrono::steady_clock::now());
        return "PISTE issued a token to client " + s->client_id + " (valid " +
               std::to_string(std::max<int64_t>(0, left.count())) + " s more)";
    });
    steps.run("health_check", technical, [&] {
        const auto answer = api->health_check(call);
        const std::string said = support::string_at(answer.body, "statusCode").value_or("");
        return "API reachable, technical account " + s->technical_login + " accepted" + (said.empty() ? "" : " (" + said + ")");
    });
    steps.run("structure", technical, [&] {
        try {
            const auto found = queries->structure_by_siret(s->structure_id, call);
            return "structure " + s->structure_id + " is " +
                   support::string_at(found, "designationStructure").value_or("?") + " (idStructureCPP " +
                   std::to_string(support::integer_at(found, "idStructureCPP").value_or(0)) + ")";
        } catch (const Error &e) {
            if (e.status() != RELAIS_NOT_FOUND) throw;
            // Not an outage: the setting names a structure Chorus Pro does not know.
            throw invalid_config("structure_id " + s->structure_id + " is not a Chorus Pro structure: " + e.what());
        }
    });
    return report;
}

}  // namespace relais::chorus
