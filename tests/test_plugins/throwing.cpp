// Action handlers that throw: a standard exception, a non-standard one, and a bad_alloc.
// The host must turn each into an "internal" error and keep running.
#include <relais/plugin.hpp>

#include <new>
#include <stdexcept>

class Throwing {
public:
    static relais::Definition<Throwing> definition() {
        return relais::Definition<Throwing>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION, "Throws from its actions")
            .action("std_exception", "throws std::runtime_error", R"({"type":"object"})", &Throwing::std_exception)
            .action("non_standard", "throws an int", R"({"type":"object"})", &Throwing::non_standard)
            .action("bad_alloc", "throws std::bad_alloc", R"({"type":"object"})", &Throwing::bad_alloc);
    }
    explicit Throwing(relais::Host) {}
    void configure(const relais::Json &) {}
    relais::Json std_exception(const relais::Json &, relais::Call &) { throw std::runtime_error("boom"); }
    relais::Json non_standard(const relais::Json &, relais::Call &) { throw 42; }
    relais::Json bad_alloc(const relais::Json &, relais::Call &) { throw std::bad_alloc(); }
};

RELAIS_PLUGIN(Throwing)
