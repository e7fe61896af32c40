// relais/support/state_store.hpp: a connector's durable key-value state, with a memory
// fallback.
//
// The host keeps a small durable state per plugin (tokens, submission records, caches). A host
// that offers none (an older host, a test harness without a backend) still runs the
// connector: its state then lives in memory, and the connector says once, in a warning, what a
// restart will forget.
#pragma once

#include <relais/plugin.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace relais::support {

class StateStore {
public:
    virtual ~StateStore() = default;
    virtual std::optional<std::string> get(const std::string &key) = 0;
    virtual void put(const std::string &key, const std::string &value) = 0;
    virtual void erase(const std::string &key) = 0;
    // False for the memory fallback: what is put there is gone after a restart.
    virtual bool durable() const = 0;
};

// State kept in this process only. Thread-safe.
std::shared_ptr<StateStore> memory_state();
// The host's durable plugin state.
std::shared_ptr<StateStore> host_state(Host host);
// Whether the host keeps plugin state (it may have the service and still answer unsupported).
bool host_offers_state(const Host &host);
// The host's state when it offers one; otherwise memory, after warning that `forgotten` (what
// a restart loses, e.g. "which invoices were deposited") is kept in memory only.
std::shared_ptr<StateStore> plugin_state(const Host &host, const std::string &forgotten);

}  // namespace relais::support
