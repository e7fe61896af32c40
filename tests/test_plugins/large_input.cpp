// An action that takes a file as large as the chorus connector's (10 MiB, base64-encoded) and
// declares it the way connectors do: "maxLength" on the base64 field. The host must size its
// API body limit to fit it. The action answers how many characters it received, so a test can
// tell the whole body arrived.
#include <relais/plugin.hpp>

class LargeInput {
public:
    static relais::Definition<LargeInput> definition() {
        return relais::Definition<LargeInput>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION,
                                              "Takes a file of up to 10 MiB, base64")
            .action("measure", "Returns the length of file_base64", R"({
              "type": "object",
              "required": ["file_base64"],
              "properties": {"file_base64": {"type": "string", "maxLength": 13981016}},
              "additionalProperties": false
            })",
                    &LargeInput::measure);
    }
    explicit LargeInput(relais::Host) {}
    void configure(const relais::Json &) {}
    relais::Json measure(const relais::Json &input, relais::Call &) {
        relais::Json out = new Poco::JSON::Object;
        out->set("length", input->getValue<std::string>("file_base64").size());
        return out;
    }
};

RELAIS_PLUGIN(LargeInput)
