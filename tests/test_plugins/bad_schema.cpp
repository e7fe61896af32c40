// A plugin whose settings schema is not JSON: refused when its descriptor is read.
#include <relais/plugin.hpp>

class BadSchema {
public:
    static relais::Definition<BadSchema> definition() {
        return relais::Definition<BadSchema>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION, "Broken settings schema")
            .settings_schema(R"({"type": "object", "properties": {)");
    }
    explicit BadSchema(relais::Host) {}
    void configure(const relais::Json &) {}
};

RELAIS_PLUGIN(BadSchema)
