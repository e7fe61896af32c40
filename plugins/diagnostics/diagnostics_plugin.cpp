// diagnostics: a connector with no upstream, for checking a Relais installation end to end.
//
// `echo` returns its input, `fail` reports the error class it is asked for, `sleep` waits
// (it is how in-flight calls are exercised), `info` says which settings it runs with.
// The connection test checks only that the plugin is configured.
#include <relais/plugin.hpp>

#include <atomic>
#include <map>
#include <thread>

namespace {

struct Settings {
    std::string greeting;
    int64_t max_sleep_ms = 10000;
};

const std::map<std::string, relais_status> &error_classes() {
    static const std::map<std::string, relais_status> classes = {
        {"invalid_config", RELAIS_INVALID_CONFIG}, {"invalid_input", RELAIS_INVALID_INPUT},
        {"unauthorized", RELAIS_UNAUTHORIZED},     {"forbidden", RELAIS_FORBIDDEN},
        {"not_found", RELAIS_NOT_FOUND},           {"rate_limited", RELAIS_RATE_LIMITED},
        {"transient", RELAIS_TRANSIENT},           {"permanent", RELAIS_PERMANENT},
        {"internal", RELAIS_INTERNAL},
    };
    return classes;
}

class Diagnostics {
public:
    static relais::Definition<Diagnostics> definition() {
        return relais::Definition<Diagnostics>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION,
                                               "Checks a Relais installation: echo, failures on demand, slow calls")
            .settings_schema(R"({
  "type": "object",
  "properties": {
    "greeting": {"type": "string", "default": "hello", "description": "Returned by the info action"},
    "max_sleep_ms": {"type": "integer", "minimum": 0, "maximum": 600000, "default": 10000,
                     "description": "Longest sleep the sleep action accepts"},
    "secret_token": {"type": "string", "secret": true, "default": "",
                     "description": "A secret the plugin never returns; used to check redaction"}
  },
  "additionalProperties": false
})")
            .action("echo", "Returns its input unchanged", R"({"type":"object"})", &Diagnostics::echo)
            .action("fail", "Fails with the error class named in the input",
                    R"({"type":"object","required":["class"],"properties":{
                        "class":{"type":"string","enum":["invalid_config","invalid_input","unauthorized",
                                 "forbidden","not_found","rate_limited","transient","permanent","internal"]},
                        "message":{"type":"string"},
                        "retry_after_ms":{"type":"integer","minimum":0}}})",
                    &Diagnostics::fail)
            .action("sleep", "Waits the given number of milliseconds, then returns",
                    R"({"type":"object","required":["ms"],"properties":{"ms":{"type":"integer","minimum":0}}})",
                    &Diagnostics::sleep)
            .action("info", "Returns the plugin's version, greeting and call count", R"({"type":"object"})",
                    &Diagnostics::info);
    }

    explicit Diagnostics(relais::Host host) : host_(host) {}

    void configure(const relais::Json &settings) {
        Settings s;
        s.greeting = settings->optValue<std::string>("greeting", "hello");
        s.max_sleep_ms = settings->optValue<int64_t>("max_sleep_ms", 10000);
        if (s.max_sleep_ms < 0) throw relais::invalid_config("max_sleep_ms must not be negative");
        settings_.set(std::move(s));
        host_.debug("configured");
    }

    relais::TestReport test(relais::Call &) {
        relais::TestReport report;
        if (settings_.get())
            report.pass("configuration", "settings applied");
        else
            report.fail("configuration", "the plugin has not been configured", RELAIS_INVALID_CONFIG);
        return report;
    }

    relais::Json echo(const relais::Json &input, relais::Call &) {
        calls_.fetch_add(1, std::memory_order_relaxed);
        return input;
    }

    relais::Json fail(const relais::Json &input, relais::Call &) {
        calls_.fetch_add(1, std::memory_order_relaxed);
        const auto name = input->getValue<std::string>("class");
        const auto it = error_classes().find(name);
        if (it == error_classes().end()) throw relais::invalid_input("unknown error class '" + name + "'");
        relais::Json detail = new Poco::JSON::Object;
        detail->set("requested_class", name);
        throw relais::Error(it->second, input->optValue<std::string>("message", "failure requested: " + name),
                            detail,
                            std::chrono::milliseconds(input->optValue<int64_t>("retry_after_ms", 0)));
    }

    relais::Json sleep(const relais::Json &input, relais::Call &call) {
        calls_.fetch_add(1, std::memory_order_relaxed);
        const auto ms = input->getValue<int64_t>("ms");
        const auto settings = current();
        if (ms > settings->max_sleep_ms)
            throw relais::invalid_input("ms " + std::to_string(ms) + " exceeds max_sleep_ms " +
                                        std::to_string(settings->max_sleep_ms));
        // Announced, so that a test can act while the call is known to be in flight.
        host_.info("call " + call.id() + ": sleeping " + std::to_string(ms) + " ms");
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        relais::Json result = new Poco::JSON::Object;
        result->set("slept_ms", ms);
        return result;
    }

    relais::Json info(const relais::Json &, relais::Call &call) {
        const auto settings = current();
        relais::Json result = new Poco::JSON::Object;
        result->set("version", RELAIS_PLUGIN_VERSION);
        result->set("greeting", settings->greeting);
        result->set("calls", calls_.fetch_add(1, std::memory_order_relaxed) + 1);
        result->set("call_id", call.id());
        return result;
    }

private:
    std::shared_ptr<const Settings> current() const {
        auto s = settings_.get();
        if (!s) throw relais::invalid_config("the plugin has not been configured");
        return s;
    }

    relais::Host host_;
    relais::Snapshot<Settings> settings_;
    std::atomic<uint64_t> calls_{0};
};

}  // namespace

RELAIS_PLUGIN(Diagnostics)
