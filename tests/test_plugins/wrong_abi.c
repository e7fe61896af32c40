/* A plugin from the future: it speaks only ABI v99 and says so during negotiation. */
#include <relais/plugin.h>

RELAIS_EXPORT int relais_plugin_entry(relais_negotiation *negotiation) {
    negotiation->abi_version = 99;
    negotiation->api = 0;
    return -1;
}
