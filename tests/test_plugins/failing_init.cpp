// A plugin whose constructor throws: init must fail cleanly, naming the reason.
#include <relais/plugin.hpp>

class FailingInit {
public:
    static relais::Definition<FailingInit> definition() {
        return relais::Definition<FailingInit>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION, "Fails to initialise");
    }
    explicit FailingInit(relais::Host) { throw relais::internal("cannot open its resources"); }
    void configure(const relais::Json &) {}
};

RELAIS_PLUGIN(FailingInit)
