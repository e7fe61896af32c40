// A plugin whose action emits one business event, as a connector does when what it follows
// changes: lets the service tests put events in the log through the real plugin path.
#include <relais/plugin.hpp>

class Emitter {
public:
    static relais::Definition<Emitter> definition() {
        return relais::Definition<Emitter>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION, "Emits the business event it is given")
            .action("emit", "Emits {type, subject, data} once per dedupe_key", R"({
              "type": "object",
              "required": ["type"],
              "properties": {
                "type": {"type": "string"},
                "subject": {"type": "string"},
                "data": {"type": "object"},
                "dedupe_key": {"type": "string"}
              },
              "additionalProperties": false
            })",
                    &Emitter::emit);
    }
    explicit Emitter(relais::Host host) : host_(host) {}
    void configure(const relais::Json &) {}
    relais::Json emit(const relais::Json &input, relais::Call &) {
        host_.emit_event(input->getValue<std::string>("type"), input->optValue<std::string>("subject", ""),
                         input->getObject("data"), input->optValue<std::string>("dedupe_key", ""));
        return relais::Json(new Poco::JSON::Object);
    }

private:
    relais::Host host_;
};

RELAIS_PLUGIN(Emitter)
