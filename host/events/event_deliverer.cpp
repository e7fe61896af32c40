#include "events/event_deliverer.hpp"

#include "events/event_json.hpp"
#include "events/event_signature.hpp"

#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <random>

namespace relais::host::events {
namespace {

Poco::Logger &logger() { return Poco::Logger::get("relais.events"); }

bool is_https(const std::string &url) { return url.rfind("https://", 0) == 0; }

std::string seconds_text(int64_t ms) {
    return ms >= 10'000 || ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

}  // namespace

std::chrono::milliseconds backoff_delay(const DeliveryPolicy &policy, int failed_attempts) {
    auto delay = policy.first_delay;
    for (int i = 1; i < failed_attempts && delay < policy.max_delay; ++i) delay *= 2;
    return std::min(delay, policy.max_delay);
}

struct EventDeliverer::Worker {
    const EventEndpoint &endpoint;
    Poco::Net::Context::Ptr context;  // https only
    std::mutex mutex;
    std::condition_variable changed;
    uint64_t generation = 0;  // bumped by notify(): nothing announced in between is missed
    int64_t position = 0;     // the worker's own once it runs
    bool stopping = false;
    std::thread thread;

    explicit Worker(const EventEndpoint &e) : endpoint(e) {}
};

EventDeliverer::EventDeliverer(EventLog &log, DeliveryStore &store, Clock &clock, std::vector<EventEndpoint> endpoints,
                               DeliveryPolicy policy, OutcomeListener on_outcome)
    : log_(log), store_(store), clock_(clock), endpoints_(std::move(endpoints)), policy_(policy),
      on_outcome_(std::move(on_outcome)) {
    if (policy_.max_attempts < 1) throw std::invalid_argument("event deliveries need at least one attempt");
    tls_ = std::any_of(endpoints_.begin(), endpoints_.end(), [](const auto &e) { return is_https(e.url); });
    if (tls_) Poco::Net::initializeSSL();  // reference-counted; balanced in the destructor
    for (const auto &endpoint : endpoints_) {
        auto worker = std::make_unique<Worker>(endpoint);
        if (is_https(endpoint.url)) {
            // Certificates are verified (chain and host name), against the endpoint's own
            // authority when it names one, else the system's.
            Poco::Net::Context::Params params;
            params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
            params.loadDefaultCAs = !endpoint.ca_file;
            if (endpoint.ca_file) params.caLocation = endpoint.ca_file->string();
            try {
                worker->context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
            } catch (const Poco::Exception &e) {
                if (tls_) Poco::Net::uninitializeSSL();
                throw std::runtime_error("event endpoint " + endpoint.name + ": cannot set up TLS: " + e.displayText());
            }
        }
        workers_.push_back(std::move(worker));
    }
}

EventDeliverer::~EventDeliverer() {
    stop();
    workers_.clear();  // the contexts go before SSL is uninitialized
    if (tls_) Poco::Net::uninitializeSSL();
}

void EventDeliverer::start() {
    for (auto &w : workers_)
        if (!w->thread.joinable()) {
            {
                std::lock_guard<std::mutex> lock(w->mutex);
                w->stopping = false;
            }
            w->position = store_.position(w->endpoint.name, log_.last_sequence());
            w->thread = std::thread([this, worker = w.get()] { run(*worker); });
        }
}

void EventDeliverer::stop() {
    for (auto &w : workers_) {
        std::lock_guard<std::mutex> lock(w->mutex);
        w->stopping = true;
    }
    for (auto &w : workers_) w->changed.notify_all();
    for (auto &w : workers_)
        if (w->thread.joinable()) w->thread.join();
}

void EventDeliverer::notify() {
    for (auto &w : workers_) {
        {
            std::lock_guard<std::mutex> lock(w->mutex);
            ++w->generation;
        }
        w->changed.notify_all();
    }
}

void EventDeliverer::wait(Worker &w, uint64_t seen, int64_t deadline_ms) {
    std::unique_lock<std::mutex> lock(w.mutex);
    while (!w.stopping && w.generation == seen && clock_.now_ms() < deadline_ms)
        clock_.wait_until(lock, w.changed, deadline_ms);
}

void EventDeliverer::report(const std::string &endpoint, std::string_view outcome) const {
    if (on_outcome_) on_outcome_(endpoint, outcome);
}

std::optional<int64_t> EventDeliverer::retry_time(int failed_attempts) const {
    if (failed_attempts >= policy_.max_attempts) return std::nullopt;
    const auto delay = backoff_delay(policy_, failed_attempts).count();
    thread_local std::mt19937_64 random{std::random_device{}()};
    const auto jitter = std::uniform_int_distribution<int64_t>(0, delay / 2)(random);
    return clock_.now_ms() + delay - jitter;
}

void EventDeliverer::run(Worker &w) {
    const std::string &name = w.endpoint.name;
    int64_t &position = w.position;
    const auto outcome_of = [&](const std::optional<std::string> &error, const std::optional<int64_t> &next,
                                const Event &event, int attempts) {
        if (!error) {
            report(name, "delivered");
            return;
        }
        if (next) {
            logger().warning("event " + event.id + " (" + event.type + ") to endpoint " + name + ": " + *error +
                             "; attempt " + std::to_string(attempts) + " of " + std::to_string(policy_.max_attempts) +
                             ", next in " + seconds_text(*next - clock_.now_ms()));
            report(name, "retrying");
        } else {
            logger().error("event " + event.id + " (" + event.type + ") to endpoint " + name + ": " + *error +
                           "; given up after " + std::to_string(attempts) +
                           " attempt(s), kept as failed (POST /api/v1/events/" + event.id + "/retry sends it again)");
            report(name, "failed");
        }
    };
    for (;;) {
        uint64_t seen;
        {
            std::lock_guard<std::mutex> lock(w.mutex);
            if (w.stopping) return;
            seen = w.generation;
        }
        try {
            // A delivery waiting for its retry comes before every later event: the order holds.
            if (const auto retry = store_.next_retry(name)) {
                if (retry->next_attempt_at && *retry->next_attempt_at > clock_.now_ms()) {
                    wait(w, seen, *retry->next_attempt_at);
                    continue;
                }
                const auto event = log_.at(retry->sequence);
                if (!event) {
                    store_.later_attempt(name, retry->sequence, false, clock_.now_ms(), std::nullopt,
                                         "the event was purged before it could be delivered");
                    report(name, "failed");
                    continue;
                }
                const auto error = post(w, *event);
                const int attempts = retry->attempts + 1;
                const auto next = error ? retry_time(attempts) : std::nullopt;
                store_.later_attempt(name, event->sequence, !error, clock_.now_ms(), next, error.value_or(""));
                outcome_of(error, next, *event, attempts);
                continue;
            }
            EventFilter filter;
            filter.after = position;
            filter.limit = 100;
            const auto events = log_.list(filter);
            const auto next_event = std::find_if(events.begin(), events.end(), [&](const Event &e) {
                return matches_any(w.endpoint.types, e.type);
            });
            if (next_event == events.end()) {
                if (!events.empty()) {
                    position = events.back().sequence;
                    store_.skip_to(name, position);
                    continue;
                }
                wait(w, seen, kNever);
                continue;
            }
            const auto error = post(w, *next_event);
            const auto next = error ? retry_time(1) : std::nullopt;
            store_.first_attempt(name, next_event->sequence, !error, clock_.now_ms(), next, error.value_or(""));
            position = next_event->sequence;
            outcome_of(error, next, *next_event, 1);
        } catch (const std::exception &e) {
            // The database is busy or failing: nothing moved, so nothing is lost; look again soon.
            logger().error("event deliveries to endpoint " + name + ": " + e.what() + "; trying again in 5 s");
            wait(w, seen, clock_.now_ms() + 5000);
        }
    }
}

std::optional<std::string> EventDeliverer::post(const Worker &w, const Event &event) const {
    try {
        const Poco::URI uri(w.endpoint.url);
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (w.context)
            session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), w.context);
        else
            session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        session->setTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(policy_.timeout.count()) * 1000));
        const std::string body = event_body(event);
        const auto path = uri.getPathAndQuery();
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path.empty() ? "/" : path,
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType("application/json");
        request.setContentLength64(static_cast<Poco::Int64>(body.size()));
        request.set("User-Agent", "Relais");
        request.set("Relais-Event-Id", event.id);
        request.set("Relais-Signature", signature_header(w.endpoint.secret, clock_.now_ms() / 1000, body));
        session->sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        auto &in = session->receiveResponse(response);
        Poco::NullOutputStream discard;  // the receiver's answer is not used, only its status
        Poco::StreamCopier::copyStream(in, discard);
        if (response.getStatus() / 100 == 2) return std::nullopt;
        return "HTTP " + std::to_string(response.getStatus());
    } catch (const Poco::Exception &e) {
        return e.displayText();
    } catch (const std::exception &e) {
        return std::string(e.what());
    }
}

}  // namespace relais::host::events
