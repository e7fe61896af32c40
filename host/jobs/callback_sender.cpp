#include "jobs/callback_sender.hpp"

#include "jobs/job_json.hpp"
#include "observability/metrics.hpp"

#include <Poco/Logger.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/NullStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <memory>
#include <sstream>

namespace relais::host {
namespace {

Poco::Logger &logger() { return Poco::Logger::get("relais.jobs.callbacks"); }

}  // namespace

CallbackSender::CallbackSender(Options options, std::function<void(int64_t)> done)
    : options_(options), done_(std::move(done)), thread_([this] { run(); }) {}

CallbackSender::~CallbackSender() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    if (!queue_.empty()) logger().warning(std::to_string(queue_.size()) + " job callback(s) not delivered before stopping");
}

void CallbackSender::post(const JobDetail &job, Kind kind) {
    if (!job.job.callback_url) return;
    std::ostringstream body;
    job_detail_to_json(job)->stringify(body);  // without the input: the ERP sent it, and it may be large
    {
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back({*job.job.callback_url, body.str(), job.job.id, 0, std::chrono::steady_clock::now(), kind});
    }
    wake_.notify_all();
}

void CallbackSender::run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        if (queue_.empty()) {
            wake_.wait(lock);
            continue;
        }
        // The delivery due first.
        auto next = std::min_element(queue_.begin(), queue_.end(), [](const auto &a, const auto &b) { return a.due < b.due; });
        if (next->due > std::chrono::steady_clock::now()) {
            wake_.wait_until(lock, next->due);
            continue;
        }
        Delivery d = *next;
        queue_.erase(next);
        lock.unlock();
        const bool ok = deliver(d);
        if (options_.metrics)
            options_.metrics->record_callback(ok ? Metrics::CallbackOutcome::delivered
                                              : d.kind == Kind::final && d.attempt + 1 >= options_.attempts
                                                  ? Metrics::CallbackOutcome::given_up
                                                  : Metrics::CallbackOutcome::failed);
        if (d.kind == Kind::progress) {
            lock.lock();
            continue;  // once, and the store has nothing to mark
        }
        const bool given_up = !ok && d.attempt + 1 >= options_.attempts;
        if (given_up)
            logger().error("callback of job " + std::to_string(d.job_id) + " to " + d.url + " given up after " +
                           std::to_string(d.attempt + 1) + " attempts");
        if ((ok || given_up) && done_) {
            try {
                done_(d.job_id);
            } catch (const std::exception &e) {
                logger().error("callback of job " + std::to_string(d.job_id) + " delivered, but not recorded: " +
                               e.what() + " (it may be posted again after a restart)");
            }
        }
        lock.lock();
        if (ok || given_up) continue;
        ++d.attempt;
        d.due = std::chrono::steady_clock::now() + options_.first_delay * (1 << (d.attempt - 1));
        queue_.push_back(std::move(d));
    }
}

bool CallbackSender::deliver(const Delivery &d) const {
    try {
        const Poco::URI uri(d.url);
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (uri.getScheme() == "https") {
            // Certificates are verified against the system's authorities, as for connectors.
            static const Poco::Net::Context::Ptr context = new Poco::Net::Context(
                Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_STRICT, 9, true);
            session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
        } else {
            session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        }
        session->setTimeout(Poco::Timespan(options_.timeout.count(), 0));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathAndQuery(),
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType("application/json");
        request.setContentLength64(static_cast<Poco::Int64>(d.body.size()));
        request.set("X-Relais-Job", std::to_string(d.job_id));
        request.set("X-Relais-Callback", d.kind == Kind::progress ? "progress" : "final");
        session->sendRequest(request) << d.body;
        Poco::Net::HTTPResponse response;
        auto &in = session->receiveResponse(response);
        Poco::NullOutputStream discard;
        Poco::StreamCopier::copyStream(in, discard);
        if (response.getStatus() / 100 == 2) return true;
        logger().warning("callback of job " + std::to_string(d.job_id) + " to " + d.url + ": HTTP " +
                         std::to_string(response.getStatus()));
    } catch (const Poco::Exception &e) {
        logger().warning("callback of job " + std::to_string(d.job_id) + " to " + d.url + ": " + e.displayText());
    } catch (const std::exception &e) {
        logger().warning("callback of job " + std::to_string(d.job_id) + " to " + d.url + ": " + e.what());
    }
    return false;
}

}  // namespace relais::host
