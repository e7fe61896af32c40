// hello: the smallest useful Relais plugin. Copy this folder to start a connector.
//
// A plugin is a class with:
//   - a static definition(): its name, version, settings schema and actions;
//   - a constructor taking relais::Host (logging, jobs, durable state);
//   - configure(settings), called again whenever an administrator changes the settings;
//   - optionally test(call), the connection test behind the "Test" button;
//   - one method per action, (input, call) -> result, called from many threads at once.
// Throw relais::invalid_input(...), relais::transient(...) and friends to report failures:
// the host retries or not according to the class.
//
// It is written with the SDK's connector kit (RelaisSDK::support), as real connectors are:
//   - the settings are declared once (relais/support/settings.hpp): the schema the host
//     validates and the console draws, and the struct configure() fills, come from the same
//     lines, so a default is never written twice;
//   - a connector that calls an API adds the connection block (relais/support/connection.hpp:
//     base URL, CA file, timeouts, proxy, credentials) and gets its HttpClient from a
//     ClientKeeper; see plugins/sirene in the Relais sources;
//   - the Test button is a list of steps (relais/support/test_steps.hpp), each failure saying
//     what to check.
//
// It also shows long-running work: `await_approval` runs only as a job and waits (no thread,
// no attempt used) until somebody approves it through the `approve` webhook, which the host
// serves at POST /api/v1/hooks/hello/approve. The webhook authenticates its caller with an
// HMAC-SHA256 of the body under the `webhook_secret` setting, records the approval in the
// plugin's state and wakes the job, whose next step finds it and ends.
#include <relais/plugin.hpp>
#include <relais/support/settings.hpp>
#include <relais/support/signature.hpp>
#include <relais/support/test_steps.hpp>

#include <chrono>

namespace {

struct Settings {
    bool enabled;
    std::string greeting;
    int64_t repeat;
    std::optional<std::string> webhook_secret;
};


const relais::support::SettingsMap<Settings> &settings_map() {
    static const auto map = relais::support::SettingsMap<Settings>()
                                .enabled(&Settings::enabled, "Turns the plugin on", true)
                                .text("greeting", &Settings::greeting, "Hello", "Word put before the name",
                                      relais::support::TextRules().min_length(1))
                                .integer("repeat", &Settings::repeat, 1, {1, 10}, "How many times the greeting is said")
                                .optional_text("webhook_secret", &Settings::webhook_secret,
                                               "Key of the HMAC-SHA256 that callers of the approve webhook sign "
                                               "the body with (header X-Hello-Signature, hex)",
                                               relais::support::TextRules().secret().min_length(16));
    return map;
}

class Hello {
public:
    static relais::Definition<Hello> definition() {
        return relais::Definition<Hello>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION, "Greets whoever asks")
            .settings_schema(settings_map().schema())
            .action("greet", "Returns a greeting for `name`",
                    R"({"type": "object", "required": ["name"],
                        "properties": {"name": {"type": "string", "minLength": 1}},
                        "additionalProperties": false})",
                    &Hello::greet)
            .action("await_approval", "Waits until `request` is approved through the approve webhook",
                    R"({"type": "object", "required": ["request"],
                        "properties": {"request": {"type": "string", "minLength": 1, "maxLength": 200}},
                        "additionalProperties": false})",
                    &Hello::await_approval)
            .job_only()
            .job_deadline(7 * 86400)
            .webhook("approve", "Approves a waiting request: {\"request\": ...}, signed", RELAIS_HOOK_POST,
                     &Hello::approve, 64 * 1024);
    }

    explicit Hello(relais::Host host) : host_(host) {}

    void configure(const relais::Json &settings) { settings_.set(settings_map().read(settings)); }

    relais::TestReport test(relais::Call &) {
        relais::TestReport report;
        const auto s = settings_.get();
        relais::support::TestSteps steps(report);
        if (!steps.configuration(s != nullptr, s && s->enabled, "enabled")) return report;
        steps.run("greeting", "the greeting setting", [&] { return "greeting is \"" + s->greeting + "\""; });
        return report;
    }

    relais::Json greet(const relais::Json &input, relais::Call &) {
        const auto s = settings_.get();
        relais::support::require_usable(RELAIS_PLUGIN_NAME, s != nullptr, s && s->enabled);
        const auto name = input->getValue<std::string>("name");
        host_.debug("greeting " + name);
        std::string message;
        for (int64_t i = 0; i < s->repeat; ++i) message += (i ? " " : "") + s->greeting + ",";
        relais::Json result = new Poco::JSON::Object;
        result->set("message", message + " " + name + "!");
        return result;
    }

    // One step of the job: ends when the approval is recorded, else waits for it. The webhook
    // wakes the job at once; the hourly look is only a safety net.
    relais::Json await_approval(const relais::Json &input, relais::Call &call) {
        const auto request = input->getValue<std::string>("request");
        if (const auto approval = host_.state_read("approval:" + request)) {
            call.info("request " + request + " approved after " + std::to_string(call.step()) + " steps");
            relais::Json result = new Poco::JSON::Object;
            result->set("request", request);
            result->set("approved_by", approval->value);
            return result;
        }
        if (!call.idempotency_key().empty())
            host_.state_write("waiting:" + request, call.idempotency_key(), relais::Host::kAnyVersion,
                              std::chrono::hours(24 * 7));
        relais::Json progress = new Poco::JSON::Object;
        progress->set("waiting_for", "approval");
        progress->set("looks", call.step());
        return call.continue_later(std::chrono::hours(1), progress);
    }

    // POST /api/v1/hooks/hello/approve, body {"request": "...", "by": "..."}, signed.
    relais::Json approve(const relais::WebhookRequest &hook) {
        const auto s = settings_.get();
        if (!s || !s->webhook_secret) throw relais::unauthorized("no webhook_secret is configured");
        const auto signature = hook.header("x-hello-signature");
        if (signature.empty()) throw relais::unauthorized("the X-Hello-Signature header is missing");
        if (!relais::support::hmac_sha256_matches(*s->webhook_secret, hook.body, signature))
            throw relais::unauthorized("the signature does not match the body");
        const auto body = relais::parse_object(hook.body, RELAIS_INVALID_INPUT, "the approval");
        const auto request = body->optValue<std::string>("request", "");
        if (request.empty()) throw relais::invalid_input("the approval names no request");
        host_.state_write("approval:" + request, body->optValue<std::string>("by", "someone"));
        bool woken = false;
        if (const auto key = host_.state_read("waiting:" + request)) woken = host_.wake(key->value);
        relais::Json answer = new Poco::JSON::Object;
        answer->set("request", request);
        answer->set("woken", woken);
        return answer;
    }

private:
    relais::Host host_;
    relais::Snapshot<Settings> settings_;
};

}  // namespace

RELAIS_PLUGIN(Hello)
