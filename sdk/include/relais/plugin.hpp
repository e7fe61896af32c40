// relais/plugin.hpp: write a Relais plugin as a C++ class.
//
// The C contract (relais/plugin.h) is what crosses the library boundary; this header turns
// it into a class with a static definition, a configure method and one method per action,
// and catches every exception at the boundary, turning it into an error class.
//
//     class Hello {
//     public:
//         static relais::Definition<Hello> definition() {
//             return relais::Definition<Hello>("hello", "1.0.0", "Says hello")
//                 .settings_schema(R"({"type":"object","properties":{}})")
//                 .action("greet", "Greets someone", R"({"type":"object"})", &Hello::greet);
//         }
//         explicit Hello(relais::Host host) : host_(host) {}
//         void configure(const relais::Json &settings);
//         relais::Json greet(const relais::Json &input, relais::Call &call);
//     private:
//         relais::Host host_;
//     };
//     RELAIS_PLUGIN(Hello)
//
// Optional members, found by the helper when present:
//     relais::TestReport test(relais::Call &call);   // the "Test" button
//     relais::Json configure(const relais::Json &s) // may return {"quotas":..., ...}
//
// Long-running work: an action declared .job_only() runs as a job whose steps may end with
// `return call.continue_later(std::chrono::minutes(5), progress);`: the job waits (no thread,
// no attempt used) and its next step gets `call.checkpoint()` back. A webhook
// (.webhook("done", ..., RELAIS_HOOK_POST, &P::on_done)) can wake it: host.wake(key).
//
// Threads: action methods run concurrently; configure may run while they do. Keep settings
// in a relais::Snapshot<T> (below) so each call works on one consistent copy.
#pragma once

#include "relais/plugin.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace relais {

using Json = Poco::JSON::Object::Ptr;

// ---------------------------------------------------------------------------------------
// Errors: throw one of these from any method; the helper reports its class to the host.
// ---------------------------------------------------------------------------------------
class Error : public std::runtime_error {
public:
    Error(relais_status status, const std::string &message, Json detail = nullptr,
          std::chrono::milliseconds retry_after = std::chrono::milliseconds(0))
        : std::runtime_error(message), status_(status), detail_(std::move(detail)),
          retry_after_(retry_after) {}

    relais_status status() const noexcept { return status_; }
    const Json &detail() const noexcept { return detail_; }
    std::chrono::milliseconds retry_after() const noexcept { return retry_after_; }

private:
    relais_status status_;
    Json detail_;
    std::chrono::milliseconds retry_after_;
};

inline Error invalid_config(const std::string &m, Json d = nullptr) { return {RELAIS_INVALID_CONFIG, m, std::move(d)}; }
inline Error invalid_input(const std::string &m, Json d = nullptr) { return {RELAIS_INVALID_INPUT, m, std::move(d)}; }
inline Error unauthorized(const std::string &m, Json d = nullptr) { return {RELAIS_UNAUTHORIZED, m, std::move(d)}; }
inline Error forbidden(const std::string &m, Json d = nullptr) { return {RELAIS_FORBIDDEN, m, std::move(d)}; }
inline Error not_found(const std::string &m, Json d = nullptr) { return {RELAIS_NOT_FOUND, m, std::move(d)}; }
inline Error rate_limited(const std::string &m, std::chrono::milliseconds after, Json d = nullptr) { return {RELAIS_RATE_LIMITED, m, std::move(d), after}; }
inline Error transient(const std::string &m, Json d = nullptr, std::chrono::milliseconds after = std::chrono::milliseconds(0)) { return {RELAIS_TRANSIENT, m, std::move(d), after}; }
inline Error permanent(const std::string &m, Json d = nullptr) { return {RELAIS_PERMANENT, m, std::move(d)}; }
inline Error internal(const std::string &m, Json d = nullptr) { return {RELAIS_INTERNAL, m, std::move(d)}; }

// ---------------------------------------------------------------------------------------
// JSON helpers small enough to belong in the header
// ---------------------------------------------------------------------------------------
inline std::string to_string(const Json &json) {
    if (!json) return "null";
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(json, out);
    return out.str();
}

// Parses a JSON object; throws Error(status) naming `what` when it is not one.
inline Json parse_object(std::string_view text, relais_status status, const std::string &what) {
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));  // keep the sender's key order
        auto value = parser.parse(std::string(text));
        if (value.type() != typeid(Poco::JSON::Object::Ptr))
            throw Error(status, what + " must be a JSON object");
        return value.extract<Poco::JSON::Object::Ptr>();
    } catch (const Error &) {
        throw;
    } catch (const std::exception &e) {
        throw Error(status, what + " is not valid JSON: " + e.what());
    }
}

// ---------------------------------------------------------------------------------------
// Host: the services the host gave this instance
// ---------------------------------------------------------------------------------------
class Host {
public:
    Host(const relais_host_services *services, relais_host_ctx *ctx) : services_(services), ctx_(ctx) {}

    bool log_enabled(relais_log_level level) const {
        return services_ && services_->log_enabled && services_->log_enabled(ctx_, level) != 0;
    }
    void log(relais_log_level level, const std::string &message) const {
        if (services_ && services_->log) services_->log(ctx_, level, message.c_str());
    }
    void trace(const std::string &m) const { log(RELAIS_LOG_TRACE, m); }
    void debug(const std::string &m) const { log(RELAIS_LOG_DEBUG, m); }
    void info(const std::string &m) const { log(RELAIS_LOG_INFO, m); }
    void warn(const std::string &m) const { log(RELAIS_LOG_WARN, m); }
    void error(const std::string &m) const { log(RELAIS_LOG_ERROR, m); }

    // Enqueues a job of this plugin (see relais_host_services.enqueue). Returns the job id;
    // `created` tells whether the idempotency key was new. Throws relais::Error on refusal.
    struct Enqueued {
        int64_t job_id = 0;
        bool created = false;
    };
    Enqueued enqueue(const std::string &action, const Json &input, const std::string &idempotency_key = {},
                     std::chrono::milliseconds delay = std::chrono::milliseconds(0), uint32_t max_attempts = 0) const;

    // The plugin's durable key-value state. state_get returns nullopt for an absent key.
    std::optional<std::string> state_get(const std::string &key) const;
    void state_put(const std::string &key, const std::string &value) const;
    void state_delete(const std::string &key) const;

    // ---- ABI revision 2: each throws relais::Error(RELAIS_UNSUPPORTED) on a host without it.

    // The RELAIS_CAP_* bits the host serves (0 for a host older than revision 2).
    uint64_t capabilities() const;
    bool offers(uint64_t capability) const { return (capabilities() & capability) == capability; }

    // Wakes this plugin's waiting job enqueued with `idempotency_key`, or whose call id is
    // `call_id` ("job-42"), so it runs now. False when no unfinished job matches.
    bool wake(const std::string &idempotency_key) const;
    bool wake_call(const std::string &call_id) const;

    // State with versions and expiry (see relais_host_services.state_read/write/list).
    struct Versioned {
        std::string value;
        uint64_t version = 0;
    };
    struct Written {
        bool written = false;
        uint64_t version = 0;  // the new version, or the current one (0: absent) when not written
    };
    static constexpr uint64_t kAnyVersion = RELAIS_STATE_ANY_VERSION;
    std::optional<Versioned> state_read(const std::string &key) const;
    // expected_version: 0 = must be absent, kAnyVersion = unconditional. ttl 0: no expiry.
    Written state_write(const std::string &key, const std::string &value, uint64_t expected_version = kAnyVersion,
                        std::chrono::milliseconds ttl = std::chrono::milliseconds(0)) const;
    struct StateKeys {
        std::vector<std::string> keys;
        std::optional<std::string> next_cursor;  // nullopt on the last page
    };
    StateKeys state_list(const std::string &prefix, const std::optional<std::string> &cursor = std::nullopt,
                         uint32_t limit = 100) const;

    // A business event for the ERP; `dedupe_key` makes it happen once across retries.
    void emit_event(const std::string &type, const std::string &subject, const Json &data,
                    const std::string &dedupe_key = {}) const;

    // Plugin metrics on the host's /metrics (relais_plugin_<plugin>_<name>). Never throw.
    void metric_add(const std::string &name, double value = 1, const Json &labels = nullptr) const;
    void metric_observe(const std::string &name, double value, const Json &labels = nullptr) const;

    // What the upstream said about its quota: every caller of this connector then waits.
    void quota_report(const std::string &scope, const std::string &key, std::chrono::milliseconds retry_after,
                      int64_t remaining = -1,
                      std::chrono::milliseconds reset_after = std::chrono::milliseconds(0)) const;

    const relais_host_services *services() const { return services_; }
    relais_host_ctx *context() const { return ctx_; }

private:
    template <class F>
    F service(F relais_host_services::*member, const char *what) const;

    const relais_host_services *services_;
    relais_host_ctx *ctx_;
};

namespace detail {

// True when the host's table is large enough to hold `member` and fills it.
template <class F>
bool provides(const relais_host_services *services, F relais_host_services::*member) {
    if (!services) return false;
    static const relais_host_services probe{};
    const auto offset = static_cast<size_t>(reinterpret_cast<const char *>(&(probe.*member)) -
                                            reinterpret_cast<const char *>(&probe));
    return services->struct_size >= offset + sizeof(F) && services->*member != nullptr;
}

// Collects what the host writes through a relais_output during one service call.
struct Collected {
    std::string body, message;
    relais_output output{sizeof(relais_output), this,
                         [](void *self, const char *bytes, size_t length) {
                             static_cast<Collected *>(self)->body.append(bytes, length);
                         },
                         [](void *self, const char *message, const char *, uint64_t) {
                             if (message) static_cast<Collected *>(self)->message = message;
                         },
                         nullptr};
};

}  // namespace detail

template <class F>
F Host::service(F relais_host_services::*member, const char *what) const {
    if (!detail::provides(services_, member))
        throw Error(RELAIS_UNSUPPORTED, std::string("this host offers no ") + what);
    return services_->*member;
}

inline Host::Enqueued Host::enqueue(const std::string &action, const Json &input, const std::string &idempotency_key,
                                    std::chrono::milliseconds delay, uint32_t max_attempts) const {
    auto fn = service(&relais_host_services::enqueue, "job queue");
    const std::string text = to_string(input ? input : Json(new Poco::JSON::Object));
    relais_job_request request{sizeof(relais_job_request), action.c_str(), text.c_str(),
                               idempotency_key.empty() ? nullptr : idempotency_key.c_str(),
                               static_cast<uint64_t>(delay.count()), max_attempts};
    detail::Collected out;
    const auto status = fn(ctx_, &request, &out.output);
    if (status != RELAIS_OK) throw Error(status, "cannot enqueue " + action + ": " + out.message);
    const auto answer = parse_object(out.body, RELAIS_INTERNAL, "the host's enqueue answer");
    return {answer->getValue<int64_t>("job_id"), answer->getValue<bool>("created")};
}

inline uint64_t Host::capabilities() const {
    if (!detail::provides(services_, &relais_host_services::call_log)) return 0;  // older than revision 2
    return services_->capabilities;
}

inline bool Host::wake(const std::string &idempotency_key) const {
    const auto status = service(&relais_host_services::wake, "job wake-up")(ctx_, idempotency_key.c_str(), nullptr);
    if (status == RELAIS_NOT_FOUND) return false;
    if (status != RELAIS_OK) throw Error(status, "cannot wake the job " + idempotency_key);
    return true;
}

inline bool Host::wake_call(const std::string &call_id) const {
    const auto status = service(&relais_host_services::wake, "job wake-up")(ctx_, nullptr, call_id.c_str());
    if (status == RELAIS_NOT_FOUND) return false;
    if (status != RELAIS_OK) throw Error(status, "cannot wake the job " + call_id);
    return true;
}

inline std::optional<Host::Versioned> Host::state_read(const std::string &key) const {
    auto fn = service(&relais_host_services::state_read, "versioned plugin state");
    detail::Collected out;
    uint64_t version = 0;
    const auto status = fn(ctx_, key.c_str(), &out.output, &version);
    if (status == RELAIS_NOT_FOUND) return std::nullopt;
    if (status != RELAIS_OK) throw Error(status, "cannot read state " + key + ": " + out.message);
    return Versioned{std::move(out.body), version};
}

inline Host::Written Host::state_write(const std::string &key, const std::string &value, uint64_t expected_version,
                                       std::chrono::milliseconds ttl) const {
    auto fn = service(&relais_host_services::state_write, "versioned plugin state");
    detail::Collected out;
    int written = 0;
    uint64_t version = 0;
    const auto status = fn(ctx_, key.c_str(), value.data(), value.size(), expected_version,
                           static_cast<uint64_t>(std::max<int64_t>(0, ttl.count())), &written, &version, &out.output);
    if (status != RELAIS_OK) throw Error(status, "cannot write state " + key + ": " + out.message);
    return {written != 0, version};
}

inline Host::StateKeys Host::state_list(const std::string &prefix, const std::optional<std::string> &cursor,
                                        uint32_t limit) const {
    auto fn = service(&relais_host_services::state_list, "versioned plugin state");
    detail::Collected out;
    const auto status = fn(ctx_, prefix.c_str(), cursor ? cursor->c_str() : nullptr, limit, &out.output);
    if (status != RELAIS_OK) throw Error(status, "cannot list state under " + prefix + ": " + out.message);
    const auto answer = parse_object(out.body, RELAIS_INTERNAL, "the host's state list");
    StateKeys page;
    if (const auto keys = answer->getArray("keys"))
        for (size_t i = 0; i < keys->size(); ++i)
            if (const auto entry = keys->getObject(static_cast<unsigned>(i)))
                page.keys.push_back(entry->getValue<std::string>("key"));
    if (answer->has("next_cursor") && !answer->isNull("next_cursor"))
        page.next_cursor = answer->getValue<std::string>("next_cursor");
    return page;
}

inline void Host::emit_event(const std::string &type, const std::string &subject, const Json &data,
                             const std::string &dedupe_key) const {
    auto fn = service(&relais_host_services::emit_event, "business events");
    const std::string text = to_string(data ? data : Json(new Poco::JSON::Object));
    detail::Collected out;
    const auto status = fn(ctx_, type.c_str(), subject.c_str(), text.c_str(),
                           dedupe_key.empty() ? nullptr : dedupe_key.c_str(), &out.output);
    if (status != RELAIS_OK) throw Error(status, "cannot emit event " + type + ": " + out.message);
}

inline void Host::metric_add(const std::string &name, double value, const Json &labels) const {
    if (!detail::provides(services_, &relais_host_services::metric_add)) return;
    try {
        const std::string l = labels ? to_string(labels) : std::string();
        services_->metric_add(ctx_, name.c_str(), labels ? l.c_str() : nullptr, value);
    } catch (...) {
    }
}

inline void Host::metric_observe(const std::string &name, double value, const Json &labels) const {
    if (!detail::provides(services_, &relais_host_services::metric_observe)) return;
    try {
        const std::string l = labels ? to_string(labels) : std::string();
        services_->metric_observe(ctx_, name.c_str(), labels ? l.c_str() : nullptr, value);
    } catch (...) {
    }
}

inline void Host::quota_report(const std::string &scope, const std::string &key, std::chrono::milliseconds retry_after,
                               int64_t remaining, std::chrono::milliseconds reset_after) const {
    if (!detail::provides(services_, &relais_host_services::quota_report)) return;
    services_->quota_report(ctx_, scope.empty() ? nullptr : scope.c_str(), key.empty() ? nullptr : key.c_str(),
                            static_cast<uint64_t>(std::max<int64_t>(0, retry_after.count())), remaining,
                            static_cast<uint64_t>(std::max<int64_t>(0, reset_after.count())));
}

inline std::optional<std::string> Host::state_get(const std::string &key) const {
    auto fn = service(&relais_host_services::state_get, "plugin state");
    detail::Collected out;
    const auto status = fn(ctx_, key.c_str(), &out.output);
    if (status == RELAIS_NOT_FOUND) return std::nullopt;
    if (status != RELAIS_OK) throw Error(status, "cannot read state " + key + ": " + out.message);
    return out.body;
}

inline void Host::state_put(const std::string &key, const std::string &value) const {
    const auto status = service(&relais_host_services::state_put, "plugin state")(ctx_, key.c_str(), value.data(),
                                                                                   value.size());
    if (status != RELAIS_OK) throw Error(status, "cannot write state " + key);
}

inline void Host::state_delete(const std::string &key) const {
    const auto status = service(&relais_host_services::state_delete, "plugin state")(ctx_, key.c_str());
    if (status != RELAIS_OK && status != RELAIS_NOT_FOUND) throw Error(status, "cannot delete state " + key);
}

// ---------------------------------------------------------------------------------------
// Call: what one execute or test call knows about itself
// ---------------------------------------------------------------------------------------
class Call {
public:
    Call(std::string id, relais_call_ctx *ctx, const relais_host_services *services = nullptr)
        : id_(std::move(id)), ctx_(ctx), services_(services) {}
    // A job step or an action call as the host made it (checkpoint, step, key, and whether it
    // may continue later).
    Call(const relais_call &call, const relais_host_services *services, bool may_continue)
        : id_(call.call_id ? call.call_id : ""), ctx_(call.call), services_(services), may_continue_(may_continue) {
        // RELAIS_HAS_FIELD without its null check: a reference is never null.
        if (call.struct_size >= offsetof(relais_call, idempotency_key) + sizeof(call.idempotency_key)) {
            step_ = call.step;
            if (call.idempotency_key) idempotency_key_ = call.idempotency_key;
            if (call.checkpoint_json && call.checkpoint_length)
                checkpoint_text_.assign(call.checkpoint_json, call.checkpoint_length);
        }
    }
    Call(const Call &) = delete;
    Call &operator=(const Call &) = delete;

    const std::string &id() const { return id_; }
    relais_call_ctx *context() const { return ctx_; }

    // The call running on this thread (set by the helper around every execute and test), or
    // null: how support code such as the SDK's HTTP client finds the call's deadline.
    static const Call *current() { return current_slot(); }

    // ---- Jobs that continue later ----

    // 1 at a job's first step, 2 at the next, ...; 0 for a synchronous call.
    uint32_t step() const { return step_; }
    bool is_job() const { return step_ > 0; }
    // The job's idempotency key, or empty.
    const std::string &idempotency_key() const { return idempotency_key_; }
    // The progress the previous step passed to continue_later (a JSON object), or null at
    // the first step. Throws relais::internal when it is not an object.
    Json checkpoint() const {
        if (checkpoint_text_.empty() || checkpoint_text_ == "null") return nullptr;
        return parse_object(checkpoint_text_, RELAIS_INTERNAL, "the job's checkpoint");
    }
    // Ends this step without ending the job: it runs again in `delay` (sooner when woken),
    // starting from `progress`, which the ERP sees as the job's progress (no secrets in it).
    // An action does `return call.continue_later(...)`. Throws relais::Error(RELAIS_UNSUPPORTED)
    // when the call is not a job step: such an action should be declared job_only.
    Json continue_later(std::chrono::milliseconds delay, const Json &progress) {
        if (!may_continue_)
            throw Error(RELAIS_UNSUPPORTED, "this action waits on the other side and can only run as a job "
                                            "(POST /api/v1/jobs)");
        later_delay_ = std::max(std::chrono::milliseconds(0), delay);
        later_progress_ = to_string(progress ? progress : Json(new Poco::JSON::Object));
        continues_ = true;
        return nullptr;
    }
    bool continues() const { return continues_; }
    std::chrono::milliseconds later_delay() const { return later_delay_; }
    const std::string &later_progress() const { return later_progress_; }

    // ---- Quota ----

    // Takes `count` units of the connector's quota before upstream requests, waiting up to
    // `max_wait`; throws relais::rate_limited (with the wait still needed) when refused. A host
    // without quotas grants at once.
    void acquire_quota(uint32_t count = 1, std::chrono::milliseconds max_wait = std::chrono::seconds(30)) const {
        if (!has(&relais_host_services::quota_acquire)) return;
        uint64_t retry_after = 0;
        const auto status = services_->quota_acquire(ctx_, count, static_cast<uint64_t>(max_wait.count()), &retry_after);
        if (status == RELAIS_OK) return;
        throw Error(status == RELAIS_RATE_LIMITED ? RELAIS_RATE_LIMITED : status,
                    "quota of this connector exhausted for now", nullptr, std::chrono::milliseconds(retry_after));
    }
    // The same for the windows of `scope` (empty: "requests"), counted for `key` where they are
    // per key, and a slot of each concurrency limit, held until release_quota or the call's end.
    // On a host older than revision 2 it falls back to acquire_quota.
    void take_quota(const std::string &scope, const std::string &key, uint32_t count = 1,
                    std::chrono::milliseconds max_wait = std::chrono::seconds(30)) const {
        if (!has(&relais_host_services::quota_take)) return acquire_quota(count, max_wait);
        uint64_t retry_after = 0;
        const auto status = services_->quota_take(ctx_, scope.empty() ? nullptr : scope.c_str(),
                                                  key.empty() ? nullptr : key.c_str(), count,
                                                  static_cast<uint64_t>(max_wait.count()), &retry_after);
        if (status == RELAIS_OK) return;
        throw Error(status == RELAIS_RATE_LIMITED ? RELAIS_RATE_LIMITED : status,
                    "quota " + (scope.empty() ? std::string("requests") : scope) +
                        (key.empty() ? std::string() : " of " + key) + " exhausted for now",
                    nullptr, std::chrono::milliseconds(retry_after));
    }
    void release_quota(const std::string &scope, const std::string &key) const {
        if (has(&relais_host_services::quota_release))
            services_->quota_release(ctx_, scope.empty() ? nullptr : scope.c_str(), key.empty() ? nullptr : key.c_str());
    }

    // ---- Deadline and cancellation ----

    // True once the call should stop: job cancelled, host stopping, deadline passed.
    bool cancelled() const {
        return has(&relais_host_services::cancelled) && services_->cancelled(ctx_) != 0;
    }
    // Time left before the call's deadline (a very large value when it has none).
    std::chrono::milliseconds remaining() const {
        if (!has(&relais_host_services::remaining_ms)) return std::chrono::milliseconds::max();
        const auto ms = services_->remaining_ms(ctx_);
        return ms > static_cast<uint64_t>(std::chrono::milliseconds::max().count()) ? std::chrono::milliseconds::max()
                                                                                      : std::chrono::milliseconds(ms);
    }

    // ---- Logs tagged with this call's id (the job id for a job) ----
    void log(relais_log_level level, const std::string &message) const {
        if (has(&relais_host_services::call_log)) services_->call_log(ctx_, level, message.c_str());
        else if (has(&relais_host_services::log)) services_->log(nullptr, level, message.c_str());
    }
    void debug(const std::string &m) const { log(RELAIS_LOG_DEBUG, m); }
    void info(const std::string &m) const { log(RELAIS_LOG_INFO, m); }
    void warn(const std::string &m) const { log(RELAIS_LOG_WARN, m); }
    void error(const std::string &m) const { log(RELAIS_LOG_ERROR, m); }

    // Makes `call` the current call of this thread for its scope.
    class Scope {
    public:
        explicit Scope(const Call &call) : previous_(current_slot()) { current_slot() = &call; }
        ~Scope() { current_slot() = previous_; }
        Scope(const Scope &) = delete;
        Scope &operator=(const Scope &) = delete;

    private:
        const Call *previous_;
    };

private:
    template <class F>
    bool has(F relais_host_services::*member) const {
        return detail::provides(services_, member);
    }
    // A plain pointer: nothing to destroy when the thread or the library goes away.
    static const Call *&current_slot() {
        static thread_local const Call *current = nullptr;
        return current;
    }

    std::string id_;
    relais_call_ctx *ctx_;
    const relais_host_services *services_;
    bool may_continue_ = false;
    uint32_t step_ = 0;
    std::string idempotency_key_;
    std::string checkpoint_text_;
    bool continues_ = false;
    std::chrono::milliseconds later_delay_{0};
    std::string later_progress_;
};

// ---------------------------------------------------------------------------------------
// WebhookRequest: one request to a webhook the plugin declared
// ---------------------------------------------------------------------------------------
struct WebhookRequest {
    std::string hook;
    std::string method;       // "GET" or "POST"
    std::string path_suffix;  // after /hooks/<connector>/<hook>/
    std::string query;        // raw, without '?'
    std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
    std::string body;
    std::string remote_address;

    // The first header of that (lowercase) name, or empty.
    std::string header(const std::string &name) const {
        for (const auto &[n, v] : headers)
            if (n == name) return v;
        return {};
    }
};

// ---------------------------------------------------------------------------------------
// TestReport: the result of the "Test" button, one step at a time
// ---------------------------------------------------------------------------------------
class TestReport {
public:
    // Records a passed step.
    void pass(const std::string &step, const std::string &message) { add(step, true, message, RELAIS_OK); }
    // Records a failed step; the first failure decides the report's status.
    void fail(const std::string &step, const std::string &message, relais_status status) { add(step, false, message, status); }

    relais_status status() const { return status_; }
    std::string to_json() const {
        Poco::JSON::Array::Ptr steps = new Poco::JSON::Array;
        for (const auto &s : steps_) {
            Json step = new Poco::JSON::Object;
            step->set("name", s.name);
            step->set("ok", s.ok);
            step->set("message", s.message);
            steps->add(step);
        }
        Json root = new Poco::JSON::Object;
        root->set("steps", steps);
        return to_string(root);
    }
    std::string failure_message() const {
        for (const auto &s : steps_)
            if (!s.ok) return s.name + ": " + s.message;
        return {};
    }

private:
    struct Step {
        std::string name;
        bool ok;
        std::string message;
    };
    void add(const std::string &name, bool ok, const std::string &message, relais_status status) {
        steps_.push_back({name, ok, message});
        if (!ok && status_ == RELAIS_OK) status_ = status == RELAIS_OK ? RELAIS_INTERNAL : status;
    }
    std::vector<Step> steps_;
    relais_status status_ = RELAIS_OK;
};

// ---------------------------------------------------------------------------------------
// Snapshot<T>: settings swapped atomically by configure, read by concurrent calls
// ---------------------------------------------------------------------------------------
template <class T>
class Snapshot {
public:
    std::shared_ptr<const T> get() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return value_;
    }
    void set(T value) {
        auto next = std::make_shared<const T>(std::move(value));
        std::lock_guard<std::mutex> lock(mutex_);
        value_ = std::move(next);
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const T> value_;
};

// ---------------------------------------------------------------------------------------
// Definition<P>: what the plugin says about itself, and which method runs each action
// ---------------------------------------------------------------------------------------
template <class P>
class Definition {
public:
    using Handler = Json (P::*)(const Json &, Call &);
    using WebhookHandler = Json (P::*)(const WebhookRequest &);

    struct Action {
        std::string name, description, input_schema, output_schema;
        Handler handler;
        uint64_t flags = 0;
        uint64_t job_deadline_seconds = 0;
    };
    struct QuotaWindow {
        std::string scope;
        uint64_t count, window_ms;
        bool per_key;
    };
    struct Webhook {
        std::string name, description;
        uint32_t methods;
        WebhookHandler handler;
        uint64_t max_body_bytes;
    };
    struct Quota {
        std::string scope;
        double per_second;
        uint64_t per_day;
    };
    struct Periodic {
        std::string name, action, input;
        uint64_t interval_seconds, start_delay_seconds;
    };

    Definition(std::string name, std::string version, std::string description)
        : name_(std::move(name)), version_(std::move(version)), description_(std::move(description)) {}

    Definition &&settings_schema(std::string schema) && {
        settings_schema_ = std::move(schema);
        return std::move(*this);
    }
    Definition &&action(std::string name, std::string description, std::string input_schema, Handler handler,
                        std::string output_schema = {}) && {
        actions_.push_back({std::move(name), std::move(description), std::move(input_schema),
                            std::move(output_schema), handler});
        return std::move(*this);
    }
    // The last declared action only makes sense as a job: a synchronous call is refused.
    Definition &&job_only() && {
        last_action("job_only").flags |= RELAIS_ACTION_JOB_ONLY;
        return std::move(*this);
    }
    // A job of the last declared action ends dead ("deadline") this long after acceptance.
    Definition &&job_deadline(uint64_t seconds) && {
        last_action("job_deadline").job_deadline_seconds = seconds;
        return std::move(*this);
    }
    // At most `count` takes of `scope` in any window of `window` (per key when per_key).
    Definition &&quota_window(std::string scope, uint64_t count, std::chrono::milliseconds window,
                              bool per_key = false) && {
        windows_.push_back({std::move(scope), count, static_cast<uint64_t>(window.count()), per_key});
        return std::move(*this);
    }
    // At most `count` takes of `scope` held at once (per key when per_key).
    Definition &&concurrency(std::string scope, uint64_t count, bool per_key = false) && {
        windows_.push_back({std::move(scope), count, 0, per_key});
        return std::move(*this);
    }
    // A webhook served at /api/v1/hooks/<connector>/<name>: the handler authenticates the
    // request (throw relais::unauthorized) and returns quickly (a JSON object, or null).
    Definition &&webhook(std::string name, std::string description, uint32_t methods, WebhookHandler handler,
                         uint64_t max_body_bytes = 0) && {
        webhooks_.push_back({std::move(name), std::move(description), methods, handler, max_body_bytes});
        return std::move(*this);
    }
    // How long one job step may run (0: the host's default).
    Definition &&step_timeout(uint64_t seconds) && {
        step_timeout_seconds_ = seconds;
        return std::move(*this);
    }
    Definition &&quota(std::string scope, double per_second, uint64_t per_day) && {
        quotas_.push_back({std::move(scope), per_second, per_day});
        return std::move(*this);
    }
    // The plugin calls Call::acquire_quota itself, once per upstream request.
    Definition &&quota_per_request() && {
        flags_ |= RELAIS_PLUGIN_QUOTA_PER_REQUEST;
        return std::move(*this);
    }
    Definition &&periodic(std::string name, std::string action, uint64_t interval_seconds,
                          uint64_t start_delay_seconds, std::string input = "{}") && {
        periodic_.push_back({std::move(name), std::move(action), std::move(input), interval_seconds,
                             start_delay_seconds});
        return std::move(*this);
    }

    const std::string &name() const { return name_; }
    const std::string &version() const { return version_; }
    const std::string &description() const { return description_; }
    const std::string &settings_schema() const { return settings_schema_; }
    const std::vector<Action> &actions() const { return actions_; }
    const std::vector<Quota> &quotas() const { return quotas_; }
    const std::vector<Periodic> &periodic_tasks() const { return periodic_; }
    const std::vector<QuotaWindow> &quota_windows() const { return windows_; }
    const std::vector<Webhook> &webhooks() const { return webhooks_; }
    uint64_t step_timeout_seconds() const { return step_timeout_seconds_; }
    uint64_t flags() const { return flags_; }

private:
    Action &last_action(const char *what) {
        if (actions_.empty()) throw std::logic_error(std::string(what) + "() must follow an action()");
        return actions_.back();
    }

    std::string name_, version_, description_;
    std::string settings_schema_ = R"({"type":"object","properties":{},"additionalProperties":false})";
    std::vector<Action> actions_;
    std::vector<Quota> quotas_;
    std::vector<Periodic> periodic_;
    std::vector<QuotaWindow> windows_;
    std::vector<Webhook> webhooks_;
    uint64_t step_timeout_seconds_ = 0;
    uint64_t flags_ = 0;
};

namespace detail {

template <class P, class = void>
struct has_test : std::false_type {};
template <class P>
struct has_test<P, std::void_t<decltype(std::declval<P &>().test(std::declval<Call &>()))>> : std::true_type {};

inline void report(const relais_output *out, const std::string &message, const Json &detail,
                   std::chrono::milliseconds retry_after) noexcept {
    try {
        std::string d = detail ? to_string(detail) : std::string();
        out->fail(out->host_data, message.c_str(), detail ? d.c_str() : nullptr,
                  static_cast<uint64_t>(retry_after.count()));
    } catch (...) {
        out->fail(out->host_data, "out of memory while reporting an error", nullptr, 0);
    }
}

inline void append(const relais_output *out, const std::string &text) {
    out->append(out->host_data, text.data(), text.size());
}

// Runs `body`, turning every exception into a status and a message for the host.
template <class F>
relais_status guarded(const relais_output *out, F &&body) noexcept {
    try {
        return body();
    } catch (const Error &e) {
        report(out, e.what(), e.detail(), e.retry_after());
        return e.status();
    } catch (const std::bad_alloc &) {
        report(out, "out of memory", nullptr, std::chrono::milliseconds(0));
        return RELAIS_INTERNAL;
    } catch (const std::exception &e) {
        report(out, std::string("unexpected exception: ") + e.what(), nullptr, std::chrono::milliseconds(0));
        return RELAIS_INTERNAL;
    } catch (...) {
        report(out, "unexpected non-standard exception", nullptr, std::chrono::milliseconds(0));
        return RELAIS_INTERNAL;
    }
}

// The C tables built once from the definition; they live as long as the library.
template <class P>
struct Adapter {
    Definition<P> definition = P::definition();
    std::vector<relais_action_desc> action_descs;
    std::vector<const relais_action_desc *> action_ptrs;
    std::vector<relais_quota_desc> quota_descs;
    std::vector<const relais_quota_desc *> quota_ptrs;
    std::vector<relais_periodic_desc> periodic_descs;
    std::vector<const relais_periodic_desc *> periodic_ptrs;
    std::vector<relais_quota_window_desc> window_descs;
    std::vector<const relais_quota_window_desc *> window_ptrs;
    std::vector<relais_webhook_desc> webhook_descs;
    std::vector<const relais_webhook_desc *> webhook_ptrs;
    relais_descriptor descriptor{};
    relais_plugin_api api{};

    Adapter() {
        for (const auto &a : definition.actions())
            action_descs.push_back({sizeof(relais_action_desc), a.name.c_str(), a.description.c_str(),
                                    a.input_schema.c_str(),
                                    a.output_schema.empty() ? nullptr : a.output_schema.c_str(), a.flags,
                                    a.job_deadline_seconds});
        for (const auto &d : action_descs) action_ptrs.push_back(&d);
        for (const auto &q : definition.quotas())
            quota_descs.push_back({sizeof(relais_quota_desc), q.scope.c_str(), q.per_second, q.per_day});
        for (const auto &d : quota_descs) quota_ptrs.push_back(&d);
        for (const auto &t : definition.periodic_tasks())
            periodic_descs.push_back({sizeof(relais_periodic_desc), t.name.c_str(), t.action.c_str(),
                                      t.input.c_str(), t.interval_seconds, t.start_delay_seconds});
        for (const auto &d : periodic_descs) periodic_ptrs.push_back(&d);
        for (const auto &w : definition.quota_windows())
            window_descs.push_back({sizeof(relais_quota_window_desc), w.scope.c_str(), w.count, w.window_ms,
                                    w.per_key ? 1u : 0u});
        for (const auto &d : window_descs) window_ptrs.push_back(&d);
        for (const auto &w : definition.webhooks())
            webhook_descs.push_back({sizeof(relais_webhook_desc), w.name.c_str(), w.description.c_str(), w.methods,
                                     w.max_body_bytes});
        for (const auto &d : webhook_descs) webhook_ptrs.push_back(&d);

        descriptor.struct_size = sizeof(relais_descriptor);
        descriptor.name = definition.name().c_str();
        descriptor.version = definition.version().c_str();
        descriptor.description = definition.description().c_str();
        descriptor.settings_schema_json = definition.settings_schema().c_str();
        descriptor.actions = action_ptrs.data();
        descriptor.action_count = action_ptrs.size();
        descriptor.quotas = quota_ptrs.data();
        descriptor.quota_count = quota_ptrs.size();
        descriptor.periodic_tasks = periodic_ptrs.data();
        descriptor.periodic_task_count = periodic_ptrs.size();
        descriptor.flags = definition.flags();
        descriptor.quota_windows = window_ptrs.data();
        descriptor.quota_window_count = window_ptrs.size();
        descriptor.webhooks = webhook_ptrs.data();
        descriptor.webhook_count = webhook_ptrs.size();
        descriptor.step_timeout_seconds = definition.step_timeout_seconds();

        api.struct_size = sizeof(relais_plugin_api);
        api.abi_version = RELAIS_ABI_VERSION;
        api.descriptor = &descriptor;
        api.init = &init;
        api.configure = &configure;
        api.test = has_test<P>::value ? &test : nullptr;
        api.execute = &execute;
        api.shutdown = &shutdown;
        api.handle_webhook = definition.webhooks().empty() ? nullptr : &handle_webhook;
    }

    static Adapter &get() {
        static Adapter adapter;
        return adapter;
    }

    // What an instance handle points at: the plugin object and the services it was given.
    struct Holder {
        const relais_host_services *services;
        P plugin;
        Holder(const relais_host_services *s, relais_host_ctx *host) : services(s), plugin(Host(s, host)) {}
    };
    static Holder *holder(relais_plugin_instance *instance) { return reinterpret_cast<Holder *>(instance); }
    static P *self(relais_plugin_instance *instance) { return &holder(instance)->plugin; }
    static const relais_host_services *host_services_of(relais_plugin_instance *instance) {
        return holder(instance)->services;
    }

    static relais_status init(const relais_host_services *services, relais_host_ctx *host,
                              relais_plugin_instance **instance, const relais_output *out) {
        return guarded(out, [&] {
            *instance = reinterpret_cast<relais_plugin_instance *>(new Holder(services, host));
            return RELAIS_OK;
        });
    }

    static relais_status configure(relais_plugin_instance *instance, const char *json, size_t length,
                                   const relais_output *out) {
        return guarded(out, [&] {
            Json settings = parse_object(std::string_view(json, length), RELAIS_INVALID_CONFIG, "settings");
            if constexpr (std::is_same_v<decltype(self(instance)->configure(settings)), Json>) {
                Json adjustments = self(instance)->configure(settings);
                if (adjustments) append(out, to_string(adjustments));
            } else {
                self(instance)->configure(settings);
            }
            return RELAIS_OK;
        });
    }

    static relais_status test(relais_plugin_instance *instance, relais_call_ctx *call, const relais_output *out) {
        if constexpr (has_test<P>::value) {
            return guarded(out, [&] {
                Call c("test", call, host_services_of(instance));
                Call::Scope current(c);
                TestReport report = self(instance)->test(c);
                append(out, report.to_json());
                if (report.status() != RELAIS_OK)
                    out->fail(out->host_data, report.failure_message().c_str(), nullptr, 0);
                return report.status();
            });
        } else {
            (void)instance, (void)call, (void)out;
            return RELAIS_UNSUPPORTED;
        }
    }

    static relais_status execute(relais_plugin_instance *instance, const relais_call *call,
                                 const relais_output *out) {
        return guarded(out, [&] {
            const std::string action = call->action ? call->action : "";
            for (const auto &a : get().definition.actions()) {
                if (a.name != action) continue;
                Json input = parse_object(std::string_view(call->input_json, call->input_length),
                                          RELAIS_INVALID_INPUT, "input of action '" + action + "'");
                const bool may_continue = RELAIS_HAS_FIELD(out, relais_output, continue_later) &&
                                          out->continue_later != nullptr;
                Call c(*call, host_services_of(instance), may_continue);
                Call::Scope current(c);
                Json result = (self(instance)->*a.handler)(input, c);
                if (c.continues()) {
                    const auto &progress = c.later_progress();
                    out->continue_later(out->host_data, static_cast<uint64_t>(c.later_delay().count()),
                                        progress.data(), progress.size());
                    return RELAIS_OK;
                }
                append(out, result ? to_string(result) : std::string("{}"));
                return RELAIS_OK;
            }
            throw Error(RELAIS_UNSUPPORTED, "unknown action '" + action + "'");
        });
    }

    static relais_status handle_webhook(relais_plugin_instance *instance, const relais_webhook_request *request,
                                        const relais_output *out) {
        return guarded(out, [&] {
            if (!request || !request->hook) throw Error(RELAIS_INVALID_INPUT, "webhook request is missing");
            WebhookRequest r;
            r.hook = request->hook;
            r.method = request->method ? request->method : "";
            r.path_suffix = request->path_suffix ? request->path_suffix : "";
            r.query = request->query ? request->query : "";
            for (size_t i = 0; i < request->header_count && request->headers; ++i)
                r.headers.emplace_back(request->headers[2 * i] ? request->headers[2 * i] : "",
                                       request->headers[2 * i + 1] ? request->headers[2 * i + 1] : "");
            if (request->body) r.body.assign(request->body, request->body_length);
            r.remote_address = request->remote_address ? request->remote_address : "";
            for (const auto &w : get().definition.webhooks()) {
                if (w.name != r.hook) continue;
                Json answer = (self(instance)->*w.handler)(r);
                append(out, answer ? to_string(answer) : std::string("{}"));
                return RELAIS_OK;
            }
            throw Error(RELAIS_NOT_FOUND, "no webhook named '" + r.hook + "'");
        });
    }

    static void shutdown(relais_plugin_instance *instance) {
        try {
            delete holder(instance);
        } catch (...) {
            // A destructor that throws must not cross the boundary.
        }
    }
};

// Negotiation shared by every plugin built with this header.
template <class P>
int negotiate(relais_negotiation *n) noexcept {
    if (!n || n->struct_size < sizeof(relais_negotiation)) return -1;
    if (RELAIS_ABI_VERSION < n->host_abi_min || RELAIS_ABI_VERSION > n->host_abi_max) {
        n->abi_version = RELAIS_ABI_VERSION;
        n->api = nullptr;
        return -1;
    }
    try {
        n->api = &Adapter<P>::get().api;
    } catch (...) {
        n->api = nullptr;
        return -1;
    }
    n->abi_version = RELAIS_ABI_VERSION;
    return 0;
}

}  // namespace detail
}  // namespace relais

// Exports the plugin class P as this library's one entry point.
#define RELAIS_PLUGIN(P)                                                            \
    extern "C" RELAIS_EXPORT int relais_plugin_entry(relais_negotiation *negotiation) { \
        return ::relais::detail::negotiate<P>(negotiation);                        \
    }
