// mindee: Mindee OCR, which reads the fields of photographed expense receipts, so that an
// employee's expense fills itself in the ERP's portal and mobile app (Akuiteo console guide,
// section 2.1), on Mindee's v2 platform or its legacy v1 products API.
//
// Action:
//   read_receipt   a receipt (file_base64 + file_name, or file_path under file_directory) ->
//                  one normalised expense, the same for v1 and v2 (mindee_expense.hpp); as a
//                  job it reads asynchronously and waits between looks (mindee_receipts.hpp)
// Webhook:
//   result         v2's notice that a read is done (HMAC-signed), which wakes its job at once
// The "Test" button: the key (and, in v2, the model) without spending a page.
//
// Quotas, all settings since the reference is unsure of them: v1 4 requests a second and 75 a
// minute; v2 200 enqueues and 1,200 polls a minute. The descriptor declares them and configure's
// answer replaces them with the settings' values; every request takes its unit first.
//
// Files: settings, document checks (the SDK's document_inspect), readings of v1 and v2
// (mindee_v1_prediction, mindee_v2_result), the expense, errors, the HTTP API, single flight,
// the receipts logic; this file is the plugin glue.
#include "mindee_api.hpp"
#include "mindee_json.hpp"
#include "mindee_receipts.hpp"
#include "mindee_settings.hpp"

#include <relais/plugin.hpp>
#include <relais/support/connection.hpp>
#include <relais/support/signature.hpp>
#include <relais/support/state_store.hpp>
#include <relais/support/test_steps.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <memory>
#include <string>

namespace relais::mindee {
namespace {

const char *const kReadReceiptInput = R"json({
  "type": "object",
  "properties": {
    "file_base64": {"type": "string", "description": "The receipt's bytes in base64 (JPEG, PNG, PDF, WEBP, TIFF or HEIC)"},
    "file_name": {"type": "string", "description": "Its file name, as Mindee and the result show it"},
    "file_path": {"type": "string", "description": "Instead of file_base64: a path relative to the file_directory setting"},
    "locale": {"type": "string", "pattern": "^[a-z]{2}([-_][A-Za-z]{2})?$",
               "description": "The receipt's expected language (and country), e.g. fr-FR: used where Mindee reads none"},
    "force": {"type": "boolean", "default": false,
              "description": "Read the file again even if the same bytes were read within dedupe_ttl_hours (a page is spent)"},
    "include_raw": {"type": "boolean", "default": false, "description": "Add Mindee's answer as received, under raw"}
  },
  "oneOf": [{"required": ["file_base64"]}, {"required": ["file_path"]}],
  "additionalProperties": false
})json";

struct Runtime {
    Settings settings;
    std::shared_ptr<MindeeApi> api;
    std::shared_ptr<Receipts> receipts;
};

// {"quota_windows": [...]}: the settings' quotas, which replace the declared ones.
Json quota_answer(const Settings &s) {
    Poco::JSON::Array::Ptr windows = new Poco::JSON::Array;
    const auto add = [&](const char *scope, int64_t count, int64_t seconds) {
        Json w = new Poco::JSON::Object;
        w->set("scope", scope);
        w->set("count", count);
        w->set("window_seconds", seconds);
        windows->add(w);
    };
    add("requests", s.v1_requests_per_second, 1);
    const auto minute = static_cast<int64_t>(s.quota_minute.count());
    add("requests", s.v1_requests_per_minute, minute);
    add("enqueues", s.v2_enqueues_per_minute, minute);
    add("polls", s.v2_polls_per_minute, minute);
    Json answer = new Poco::JSON::Object;
    answer->set("quota_windows", windows);
    return answer;
}

class Mindee {
public:
    static Definition<Mindee> definition() {
        return Definition<Mindee>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION,
                                  "Mindee OCR: reads the fields of photographed expense receipts")
            .settings_schema(settings_map().schema())
            .action("read_receipt",
                    "Reads a photographed receipt into an expense (amounts, taxes, date, supplier and its SIRET, "
                    "lines); as a job it reads long PDFs asynchronously",
                    kReadReceiptInput, &Mindee::read_receipt)
            .job_deadline(3600)
            .quota_window("requests", 4, std::chrono::seconds(1))
            .quota_window("requests", 75, std::chrono::seconds(60))
            .quota_window("enqueues", 200, std::chrono::seconds(60))
            .quota_window("polls", 1200, std::chrono::seconds(60))
            .quota_per_request()
            .webhook("result", "Mindee v2's notice that a read is done, signed with X-Mindee-Hmac-Signature",
                     RELAIS_HOOK_POST, &Mindee::on_result, 8u << 20);
    }

    explicit Mindee(Host host) : host_(host), flights_(std::make_shared<Flights>()) {}

    Json configure(const Json &json) {
        Settings s = read_settings(json);
        const auto http = clients_.client(s.connection, std::string("Relais-") + RELAIS_PLUGIN_NAME + "/" + RELAIS_PLUGIN_VERSION,
                                          connection_block());
        // Expiry and compare-and-set are needed (dedupe_ttl_hours, pending reads).
        if (!state_)
            state_ = support::versioned_plugin_state(
                host_, "the record of the receipts read and of the reads under way");
        auto next = std::make_shared<Runtime>();
        next->api = std::make_shared<MindeeApi>(s, http, host_);
        next->receipts = std::make_shared<Receipts>(s, next->api, state_, flights_, host_);
        next->settings = std::move(s);
        host_.debug(std::string("configured for API ") + next->api->version_name() +
                    (next->settings.enabled ? "" : " (disabled)"));
        const auto answer = quota_answer(next->settings);
        runtime_.set(std::move(*next));
        return answer;
    }

    TestReport test(Call &call) {
        TestReport report;
        const auto rt = runtime_.get();
        support::TestSteps steps(report);
        if (!steps.configuration(rt != nullptr, rt && rt->settings.enabled,
                                 rt ? "API " + std::string(rt->api->version_name()) + " at " + rt->settings.url : ""))
            return report;
        const Gate gate{&call, std::chrono::seconds(10)};
        steps.run("api key", "the API key (api_key)", [&] { return rt->api->check_key(gate); });
        if (rt->api->version() == ApiVersion::v2)
            steps.run("model", "the API key (api_key)", [&] { return rt->api->check_model(gate); });
        return report;
    }

    Json read_receipt(const Json &input, Call &call) { return usable()->receipts->read(input, call); }

    // Authenticated by the HMAC of the body under webhook_secret; the body only says which job
    // is done: the job then reads the result from the API itself.
    Json on_result(const WebhookRequest &hook) {
        const auto rt = runtime_.get();
        if (!rt || rt->settings.webhook_secret.empty())
            throw unauthorized("no webhook_secret is configured: Mindee's notices cannot be authenticated");
        const auto signature = hook.header("x-mindee-hmac-signature");
        if (signature.empty()) throw unauthorized("no X-Mindee-Hmac-Signature header");
        if (!support::hmac_sha256_matches(rt->settings.webhook_secret, hook.body, signature))
            throw unauthorized("X-Mindee-Hmac-Signature does not match the body");
        Json body;
        try {
            body = Poco::JSON::Parser().parse(hook.body).extract<Json>();
        } catch (const std::exception &) {
            throw invalid_input("the notice is not a JSON object");
        }
        // A result ({"inference": {"job": {"id"}}}) or a job ({"job": {"id"}}): either form.
        auto job = text_at(object_at(object_at(body, "inference"), "job"), "id");
        if (!job) job = text_at(object_at(body, "job"), "id");
        if (!job) throw invalid_input("the notice names no job (inference.job.id or job.id)");
        bool woken = false;
        try {
            woken = rt->receipts->wake_for_mindee_job(*job);
        } catch (const Error &e) {
            host_.warn("Mindee's notice for job " + *job + " could not wake its job: " + e.what());
        }
        Json answer = new Poco::JSON::Object;
        answer->set("job", *job);
        answer->set("woken", woken);
        return answer;
    }

private:
    std::shared_ptr<const Runtime> usable() const {
        auto rt = runtime_.get();
        support::require_usable(RELAIS_PLUGIN_NAME, rt != nullptr, rt && rt->settings.enabled);
        return rt;
    }

    Host host_;
    support::ClientKeeper clients_;
    std::shared_ptr<support::StateStore> state_;
    std::shared_ptr<Flights> flights_;
    Snapshot<Runtime> runtime_;
};

}  // namespace
}  // namespace relais::mindee

RELAIS_PLUGIN(relais::mindee::Mindee)
