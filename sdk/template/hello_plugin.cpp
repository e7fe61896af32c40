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
#include <relais/plugin.hpp>
#include <relais/support/settings.hpp>
#include <relais/support/test_steps.hpp>

namespace {

struct Settings {
    bool enabled;
    std::string greeting;
    int64_t repeat;
};

const relais::support::SettingsMap<Settings> &settings_map() {
    static const auto map = relais::support::SettingsMap<Settings>()
                                .enabled(&Settings::enabled, "Turns the plugin on", true)
                                .text("greeting", &Settings::greeting, "Hello", "Word put before the name",
                                      relais::support::TextRules().min_length(1))
                                .integer("repeat", &Settings::repeat, 1, {1, 10}, "How many times the greeting is said");
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
                    &Hello::greet);
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

private:
    relais::Host host_;
    relais::Snapshot<Settings> settings_;
};

}  // namespace

RELAIS_PLUGIN(Hello)
