// A descriptor that disagrees with the manifest about the plugin's name.
#include <relais/plugin.hpp>

class NameMismatch {
public:
    static relais::Definition<NameMismatch> definition() {
        return relais::Definition<NameMismatch>("someone_else", RELAIS_PLUGIN_VERSION, "Not who it claims");
    }
    explicit NameMismatch(relais::Host) {}
    void configure(const relais::Json &) {}
};

RELAIS_PLUGIN(NameMismatch)
