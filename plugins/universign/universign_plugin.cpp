// universign: quotes and delivery notes signed online with Universign (Akuiteo console guide,
// section 2.5), through its XML-RPC signature service (the seed's URL, login and password) or
// its REST API v1 (an API key).
//
// Actions:
//   request_signature   documents and signers -> a transaction; as a job it waits for the
//                       signers and ends with the signed PDFs (universign_signatures.hpp)
//   signature_status    a transaction's normalised state, its signers', and Universign's own
//   fetch_signed        the signed documents of a completed transaction
//   cancel_signature    cancels a transaction still waiting for signers
//   remind_signers      sends the invitation again (XML-RPC relaunchTransaction)
//   collect_signatures  the seed's background task, every poll_interval_seconds, the first
//                       start_delay_seconds after start (universign_collect.hpp)
// Webhook:
//   status              Universign's status pushes (XML-RPC GET ?id&signer&status, REST JSON
//                       events), authenticated by ?token=<callback_token>; a hint that wakes
//                       the transaction's job, which then reads the state from the API
// The "Test" button: an authenticated call that changes nothing, naming which API answered.
//
// Quota: Universign publishes none; requests_per_second (5 by default) paces every caller
// together, and every request takes its unit first.
//
// Left out of the seed's fields: "Utilisateur Akuiteo" and "Mot de passe Akuiteo", the ERP's
// own login, which Relais does not need: the ERP authenticates to Relais with its token.
#include "universign_api.hpp"
#include "universign_collect.hpp"
#include "universign_records.hpp"
#include "universign_settings.hpp"
#include "universign_signatures.hpp"

#include <relais/plugin.hpp>
#include <relais/support/bytes.hpp>
#include <relais/support/connection.hpp>
#include <relais/support/json.hpp>
#include <relais/support/state_store.hpp>
#include <relais/support/test_steps.hpp>
#include <relais/support/url.hpp>

#include <Poco/JSON/Array.h>

#include <memory>
#include <string>

namespace relais::universign {
namespace {

const char *const kRequestInput = R"json({
  "type": "object",
  "properties": {
    "custom_id": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[A-Za-z0-9._/-]+$",
                  "description": "The ERP's document number (the quote's or delivery note's): one transaction per custom_id, ever"},
    "documents": {"type": "array", "minItems": 1, "maxItems": 20, "items": {
      "type": "object",
      "properties": {
        "name": {"type": "string", "description": "The document's name, as the signers see it"},
        "file_base64": {"type": "string", "description": "The PDF's bytes in base64"},
        "file_path": {"type": "string", "description": "Instead of file_base64: a path relative to the file_directory setting"},
        "fields": {"type": "array", "items": {
          "type": "object",
          "properties": {
            "page": {"type": "integer", "description": "1-based; -1 is the last page"},
            "x": {"type": "integer", "minimum": 0}, "y": {"type": "integer", "minimum": 0},
            "signer": {"type": ["integer", "string"], "description": "Who signs here: an index in signers[] or an email"}
          },
          "required": ["page", "x", "y", "signer"], "additionalProperties": false}}
      },
      "additionalProperties": false}},
    "signers": {"type": "array", "minItems": 1, "items": {
      "type": "object",
      "properties": {
        "first_name": {"type": "string"}, "last_name": {"type": "string"},
        "email": {"type": "string", "description": "Where Universign sends the invitation"},
        "phone": {"type": "string", "description": "International, e.g. +33 612345678; required for advanced and certified signatures"},
        "role": {"type": "string", "enum": ["signer", "observer"], "default": "signer"}
      },
      "required": ["email"], "additionalProperties": false}},
    "description": {"type": "string"},
    "language": {"type": "string", "description": "Default: the language setting"},
    "certificate_type": {"type": "string", "enum": ["simple", "advanced", "certified"]},
    "chaining_mode": {"type": "string", "enum": ["email", "web", "none"]},
    "success_url": {"type": "string"}, "cancel_url": {"type": "string"}, "fail_url": {"type": "string"}
  },
  "required": ["custom_id", "documents", "signers"],
  "additionalProperties": false
})json";

const char *const kTransactionInput = R"json({
  "type": "object",
  "properties": {
    "transaction_id": {"type": "string", "description": "Universign's transaction id"},
    "custom_id": {"type": "string", "description": "Or the ERP's document number it was requested with"}
  },
  "oneOf": [{"required": ["transaction_id"]}, {"required": ["custom_id"]}],
  "additionalProperties": false
})json";

const char *const kCollectInput = R"json({
  "type": "object",
  "properties": {
    "transaction_id": {"type": "string", "description": "Check only this transaction (what a push queues); all open ones when absent"}
  },
  "additionalProperties": false
})json";

// 14 days for Universign to expire a transaction, a relaunch starting them again, and REST
// workspaces that keep transactions open for up to 180 days.
constexpr uint64_t kRequestDeadlineSeconds = 190ull * 24 * 3600;

struct Runtime {
    Settings settings;
    std::shared_ptr<UniversignApi> api;
    std::shared_ptr<Signatures> signatures;
    std::shared_ptr<Collector> collector;
};

Json configure_answer(const Settings &s) {
    Poco::JSON::Array::Ptr windows = new Poco::JSON::Array;
    Json w = new Poco::JSON::Object;
    w->set("scope", "requests");
    w->set("count", s.requests_per_second);
    w->set("window_seconds", 1);
    windows->add(w);
    Poco::JSON::Array::Ptr tasks = new Poco::JSON::Array;
    Json t = new Poco::JSON::Object;
    t->set("name", "collect_signatures");
    t->set("interval_seconds", s.poll_interval_seconds);
    t->set("start_delay_seconds", s.start_delay_seconds);
    tasks->add(t);
    Json answer = new Poco::JSON::Object;
    answer->set("quota_windows", windows);
    answer->set("periodic_tasks", tasks);
    return answer;
}

std::string query_value(const std::string &query, const std::string &name) {
    std::size_t at = 0;
    while (at <= query.size()) {
        const auto end = std::min(query.find('&', at), query.size());
        const auto pair = query.substr(at, end - at);
        const auto eq = pair.find('=');
        if (support::url_decode(pair.substr(0, eq)) == name)
            return eq == std::string::npos ? std::string() : support::url_decode(pair.substr(eq + 1));
        at = end + 1;
    }
    return {};
}

// The transaction a REST event names. Its schema is not documented (reference A.7): the
// transaction as payload, or under data / data.object, or a transaction_id field.
std::string rest_event_transaction(const Json &event) {
    using support::object_at;
    using support::string_at;
    for (const auto &holder : {object_at(event, "payload"), object_at(event, "data"),
                               object_at(object_at(event, "data"), "object"), object_at(event, "transaction"),
                               object_at(object_at(event, "payload"), "transaction")}) {
        if (!holder) continue;
        if (const auto id = string_at(holder, "transaction_id")) return *id;
        if (const auto id = string_at(holder, "id"); id && id->rfind("tx_", 0) == 0) return *id;
    }
    if (const auto id = string_at(event, "transaction_id")) return *id;
    return {};
}

class Universign {
public:
    static Definition<Universign> definition() {
        return Definition<Universign>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION,
                                      "Universign electronic signature of quotes and delivery notes")
            .settings_schema(settings_map().schema())
            .action("request_signature",
                    "Sends documents to their signers for signature; as a job, waits for them and ends with the "
                    "signed PDFs (one transaction per custom_id, ever)",
                    kRequestInput, &Universign::request_signature)
            .job_deadline(kRequestDeadlineSeconds)
            .action("signature_status", "A transaction's state, each signer's, and Universign's own",
                    kTransactionInput, &Universign::signature_status)
            .action("fetch_signed", "The signed documents of a completed transaction", kTransactionInput,
                    &Universign::fetch_signed)
            .action("cancel_signature", "Cancels a transaction still waiting for its signers", kTransactionInput,
                    &Universign::cancel_signature)
            .action("remind_signers", "Sends the invitation to sign again (XML-RPC relaunchTransaction)",
                    kTransactionInput, &Universign::remind_signers)
            .action("collect_signatures",
                    "Checks the open transactions and settles those that changed (the seed's retrieval task)",
                    kCollectInput, &Universign::collect_signatures)
            .periodic("collect_signatures", "collect_signatures", 21600, 20)
            .quota_window("requests", 5, std::chrono::seconds(1))
            .quota_per_request()
            // Twenty 25 MB documents fetched through a slow line take minutes.
            .step_timeout(900)
            .webhook("status",
                     "Universign's status pushes (XML-RPC GET ?id=&signer=&status=, REST events), authenticated by "
                     "?token=<callback_token>",
                     RELAIS_HOOK_GET | RELAIS_HOOK_POST, &Universign::on_status, 1u << 20);
    }

    explicit Universign(Host host) : host_(host) {}

    Json configure(const Json &json) {
        Settings s = read_settings(json);
        const auto http = clients_.client(s.connection, std::string("Relais-") + RELAIS_PLUGIN_NAME + "/" +
                                                            RELAIS_PLUGIN_VERSION,
                                          connection_block());
        if (!state_)
            state_ = support::versioned_plugin_state(
                host_, "the record of which transaction each custom_id has");
        auto next = std::make_shared<Runtime>();
        next->api = s.api == Api::xmlrpc ? make_xmlrpc_api(s, http, host_) : make_rest_api(s, http, host_);
        const auto records = std::make_shared<Records>(state_, host_);
        next->signatures = std::make_shared<Signatures>(s, next->api, records, host_);
        next->collector = std::make_shared<Collector>(next->signatures, host_);
        next->settings = std::move(s);
        host_.debug(std::string("configured for the ") + next->api->api_name() + " API at " + next->settings.url +
                    (next->settings.enabled ? "" : " (disabled)"));
        auto answer = configure_answer(next->settings);
        runtime_.set(std::move(*next));
        return answer;
    }

    TestReport test(Call &call) {
        TestReport report;
        const auto rt = runtime_.get();
        support::TestSteps steps(report);
        if (!steps.configuration(rt != nullptr, rt && rt->settings.enabled,
                                 rt ? std::string(rt->api->api_name()) + " API at " + rt->settings.url : ""))
            return report;
        const Gate gate{&call, std::chrono::seconds(10)};
        steps.run("credentials",
                  rt->settings.api == Api::xmlrpc ? "Universign account (username, password)" : "API key (api_key)",
                  [&] { return rt->api->check_credentials(gate); });
        return report;
    }

    Json request_signature(const Json &input, Call &call) { return usable()->signatures->request(input, call); }
    Json signature_status(const Json &input, Call &call) { return usable()->signatures->status(input, call); }
    Json fetch_signed(const Json &input, Call &call) { return usable()->signatures->fetch_signed(input, call); }
    Json cancel_signature(const Json &input, Call &call) { return usable()->signatures->cancel(input, call); }
    Json remind_signers(const Json &input, Call &call) { return usable()->signatures->remind(input, call); }
    Json collect_signatures(const Json &input, Call &call) { return usable()->collector->run(input, call); }

    // The push only says which transaction moved: its job reads the state from the API.
    Json on_status(const WebhookRequest &hook) {
        const auto rt = runtime_.get();
        if (!rt || rt->settings.callback_token.empty())
            throw unauthorized("no callback_token is configured: Universign's pushes cannot be authenticated");
        const auto token = query_value(hook.query, "token");
        if (token.empty()) throw unauthorized("the push carries no token (the URL given to Universign ends with ?token=)");
        if (!support::constant_time_equal(token, rt->settings.callback_token))
            throw unauthorized("the push's token does not match callback_token");
        std::string transaction, hint;
        if (!hook.body.empty() && hook.method == "POST") {
            const auto event = support::parse_json_object(hook.body, RELAIS_INVALID_INPUT, "the event");
            transaction = rest_event_transaction(event);
            hint = support::string_at(event, "id").value_or("") + support::string_at(event, "type").value_or("");
        } else {
            transaction = query_value(hook.query, "id");
            hint = query_value(hook.query, "signer") + "-" + query_value(hook.query, "status");
        }
        if (transaction.empty())
            throw invalid_input("the push names no transaction (XML-RPC: ?id=; REST: the event's payload.id)");
        return rt->collector->on_push(transaction, hint);
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
    Snapshot<Runtime> runtime_;
};

}  // namespace
}  // namespace relais::universign

RELAIS_PLUGIN(relais::universign::Universign)
