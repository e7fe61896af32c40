#include <relais/support/state_store.hpp>

namespace relais::support {

namespace {

class MemoryState : public StateStore {
public:
    std::optional<std::string> get(const std::string &key) override {
        std::lock_guard lock(mutex_);
        const auto it = values_.find(key);
        return it == values_.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    void put(const std::string &key, const std::string &value) override {
        std::lock_guard lock(mutex_);
        values_[key] = value;
    }
    void erase(const std::string &key) override {
        std::lock_guard lock(mutex_);
        values_.erase(key);
    }
    bool durable() const override { return false; }

private:
    std::mutex mutex_;
    std::map<std::string, std::string> values_;
};

class HostState : public StateStore {
public:
    explicit HostState(Host host) : host_(host) {}
    std::optional<std::string> get(const std::string &key) override { return host_.state_get(key); }
    void put(const std::string &key, const std::string &value) override { host_.state_put(key, value); }
    void erase(const std::string &key) override { host_.state_delete(key); }
    bool durable() const override { return true; }

private:
    Host host_;
};

}  // namespace

std::shared_ptr<StateStore> memory_state() { return std::make_shared<MemoryState>(); }

std::shared_ptr<StateStore> host_state(Host host) { return std::make_shared<HostState>(host); }

bool host_offers_state(const Host &host) {
    // A host may fill the service in its table and still have no store behind it (the
    // standalone CLI): it then answers unsupported. One read tells.
    try {
        host.state_get("relais/state-probe");
        return true;
    } catch (const Error &e) {
        return e.status() != RELAIS_UNSUPPORTED;
    }
}

std::shared_ptr<StateStore> plugin_state(const Host &host, const std::string &forgotten) {
    if (host_offers_state(host)) return host_state(host);
    host.warn("this host keeps no plugin state: " + forgotten + " is kept in memory only, and a restart forgets it");
    return memory_state();
}

}  // namespace relais::support
