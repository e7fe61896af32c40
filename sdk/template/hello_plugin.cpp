// hello: the smallest useful Relais plugin. Copy this folder to start a connector.
//
// A plugin is a class with:
//   - a static definition(): its name, version, settings schema and actions;
//   - a constructor taking relais::Host (logging and, later, the other host services);
//   - configure(settings), called again whenever an administrator changes the settings;
//   - optionally test(call), the connection test behind the "Test" button;
//   - one method per action, (input, call) -> result, called from many threads at once.
// Throw relais::invalid_input(...), relais::transient(...) and friends to report failures:
// the host retries or not according to the class.
#include <relais/plugin.hpp>

namespace {

struct Settings {
    std::string greeting;
};

class Hello {
public:
    static relais::Definition<Hello> definition() {
        return relais::Definition<Hello>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION, "Greets whoever asks")
            .settings_schema(R"({
                "type": "object",
                "properties": {
                    "greeting": {"type": "string", "default": "Hello", "minLength": 1,
                                 "description": "Word put before the name"}
                },
                "additionalProperties": false
            })")
            .action("greet", "Returns a greeting for `name`",
                    R"({"type": "object", "required": ["name"],
                        "properties": {"name": {"type": "string", "minLength": 1}}})",
                    &Hello::greet);
    }

    explicit Hello(relais::Host host) : host_(host) {}

    void configure(const relais::Json &settings) {
        settings_.set(Settings{settings->getValue<std::string>("greeting")});
    }

    relais::TestReport test(relais::Call &) {
        relais::TestReport report;
        report.pass("settings", "greeting is \"" + settings_.get()->greeting + "\"");
        return report;
    }

    relais::Json greet(const relais::Json &input, relais::Call &) {
        const auto name = input->getValue<std::string>("name");
        host_.debug("greeting " + name);
        relais::Json result = new Poco::JSON::Object;
        result->set("message", settings_.get()->greeting + ", " + name + "!");
        return result;
    }

private:
    relais::Host host_;
    relais::Snapshot<Settings> settings_;
};

}  // namespace

RELAIS_PLUGIN(Hello)
