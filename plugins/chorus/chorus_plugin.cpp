// chorus: Chorus Pro, the French public-sector e-invoicing portal, through the PISTE gateway.
//
// Actions:
//   submit_invoice      a job: deposits an invoice file once (Factur-X, UBL, CII), waits for
//                       its processing and ends with the outcome (job only)
//   track_submission    deprecated: the tracking jobs the previous version enqueued; one
//                       pending after an upgrade follows its submission to the end
//   follow_invoices     the periodic status follow-up of integrated invoices (events)
//   submission_status   what is recorded about a submission, without calling Chorus Pro
//   flux_status         a deposit's processing report (consulterCRDetaille)
//   invoice_status      an invoice's status history (consulter/historique)
//   search_invoices     the supplier's invoices, every page
//   find_structure      a customer by SIRET: its id and whether it requires a service code
//                       or a commitment number, to warn before sending
//   list_services       a customer's services, every page
// The connection test says which step failed (chorus_check.hpp).
//
// Every upstream request takes one unit of the connector's quota (5/s and 50,000/day in
// qualification, 20/s and 1,000,000/day in production, from the customer's guide), so jobs,
// follow-ups and synchronous calls share it. The OAuth token is kept in the host's plugin
// state, so a restart does not ask PISTE for a new one.
//
// Settings follow the Akuiteo console guide, section 2.4, and the WaveSoft note FCT025
// (chorus_settings.cpp). Left out because they are about the ERP, not about Chorus Pro: the
// ERP's own login, WaveSoft's certificate mode (ended in 2020: OAuth2 through PISTE is the
// only mode left) and the ERP user transmissions are attributed to.
//
// Files: settings, api (HTTP, tokens, errors), states, file (input checks), queries (read
// actions), submission (deposit and tracking), check (connection test); this file is the glue.
#include "chorus_api.hpp"
#include "chorus_check.hpp"
#include "chorus_follow_up.hpp"
#include "chorus_queries.hpp"
#include "chorus_settings.hpp"
#include "chorus_submission.hpp"

#include <relais/plugin.hpp>
#include <relais/support/connection.hpp>
#include <relais/support/json.hpp>
#include <relais/support/kept_token.hpp>
#include <relais/support/state_store.hpp>
#include <relais/support/test_steps.hpp>

#include <memory>
#include <string>

namespace relais::chorus {
namespace {

const char *const kTokenStateKey = "oauth/token";

const char *const kSubmitInput = R"json({
  "type": "object",
  "required": ["invoice_number", "syntax"],
  "properties": {
    "invoice_number": {"type": "string", "minLength": 1, "maxLength": 100,
      "description": "The invoice's own number (BT-1); with the file's hash it makes the submission unique"},
    "file_base64": {"type": "string", "maxLength": 13981016, "description": "The invoice file, base64 (at most 10 MiB: ceil(10485760 / 3) * 4 characters)"},
    "file_path": {"type": "string", "description": "Or its path, relative to the file_directory setting"},
    "file_name": {"type": "string", "maxLength": 200, "description": "nomFichier; by default from the path or the invoice number"},
    "syntax": {"type": "string", "description": "facturx (PDF), ubl or cii (XML), or a syntaxeFlux value"},
    "dematerialisation_code": {"type": "string", "description": "The customer's code in the ERP; refused unless listed in dematerialisation_codes"},
    "track": {"type": "boolean", "default": true, "description": "Wait for Chorus Pro's processing and end with its outcome; false: end once deposited"}
  },
  "additionalProperties": false
})json";

const char *const kKeyInput = R"json({
  "type": "object",
  "required": ["submission_key"],
  "properties": {"submission_key": {"type": "string", "minLength": 1}},
  "additionalProperties": false
})json";

const char *const kFollowInput = R"json({
  "type": "object",
  "properties": {},
  "additionalProperties": false
})json";

// The longest a submission job can wait, as the settings allow it: tracking_max_hours at its
// largest plus a week for a lost answer to be searched for. The settings' own bound
// (tracking_max_hours) ends the job first; this one only stops a job nothing else would.
constexpr uint64_t kSubmitDeadlineSeconds = (2160 + 7 * 24) * 3600;

const char *const kStatusInput = R"json({
  "type": "object",
  "properties": {
    "submission_key": {"type": "string", "minLength": 1, "description": "As submit_invoice returned it"},
    "invoice_number": {"type": "string", "minLength": 1},
    "file_sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$", "description": "SHA-256 of the file deposited, in hex"}
  },
  "anyOf": [{"required": ["submission_key"]}, {"required": ["invoice_number", "file_sha256"]}],
  "additionalProperties": false
})json";

const char *const kFluxInput = R"json({
  "type": "object",
  "required": ["flux_number"],
  "properties": {"flux_number": {"type": "string", "minLength": 1, "description": "numeroFluxDepot, as submit_invoice returned it"}},
  "additionalProperties": false
})json";

const char *const kInvoiceInput = R"json({
  "type": "object",
  "required": ["invoice_id"],
  "properties": {"invoice_id": {"type": "integer", "minimum": 1, "description": "identifiantFactureCPP, from search_invoices or a final submission"}},
  "additionalProperties": false
})json";

const char *const kSearchInput = R"json({
  "type": "object",
  "properties": {
    "flux_number": {"type": "string"},
    "invoice_number": {"type": "string"},
    "statuses": {"type": "array", "items": {"type": "string"}, "description": "Chorus Pro statuses, e.g. MISE_A_DISPOSITION"},
    "deposited_from": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    "deposited_to": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
    "max_results": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1000}
  },
  "additionalProperties": false
})json";

const char *const kStructureInput = R"json({
  "type": "object",
  "required": ["siret"],
  "properties": {"siret": {"type": "string", "description": "The customer's SIRET, 14 digits"}},
  "additionalProperties": false
})json";

const char *const kServicesInput = R"json({
  "type": "object",
  "properties": {
    "structure_id": {"type": "integer", "minimum": 1, "description": "idStructureCPP, from find_structure"},
    "siret": {"type": "string"},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
  },
  "anyOf": [{"required": ["structure_id"]}, {"required": ["siret"]}],
  "additionalProperties": false
})json";

struct Runtime {
    Settings settings;
    std::shared_ptr<support::HttpClient> http;
    std::shared_ptr<support::OAuth2ClientCredentials> tokens;
    std::shared_ptr<ChorusApi> api;
    std::shared_ptr<Queries> queries;
    std::shared_ptr<FollowUp> follow_up;
    std::shared_ptr<Submissions> submissions;
};

class Chorus {
public:
    static Definition<Chorus> definition() {
        return Definition<Chorus>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION,
                                  "Chorus Pro e-invoicing for the French public sector, through PISTE")
            .settings_schema(settings_map().schema())
            .action("submit_invoice",
                    "Deposits an invoice file once, waits for Chorus Pro to process it, and ends with the outcome "
                    "(the invoice ids, or Chorus Pro's reasons for a rejection)",
                    kSubmitInput, &Chorus::submit_invoice)
            .job_only()
            .job_deadline(kSubmitDeadlineSeconds)
            .action("track_submission",
                    "Deprecated (submit_invoice follows its deposit itself): follows a submission to its final state",
                    kKeyInput, &Chorus::track_submission)
            .action("follow_invoices",
                    "Fetches the statuses of the integrated invoices still followed, in one paged search, and emits "
                    "invoice.status_changed for each change",
                    kFollowInput, &Chorus::follow_invoices)
            .action("submission_status", "What is recorded about a submission, without calling Chorus Pro", kStatusInput,
                    &Chorus::submission_status)
            .action("flux_status", "The processing report of a deposit (consulterCRDetaille)", kFluxInput,
                    &Chorus::flux_status)
            .action("invoice_status", "The status history of an invoice on Chorus Pro", kInvoiceInput,
                    &Chorus::invoice_status)
            .action("search_invoices", "The supplier's invoices on Chorus Pro, every page", kSearchInput,
                    &Chorus::search_invoices)
            .action("find_structure", "A customer by SIRET, with whether it requires a service code or commitment number",
                    kStructureInput, &Chorus::find_structure)
            .action("list_services", "A customer's services on Chorus Pro, every page", kServicesInput,
                    &Chorus::list_services)
            .quota("requests", kQualification.per_second, kQualification.per_day)
            .quota_per_request()
            .periodic(kFollowTask, "follow_invoices", kFollowDefaultMinutes * 60, 60);
    }

    explicit Chorus(Host host) : host_(host), locks_(std::make_shared<SubmissionLocks>()) {}

    Json configure(const Json &json) {
        Settings s = read_settings(json);
        Runtime next;
        if (s.enabled) {
            const auto previous = runtime_.get();
            next.http = clients_.client(s.connection, std::string("Relais-") + RELAIS_PLUGIN_NAME + "/" + RELAIS_PLUGIN_VERSION,
                                        connection_block());
            const bool same_client = previous && previous->tokens && previous->http == next.http &&
                                     previous->settings.oauth_url == s.oauth_url &&
                                     previous->settings.client_id == s.client_id &&
                                     previous->settings.client_secret == s.client_secret;
            next.tokens = same_client ? previous->tokens : make_tokens(s, *next.http);
            next.api = std::make_shared<ChorusApi>(s, next.http, next.tokens);
            next.queries = std::make_shared<Queries>(next.api);
            next.follow_up = std::make_shared<FollowUp>(next.api, next.queries, host_);
            next.submissions = std::make_shared<Submissions>(next.api, next.queries, store(), locks_, host_, next.follow_up);
        }
        host_.debug("configured for " + s.environment + (s.enabled ? "" : " (disabled)"));
        auto policy = job_policy(s);
        next.settings = std::move(s);
        runtime_.set(std::move(next));
        return policy;
    }

    TestReport test(Call &call) {
        const auto rt = runtime_.get();
        return check_connection(rt ? rt->api.get() : nullptr, rt ? rt->queries.get() : nullptr, rt != nullptr, call);
    }

    Json submit_invoice(const Json &input, Call &call) { return usable()->submissions->submit(input, call); }
    Json track_submission(const Json &input, Call &call) { return usable()->submissions->track(input, call); }
    Json follow_invoices(const Json &input, Call &call) { return usable()->follow_up->run(input, call); }
    Json submission_status(const Json &input, Call &call) { return usable()->submissions->status(input, call); }
    Json flux_status(const Json &input, Call &call) { return usable()->queries->flux_status(input, call); }
    Json invoice_status(const Json &input, Call &call) { return usable()->queries->invoice_status(input, call); }
    Json search_invoices(const Json &input, Call &call) { return usable()->queries->search_invoices(input, call); }
    Json find_structure(const Json &input, Call &call) { return usable()->queries->find_structure(input, call); }
    Json list_services(const Json &input, Call &call) { return usable()->queries->list_services(input, call); }

private:
    std::shared_ptr<const Runtime> usable() const {
        auto rt = runtime_.get();
        support::require_usable(RELAIS_PLUGIN_NAME, rt != nullptr, rt && rt->api);
        return rt;
    }

    // The submission records, in the host's durable state (memory only on a host without one).
    std::shared_ptr<SubmissionStore> store() {
        std::lock_guard lock(store_mutex_);
        if (!store_) store_ = support::plugin_state(host_, "which invoices were deposited");
        return store_;
    }

    // The token cache, seeded with the token an earlier process kept for the same client.
    // OCA renews 240 s before expiry; a deposit started just before must not carry a token
    // that dies on the way.
    std::shared_ptr<support::OAuth2ClientCredentials> make_tokens(const Settings &s, support::HttpClient &http) {
        support::OAuth2Config config;
        config.token_url = s.oauth_url;
        config.client_id = s.client_id;
        config.client_secret = s.client_secret;
        config.scope = "openid";
        config.renew_before_expiry = std::chrono::seconds(240);
        return support::kept_token_cache(http, config, store(), kTokenStateKey, host_);
    }

    Host host_;
    support::ClientKeeper clients_;
    std::shared_ptr<SubmissionLocks> locks_;
    std::mutex store_mutex_;
    std::shared_ptr<SubmissionStore> store_;
    Snapshot<Runtime> runtime_;
};

}  // namespace
}  // namespace relais::chorus

using relais::chorus::Chorus;
RELAIS_PLUGIN(Chorus)
