// diagnostics: a connector with no upstream, for checking a Relais installation end to end.
//
// `echo` returns its input, `fail` reports the error class it is asked for, `sleep` waits
// (it is how in-flight calls are exercised), `info` says which settings it runs with,
// `flaky` fails transiently a given number of times (counted in the host's durable plugin
// state) and `follow_up` enqueues a job through the host. Its job policy (retries, quota,
// concurrency) comes from its settings, so tests and benchmarks can choose it.
// The connection test checks only that the plugin is configured.
#include <relais/plugin.hpp>

#include <atomic>
#include <map>
#include <thread>

#include <Poco/JSON/Array.h>

namespace {

struct Settings {
    std::string greeting;
    int64_t max_sleep_ms = 10000;
};

// Settings that shape how the host schedules this connector's jobs, handed back by configure.
relais::Json job_policy(const relais::Json &settings) {
    relais::Json retry = new Poco::JSON::Object;
    retry->set("max_attempts", settings->optValue<int>("retry_attempts", 3));
    retry->set("delay_seconds", settings->optValue<double>("retry_delay_seconds", 10));
    retry->set("exponential", settings->optValue<bool>("retry_exponential", false));
    relais::Json quota = new Poco::JSON::Object;
    quota->set("scope", "requests");
    quota->set("per_second", settings->optValue<double>("quota_per_second", 0));
    quota->set("per_day", settings->optValue<int64_t>("quota_per_day", 0));
    Poco::JSON::Array::Ptr quotas = new Poco::JSON::Array;
    quotas->add(quota);
    relais::Json policy = new Poco::JSON::Object;
    policy->set("retry", retry);
    policy->set("quotas", quotas);
    policy->set("max_concurrency", settings->optValue<int>("max_concurrency", 4));
    return policy;
}

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
    "enabled": {"type": "boolean", "default": true,
                "description": "When false, the host keeps its jobs queued and refuses its actions"},
    "greeting": {"type": "string", "default": "hello", "description": "Returned by the info action"},
    "max_sleep_ms": {"type": "integer", "minimum": 0, "maximum": 600000, "default": 10000,
                     "description": "Longest sleep the sleep action accepts"},
    "secret_token": {"type": "string", "secret": true, "default": "",
                     "description": "A secret the plugin never returns; used to check redaction"},
    "retry_attempts": {"type": "integer", "minimum": 1, "maximum": 100, "default": 3,
                       "description": "Attempts of a job before it is dead-lettered"},
    "retry_delay_seconds": {"type": "number", "minimum": 0, "default": 10,
                            "description": "Delay before a failed job is tried again"},
    "retry_exponential": {"type": "boolean", "default": false,
                          "description": "Double the delay at each attempt, with jitter"},
    "quota_per_second": {"type": "number", "minimum": 0, "default": 0,
                         "description": "Actions per second the host allows; 0 for no limit"},
    "quota_per_day": {"type": "integer", "minimum": 0, "default": 0,
                      "description": "Actions per day the host allows; 0 for no limit"},
    "max_concurrency": {"type": "integer", "minimum": 1, "maximum": 256, "default": 4,
                        "description": "Jobs of this connector running at once"}
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
                    &Diagnostics::info)
            .action("flaky", "Fails as transient `failures` times for `key`, then succeeds",
                    R"({"type":"object","required":["key","failures"],"properties":{
                        "key":{"type":"string","minLength":1},"failures":{"type":"integer","minimum":0}}})",
                    &Diagnostics::flaky)
            .action("once", "Applies a side effect for `key` unless already applied (made idempotent through the "
                            "host's plugin state), and says how many times it was applied",
                    R"({"type":"object","required":["key"],"properties":{"key":{"type":"string","minLength":1}}})",
                    &Diagnostics::once)
            .action("follow_up", "Enqueues an echo job with the given input, after `delay_ms`",
                    R"({"type":"object","required":["input"],"properties":{
                        "input":{"type":"object"},"idempotency_key":{"type":"string"},
                        "delay_ms":{"type":"integer","minimum":0}}})",
                    &Diagnostics::follow_up);
    }

    explicit Diagnostics(relais::Host host) : host_(host) {}

    relais::Json configure(const relais::Json &settings) {
        Settings s;
        s.greeting = settings->optValue<std::string>("greeting", "hello");
        s.max_sleep_ms = settings->optValue<int64_t>("max_sleep_ms", 10000);
        if (s.max_sleep_ms < 0) throw relais::invalid_config("max_sleep_ms must not be negative");
        settings_.set(std::move(s));
        host_.debug("configured");
        return job_policy(settings);
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

    relais::Json flaky(const relais::Json &input, relais::Call &) {
        calls_.fetch_add(1, std::memory_order_relaxed);
        const auto key = "flaky:" + input->getValue<std::string>("key");
        const auto failures = input->getValue<int64_t>("failures");
        const auto seen = std::stoll(host_.state_get(key).value_or("0"));
        host_.state_put(key, std::to_string(seen + 1));
        if (seen < failures)
            throw relais::transient("failure " + std::to_string(seen + 1) + " of " + std::to_string(failures));
        relais::Json result = new Poco::JSON::Object;
        result->set("attempts", seen + 1);
        return result;
    }

    // The pattern a connector uses to make a non-idempotent upstream call safe under
    // at-least-once execution: look for the record of the effect before applying it again.
    relais::Json once(const relais::Json &input, relais::Call &) {
        calls_.fetch_add(1, std::memory_order_relaxed);
        const auto key = input->getValue<std::string>("key");
        // Every execution is counted, so a test can see how often at-least-once ran it ...
        const auto runs = std::stoll(host_.state_get("runs:" + key).value_or("0")) + 1;
        host_.state_put("runs:" + key, std::to_string(runs));
        // ... and the effect is applied once whatever that count.
        auto applied = std::stoll(host_.state_get("effects:" + key).value_or("0"));
        if (applied == 0) host_.state_put("effects:" + key, std::to_string(++applied));
        relais::Json result = new Poco::JSON::Object;
        result->set("effects", applied);
        result->set("runs", runs);
        return result;
    }

    relais::Json follow_up(const relais::Json &input, relais::Call &) {
        calls_.fetch_add(1, std::memory_order_relaxed);
        const auto job = host_.enqueue("echo", input->getObject("input"), input->optValue<std::string>("idempotency_key", ""),
                                       std::chrono::milliseconds(input->optValue<int64_t>("delay_ms", 0)));
        relais::Json result = new Poco::JSON::Object;
        result->set("job_id", job.job_id);
        result->set("created", job.created);
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
